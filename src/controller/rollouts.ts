/**
 * The controller's side of rollouts: which revision a background sync may take (pins, bad
 * revisions), when an app's revision counts as healthy, starting a rollout after a sync that
 * changed pod templates, and looking at a running one (scheduling the next look as a
 * delayed queue job, never a timer in this process).
 */
import type { Redis } from 'ioredis';
import type { Application } from '../app/types.ts';
import type { GitSource } from '../git/index.ts';
import type { KubeClient } from '../kube/client.ts';
import type { SluiceQueue } from '../queue/producer.ts';
import { advance, fail, newRollout, type RollbackSync, type RolloutCandidate } from '../rollout/driver.ts';
import { short } from '../rollout/plan.ts';
import { RolloutPodWatch } from '../rollout/pod-watch.ts';
import { RolloutStore } from '../rollout/store.ts';
import { isActivePhase, type RolloutState } from '../rollout/types.ts';
import type { OperationResult } from '../sync/types.ts';
import { recordApplicationEvent, type AppEventType } from './app-events.ts';

/** The app's cluster as a rollout uses it. */
export interface RolloutCluster {
  /** This job's client: its requests stop when the job does. */
  readonly kube: KubeClient;
  /** The same cluster's long-lived client, for the pod watch that outlives the job. */
  readonly watch: KubeClient;
}

/** The cluster's clock as the controller reads it; `speed` > 1 when it runs faster than real time (the embedded cluster's ScaledClock). */
export interface ControllerClock {
  now(): Date;
  readonly speed?: number;
}

export interface RolloutHooks {
  /** The controller's own cluster: where Application resources, and so their Events, live. */
  readonly kube: KubeClient;
  readonly git: GitSource;
  readonly queue: SluiceQueue;
  readonly clock: ControllerClock;
  /** write Kubernetes Events on the Application (apps from the cluster) */
  readonly events: boolean;
  readonly log: (line: string) => void;
  /** a pod in a namespace where this process drives a rollout changed: look at the app soon (`urgent`: now, see pod-watch.ts) */
  readonly onPodChange: (app: string, urgent: boolean) => void;
  /**
   * A rollout reached a final phase in a look of this process (once per rollout: the look
   * that stored the final phase). Succeeded is the point where the new revision counts as
   * healthy (metrics, PostSync hooks).
   */
  readonly onFinished?: (state: RolloutState) => void;
  /** Cluster time between fallback looks (default RECHECK_MS); tests set it past their length to show no progress depends on it. */
  readonly recheckMs?: number;
}

/**
 * Cluster time between looks at a running rollout when nothing else is due: a safety net only.
 * Pod and workload changes wake the driver through the watches (a workload's at once, see
 * Controller.noticeChange), a change during the app's running job queues one job after it
 * (BullMQ keepLastIfActive), and every timer that matters (hold end, notReadyFor, deadline) is
 * a delayed look of its own; test/rollout/wakes.test.ts runs rollouts with this an hour away.
 * (At 5 s, 100 rollouts make 20 looks a second of wall time at ×5.)
 */
const RECHECK_MS = 5_000;

export class Rollouts {
  readonly store: RolloutStore;
  /** by app: the revision last recorded healthy by this process (saves a write per compare) */
  private readonly healthy = new Map<string, string>();
  private readonly pods: RolloutPodWatch;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly hooks: RolloutHooks,
  ) {
    this.store = new RolloutStore(redis, { prefix });
    this.pods = new RolloutPodWatch(hooks.onPodChange);
  }

  stop(): void {
    this.pods.stop();
  }

  now(): Date {
    return this.hooks.clock.now();
  }

  /** Whether this process drives a rollout of `app` (its last look here left it running). */
  driving(app: string): boolean {
    return this.pods.has(app);
  }

  async active(app: string): Promise<RolloutState | undefined> {
    const state = await this.store.get(app);
    return state !== undefined && isActivePhase(state.phase) ? state : undefined;
  }

  /**
   * The revision a background sync of `app` compares: its pin while the branch has not moved
   * since the pin was set; a newer commit releases the pin (and the branch is used).
   */
  async pinnedRevision(app: Application): Promise<string | undefined> {
    const pin = await this.store.pin(app.name);
    if (pin === undefined) return undefined;
    const { sha } = await this.hooks.git.forSource(app.spec.source).resolve(app.spec.source.targetRevision);
    if (sha === pin.head) return pin.revision;
    await this.store.clearPin(app.name);
    await this.tell(app, 'Unpinned', 'Normal', `a newer commit ${short(sha)} released the pin to ${short(pin.revision)}`, sha);
    return undefined;
  }

  /** A manual rollback's sync ran (`sluice rollback` / `pin`): the Application's Event says where it went and that it is pinned there. */
  async noteManualRollback(app: Application, result: OperationResult): Promise<void> {
    const pin = await this.store.pin(app.name);
    if (result.revision === undefined) return;
    const pinned = pin?.revision === result.revision ? `; pinned${pin.by === undefined ? '' : ` by ${pin.by}`} until a commit newer than ${short(pin.head)} or unpin` : '';
    const ok = result.phase === 'Succeeded';
    await this.notify(app, ok ? 'Normal' : 'Warning', ok ? 'RolloutPinned' : 'RollbackFailed', `${ok ? 'rolled back' : 'rollback failed'} to ${short(result.revision)}${pinned}${ok ? '' : `: ${result.message}`}`);
  }

  /** A compare found the app Synced and Healthy at `revision` with no rollout running: it is what a rollback returns to. */
  async noteHealthy(app: string, revision: string): Promise<void> {
    if (this.healthy.get(app) === revision) return;
    await this.store.setHealthyRevision(app, revision);
    this.healthy.set(app, revision);
  }

  /**
   * After a sync that changed pod templates (or a wave of it, `beforeWave`): the rollout that
   * carries it on. `promoted` (a manual rollback's, which goes straight back) skips the step
   * hold as `promote` would.
   */
  async start(app: Application, run: { id: string; revision: string; candidates: readonly RolloutCandidate[]; promoted: boolean; beforeWave?: number }, cluster: RolloutCluster, syncTo: (revision: string) => Promise<RollbackSync>): Promise<RolloutState | undefined> {
    const { id, revision, candidates, promoted, beforeWave } = run;
    if (candidates.length === 0) return undefined;
    const previous = await this.active(app.name);
    if (previous !== undefined) await this.tell(app, 'Superseded', 'Normal', `rollout of ${short(previous.revision)} superseded by ${short(revision)}`, previous.revision);
    const fromRevision = await this.store.healthyRevision(app.name);
    const state = newRollout({ id, app, revision, fromRevision, candidates, promoted, now: this.now(), ...(beforeWave === undefined ? {} : { beforeWave }) });
    const before = beforeWave === undefined ? '' : ` before wave ${beforeWave} of its sync`;
    const message = `rolling out ${short(revision)} to ${candidates.map((c) => c.ref.name).join(', ')} in ${state.steps} step${state.steps === 1 ? '' : 's'}${before}`;
    await this.store.set(state, [{ type: 'Started', revision, message }], this.now());
    await this.notify(app, 'Normal', 'RolloutStarted', message);
    return this.look(app, state, cluster, syncTo);
  }

  /**
   * The sync whose wave `state` rolled out has ended with nothing left to pace: that rollout,
   * Succeeded, was the sync's last, and now counts as its end (healthy revision, PostSync hooks).
   */
  async conclude(state: RolloutState): Promise<RolloutState> {
    const { beforeWave: _, ...concluded } = state;
    await this.store.setHealthyRevision(state.app, state.revision);
    await this.store.set(concluded);
    this.hooks.onFinished?.(concluded);
    return concluded;
  }

  /** One look at a running rollout, at its workloads and pods in the app's cluster; schedules the next. */
  async look(app: Application, state: RolloutState, { kube, watch }: RolloutCluster, syncTo: (revision: string) => Promise<RollbackSync>): Promise<RolloutState> {
    const ctx = { kube, store: this.store, now: this.now(), syncTo, notify: (type: 'Normal' | 'Warning', reason: string, message: string) => this.notify(app, type, reason, message) };
    const controls = await this.store.controls(app.name, state.id);
    const result =
      controls.abort && state.phase !== 'RollingBack'
        ? await fail(ctx, state, `rollout of ${short(state.revision)} aborted on request at step ${state.step + 1}/${state.steps}`)
        : await advance(ctx, { ...state, held: controls.pause, promoted: state.promoted || controls.promote });
    // a rollback decided (and its workloads paused) in this look: its sync is an operation of its own, after the looks queued meanwhile
    if (result.state.phase === 'RollingBack' && state.phase !== 'RollingBack') await this.hooks.queue.requestRefresh(app.name);
    if (isActivePhase(result.state.phase) && result.state.phase !== 'Paused') {
      // pods restarting change no workload status the watch would see: look again soon regardless
      const now = this.now().getTime();
      await this.lookIn(app.name, Math.min(this.recheckMs, result.nextLookAt === undefined ? Infinity : Date.parse(result.nextLookAt) - now));
    }
    const active = isActivePhase(result.state.phase);
    await this.pods.watch(app.name, watch, active ? [...new Set(result.state.workloads.map((w) => w.namespace))] : []);
    if (result.state.phase !== state.phase || result.state.step !== state.step) this.hooks.log(`${app.name}: rollout ${result.state.phase}: ${result.state.message}`);
    if (!active && isActivePhase(state.phase)) {
      // a wave's success is not the sync's end (see conclude); its failure is
      if (result.state.phase !== 'Succeeded' || result.state.beforeWave === undefined) this.hooks.onFinished?.(result.state);
      // the app's sync and health are compared now: the cluster may not change again after the
      // look that ended the rollout, and the watch's last changes went to looks, not compares
      await this.hooks.queue.requestRefresh(app.name);
    }
    return result.state;
  }

  /**
   * A look at the app after the fallback interval: for an operation that waits on the
   * cluster (a sync's wave or hook, a rollout's hooks) and is woken sooner by the watch.
   */
  async lookSoon(app: string): Promise<void> {
    await this.lookIn(app, this.recheckMs);
  }

  /** Cluster time between fallback looks: the hooks' (tests) or RECHECK_MS. */
  private get recheckMs(): number {
    return this.hooks.recheckMs ?? RECHECK_MS;
  }

  /** A look in `clusterMs` of cluster time (a delayed queue job, in wall time). */
  private async lookIn(app: string, clusterMs: number): Promise<void> {
    await this.hooks.queue.requestLook(app, clusterMs / (this.hooks.clock.speed ?? 1));
  }

  private async tell(app: Application, type: Parameters<RolloutStore['event']>[1]['type'], severity: 'Normal' | 'Warning', message: string, revision: string): Promise<void> {
    await this.store.event(app.name, { type, revision, message }, this.now());
    await this.notify(app, severity, `Rollout${type}`, message);
  }

  /**
   * A Kubernetes Event on the Application resource (apps from the cluster), in the controller's
   * own cluster whichever cluster the app deploys to: that is where the Application lives.
   */
  private async notify(app: Application, type: AppEventType, reason: string, message: string): Promise<void> {
    this.hooks.log(`${app.name}: ${reason}: ${message}`);
    if (this.hooks.events) await recordApplicationEvent(this.hooks.kube, app, { type, reason, message }, this.now(), this.hooks.log);
  }
}
