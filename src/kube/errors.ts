import { isJsonObject, type JsonObject } from '../json.ts';

/**
 * A failed API request: HTTP status, the Status reason the server gave, its message, and
 * the object it was about, so a log line alone says what failed
 * ("apps/v1 Deployment default/web: 409 Conflict: ...").
 */
export class KubeError extends Error {
  override readonly name = 'KubeError';

  constructor(
    /** HTTP status; 0 when no response arrived (connection refused, reset, timeout) */
    readonly status: number,
    /** metav1.Status reason (NotFound, Conflict, AlreadyExists, Invalid, ...), or the HTTP phrase */
    readonly reason: string,
    /** the server's message, or the network error's */
    readonly serverMessage: string,
    /** "apps/v1 Deployment default/web", or the request path when no object is involved */
    readonly subject: string,
    readonly details: {
      /** from a Retry-After header or Status details.retryAfterSeconds */
      readonly retryAfterSeconds?: number;
      readonly causes?: readonly { readonly reason?: string; readonly field?: string; readonly message?: string }[];
      readonly cause?: unknown;
    } = {},
  ) {
    super(`${subject}: ${status === 0 ? 'request failed' : `${status} ${reason}`}: ${serverMessage}`, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  /** 429, 5xx, or no response at all: worth retrying after a pause; not a 500 that is the request's own fault */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || (this.status >= 500 && !this.rejectsBody);
  }

  /**
   * A 500 the same request would get again: kube-apiserver's field manager fails a
   * server-side apply whose body does not type against the kind's schema (a string for an
   * int32, a field not in a CRD's schema, duplicate keys in a keyed list) with a plain error,
   * which reaches the client as a 500 with no reason (kubernetes/kubernetes#139253, fabric8io
   * /kubernetes-client#6927). The message is the only sign, so it is matched here, once.
   */
  get rejectsBody(): boolean {
    return this.status === 500 && APPLY_BODY_ERRORS.some((prefix) => this.serverMessage.startsWith(prefix));
  }
}

/** structuredmerge.go's wording when the applied configuration, or the object merged from it, does not type as the kind. */
const APPLY_BODY_ERRORS: readonly string[] = ['failed to create typed patch object', 'failed to convert new object'];

/**
 * Discovery's answer that the cluster does not serve a kind (or its whole group/version):
 * typed, so callers decide by class rather than by message — the executor waits for a CRD
 * applied a moment ago to be served, compare leaves the kind to a CRD in the same render.
 */
export class UnservedKindError extends KubeError {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    /** false when the whole group/version is unknown, true when it is served without this kind */
    readonly groupVersionServed: boolean,
    subject: string,
  ) {
    const why = groupVersionServed ? `the server does not serve kind ${kind} in ${apiVersion}` : `the server does not serve ${apiVersion}`;
    super(404, 'NotFound', `${why} (is its CRD installed and established?)`, subject);
  }
}

/** Builds a KubeError from a response, reading a metav1.Status body when there is one. */
export function errorFromResponse(status: number, body: string, subject: string, retryAfterHeader: string | undefined): KubeError {
  let parsed: JsonObject | undefined;
  try {
    const value: unknown = JSON.parse(body);
    if (isJsonObject(value)) parsed = value;
  } catch {
    // not JSON (a proxy's HTML page, say): the text is the message
  }
  const reason = typeof parsed?.reason === 'string' && parsed.reason ? parsed.reason : httpPhrase(status);
  const message = typeof parsed?.message === 'string' ? parsed.message : body.slice(0, 500);
  const details = isJsonObject(parsed?.details) ? parsed.details : undefined;
  const fromStatus = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : undefined;
  const fromHeader = retryAfterHeader !== undefined && /^\d+$/.test(retryAfterHeader.trim()) ? Number(retryAfterHeader) : undefined;
  const retryAfterSeconds = fromHeader ?? fromStatus;
  const causes = Array.isArray(details?.causes) ? details.causes.filter(isJsonObject).map(toCause) : undefined;
  return new KubeError(status, reason, message, subject, {
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    ...(causes ? { causes } : {}),
  });
}

function toCause(c: JsonObject): { reason?: string; field?: string; message?: string } {
  const out: { reason?: string; field?: string; message?: string } = {};
  if (typeof c.reason === 'string') out.reason = c.reason;
  if (typeof c.field === 'string') out.field = c.field;
  if (typeof c.message === 'string') out.message = c.message;
  return out;
}

const PHRASES: Readonly<Record<number, string>> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict',
  410: 'Gone', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

function httpPhrase(status: number): string {
  return PHRASES[status] ?? (status >= 500 ? 'InternalError' : 'Unknown');
}

/** Removes every given secret from a text (a token echoed in a proxy error, say). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}
