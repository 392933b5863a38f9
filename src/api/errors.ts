/**
 * The API's errors: one class with a code from a closed set, each code one HTTP status,
 * and one fastify error handler that answers `{error: {code, message}}` for all of them,
 * for fastify's own schema validation (400 naming the field) and for anything unexpected
 * (500, the message kept out of the response and logged).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export const API_ERROR_STATUS = {
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  Internal: 500,
  NotImplemented: 501,
  Unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return API_ERROR_STATUS[this.code];
  }
}

export interface ErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

export function errorBody(code: ApiErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

const CODE_BY_STATUS = new Map<number, ApiErrorCode>(Object.entries(API_ERROR_STATUS).map(([code, status]) => [status, code as ApiErrorCode]));

/** fastify's validation message names the field as `body/revision must be string`; ours reads `body.revision: must be string`. */
function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (first === undefined) return error.message;
  const context = error.validationContext ?? 'request';
  const missing = (first.params as { missingProperty?: unknown } | undefined)?.missingProperty;
  const extra = (first.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
  const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const field = [context, path, typeof missing === 'string' ? missing : typeof extra === 'string' ? extra : ''].filter((s) => s !== '').join('.');
  return `${field}: ${typeof extra === 'string' ? 'is not a known field' : (first.message ?? 'is invalid')}`;
}

export function handleError(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ApiError) return reply.status(error.status).send(errorBody(error.code, error.message));
  if (error.validation !== undefined) return reply.status(400).send(errorBody('BadRequest', validationMessage(error)));
  const status = error.statusCode ?? 500;
  const code = CODE_BY_STATUS.get(status);
  if (status < 500 && code !== undefined) return reply.status(status).send(errorBody(code, error.message));
  request.log.error({ err: error }, 'request failed');
  return reply.status(status >= 500 && code !== undefined ? status : 500).send(errorBody(code ?? 'Internal', 'internal error (see the server log)'));
}
