/**
 * PostSync hooks of a sync that started a rollout run when that rollout succeeds (Argo CD:
 * after every workload is Healthy — here, after the paced rollout has finished). The sync
 * leaves a note in Redis (`postSyncPending`) before the rollout starts; every operation on
 * the app afterwards looks at it: the rollout still running, wait; Succeeded, run the hooks
 * (under the sync's own operation id, so a process killed mid-hook resumes rather than
 * repeats them) and remove the note; failed, rolled back or superseded, remove it unrun.
 */
import type { Redis } from 'ioredis';
import type { Application } from '../app/types.ts';
import type { Keys } from '../queue/keys.ts';
import type { RolloutStore } from '../rollout/store.ts';
import { isActivePhase } from '../rollout/types.ts';
import { compareApp, isRenderFailure } from '../sync/compare.ts';
import { hookRunOptions, runPostSync, type SyncContext } from '../sync/operation.ts';

interface PendingPostSync {
  /** the rollout's id */
  readonly rollout: string;
  readonly revision: string;
  /** the sync operation whose hooks these are */
  readonly operation: string;
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

  /** Runs the app's waiting PostSync hooks if its rollout has succeeded; drops them if it ended otherwise. */
  async settle(app: Application, ctx: SyncContext): Promise<void> {
    const text = await this.redis.get(this.keys.postSyncPending(app.name));
    if (text === null) return;
    const pending = JSON.parse(text) as PendingPostSync;
    const rollout = await this.rollouts.get(app.name);
    if (rollout?.id === pending.rollout && isActivePhase(rollout.phase)) return;
    if (rollout?.id === pending.rollout && rollout.phase === 'Succeeded') {
      const comparison = await compareApp(ctx, app, pending.revision);
      if (!isRenderFailure(comparison)) {
        const hookRun = await hookRunOptions(ctx, app, comparison.revision, { operation: pending.operation, hooks: true }, () => new Date());
        const result = await runPostSync(ctx, comparison.desired, comparison.hooks, hookRun);
        await hookRun.ledger.end(app.name, hookRun.run.operation);
        const ran = result.outcomes.map((o) => `${o.key.name} ${o.status}`).join(', ');
        this.log(`${app.name}: PostSync hooks of ${pending.revision.slice(0, 7)} after its rollout: ${result.failure ?? (ran === '' ? 'none' : ran)}`);
      }
    } else {
      this.log(`${app.name}: PostSync hooks of ${pending.revision.slice(0, 7)} not run: its rollout ${rollout?.id === pending.rollout ? `ended ${rollout.phase}` : 'was superseded'}`);
    }
    await this.redis.del(this.keys.postSyncPending(app.name));
  }
}
