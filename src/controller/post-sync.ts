/**
 * The hooks a sync that started a rollout owes once the rollout is over: PostSync when it
 * succeeds (Argo CD: after every workload is Healthy — here, after the paced rollout has
 * finished), SyncFail when it fails. A paced rollout is the rest of its sync (the sync
 * applied the workloads held), so a rollout that fails fails the sync, as in Argo CD a sync
 * whose wave never becomes healthy does; the SyncFail hooks start as the rollback begins
 * (once its sync is applied), not after it has finished, and the rollback does not wait for
 * them.
 *
 * The sync leaves a note in Redis (`postSyncPending`) before its first write, so a process
 * dying at any point after cannot lose the hooks; every operation on the app afterwards
 * looks at it: the rollout still running, wait; over, run the hooks without waiting for them
 * (yield mode: while one runs, the note stays and the caller asks for a look), under the
 * sync's own operation id, so a later look or a process taking over carries them on rather
 * than repeating them; then remove the note. Superseded or never started: remove it unrun.
 */
import type { Redis } from 'ioredis';
import type { Application } from '../app/types.ts';
import type { Keys } from '../queue/keys.ts';
import type { RolloutStore } from '../rollout/store.ts';
import { isActivePhase, type RolloutPhase } from '../rollout/types.ts';
import { compareApp, isRenderFailure } from '../sync/compare.ts';
import { runHookPhase, type PhaseResult } from '../sync/hook-run.ts';
import { hookRunOptions, runPostSync, type SyncContext } from '../sync/operation.ts';

interface PendingPostSync {
  /** the rollout's id */
  readonly rollout: string;
  readonly revision: string;
  /** the sync operation whose hooks these are */
  readonly operation: string;
  /** when the hooks were first found unfinished (the wait clock, ISO): they may run hookTimeoutMs */
  readonly waitingSince?: string;
}

export class PostSyncAfterRollout {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly rollouts: RolloutStore,
    private readonly log: (line: string) => void,
  ) {}

  async defer(app: string, pending: PendingPostSync): Promise<void> {
    await this.redis.set(this.keys.postSyncPending(app), JSON.stringify(pending));
  }

  /** The sync `rollout` started no rollout (it failed, or changed no workload after all): it owes nothing. */
  async drop(app: string, rollout: string): Promise<void> {
    if ((await this.pending(app))?.rollout === rollout) await this.redis.del(this.keys.postSyncPending(app));
  }

  /**
   * Carries the app's owed hooks on: `waiting` while its rollout runs or a hook has not
   * finished (the note stays), `done` once they ran or were dropped, or when none are owed.
   */
  async settle(app: Application, ctx: SyncContext): Promise<'waiting' | 'done'> {
    const pending = await this.pending(app.name);
    if (pending === undefined) return 'done';
    const rollout = await this.rollouts.get(app.name);
    const ours = rollout?.id === pending.rollout ? rollout : undefined;
    // a wave's rollout that succeeded is not the sync's end: the sync concludes it (Rollouts.conclude)
    const phase = ours === undefined || (ours.phase === 'Succeeded' && ours.beforeWave !== undefined) ? undefined : owedPhase(ours.phase);
    if (ours !== undefined && phase === undefined) return 'waiting';
    if (ours !== undefined && phase !== undefined) {
      const comparison = await compareApp(ctx, app, pending.revision);
      if (!isRenderFailure(comparison)) {
        const hookRun = await hookRunOptions(ctx, app, comparison.revision, { operation: pending.operation, hooks: true, waits: 'yield' }, () => new Date());
        const result: PhaseResult = phase === 'PostSync' ? await runPostSync(ctx, comparison.desired, comparison.hooks, hookRun) : await runHookPhase(ctx.kube, comparison.hooks, 'SyncFail', hookRun);
        if (result.waiting !== undefined) {
          const now = (ctx.waitClock ?? (() => new Date()))();
          ctx.signal?.throwIfAborted();
          if (pending.waitingSince === undefined) await this.redis.set(this.keys.postSyncPending(app.name), JSON.stringify({ ...pending, waitingSince: now.toISOString() }));
          if (pending.waitingSince === undefined || now.getTime() - Date.parse(pending.waitingSince) < hookRun.timeoutMs) return 'waiting';
          this.log(`${app.name}: ${phase} hooks of ${pending.revision.slice(0, 7)} not finished after ${Math.round(hookRun.timeoutMs / 1000)} s: ${result.waiting}`);
        } else {
          const ran = result.outcomes.map((o) => `${o.key.name} ${o.status}`).join(', ');
          this.log(`${app.name}: ${phase} hooks of ${pending.revision.slice(0, 7)} after its rollout ${ours.phase}: ${result.failure ?? (ran === '' ? 'none' : ran)}`);
        }
        await hookRun.ledger.end(app.name, hookRun.run.operation);
      }
    } else {
      this.log(`${app.name}: hooks of ${pending.revision.slice(0, 7)} not run: its rollout was superseded`);
    }
    ctx.signal?.throwIfAborted();
    await this.redis.del(this.keys.postSyncPending(app.name));
    return 'done';
  }

  private async pending(app: string): Promise<PendingPostSync | undefined> {
    const text = await this.redis.get(this.keys.postSyncPending(app));
    return text === null ? undefined : (JSON.parse(text) as PendingPostSync);
  }
}

/** Which hooks a rollout in `phase` owes its sync: PostSync once it succeeded, SyncFail once it failed; none yet while it runs. */
function owedPhase(phase: RolloutPhase): 'PostSync' | 'SyncFail' | undefined {
  if (phase === 'Succeeded') return 'PostSync';
  return phase === 'RollingBack' || !isActivePhase(phase) ? 'SyncFail' : undefined;
}
