/**
 * Why a Git operation failed, in terms a user can act on. Messages name the repository
 * (without credentials) and never contain a secret: every message passes through
 * `redact` with the repository's credentials before it is built into a GitError.
 */
export type GitErrorCode =
  /** DNS failure, refused or reset connection, timeout, 5xx. */
  | 'Unreachable'
  /** 401 or 403: missing or wrong credentials. */
  | 'AuthFailed'
  /** 404: no such repository on that server. */
  | 'RepoNotFound'
  /** No branch, tag or commit by that name. */
  | 'UnknownRevision'
  /** The on-disk cache failed a consistency check; it is re-cloned. */
  | 'CorruptCache'
  /** A URL scheme or server Sluice cannot talk to (SSH, dumb HTTP). */
  | 'Unsupported'
  /** The server refused or broke off a fetch for another reason (its message is included). */
  | 'FetchFailed'
  /** A path does not exist at the commit. */
  | 'PathNotFound'
  /** Too many files or bytes under the requested path. */
  | 'LimitExceeded';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly code: GitErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The shape of errors isomorphic-git and node's sockets throw, as far as we read them. */
interface ThrownError {
  code?: unknown;
  message?: unknown;
  data?: { statusCode?: unknown; statusMessage?: unknown; response?: unknown };
  cause?: unknown;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

/**
 * Turns whatever a fetch threw into a GitError. `repo` is the credential-free URL;
 * `secrets` are strings that must not appear in the message.
 */
export function classifyRemoteError(error: unknown, repo: string, secrets: readonly string[]): GitError {
  if (error instanceof GitError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ThrownError;
  const detail = redact(String(e.message ?? error), secrets);
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'HttpError') {
    const status = Number(e.data?.statusCode);
    const statusText = typeof e.data?.statusMessage === 'string' ? ` ${e.data.statusMessage}` : '';
    if (status === 401 || status === 403) {
      return new GitError(
        'AuthFailed',
        `${repo}: authentication failed (HTTP ${status}${statusText}); check the credentials configured for this repository`,
      );
    }
    if (status === 404) return new GitError('RepoNotFound', `${repo}: repository not found (HTTP 404)`);
    return new GitError('Unreachable', `${repo}: the Git server answered HTTP ${status}${statusText}`);
  }
  if (NETWORK_CODES.has(code)) return new GitError('Unreachable', `${repo}: cannot reach the Git server (${code}: ${detail})`);
  if (code === 'SmartHttpError' || code === 'EmptyServerResponseError' || code === 'ParseError') {
    return new GitError('Unsupported', `${repo}: the server does not speak the Git smart HTTP protocol (${detail})`);
  }
  return new GitError('FetchFailed', `${repo}: fetch failed: ${detail}`);
}

/** Replaces each secret (and its URL-encoded form) in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}
