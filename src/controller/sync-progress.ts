/**
 * A sync operation in progress, in Redis (`<prefix>:sync-progress:<app>`): written before the
 * sync's first write and kept until nothing of it is left to do, so whichever job comes
 * next for the app — a delayed look, a watch's refresh, a restarted process, another process
 * on the same Redis — carries it on from where it stood instead of starting again. A sync
 * whose wave or hook must wait stores its position here and ends its job (sync/operation.ts,
 * yield mode); a finished sync whose rollout has not started yet stores its result, so a
 * crash between the two starts the rollout rather than losing it (the workloads are held).
 */
import type { Redis } from 'ioredis';
import type { JsonObject } from '../json.ts';
import type { Keys } from '../queue/keys.ts';
import { isBackgroundTrigger, type SyncRequest, type SyncTrigger } from '../queue/types.ts';
import type { RolloutCandidate } from '../rollout/driver.ts';
import { SYNC_STAGES, type SyncPosition } from '../sync/operation.ts';
import type { OperationResult } from '../sync/types.ts';

export interface SyncProgress {
  /** the job that started it: its history entry's id, and its rollout's */
  readonly id: string;
  /** the hook operation id (`<app>:<id>`) */
  readonly operation: string;
  readonly revision: string;
  readonly trigger: SyncTrigger;
  readonly prune?: boolean;
  readonly only?: readonly string[];
  /** by keyString: the patches that hold workloads for the rollout */
  readonly holds: readonly (readonly [string, JsonObject])[];
  /** the workloads the sync's rollout paces (none: no rollout) */
  readonly paced: readonly RolloutCandidate[];
  readonly request?: SyncRequest;
  /** where it waits; absent before it first had to */
  readonly position?: SyncPosition;
  /** what it waits for there, in words */
  readonly waiting?: string;
  /** the sync has finished and is recorded; its rollout is what is left */
  readonly result?: OperationResult;
  /** the rollout (id) whose rollback this sync is: that rollout's looks carry it on */
  readonly rollbackOf?: string;
  /** by keyString: the paced workloads an earlier wave's rollout has rolled out (its sync's rollout paces the rest) */
  readonly rolledOut?: readonly string[];
}

export class SyncProgressStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(app: string): Promise<SyncProgress | undefined> {
    const text = await this.redis.get(this.keys.syncProgress(app));
    if (text === null) return undefined;
    const value: unknown = JSON.parse(text);
    return isSyncProgress(value) ? value : undefined;
  }

  async set(app: string, progress: SyncProgress): Promise<void> {
    await this.redis.set(this.keys.syncProgress(app), JSON.stringify(progress));
  }

  /** Forgets the operation `id` (and only it: a newer one may have replaced it). */
  async clear(app: string, id: string): Promise<void> {
    if ((await this.get(app))?.id === id) await this.redis.del(this.keys.syncProgress(app));
  }
}

/** Whether a new request replaces the operation in progress rather than waiting for it: an explicit sync of another revision, or a rollback. */
export function supersedes(request: SyncRequest, progress: SyncProgress): boolean {
  return request.trigger === 'rollback' || (!isBackgroundTrigger(request.trigger) && request.revision !== undefined && request.revision !== progress.revision);
}

function isSyncProgress(value: unknown): value is SyncProgress {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const position = v['position'] as Record<string, unknown> | undefined;
  return (
    typeof v['id'] === 'string' &&
    typeof v['operation'] === 'string' &&
    typeof v['revision'] === 'string' &&
    Array.isArray(v['holds']) &&
    Array.isArray(v['paced']) &&
    (position === undefined || ((SYNC_STAGES as readonly unknown[]).includes(position['stage']) && typeof position['since'] === 'string' && Array.isArray(position['resources'])))
  );
}
