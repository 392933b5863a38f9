/**
 * The hook ledger in Redis (src/sync/hook-run.ts): when each sync operation started and the
 * outcome of each of its hooks that finished, so an operation that another process takes
 * over after a crash names its generateName hooks the same and runs no finished hook again.
 * Kept a week: long past any retry of the operation.
 */
import type { Redis } from 'ioredis';
import type { HookLedger, HookOutcome } from '../sync/hook-run.ts';
import type { Keys } from './keys.ts';

const TTL_SECONDS = 7 * 24 * 3600;
const START_FIELD = ' start';

export class RedisHookLedger implements HookLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async startedAt(operation: string, now: number): Promise<number> {
    const key = this.keys.hookRun(operation);
    const replies = await this.redis.multi().hsetnx(key, START_FIELD, String(now)).hget(key, START_FIELD).expire(key, TTL_SECONDS).exec();
    const stored = replies?.[1]?.[1];
    return typeof stored === 'string' ? Number(stored) : now;
  }

  async get(operation: string, hook: string): Promise<HookOutcome | undefined> {
    const text = await this.redis.hget(this.keys.hookRun(operation), hook);
    return text === null ? undefined : (JSON.parse(text) as HookOutcome);
  }

  async set(operation: string, hook: string, outcome: HookOutcome): Promise<void> {
    const key = this.keys.hookRun(operation);
    await this.redis.multi().hset(key, hook, JSON.stringify(outcome)).expire(key, TTL_SECONDS).exec();
  }
}
