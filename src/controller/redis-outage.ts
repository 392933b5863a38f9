/**
 * One line when Redis stops answering and one when it answers again, instead of one (or a
 * stack trace) per reconnect attempt from each of the process's connections: ioredis
 * retries by itself, so the errors in between say nothing new.
 */

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** True for the errors of a connection that is down (as opposed to a failing command). */
export function isConnectionError(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_ERRORS.has(code)) || /Connection is closed|connect ETIMEDOUT|Stream isn't writeable/.test(e.message);
}

export class RedisOutage {
  private down = false;

  constructor(
    private readonly address: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Reports a connection error (the first of an outage); other errors are not its business. */
  error(e: Error): boolean {
    if (!isConnectionError(e)) return false;
    if (!this.down) this.log(`Redis at ${this.address} is unreachable (${(e as NodeJS.ErrnoException).code ?? e.message}); retrying until it answers`);
    this.down = true;
    return true;
  }

  ready(): void {
    if (this.down) this.log(`Redis at ${this.address} answers again`);
    this.down = false;
  }
}
