import type { JsonObject } from '../json.ts';
import { goQuote } from './validation/content.ts';

/** The reasons of metav1.Status the embedded API server answers with, and their HTTP codes. */
export const STATUS_CODES = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  /** an error that is no metav1.Status (ErrorToAPIStatus): 500, and no reason on the wire */
  Unknown: 500,
  ServiceUnavailable: 503,
} as const;

export type StatusReason = keyof typeof STATUS_CODES;

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly causes?: readonly StatusCause[];
}

/** An API error, serialised as a metav1.Status object with the code of its reason. */
export class StatusError extends Error {
  readonly code: number;

  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.code = STATUS_CODES[reason];
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason === 'Unknown' ? {} : { reason: this.reason }),
      code: this.code,
    };
    if (this.details) status.details = JSON.parse(JSON.stringify(this.details)) as JsonObject;
    return status;
  }
}

/** Who an error is about, as "deployments.apps" + name in Kubernetes messages. */
export interface Subject {
  readonly group: string;
  readonly plural: string;
  readonly kind: string;
  readonly name: string;
}

function qualified(s: Pick<Subject, 'group' | 'plural'>): string {
  return s.group ? `${s.plural}.${s.group}` : s.plural;
}

function subjectDetails(s: Subject): StatusDetails {
  return { name: s.name, group: s.group, kind: s.plural };
}

export const errors = {
  notFound: (s: Subject) => new StatusError('NotFound', `${qualified(s)} "${s.name}" not found`, subjectDetails(s)),
  alreadyExists: (s: Subject) => new StatusError('AlreadyExists', `${qualified(s)} "${s.name}" already exists`, subjectDetails(s)),
  conflict: (s: Subject, why: string) =>
    new StatusError('Conflict', `Operation cannot be fulfilled on ${qualified(s)} "${s.name}": ${why}`, subjectDetails(s)),
  invalid: (s: Subject, causes: readonly StatusCause[]) =>
    new StatusError(
      'Invalid',
      `${s.kind} "${s.name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
      { name: s.name, group: s.group, kind: s.kind, causes },
    ),
  /** a patch whose result cannot be decoded: NewInvalid with no kind or name, one cause on the field `patch` */
  invalidPatch: (shown: string, detail: string) => {
    const message = `Invalid value: ${goQuote(shown)}: ${detail}`;
    return new StatusError('Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
  },
  badRequest: (message: string) => new StatusError('BadRequest', message),
  methodNotAllowed: (verb: string) => new StatusError('MethodNotAllowed', `the server does not allow this method on the requested resource (${verb})`),
  unsupportedMediaType: (contentType: string) =>
    new StatusError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType})`),
  /** a resourceVersion older than the kept history (watch resume, list continue) */
  expired: (message: string) => new StatusError('Expired', message),
  forbidden: (message: string) => new StatusError('Forbidden', message),
  resourceNotFound: () => new StatusError('NotFound', 'the server could not find the requested resource'),
  /** what a plain Go error (fmt.Errorf) reaching the handler becomes */
  unknown: (message: string) => new StatusError('Unknown', message),
  internal: (message: string) => new StatusError('InternalError', `Internal error occurred: ${message}`),
};
