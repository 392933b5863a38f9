/**
 * An app's current failure, kept in Redis because the next attempt may run in another
 * process: what failed (the comparison of a revision, or its sync), for which commit, how
 * many times and when last. It decides two things:
 *
 * - **Retry back-off.** A revision whose sync failed is not tried again by background work
 *   (polls, the watch, self-heal) until 10 s, 20 s, 40 s … at most 10 min after its last
 *   failure: a revision the API server rejects does not change by itself, and retrying it
 *   on every poll fills history and log. A new commit is not a retry (its sync runs at
 *   once), nor is an explicit request (manual, webhook, rollback).
 * - **Logging once.** A failure is logged the first time its stage fails for its revision,
 *   not on every retry, and not again when the same server error is met by the comparison
 *   and the sync in turn (a GET that fails in both, say).
 *
 * The record is removed when the app compares Synced or a sync succeeds.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../queue/keys.ts';

export const FAILURE_STAGES = ['comparison', 'sync'] as const;
export type FailureStage = (typeof FAILURE_STAGES)[number];

export interface FailureRecord {
  readonly stage: FailureStage;
  /** The commit, or '' when the failure came before one was resolved (an unreachable repository). */
  readonly revision: string;
  /** Failures in a row of this stage and revision. */
  readonly count: number;
  /** epoch ms of the last failure */
  readonly lastAt: number;
  /** The stages already logged for this revision. */
  readonly logged: readonly FailureStage[];
}

export const RETRY_BASE_DELAY_MS = 10_000;
export const RETRY_MAX_DELAY_MS = 600_000;

/** How long after its `count`-th failure a revision waits before background work tries it again. */
export function retryDelayMs(count: number): number {
  return Math.min(RETRY_BASE_DELAY_MS * 2 ** Math.max(0, count - 1), RETRY_MAX_DELAY_MS);
}

/** The record after one more failure, and whether it is new (to be logged). */
export function afterFailure(previous: FailureRecord | undefined, stage: FailureStage, revision: string, now: number): { record: FailureRecord; isNew: boolean } {
  const sameRevision = previous !== undefined && previous.revision === revision;
  const logged = sameRevision ? previous.logged : [];
  const isNew = !logged.includes(stage);
  const count = sameRevision && previous.stage === stage ? previous.count + 1 : 1;
  return { record: { stage, revision, count, lastAt: now, logged: isNew ? [...logged, stage] : logged }, isNew };
}

/** How long background work must still wait before syncing `revision` again; 0 when it may now. */
export function retryWaitMs(record: FailureRecord | undefined, revision: string, now: number): number {
  if (record === undefined || record.stage !== 'sync' || record.revision !== revision) return 0;
  return Math.max(0, record.lastAt + retryDelayMs(record.count) - now);
}

export class FailureStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(app: string): Promise<FailureRecord | undefined> {
    const text = await this.redis.get(this.keys.failure(app));
    return text === null ? undefined : parseFailureRecord(text);
  }

  /** Records one more failure; true when it is new (log it). */
  async note(app: string, stage: FailureStage, revision: string, now: number): Promise<boolean> {
    const { record, isNew } = afterFailure(await this.get(app), stage, revision, now);
    await this.redis.set(this.keys.failure(app), JSON.stringify(record));
    return isNew;
  }

  async clear(app: string): Promise<void> {
    await this.redis.del(this.keys.failure(app));
  }
}

/** Validated on the way out of Redis; anything malformed reads as no record. */
function parseFailureRecord(text: string): FailureRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { stage, revision, count, lastAt, logged } = value as Record<string, unknown>;
  const known = FAILURE_STAGES.find((s) => s === stage);
  if (known === undefined || typeof revision !== 'string' || typeof count !== 'number' || typeof lastAt !== 'number') return undefined;
  const stages = Array.isArray(logged) ? FAILURE_STAGES.filter((s) => logged.includes(s)) : [];
  return { stage: known, revision, count, lastAt, logged: stages };
}
