/**
 * The hook ledger in Redis (src/sync/hook-run.ts): each app's unfinished hook-running
 * operation, and the outcome of each finished hook of an operation, so the sync that follows
 * a crash (another process, another job) takes the dead operation's hooks over instead of
 * running them again. Kept a week: long past any retry.
 */
import type { Redis } from 'ioredis';
import type { HookLedger, HookOperation, HookOutcome } from '../sync/hook-run.ts';
import type { Keys } from './keys.ts';

const TTL_SECONDS = 7 * 24 * 3600;

export class RedisHookLedger implements HookLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Called under the app's lock: no other operation of the app runs meanwhile. */
  async begin(app: string, wanted: HookOperation): Promise<HookOperation> {
    const text = await this.redis.get(this.keys.hookOperation(app));
    const current = text === null ? undefined : (JSON.parse(text) as HookOperation);
    if (current !== undefined && current.revision === wanted.revision) return current;
    await this.redis.set(this.keys.hookOperation(app), JSON.stringify(wanted), 'EX', TTL_SECONDS);
    return wanted;
  }

  async end(app: string, operation: string): Promise<void> {
    const text = await this.redis.get(this.keys.hookOperation(app));
    if (text !== null && (JSON.parse(text) as HookOperation).operation === operation) await this.redis.del(this.keys.hookOperation(app));
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
