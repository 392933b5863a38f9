/**
 * Rollout state in Redis (keys in src/queue/keys.ts): the app's current or last rollout,
 * its events, the last healthy revision, the bad revisions and a manual rollback's pin.
 * Every process reads and writes the same keys, so a restarted controller, a second one,
 * or the CLI sees where a rollout stands.
 */
import type { Redis } from 'ioredis';
import { EVENT_STREAM_LENGTH, keys, type Keys } from '../queue/keys.ts';
import { ROLLOUT_PHASES, type RolloutState } from './types.ts';

export const ROLLOUT_EVENT_LIMIT = 100;

export const ROLLOUT_EVENT_TYPES = ['Started', 'StepPassed', 'Failed', 'RollbackStarted', 'RolledBack', 'RollbackFailed', 'Succeeded', 'Aborted', 'Paused', 'Resumed', 'Promoted', 'Pinned', 'Unpinned', 'Superseded'] as const;
export type RolloutEventType = (typeof ROLLOUT_EVENT_TYPES)[number];

export interface RolloutEvent {
  readonly at: string;
  readonly type: RolloutEventType;
  readonly revision?: string;
  readonly message: string;
}

export interface Pin {
  readonly revision: string;
  readonly since: string;
  /** the branch's commit when pinned: a newer one releases the pin */
  readonly head: string;
  readonly by?: string;
}

export interface RolloutControls {
  readonly promote: boolean;
  readonly pause: boolean;
  readonly abort: boolean;
}

export class RolloutStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    options: { readonly prefix?: string } = {},
  ) {
    this.k = keys(options);
  }

  async get(app: string): Promise<RolloutState | undefined> {
    const text = await this.redis.get(this.k.rollout(app));
    if (text === null) return undefined;
    const value: unknown = JSON.parse(text);
    return isRolloutState(value) ? value : undefined;
  }

  /**
   * Stores the state and the events it came with in one transaction: a crash keeps both or
   * neither. The change is announced on the app event stream, as app states are, so the API's
   * live events carry the rollout's progress (step, pod counts) as it moves.
   */
  async set(state: RolloutState, events: readonly Omit<RolloutEvent, 'at'>[] = [], now?: Date): Promise<void> {
    const tx = this.redis
      .multi()
      .set(this.k.rollout(state.app), JSON.stringify(state))
      .xadd(this.k.appEvents, 'MAXLEN', '~', EVENT_STREAM_LENGTH, '*', 'type', 'app', 'app', state.app);
    if (events.length > 0) {
      const key = this.k.rolloutEvents(state.app);
      const at = (now ?? new Date()).toISOString();
      tx.lpush(key, ...events.map((e) => JSON.stringify({ at, ...e }))).ltrim(key, 0, ROLLOUT_EVENT_LIMIT - 1);
    }
    await tx.exec();
  }

  async event(app: string, event: Omit<RolloutEvent, 'at'>, now: Date): Promise<void> {
    const key = this.k.rolloutEvents(app);
    await this.redis.multi().lpush(key, JSON.stringify({ at: now.toISOString(), ...event })).ltrim(key, 0, ROLLOUT_EVENT_LIMIT - 1).exec();
  }

  async events(app: string, limit = ROLLOUT_EVENT_LIMIT): Promise<RolloutEvent[]> {
    return (await this.redis.lrange(this.k.rolloutEvents(app), 0, limit - 1)).map((t) => JSON.parse(t) as RolloutEvent);
  }

  async healthyRevision(app: string): Promise<string | undefined> {
    return (await this.redis.get(this.k.healthyRevision(app))) ?? undefined;
  }

  async setHealthyRevision(app: string, revision: string): Promise<void> {
    await this.redis.set(this.k.healthyRevision(app), revision);
  }

  async badRevisions(app: string): Promise<string[]> {
    return (await this.redis.smembers(this.k.badRevisions(app))).sort();
  }

  async isBad(app: string, revision: string): Promise<boolean> {
    return (await this.redis.sismember(this.k.badRevisions(app), revision)) === 1;
  }

  async markBad(app: string, revision: string): Promise<void> {
    await this.redis.sadd(this.k.badRevisions(app), revision);
  }

  /** What `promote`, `pause` and `abort` asked of the rollout with this id (each request names the rollout it was meant for). */
  async controls(app: string, id: string): Promise<RolloutControls> {
    const fields = await this.redis.hgetall(this.k.rolloutControl(app));
    return { promote: fields['promote'] === id, pause: fields['pause'] === id, abort: fields['abort'] === id };
  }

  async setControl(app: string, control: keyof RolloutControls, id: string | undefined): Promise<void> {
    if (id === undefined) await this.redis.hdel(this.k.rolloutControl(app), control);
    else await this.redis.hset(this.k.rolloutControl(app), control, id);
  }

  async pin(app: string): Promise<Pin | undefined> {
    const text = await this.redis.get(this.k.pin(app));
    return text === null ? undefined : (JSON.parse(text) as Pin);
  }

  async setPin(app: string, pin: Pin): Promise<void> {
    await this.redis.set(this.k.pin(app), JSON.stringify(pin));
  }

  /** True when there was a pin to remove. */
  async clearPin(app: string): Promise<boolean> {
    return (await this.redis.del(this.k.pin(app))) === 1;
  }
}

function isRolloutState(value: unknown): value is RolloutState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['app'] === 'string' && typeof v['revision'] === 'string' && (ROLLOUT_PHASES as readonly unknown[]).includes(v['phase']) && Array.isArray(v['workloads']);
}
