/**
 * One running operation per app across every worker and process: SET NX PX with a random
 * token, renewed while the operation runs, released (only by its holder) in finally.
 * BullMQ's deduplication already keeps one job per app and kind; this lock also covers a
 * refresh meeting a sync of the same app, and a job re-run by stall detection while a
 * worker that only looked dead is still running it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface HeldLock {
  /** aborted when a renewal finds the lock gone (expired and taken, or deleted) */
  readonly lost: AbortSignal;
  /** stop renewing; the lock then expires by itself */
  abandon(): void;
  release(): Promise<void>;
}

export async function acquireAppLock(redis: Redis, key: string, ttlMs: number): Promise<HeldLock | undefined> {
  const token = randomUUID();
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (ok !== 'OK') return undefined;
  const lost = new AbortController();
  let stopped = false;
  const timer = setInterval(() => {
    redis.eval(RENEW, 1, key, token, String(ttlMs)).then(
      (renewed) => {
        if (renewed !== 1 && !stopped) lost.abort(new Error(`lock ${key} lost`));
      },
      () => {
        // a failed renewal is retried at the next tick; the TTL covers two misses
      },
    );
  }, Math.max(50, Math.floor(ttlMs / 3)));
  timer.unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return {
    lost: lost.signal,
    abandon: stop,
    async release() {
      stop();
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}
