/**
 * The controller process: queue workers, the poll scheduler, and the watch that notices
 * drift, around the sync engine. Several processes may share one Redis: the queue runs
 * each app's operations one at a time across all of them, and each poll round is taken
 * by one process.
 *
 * What triggers what:
 * - a poll (every app's interval) compares; an automated app whose Git revision moved is
 *   synced; with selfHeal, any difference is.
 * - a change to a tracked object (the watch) asks for a refresh within `selfHealDebounceMs`;
 *   the refresh stores the new sync status and, with selfHeal, asks for a sync — delayed
 *   more each time it repeats quickly, so a fight with another controller does not loop hot.
 * - manual and webhook requests sync at once (after the app's running operation).
 */
import type { Redis } from 'ioredis';
import { initialStatus, readApplicationStatus, type ApplicationStatus } from '../app/status.ts';
import { DEFAULT_PROJECT_NAME, type Project } from '../app/project.ts';
import { APPLICATION_API_VERSION, APPLICATION_KIND, type Application, type IgnoreDifference } from '../app/types.ts';
import { GitError, type GitSource } from '../git/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import { isAbortError } from '../kube/transport.ts';
import type { JsonObject } from '../json.ts';
import { OperationError } from '../queue/errors.ts';
import { keys, type Keys } from '../queue/keys.ts';
import { PollScheduler } from '../queue/poll-scheduler.ts';
import { QueueUnavailableError, SluiceQueue, type RequestOutcome } from '../queue/producer.ts';
import { RedisHealth } from '../queue/redis-health.ts';
import { isBackgroundTrigger, type Operation, type SyncRequest, type SyncTrigger } from '../queue/types.ts';
import { startWorker, type SluiceWorker } from '../queue/worker.ts';
import type { RenderResult } from '../render/types.ts';
import { HistoryStore } from '../store/history.ts';
import type { HistoryEntry } from '../store/types.ts';
import { appRef, compareApp, type RenderCache } from '../sync/compare.ts';
import { syncApp, type SyncContext, type SyncOptions, type SyncSuspended } from '../sync/operation.ts';
import { rolloutCandidates, type RollbackSync, type RolloutCandidate } from '../rollout/driver.ts';
import { isRolloutKind } from '../rollout/policy.ts';
import type { CommandContext } from '../rollout/commands.ts';
import { isActivePhase, type RolloutState } from '../rollout/types.ts';
import { Rollouts, type ControllerClock } from './rollouts.ts';
import { appLabelValue } from '../sync/tracking.ts';
import type { Comparison, OperationResult, RenderFailure } from '../sync/types.ts';
import { historyEntry, isAppState, stateAfterSync, stateFromComparison, stateFromError, type AppState } from './state.ts';
import { recordApplicationEvent } from './app-events.ts';
import { FailureStore, retryWaitMs, type FailureStage } from './failures.ts';
import { bounded } from '../bounded.ts';
import { formatRenderError } from '../render/format.ts';
import { statusAfterOperation, statusFromState, statusPatch, statusWhileWaiting, statusWithRollout } from './status-mirror.ts';
import { PostSyncAfterRollout } from './post-sync.ts';
import { RedisHookLedger } from '../queue/hook-ledger.ts';
import { SyncProgressStore, supersedes, type SyncProgress } from './sync-progress.ts';
import { ClusterPool, ClusterUnavailableError, type ClusterConnection, type ClusterPoolOptions } from './clusters.ts';
import type { ClusterEntry } from '../kube/clusters.ts';

export interface ControllerOptions {
  readonly apps: readonly Application[];
  /** The Projects the apps name (none: only the built-in default project exists). */
  readonly projects?: readonly Project[];
  readonly git: GitSource;
  /** The controller's own cluster: Application resources, and apps that name no other cluster. */
  readonly kube: KubeClient;
  /** The registered destination clusters as they are now (src/kube/clusters.ts); default: the own cluster only. */
  readonly clusters?: () => readonly ClusterEntry[];
  /** Timing of the other clusters' connections and probes (src/controller/clusters.ts). */
  readonly clusterConnections?: Pick<ClusterPoolOptions, 'client' | 'probeIntervalMs' | 'probeTimeoutMs'>;
  readonly redisUrl: string;
  /** Redis key prefix; processes sharing work must share it. */
  readonly prefix?: string;
  /** Operations this process runs at once (default 4). */
  readonly concurrency?: number;
  readonly selfHealDebounceMs?: number;
  /** Queue worker timing (tests shorten these). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /**
   * How soon an operation that found its app busy tries again (default 200 ms; the worker's
   * own default is 1 s): a webhook's sync that meets the refresh its previous sync caused,
   * and a rollout's looks, come close together.
   */
  readonly appBusyRetryMs?: number;
  readonly sync?: Pick<SyncContext, 'waveTimeoutMs' | 'pollIntervalMs'>;
  /** ignoreDifferences for every app (`--ignore-differences FILE`). */
  readonly ignoreDifferences?: readonly IgnoreDifference[];
  /** Write each app's status to its Application resource (apps that come from the cluster). */
  readonly mirrorStatus?: boolean;
  /** The cluster's clock for rollout timing (default real time); tests pass the embedded cluster's. */
  readonly clock?: ControllerClock;
  /** Where log lines go (default console.log); `fields` name the app, revision and job a line is about. */
  readonly log?: (line: string, fields?: LogFields) => void;
  /** Told of every sync this process ran, with the request it ran (metrics). */
  readonly onOperation?: (result: OperationResult, request: SyncRequest) => void;
  /** Told of every rollout that reached a final phase in this process (metrics; see RolloutHooks.onFinished). */
  readonly onRolloutFinished?: (state: RolloutState) => void;
  /** Cluster time between a running rollout's fallback looks (default 5 s; see rollouts.ts). */
  readonly rolloutRecheckMs?: number;
}

export interface LogFields {
  readonly app?: string;
  readonly revision?: string;
  readonly jobId?: string;
}

/** What a compare depends on (see Controller.compareInputs). */
interface CompareInputs {
  readonly sha: string;
  readonly key: string;
}

/** The Event reason of each failure stage: the type of the condition it sets on the app. */
const FAILURE_REASONS: Record<FailureStage, string> = { comparison: 'ComparisonError', sync: 'SyncError' };

const HEAL_RESET_MS = 60_000;
const HEAL_BASE_DELAY_MS = 5_000;
const HEAL_MAX_DELAY_MS = 180_000;

export class Controller {
  private apps: Map<string, Application>;
  private projects: readonly Project[];
  private appByLabel: Map<string, string>;
  /** The Application resources' status as last written (or read), by app name. */
  private readonly mirrored = new Map<string, ApplicationStatus>();
  /** What was last written to each Application's status (without its reconcile time). */
  private readonly written = new Map<string, string>();
  /**
   * By app: the inputs of its last compare that found it Synced (see unchangedSince). A
   * compare is a pure function of them, so the same inputs need no compare.
   */
  private readonly syncedInputs = new Map<string, string>();
  private readonly compares = { full: 0, reused: 0 };
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  private readonly healTimers = new Map<string, NodeJS.Timeout>();
  private readonly renderCache: LruRenderCache;
  private worker: SluiceWorker | undefined;
  private stopped = false;
  private readonly failures: FailureStore;
  readonly rollouts: Rollouts;
  private readonly hookLedger: RedisHookLedger;
  private readonly postSync: PostSyncAfterRollout;
  private readonly progress: SyncProgressStore;

  private constructor(
    private readonly opts: ControllerOptions,
    private readonly queue: SluiceQueue,
    private readonly redis: Redis,
    private readonly history: HistoryStore,
    private readonly poller: PollScheduler,
    private readonly clusters: ClusterPool,
    private readonly keys: Keys,
  ) {
    this.apps = new Map(opts.apps.map((a) => [a.name, a]));
    this.projects = opts.projects ?? [];
    this.failures = new FailureStore(redis, this.keys);
    // Room for every app's current revision and the next one, so a steady fleet never re-renders.
    this.renderCache = new LruRenderCache(Math.max(64, opts.apps.length * 2));
    this.appByLabel = new Map(opts.apps.map((a) => [appLabelValue(appRef(a)), a.name]));
    this.rollouts = new Rollouts(redis, opts.prefix ?? 'sluice', {
      kube: opts.kube,
      git: opts.git,
      queue,
      clock: opts.clock ?? { now: () => new Date() },
      events: opts.mirrorStatus ?? false,
      log: (line) => this.log(line),
      onPodChange: (app, urgent) => (urgent ? this.lookNow(app) : this.noticeApp(app)),
      ...(opts.onRolloutFinished === undefined ? {} : { onFinished: opts.onRolloutFinished }),
      ...(opts.rolloutRecheckMs === undefined ? {} : { recheckMs: opts.rolloutRecheckMs }),
    });
    this.hookLedger = new RedisHookLedger(redis, this.keys);
    this.postSync = new PostSyncAfterRollout(redis, this.keys, this.rollouts.store, (line) => this.log(line));
    this.progress = new SyncProgressStore(redis, this.keys);
  }

  static async start(opts: ControllerOptions): Promise<Controller> {
    const names = new Set<string>();
    for (const app of opts.apps) {
      if (names.has(app.name)) throw new Error(`two applications are named ${app.name}; a controller needs unique names`);
      names.add(app.name);
    }
    const k = keys(opts);
    let controller: Controller | undefined;
    // one line per Redis outage for all connections; afterwards every app is polled, since
    // requests were refused meanwhile and a restarted Redis may have lost the queue
    const health = new RedisHealth({ log: (line) => controller?.log(line), onBack: () => void controller?.requeueAll() });
    const queue = new SluiceQueue({ connection: opts.redisUrl, prefix: k.bullPrefix, health });
    const redis = health.connect(opts.redisUrl);
    const history = new HistoryStore(redis, { prefix: k.bullPrefix });
    const poller = new PollScheduler({ queue });
    const clusters = new ClusterPool({
      home: opts.kube,
      ...(opts.clusters === undefined ? {} : { registry: opts.clusters }),
      ...opts.clusterConnections,
      onChange: (label, object) => controller?.noticeChange(label, object),
      onReachability: (key) => void controller?.clusterChanged(key),
      log: (line) => controller?.log(line),
    });
    controller = new Controller(opts, queue, redis, history, poller, clusters, k);
    controller.worker = await startWorker({
      connection: opts.redisUrl,
      prefix: k.bullPrefix,
      health,
      concurrency: opts.concurrency ?? 4,
      handle: (op, { signal }) => controller.handle(op, signal),
      ...(opts.lockDurationMs === undefined ? {} : { lockDurationMs: opts.lockDurationMs }),
      ...(opts.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: opts.stalledIntervalMs }),
      appBusyRetryMs: opts.appBusyRetryMs ?? 200,
      log: (line) => controller.log(`queue: ${line}`),
    });
    for (const app of opts.apps) {
      poller.set(app.name, app.spec.syncPolicy.intervalMs);
      await queue.requestSync(app.name, { trigger: 'poll' });
    }
    return controller;
  }

  /**
   * Replaces the set of apps (Applications added, changed or deleted in the cluster):
   * new and changed apps are polled at once, removed ones are no longer polled.
   * `statuses` are the resources' current status, so history continues where it was.
   * `projects`, when given, replace the Projects; apps of a project that changed are polled
   * too, their failure back-off forgotten (it was earned under other rules), so a project
   * that now allows a refused app lets it sync at once.
   */
  async setApps(apps: readonly Application[], statuses: ReadonlyMap<string, unknown> = new Map(), projects?: readonly Project[]): Promise<void> {
    const next = new Map(apps.map((a) => [a.name, a]));
    for (const name of this.apps.keys()) {
      if (next.has(name)) continue;
      this.poller.remove(name);
      // Forgotten, so an app that comes back (e.g. its spec fixed) reads its resource's status again and rewrites it.
      this.mirrored.delete(name);
      this.written.delete(name);
      this.syncedInputs.delete(name);
      await this.history.publishDeleted(name);
    }
    const projectChanged = projects === undefined ? () => false : changedProjects(this.projects, projects);
    if (projects !== undefined) this.projects = projects;
    const changed = apps.filter((a) => JSON.stringify(this.apps.get(a.name)) !== JSON.stringify(a) || projectChanged(a));
    this.apps = next;
    this.appByLabel = new Map(apps.map((a) => [appLabelValue(appRef(a)), a.name]));
    for (const app of apps) {
      if (!this.mirrored.has(app.name)) this.mirrored.set(app.name, readApplicationStatus(app, statuses.get(app.name)));
    }
    for (const app of changed) {
      if (projectChanged(app)) await this.failures.clear(app.name);
      this.poller.set(app.name, app.spec.syncPolicy.intervalMs);
      await this.queue.requestSync(app.name, { trigger: 'poll' });
    }
  }

  /** Asks for a sync of `app` (after its running operation, if any). */
  async requestSync(app: string, request: Omit<SyncRequest, 'requestedAt'>): Promise<RequestOutcome> {
    if (!this.apps.has(app)) throw new Error(`no application named ${app}`);
    return this.queue.requestSync(app, request);
  }

  async requestRefresh(app: string): Promise<RequestOutcome> {
    return this.queue.requestRefresh(app);
  }

  /** The app's objects in the watch cache (what it manages, as last seen). */
  liveObjects(app: Application): JsonObject[] {
    const cluster = this.clusters.lookup(app);
    return cluster.ok ? cluster.connection.tracked.objectsOf(appLabelValue(appRef(app))) : [];
  }

  /** A cluster went down or answers again: its apps are looked at now (Unknown with the reason, or synced again). */
  private async clusterChanged(key: string): Promise<void> {
    for (const app of this.apps.values()) {
      if (this.stopped) return;
      if (this.clusters.keyOf(app) === key) await this.queue.requestSync(app.name, { trigger: 'poll' }).catch((e: Error) => this.backgroundFailed(app.name, 'poll', e));
    }
  }

  /** Polls every app now (after a Redis outage or restart). */
  private async requeueAll(): Promise<void> {
    for (const app of this.apps.keys()) {
      if (this.stopped) return;
      await this.queue.requestSync(app, { trigger: 'poll' }).catch((e: Error) => this.backgroundFailed(app, 'poll', e));
    }
  }

  /** A background request refused during a Redis outage is not news: the outage was logged, and every app is polled after it. */
  private backgroundFailed(app: string, what: string, e: Error): void {
    if (!(e instanceof QueueUnavailableError)) this.log(`${app}: ${what} request failed: ${e.message}`);
  }

  async state(app: string): Promise<AppState | undefined> {
    const stored = await this.history.getState(app);
    return isAppState(stored) ? stored : undefined;
  }

  operations(app: string, limit?: number): Promise<HistoryEntry[]> {
    return this.history.list(app, limit);
  }

  /** The app's sync that waits between jobs (a wave's health, a hook, an earlier wave's rollout), if any. */
  syncInProgress(app: string): Promise<SyncProgress | undefined> {
    return this.progress.get(app);
  }

  /** Compares this process ran, and background ones it skipped because nothing they depend on changed. */
  get compareCounts(): { readonly full: number; readonly reused: number } {
    return { ...this.compares };
  }

  get applications(): readonly Application[] {
    return [...this.apps.values()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poller.stop();
    for (const timer of this.debounce.values()) clearTimeout(timer);
    for (const timer of this.healTimers.values()) clearTimeout(timer);
    await this.worker?.close({ timeoutMs: 10_000 });
    this.clusters.stop();
    this.rollouts.stop();
    await this.queue.close();
    this.redis.disconnect();
  }

  private log(line: string, fields?: LogFields): void {
    (this.opts.log ?? ((l: string) => console.log(l)))(line, fields);
  }

  /** What the rollout commands (rollback, pin, promote …) act through: this process's Redis state, queue and Git. */
  get commands(): CommandContext {
    const tell: CommandContext['tell'] = (app, event) => recordApplicationEvent(this.opts.kube, app, event, this.rollouts.now(), (line) => this.log(line));
    return { store: this.rollouts.store, history: this.history, queue: this.queue, git: this.opts.git, ...(this.opts.mirrorStatus ? { tell } : {}) };
  }

  /** Git, the app's cluster, its watch cache and the render cache: what the API's diffs and resource trees run with. */
  contextFor(app: Application): SyncContext {
    const cluster = this.clusters.lookup(app);
    if (!cluster.ok) throw new ClusterUnavailableError(`${app.name}: ${cluster.message}`);
    return this.contextOf(cluster.connection);
  }

  /** What compares and syncs of an app in `cluster` run with. */
  private contextOf(cluster: ClusterConnection): SyncContext {
    return {
      git: this.opts.git,
      kube: cluster.kube,
      liveSource: cluster.tracked,
      renderCache: this.renderCache,
      hookLedger: this.hookLedger,
      projects: this.projects,
      cluster: { server: cluster.entry.server, name: cluster.entry.name },
      ...(this.opts.ignoreDifferences === undefined ? {} : { ignoreDifferences: this.opts.ignoreDifferences }),
      ...this.opts.sync,
    };
  }

  /** What an operation runs with: its kube client bound to the job's signal, so a stopped job writes nothing more. */
  private operationCtx(cluster: ClusterConnection, signal: AbortSignal): SyncContext {
    return { ...this.contextOf(cluster), kube: cluster.kube.withSignal(signal), signal };
  }

  /**
   * A tracked object changed: refresh its app soon (events of one sync collapse into one
   * refresh). A workload of a rollout this process drives is looked at now: a step's pause must
   * land before its controller's next move, which a debounce can miss on a loaded host.
   */
  private noticeChange(label: string, object: JsonObject): void {
    const app = this.appByLabel.get(label);
    if (app === undefined) return;
    if (isRolloutKind(object['kind']) && this.rollouts.driving(app)) this.lookNow(app);
    else this.noticeApp(app);
  }

  /**
   * A pod of a rollout shows trouble: the driver looks now, ahead of queued polls and syncs
   * (a look is the queue's first priority), not after the debounce.
   */
  private lookNow(app: string): void {
    if (this.stopped) return;
    clearTimeout(this.debounce.get(app));
    this.debounce.delete(app);
    this.queue.requestLook(app, 0).catch((e: Error) => this.backgroundFailed(app, 'look', e));
  }

  private noticeApp(app: string): void {
    if (this.stopped || this.debounce.has(app)) return;
    this.debounce.set(
      app,
      setTimeout(() => {
        this.debounce.delete(app);
        if (!this.stopped) this.queue.requestRefresh(app).catch((e: Error) => this.backgroundFailed(app, 'refresh', e));
      }, this.opts.selfHealDebounceMs ?? 300).unref(),
    );
  }

  private async handle(op: Operation, signal: AbortSignal): Promise<OperationResult | AppState | RolloutState | SyncSuspended | undefined> {
    const app = this.apps.get(op.app);
    if (app === undefined) return undefined;
    const lookup = this.clusters.lookup(app);
    if (!lookup.ok) return this.clusterUnavailable(app, lookup.message, signal);
    const cluster = lookup.connection;
    try {
      return await this.handleIn(app, cluster, op, AbortSignal.any([signal, cluster.signal]));
    } catch (e) {
      // The cluster went down mid-operation: its requests were cut rather than left to time out holding this worker.
      if (!isAbortError(e) || signal.aborted || !cluster.signal.aborted) throw e;
      const now = this.clusters.lookup(app);
      return this.clusterUnavailable(app, now.ok ? `cluster ${cluster.entry.name} went down during the operation` : now.message, signal);
    }
  }

  /** An unknown or unreachable cluster: nothing about the app can be known, and the reason is its state. */
  private async clusterUnavailable(app: Application, message: string, signal: AbortSignal): Promise<AppState> {
    const previous = await this.state(app.name);
    return this.saveState(app, { ...stateFromError(app.name, message, previous, new Date()), health: 'Unknown' }, signal);
  }

  private async handleIn(app: Application, cluster: ClusterConnection, op: Operation, signal: AbortSignal): Promise<OperationResult | AppState | RolloutState | SyncSuspended | undefined> {
    // a sync in progress goes on first, whatever woke the app (a look, the watch, a restart's poll)
    const progress = await this.progress.get(app.name);
    if (progress !== undefined) {
      if (op.kind === 'sync' && supersedes(op.request, progress)) {
        this.log(`${app.name}: sync of ${progress.revision.slice(0, 7)} superseded by a ${op.request.trigger} sync`, { app: app.name });
        await this.progress.clear(app.name, progress.id);
      } else if (progress.rollbackOf === undefined) {
        return this.carryOn(app, cluster, progress, signal);
      } else {
        // a rollout's rollback: that rollout's looks carry it on; a rollout over or replaced leaves nothing to carry on
        const rolling = await this.rollouts.active(app.name);
        if (rolling?.id === progress.rollbackOf) return this.look(app, cluster, rolling, signal);
        await this.progress.clear(app.name, progress.id);
      }
    }
    const previous = await this.state(app.name);
    const active = await this.rollouts.active(app.name);
    // a refresh (the watch, or a look the rollout asked for) of an app mid-rollout moves the rollout on
    if (op.kind === 'refresh' && active !== undefined) return this.look(app, cluster, active, signal);
    // PostSync hooks a rollout that has ended may still owe (also after a crash)
    if (active === undefined) await this.settleHooks(app, cluster, signal);
    const trigger: SyncTrigger | 'refresh' = op.kind === 'sync' ? op.request.trigger : 'refresh';
    const requested = op.kind === 'sync' ? op.request.revision : undefined;
    const pinned = requested === undefined ? await this.rollouts.pinnedRevision(app) : undefined;
    const revision = requested ?? pinned;
    // A pin not yet synced is a manual rollback whose own job has not run: the pin is stored
    // before that job is queued, so a poll or refresh may get there first. It carries the
    // rollback out as the job would (one step, told as a pin); taken for an ordinary new
    // revision it became a paced rollout, held at its first step, which the rollback's job
    // then only looked at (`active.revision` below), so the app never got all the way back.
    const rollback = trigger === 'rollback' || (pinned !== undefined && previous?.syncedRevision !== pinned);
    let compared: Comparison | RenderFailure;
    let inputs: CompareInputs | undefined;
    try {
      if (trigger === 'refresh' || isBackgroundTrigger(trigger)) {
        inputs = await this.compareInputs(app, cluster, revision);
        if (previous !== undefined && this.unchangedSince(app.name, inputs, previous)) {
          this.compares.reused++;
          const state = { ...previous, comparedAt: new Date().toISOString() };
          await this.saveState(app, state, signal);
          return state;
        }
      }
      this.compares.full++;
      // kinds this process watches, and those the app had objects of (a restarted process may watch none yet)
      compared = await compareApp({ ...this.operationCtx(cluster, signal), previousKinds: [...new Set([...cluster.tracked.kinds, ...(previous?.kinds ?? [])])] }, app, revision);
    } catch (e) {
      if (!(e instanceof GitError || e instanceof KubeError)) throw e;
      await this.saveState(app, stateFromError(app.name, e.message, previous, new Date()), signal);
      const failedAt = inputs?.sha ?? revision ?? '';
      await this.noteFailure(app, 'comparison', failedAt, `comparison${failedAt === '' ? '' : ` of ${failedAt.slice(0, 7)}`} failed: ${e.message}`);
      // Background work retries by itself at the next poll or change; asked-for syncs retry now.
      if (trigger !== 'refresh' && !isBackgroundTrigger(trigger)) throw OperationError.retryable(e.message, e);
      return undefined;
    }
    if ('kinds' in compared) await cluster.tracked.watch(compared.kinds);
    let state = stateFromComparison(app.name, compared, previous, new Date());
    if (!('kinds' in compared)) {
      // stored before the line is logged, so whoever reads the line finds its condition
      await this.saveState(app, state, signal);
      await this.noteFailure(app, 'comparison', compared.revision, renderFailureLog(app, compared));
    }
    if (inputs !== undefined && state.sync === 'Synced' && state.message === undefined) this.syncedInputs.set(app.name, inputs.key);
    else this.syncedInputs.delete(app.name);

    // the revision a rollout is carrying out is applied already: a sync of it would only undo its pacing
    if (active !== undefined && compared.revision === active.revision) {
      await this.saveState(app, state, signal);
      return this.look(app, cluster, active, signal);
    }
    if (active === undefined && 'kinds' in compared && state.sync === 'Synced' && state.health === 'Healthy') await this.rollouts.noteHealthy(app.name, compared.revision);
    if (!rollback && (trigger === 'refresh' || isBackgroundTrigger(trigger)) && (await this.rollouts.store.isBad(app.name, compared.revision))) {
      await this.saveState(app, { ...state, message: `revision ${compared.revision.slice(0, 7)} was rolled back and is not applied again; waiting for a newer commit` }, signal);
      return state;
    }
    if (!this.shouldSync(app, trigger, compared, state)) {
      await this.saveState(app, state, signal);
      await this.clearResolvedFailure(app.name, previous, state);
      if (trigger === 'refresh' && state.sync === 'OutOfSync' && app.spec.syncPolicy.automated?.selfHeal) this.scheduleHeal(app.name, 0);
      return state;
    }
    const background = trigger === 'refresh' || isBackgroundTrigger(trigger);
    if (background && (await this.retryWait(app.name, previous, compared.revision)) > 0) {
      // The failed revision waits out its back-off; the failure stays what the state shows.
      await this.saveState(app, previous?.message === undefined ? state : { ...state, message: previous.message }, signal);
      return state;
    }
    const drift = background && isDrift(compared, state);
    if (drift) {
      const wait = await this.healBackoff(app.name);
      if (wait > 0) {
        await this.saveState(app, state, signal);
        this.log(`${app.name}: drifted again; self-heal in ${Math.ceil(wait / 1000)} s`, { app: app.name });
        this.scheduleHeal(app.name, wait);
        return state;
      }
      await this.noteHeal(app.name);
    }
    const { candidates, problems } = 'kinds' in compared ? rolloutCandidates(app, compared) : { candidates: [], problems: [] };
    if (problems.length > 0) {
      await this.saveState(app, { ...state, message: `nothing was applied: ${problems.join('; ')}` }, signal);
      return state;
    }
    // a manual rollback goes straight back, gated on health but in one step and without a hold (started promoted)
    const paced: RolloutCandidate[] = rollback ? candidates.map(({ hold: _, ...c }) => ({ ...c, steps: [100] })) : candidates;
    const holds = new Map(paced.flatMap((c) => (c.hold === undefined ? [] : [[c.key, c.hold] as const])));
    // Background work that found a new revision syncs it as a poll would: it is not a heal.
    const syncTrigger: SyncTrigger = rollback ? 'rollback' : trigger === 'refresh' || trigger === 'self-heal' ? (drift ? 'self-heal' : 'poll') : trigger;
    const choices: Pick<SyncRequest, 'prune' | 'resources'> = op.kind === 'sync' ? op.request : {};
    const request = op.kind === 'sync' ? op.request : undefined;
    const id = await this.operationId(app.name, op.jobId);
    const started: SyncProgress = {
      id,
      operation: `${app.name}:${id}`,
      revision: compared.revision,
      trigger: syncTrigger,
      holds: [...holds],
      paced,
      ...(choices.prune === undefined ? {} : { prune: choices.prune }),
      ...(choices.resources === undefined ? {} : { only: choices.resources }),
      ...(request === undefined ? {} : { request }),
    };
    signal.throwIfAborted();
    await this.progress.set(app.name, started);
    // The hooks a rollout owes (PostSync on success, SyncFail on failure) are noted before
    // anything is written: a process dying after the sync cannot lose them (post-sync.ts).
    if (paced.length > 0 && 'kinds' in compared && compared.hooks.some((h) => h.phase === 'PostSync' || h.phase === 'SyncFail')) {
      signal.throwIfAborted();
      await this.postSync.defer(app.name, { rollout: id, revision: compared.revision, operation: started.operation });
    }
    return this.carryOn(app, cluster, started, signal, { state, compared });
  }

  /**
   * Runs the stored sync in progress as far as it goes without waiting. Where it must wait, its
   * position is stored and a look is asked for (the watch may wake it sooner); once it has
   * finished, it is recorded and its rollout started. Stored before each step that depends
   * on it, so a process killed anywhere leaves the next job what it needs.
   */
  private async carryOn(app: Application, cluster: ClusterConnection, stored: SyncProgress, signal: AbortSignal, known?: { state: AppState; compared: Comparison | RenderFailure }): Promise<OperationResult | RolloutState | SyncSuspended> {
    let progress = stored;
    let result = progress.result;
    if (result === undefined) {
      // an earlier wave's rollout comes first: the sync goes on once it has succeeded
      if (progress.position?.rollout !== undefined) {
        const wave = await this.waveRollout(app, cluster, progress, progress.position.rollout, signal);
        if ('ended' in wave) return wave.ended;
        progress = wave.resume;
      }
      const outcome = await this.runSync(app, cluster, progress, signal, known?.compared);
      if ('position' in outcome) {
        // the wave's rollout starts now, and its looks carry the sync on
        if (outcome.position.rollout !== undefined) return this.carryOn(app, cluster, { ...progress, position: outcome.position }, signal);
        await this.rollouts.lookSoon(app.name);
        return outcome;
      }
      result = await this.recordSync(app, progress.id, outcome, signal, { ...known, ...(progress.request === undefined ? {} : { request: progress.request }) });
      if (result.phase === 'Succeeded' && progress.paced.length > 0) await this.progress.set(app.name, { ...progress, result });
    }
    if (progress.trigger === 'rollback') await this.rollouts.noteManualRollback(app, result);
    const rollout = await this.endingRollout(app, cluster, progress, result, signal);
    await this.progress.clear(app.name, progress.id);
    if (rollout === undefined) {
      await this.postSync.drop(app.name, progress.id);
      return result;
    }
    await this.mirrorRollout(app, rollout, signal);
    return this.afterRollout(app, cluster, rollout, signal);
  }

  /**
   * The id of a sync this job starts (its history entry's, its rollout's): the job's, unless a
   * sync has it already. A job whose process died is run again by BullMQ under the same id, and
   * by then it may find another revision to sync: taken for the earlier sync, that sync's
   * finished rollout would pass for the new one's, which then never started.
   */
  private async operationId(app: string, jobId: string): Promise<string> {
    const [rollout, recent] = await Promise.all([this.rollouts.store.get(app), this.history.list(app, 20)]);
    return rollout?.id === jobId || recent.some((e) => e.id === jobId) ? `${jobId}.${Date.now().toString(36)}` : jobId;
  }

  /** Runs the stored sync as far as it goes without waiting; where it must wait, its position is stored. */
  private async runSync(app: Application, cluster: ClusterConnection, progress: SyncProgress, signal: AbortSignal, compared?: Comparison | RenderFailure): Promise<OperationResult | SyncSuspended> {
    const options: SyncOptions = {
      trigger: progress.trigger,
      revision: progress.revision,
      holds: new Map(progress.holds),
      operation: progress.operation,
      // PostSync hooks wait for the rollout this sync starts (post-sync.ts)
      postSync: progress.paced.length > 0 ? 'defer' : 'run',
      waits: 'yield',
      ...(progress.position === undefined ? {} : { resume: progress.position }),
      ...(progress.prune === undefined ? {} : { prune: progress.prune }),
      ...(progress.only === undefined ? {} : { only: new Set(progress.only) }),
    };
    const outcome = await syncApp({ ...this.operationCtx(cluster, signal), waitClock: () => this.rollouts.now() }, app, options, compared);
    signal.throwIfAborted();
    if ('position' in outcome) {
      await this.progress.set(app.name, { ...progress, position: outcome.position, waiting: outcome.message });
      await cluster.tracked.watch(outcome.kinds);
      if (this.opts.mirrorStatus && this.apps.has(app.name)) {
        const status = statusWhileWaiting(this.mirroredStatus(app), outcome);
        this.mirrored.set(app.name, status);
        await this.writeStatus(app, status, signal);
      }
      this.log(`${app.name}: ${progress.trigger === 'rollback' ? 'rollback ' : ''}sync of ${outcome.revision.slice(0, 7)} waits: ${outcome.message}`, { app: app.name, revision: outcome.revision });
    }
    return outcome;
  }

  /**
   * The rollout a finished sync ends with: the one a crash let start already; none for a sync
   * that failed; the rest of the paced workloads; or, when an earlier wave's rollout paced
   * them all, that rollout, now the sync's own.
   */
  private async endingRollout(app: Application, cluster: ClusterConnection, progress: SyncProgress, result: OperationResult, signal: AbortSignal): Promise<RolloutState | undefined> {
    const existing = await this.rollouts.store.get(app.name);
    const ours = existing?.id === progress.id ? existing : undefined;
    if (ours !== undefined && ours.beforeWave === undefined) return ours;
    if (result.phase !== 'Succeeded' || result.revision === undefined) return undefined;
    const rolledOut = new Set(progress.rolledOut ?? []);
    const rest = progress.paced.filter((c) => !rolledOut.has(c.key));
    if (rest.length === 0) return ours === undefined ? undefined : this.rollouts.conclude(ours);
    const run = { id: progress.id, revision: result.revision, candidates: rest, promoted: progress.trigger === 'rollback' };
    return this.rollouts.start(app, run, { kube: cluster.kube.withSignal(signal), watch: cluster.kube }, this.rollbackSync(app, cluster, progress.id, signal));
  }

  /**
   * The rollout of workloads an earlier wave applied held, which the sync's next wave waits
   * for: started once, then looked at. Once it has succeeded, the position the sync goes on
   * from (stored); once it has failed (it rolls the whole app back), the sync ends Failed
   * there, and later waves are never applied.
   */
  private async waveRollout(app: Application, cluster: ClusterConnection, progress: SyncProgress, held: readonly string[], signal: AbortSignal): Promise<{ resume: SyncProgress } | { ended: RolloutState }> {
    const position = progress.position!;
    const existing = await this.rollouts.store.get(app.name);
    let state = existing?.id === progress.id && existing.beforeWave === position.wave ? existing : undefined;
    if (state === undefined) {
      const keys = new Set(held);
      const run = { id: progress.id, revision: progress.revision, candidates: progress.paced.filter((c) => keys.has(c.key)), promoted: progress.trigger === 'rollback', ...(position.wave === undefined ? {} : { beforeWave: position.wave }) };
      state = await this.rollouts.start(app, run, { kube: cluster.kube.withSignal(signal), watch: cluster.kube }, this.rollbackSync(app, cluster, progress.id, signal));
      if (state !== undefined) await this.mirrorRollout(app, state, signal);
    } else if (isActivePhase(state.phase)) {
      state = await this.look(app, cluster, state, signal);
    }
    if (state === undefined || state.phase === 'Succeeded') {
      const { rollout: _, ...rest } = position;
      // the next wave's wait is timed from now, not from when the rollout began
      const resume: SyncProgress = { ...progress, position: { ...rest, since: this.rollouts.now().toISOString() }, rolledOut: [...(progress.rolledOut ?? []), ...held] };
      await this.progress.set(app.name, resume);
      return { resume };
    }
    if (state.phase === 'Progressing' || state.phase === 'Paused') return { ended: state };
    const now = new Date().toISOString();
    const failure: OperationResult = {
      app: app.name,
      phase: 'Failed',
      message: `sync of ${progress.revision.slice(0, 7)} stopped before wave ${position.wave}: ${state.reason ?? state.message}`,
      trigger: progress.trigger,
      dryRun: false,
      revision: progress.revision,
      startedAt: position.startedAt,
      finishedAt: now,
      resources: position.resources,
      renderErrors: [],
      warnings: [],
    };
    await this.recordSync(app, progress.id, failure, signal, progress.request === undefined ? {} : { request: progress.request });
    await this.progress.clear(app.name, progress.id);
    return { ended: await this.afterRollout(app, cluster, state, signal) };
  }

  /** A rollout that has ended (or is rolling back) may owe hooks: PostSync or SyncFail run (or are dropped) now. */
  private async afterRollout(app: Application, cluster: ClusterConnection, state: RolloutState, signal: AbortSignal): Promise<RolloutState> {
    if (!isActivePhase(state.phase) || state.phase === 'RollingBack') await this.settleHooks(app, cluster, signal);
    return state;
  }

  /** The hooks a rollout owes, without waiting for them: while they run, a look comes back. */
  private async settleHooks(app: Application, cluster: ClusterConnection, signal: AbortSignal): Promise<void> {
    if ((await this.postSync.settle(app, { ...this.operationCtx(cluster, signal), waitClock: () => this.rollouts.now() })) === 'waiting') await this.rollouts.lookSoon(app.name);
  }

  /** One look at the app's running rollout, its state mirrored on the Application. */
  private async look(app: Application, cluster: ClusterConnection, active: RolloutState, signal: AbortSignal): Promise<RolloutState> {
    const state = await this.rollouts.look(app, active, { kube: cluster.kube.withSignal(signal), watch: cluster.kube }, this.rollbackSync(app, cluster, active.id, signal));
    await this.mirrorRollout(app, state, signal);
    return this.afterRollout(app, cluster, state, signal);
  }

  private async mirrorRollout(app: Application, rollout: RolloutState, signal: AbortSignal): Promise<void> {
    if (!this.opts.mirrorStatus || !this.apps.has(app.name)) return;
    const status = statusWithRollout(this.mirroredStatus(app), rollout);
    this.mirrored.set(app.name, status);
    await this.writeStatus(app, status, signal);
  }

  /** Records a finished sync: history, state, the Application's status, failures, metrics. */
  private async recordSync(app: Application, id: string, result: OperationResult, signal: AbortSignal, known?: { state?: AppState; request?: SyncRequest }): Promise<OperationResult> {
    signal.throwIfAborted();
    await this.history.record(app.name, historyEntry(id, result));
    this.opts.onOperation?.(result, known?.request ?? { trigger: result.trigger, requestedAt: Date.parse(result.startedAt) });
    const before = known?.state ?? (await this.state(app.name)) ?? stateFromError(app.name, result.message, undefined, new Date());
    const state = stateAfterSync(before, result, new Date());
    if (this.opts.mirrorStatus) this.mirrored.set(app.name, statusAfterOperation(app, result, this.mirroredStatus(app)));
    await this.saveState(app, state, signal);
    if (result.phase === 'Succeeded') {
      await this.clearResolvedFailure(app.name, before, state);
      this.log(`${app.name}: ${result.trigger} sync ${result.phase}: ${result.message}`, { app: app.name, jobId: id, ...(result.revision === undefined ? {} : { revision: result.revision }) });
    } else {
      await this.noteFailure(app, 'sync', result.revision ?? '', `${result.trigger} sync of ${(result.revision ?? 'no revision').slice(0, 7)} ${result.phase}: ${result.message}`);
    }
    return result;
  }

  /**
   * How a rollout's rollback syncs the whole app: a recorded sync with trigger rollback, one
   * history entry per rollout. It is a stored sync in progress like any other, which names
   * its rollout: where it must wait, the look ends, and the rollout's next look carries it on.
   */
  private rollbackSync(app: Application, cluster: ClusterConnection, rolloutId: string, signal: AbortSignal): (revision: string) => Promise<RollbackSync> {
    return async (revision) => {
      const id = `${rolloutId}-rollback`;
      // recorded before a crash kept the rollout from noting it
      const recorded = (await this.history.list(app.name)).find((e) => e.id === id);
      if (recorded !== undefined) {
        await this.progress.clear(app.name, id);
        return recorded;
      }
      const stored = await this.progress.get(app.name);
      // a sync asked for meanwhile goes first (it may supersede the rollout)
      if (stored !== undefined && stored.id !== id) return 'waiting';
      const progress: SyncProgress = stored ?? { id, operation: `${app.name}:${id}`, revision, trigger: 'rollback', holds: [], paced: [], rollbackOf: rolloutId };
      if (stored === undefined) {
        signal.throwIfAborted();
        await this.progress.set(app.name, progress);
      }
      const outcome = await this.runSync(app, cluster, progress, signal);
      if ('position' in outcome) return 'waiting';
      const result = await this.recordSync(app, id, outcome, signal);
      await this.progress.clear(app.name, id);
      return result;
    };
  }

  private async saveState(app: Application, state: AppState, signal: AbortSignal): Promise<AppState> {
    signal.throwIfAborted();
    await this.history.setState(app.name, state);
    // An app removed meanwhile (deleted, or its spec now invalid) keeps the status it has now.
    if (!this.opts.mirrorStatus || !this.apps.has(app.name)) return state;
    const status = statusFromState(app, state, this.mirroredStatus(app), this.clusters.entryOf(app)?.server);
    this.mirrored.set(app.name, status);
    await this.writeStatus(app, status, signal);
    return state;
  }

  private async writeStatus(app: Application, status: ApplicationStatus, signal: AbortSignal): Promise<void> {
    // An Argo CD Application's status is Argo CD's (it may run beside us): Sluice's stays in its API and UI.
    if (app.argocd) return;
    // Only real changes are written (the reconcile time alone is not): a steady fleet costs the API server nothing.
    const { reconciledAt: _, ...content } = status;
    const fingerprint = JSON.stringify(content);
    if (this.written.get(app.name) === fingerprint) return;
    try {
      await this.opts.kube.withSignal(signal).patch(
        { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace: app.namespace, name: app.name },
        statusPatch(status),
        { type: 'merge', subresource: 'status' },
      );
      this.written.set(app.name, fingerprint);
    } catch (e) {
      this.log(`${app.name}: could not write the Application's status: ${(e as Error).message}`, { app: app.name });
    }
  }

  /**
   * Everything a compare of `app` depends on, as text: the resolved commit, the app's spec
   * and its live objects' version in the watch cache. (The rendered manifests follow from
   * the commit and spec, and the global ignore rules are fixed for the process.) Read
   * before the compare, so a change during it makes the next one differ.
   */
  private async compareInputs(app: Application, cluster: ClusterConnection, revision: string | undefined): Promise<CompareInputs> {
    const { sha } = await this.opts.git.forSource(app.spec.source).resolve(revision ?? app.spec.source.targetRevision);
    return { sha, key: JSON.stringify([sha, cluster.key, cluster.tracked.version(appLabelValue(appRef(app))), app]) };
  }

  /**
   * Whether a background compare can keep the last result: its inputs are those of the
   * last compare in this process that found the app Synced, and the stored state is still
   * that result (another process may have written since). Only Synced is kept: anything
   * else may lead to a sync, which wants a fresh comparison.
   */
  private unchangedSince(app: string, inputs: CompareInputs, previous: AppState): boolean {
    return this.syncedInputs.get(app) === inputs.key && previous.sync === 'Synced' && previous.message === undefined && previous.revision === inputs.sha;
  }

  private mirroredStatus(app: Application): ApplicationStatus {
    return this.mirrored.get(app.name) ?? initialStatus(app);
  }

  private shouldSync(app: Application, trigger: SyncTrigger | 'refresh', compared: Comparison | RenderFailure, state: AppState): boolean {
    if (trigger !== 'refresh' && !isBackgroundTrigger(trigger)) return true;
    const automated = app.spec.syncPolicy.automated;
    if (automated === undefined || 'errors' in compared || compared.status === 'Synced') return false;
    if (trigger === 'self-heal') return automated.selfHeal;
    // A poll: a new revision always syncs; drift at the same revision only with selfHeal.
    return automated.selfHeal || state.syncedRevision !== compared.revision;
  }

  private scheduleHeal(app: string, delayMs: number): void {
    if (this.healTimers.has(app)) return;
    this.healTimers.set(
      app,
      setTimeout(() => {
        this.healTimers.delete(app);
        if (!this.stopped) this.queue.requestSync(app, { trigger: 'self-heal' }).catch((e: Error) => this.backgroundFailed(app, 'self-heal', e));
      }, delayMs).unref(),
    );
  }

  /**
   * How long a drift heal must still wait: heals that repeat within a minute back off
   * (5 s, 10 s, 20 s … 3 min after the previous one). Kept in Redis, since the next drift
   * may be noticed by another process.
   */
  private async healBackoff(app: string): Promise<number> {
    const record = await this.healRecord(app);
    const since = Date.now() - record.last;
    if (since > HEAL_RESET_MS) return 0;
    return Math.max(0, Math.min(HEAL_BASE_DELAY_MS * 2 ** record.count, HEAL_MAX_DELAY_MS) - since);
  }

  private async noteHeal(app: string): Promise<void> {
    const record = await this.healRecord(app);
    const now = Date.now();
    const count = now - record.last > HEAL_RESET_MS ? 0 : record.count + 1;
    await this.redis.set(this.keys.heal(app), JSON.stringify({ count, last: now }), 'PX', HEAL_RESET_MS + HEAL_MAX_DELAY_MS);
  }

  private async healRecord(app: string): Promise<{ count: number; last: number }> {
    const text = await this.redis.get(this.keys.heal(app));
    return text === null ? { count: 0, last: 0 } : (JSON.parse(text) as { count: number; last: number });
  }

  /**
   * Records a failure; when it is new (see failures.ts: once per revision and stage) logs it
   * and, for apps from the cluster, tells it as a Warning Event on the Application.
   */
  private async noteFailure(app: Application, stage: FailureStage, revision: string, message: string): Promise<void> {
    if (!(await this.failures.note(app.name, stage, revision, Date.now()))) return;
    this.log(bounded(`${app.name}: ${message}`), { app: app.name, ...(revision === '' ? {} : { revision }) });
    if (this.opts.mirrorStatus) await recordApplicationEvent(this.opts.kube, app, { type: 'Warning', reason: FAILURE_REASONS[stage], message }, this.rollouts.now(), (line) => this.log(line, { app: app.name }));
  }

  /** Forgets the app's failure once a condition it had is gone (it compared Synced, or a sync succeeded). */
  private async clearResolvedFailure(app: string, previous: AppState | undefined, state: AppState): Promise<void> {
    const gone = (previous?.conditions ?? []).some((c) => !(state.conditions ?? []).some((n) => n.type === c.type));
    if (gone) await this.failures.clear(app);
  }

  /** How long background work must wait before syncing `revision` again, after its sync failed. */
  private async retryWait(app: string, previous: AppState | undefined, revision: string): Promise<number> {
    if (!(previous?.conditions ?? []).some((c) => c.type === 'SyncError')) return 0;
    return retryWaitMs(await this.failures.get(app), revision, Date.now());
  }
}

/**
 * Whether background work (the watch's refresh, a heal, a poll) would sync to undo drift:
 * the revision is the one last synced. A new revision is not drift, whoever noticed it.
 */
function isDrift(compared: Comparison | RenderFailure, state: AppState): boolean {
  return compared.revision === state.syncedRevision;
}

/** The log line of a render failure: every error at its file:line (bounded). */
function renderFailureLog(app: Application, failure: RenderFailure): string {
  const count = failure.errors.length;
  return `rendering ${app.spec.source.path} at ${failure.revision.slice(0, 7)} failed with ${count} error${count === 1 ? '' : 's'}: ${failure.errors.map(formatRenderError).join('; ')}`;
}

/** Keeps the most recently used render results, as JSON text (a fraction of their heap size as objects). */
class LruRenderCache implements RenderCache {
  private readonly entries = new Map<string, string>();
  constructor(private readonly capacity: number) {}
  get(key: string): RenderResult | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return JSON.parse(value) as RenderResult;
  }
  set(key: string, value: RenderResult): void {
    this.entries.delete(key);
    this.entries.set(key, JSON.stringify(value));
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** Whether an app's project (by namespace and name; `default` when it names none) differs between two sets of Projects. */
function changedProjects(before: readonly Project[], after: readonly Project[]): (app: Application) => boolean {
  const byKey = (projects: readonly Project[]) => new Map(projects.map((p) => [`${p.namespace}/${p.name}`, JSON.stringify(p)]));
  const [was, is] = [byKey(before), byKey(after)];
  return (app) => {
    const key = `${app.namespace}/${app.spec.project ?? DEFAULT_PROJECT_NAME}`;
    return was.get(key) !== is.get(key);
  };
}
