/**
 * RedisHealth: every connection of a process reports to one place, so a Redis outage is
 * one log line (address and reason) and its end another, instead of a stack trace per
 * connection per reconnect attempt (ioredis prints "Unhandled error event" for a
 * connection without an error listener).
 *
 * Our own connections are watched directly (error, ready, end). BullMQ's connections (the
 * Worker's blocking duplicate, a Queue's) report through the Worker's or Queue's 'error'
 * event: `bullError` swallows their connection errors — our connections to the same
 * address see the same outage — and the errors a job that vanished with a Redis restart
 * causes ("Missing key for job N"), which the restart line explains once.
 *
 * After an outage, and after a restart (told from a reconnect by the server's run_id), `onBack`
 * lets the owner put back what was refused meanwhile or what a server without persistence
 * forgot (the controller re-polls its apps).
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisHealthOptions {
  readonly log: (line: string) => void;
  /**
   * Redis is back after an outage, or came back from a restart unnoticed: what was asked for
   * meanwhile may be lost (a background request refused, a server without persistence)
   */
  readonly onBack?: () => void;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = /Connection is closed|Stream isn't writeable|connect E[A-Z]+|read E[A-Z]+|write E[A-Z]+|Socket closed unexpectedly/;
/** BullMQ's complaints about a job whose keys are gone (a restart without persistence) or whose lock moved on. */
const VANISHED_JOB = /^(Missing (key|lock) for job|could not renew lock for job)/;

/** An error of the connection itself (unreachable, reset), not of a command. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(err.message);
}

export function isVanishedJobError(err: unknown): boolean {
  return err instanceof Error && VANISHED_JOB.test(err.message);
}

/** One line, no stack: ioredis's AggregateError (several addresses) keeps its first cause. */
function reasonOf(err: Error): string {
  const first = err instanceof AggregateError && err.errors[0] instanceof Error ? err.errors[0] : err;
  return first.message.split('\n')[0] ?? String(first);
}

export class RedisHealth {
  private readonly down = new Set<Redis>();
  private outageSince: number | undefined;
  private runId: string | undefined;

  constructor(private readonly options: RedisHealthOptions) {}

  /** A new watched connection (maxRetriesPerRequest null: commands wait for a reconnect, as BullMQ requires). */
  connect(url: string, options: RedisOptions = {}): Redis {
    return this.watch(new Redis(url, { maxRetriesPerRequest: null, ...options }));
  }

  watch(redis: Redis): Redis {
    const address = `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`;
    redis.on('error', (err: Error) => {
      if (!isConnectionError(err)) {
        this.options.log(`redis ${address}: ${reasonOf(err)}`);
        return;
      }
      this.down.add(redis);
      if (this.outageSince !== undefined) return;
      this.outageSince = Date.now();
      this.options.log(`redis ${address} unreachable: ${reasonOf(err)}; operations wait for it`);
    });
    redis.on('ready', () => {
      this.down.delete(redis);
      void this.checkRunId(redis);
      if (this.outageSince === undefined || this.down.size > 0) return;
      this.options.log(`redis ${address} reachable again after ${((Date.now() - this.outageSince) / 1000).toFixed(1)} s`);
      this.outageSince = undefined;
      this.options.onBack?.();
    });
    // closed for good (quit/disconnect): no longer part of the picture
    redis.on('end', () => this.down.delete(redis));
    return redis;
  }

  /**
   * For a BullMQ Worker's or Queue's 'error' event: true when the error was a connection
   * error or a vanished job (handled here: our own connections report the outage), false
   * when the caller should report it.
   */
  bullError(err: Error): boolean {
    return isConnectionError(err) || isVanishedJobError(err);
  }

  /** True while some watched connection is down. */
  get outage(): boolean {
    return this.outageSince !== undefined;
  }

  private async checkRunId(redis: Redis): Promise<void> {
    let info: string;
    try {
      info = await redis.info('server');
    } catch {
      return;
    }
    const runId = /run_id:(\w+)/.exec(info)?.[1];
    if (runId === undefined) return;
    const previous = this.runId;
    this.runId = runId;
    if (previous === undefined || previous === runId) return;
    this.options.log(`redis ${redis.options.host ?? ''}:${redis.options.port ?? ''} restarted (a new server run): re-queueing what it may have lost`);
    // within an outage the recovery line's onBack follows
    if (this.outageSince === undefined) this.options.onBack?.();
  }
}
