/**
 * One sync operation, end to end: compare (git → render → diff), plan, and unless it is a
 * dry run, check every write with the API server (dry-run.ts) and execute. Render errors,
 * kinds the cluster does not serve, ownership conflicts and writes the server rejects stop
 * the operation before anything is applied: a bad commit changes nothing.
 */
import type { Application } from '../app/types.ts';
import type { JsonObject } from '../json.ts';
import { GitError } from '../git/index.ts';
import { KubeError } from '../kube/errors.ts';
import { isAbortError } from '../kube/transport.ts';
import { compareApp, confirmLive, ignoreRules, isRenderFailure, type CompareContext } from './compare.ts';
import { bounded, MAX_RESOURCE_MESSAGE_CHARS } from '../bounded.ts';
import { dryRunPlan, plainNamespace, type Rejection } from './dry-run.ts';
import { abortableSleep, executePlan, waitHealthy, type ExecuteOptions } from './execute.ts';
import { MemoryHookLedger, runHookPhase, type HookLedger, type HookOutcome, type HookRunOptions } from './hook-run.ts';
import { hookObjectFor, type Hook } from './hooks.ts';
import { planSync, type SyncPlan } from './plan.ts';
import { refOf } from '../kube/client.ts';
import { addTracking } from './tracking.ts';
import { keyOf, keyString } from './resource-key.ts';
import { admitApplication, describeViolations, objectViolations, rendersNamespace, type ProjectContext } from './project-gate.ts';
import type { Comparison, OperationResult, RenderFailure, ResourceOutcome, Trigger } from './types.ts';

export interface SyncContext extends CompareContext, ProjectContext {
  readonly waveTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
  /** The job's signal: once it fires the operation stops before its next request (an AbortError). */
  readonly signal?: AbortSignal;
  /** Where finished hooks are remembered, so a resumed operation neither repeats nor skips one (default: this process only). */
  readonly hookLedger?: HookLedger;
  /** How long one hook may run (default: waveTimeoutMs). */
  readonly hookTimeoutMs?: number;
}

export interface SyncOptions {
  readonly revision?: string;
  readonly trigger: Trigger;
  /** Plan only: report what would change, write nothing. */
  readonly dryRun?: boolean;
  /** Delete tracked objects Git no longer has; default: the app's automated.prune (as Argo CD, manual syncs opt in). */
  readonly prune?: boolean;
  /** Selective sync: keyStrings of the resources to sync. */
  readonly only?: ReadonlySet<string>;
  /** Extra patches by keyString that hold workloads for a rollout (see ExecuteOptions.holds). */
  readonly holds?: ReadonlyMap<string, JsonObject>;
  /**
   * Which operation this is, for its hooks: the same id (a retry after a crash) finds the
   * hooks it created before; its start is the ledger's (first attempt's). Default: a new operation.
   */
  readonly operation?: string;
  /** `defer`: PostSync hooks wait for the rollout this sync starts to finish (the caller runs them, see runPostSync). */
  readonly postSync?: 'run' | 'defer';
}

/** `compared`: a comparison the caller already made for this revision (a controller compares before deciding to sync). */
export async function syncApp(unbound: SyncContext, app: Application, opts: SyncOptions, compared?: Comparison | RenderFailure): Promise<OperationResult> {
  const ctx = unbound.signal === undefined ? unbound : { ...unbound, kube: unbound.kube.withSignal(unbound.signal) };
  const now = ctx.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const base = { app: app.name, trigger: opts.trigger, dryRun: opts.dryRun ?? false, startedAt, renderErrors: [], warnings: [] as string[] };
  // Messages are bounded here, once: they may quote a server's answer or a 100,000-character name.
  const finish = (fields: Partial<OperationResult> & Pick<OperationResult, 'phase' | 'message' | 'resources'>): OperationResult => ({
    ...base,
    ...fields,
    message: bounded(fields.message),
    resources: fields.resources.map((r) => (r.message === undefined || r.message.length <= MAX_RESOURCE_MESSAGE_CHARS ? r : { ...r, message: bounded(r.message, MAX_RESOURCE_MESSAGE_CHARS) })),
    finishedAt: now().toISOString(),
  });

  // The project's word on the app itself comes before anything is fetched.
  const admitted = admitApplication(ctx, app);
  if ('refusal' in admitted) return finish({ phase: 'Failed', message: `${admitted.refusal}; nothing was applied`, resources: [] });

  let comparison;
  try {
    comparison = compared ?? (await compareApp(ctx, app, opts.revision));
    if (!isRenderFailure(comparison)) comparison = await confirmLive(ctx, app, comparison);
  } catch (e) {
    if (e instanceof GitError || e instanceof KubeError) return finish({ phase: 'Error', message: e.message, resources: [] });
    throw e;
  }
  const revision = { revision: comparison.revision, commit: comparison.commit };
  if (isRenderFailure(comparison)) {
    const count = comparison.errors.length;
    return finish({
      ...revision,
      phase: 'Failed',
      message: `rendering ${app.spec.source.path} at ${comparison.revision.slice(0, 7)} failed with ${count} error${count === 1 ? '' : 's'}; nothing was applied`,
      resources: [],
      renderErrors: comparison.errors,
    });
  }
  base.warnings.push(...comparison.warnings);

  const { syncOptions, automated } = app.spec.syncPolicy;
  const plan = planSync({
    app: { namespace: app.namespace, name: app.name },
    desired: comparison.desired,
    live: comparison.live,
    prune: opts.prune ?? automated?.prune ?? false,
    pruneLast: syncOptions.pruneLast,
    ...(opts.only === undefined ? {} : { only: opts.only }),
  });
  let violations;
  try {
    // hooks and prunes are writes too: a team project's PreSync Job, or a ClusterRole it may not touch, is checked like everything else
    const prunes = plan.steps.flatMap((step) => step.tasks.filter((task) => task.action === 'prune').map((task) => task.key));
    violations = await objectViolations(ctx, app, admitted.project, [...comparison.desired, ...comparison.hooks.map((h) => h.object)], prunes);
  } catch (e) {
    if (e instanceof KubeError) return finish({ ...revision, phase: 'Error', message: e.message, resources: [] });
    throw e;
  }
  if (violations.length > 0) {
    return finish({
      ...revision,
      phase: 'Failed',
      message: `${describeViolations(violations)}; nothing was applied`,
      resources: violations.flatMap((v) => (v.key === undefined ? [] : [{ key: v.key, action: 'failed', message: v.message } satisfies ResourceOutcome])),
    });
  }
  const blockers = [...comparison.problems, ...plan.conflicts];
  if (blockers.length > 0) {
    return finish({
      ...revision,
      phase: 'Failed',
      message: `nothing was applied: ${blockers.map((b) => b.message).join('; ')}`,
      resources: blockers.map((b) => ({ key: b.key, action: 'failed', message: b.message })),
    });
  }
  base.warnings.push(...plan.skipped.map((s) => s.message));

  const diffs = new Map(comparison.resources.map((r) => [keyString(r.key), r.diff]));
  if (opts.dryRun) {
    const resources: ResourceOutcome[] = plan.steps.flatMap((step) =>
      step.tasks.map((task) => {
        const status = diffs.get(keyString(task.key))?.status;
        const action = task.action === 'prune' ? 'pruned' : status === 'Missing' ? 'created' : status === 'Synced' ? 'unchanged' : 'configured';
        return { key: task.key, action, message: 'dry run' } satisfies ResourceOutcome;
      }),
    );
    return finish({ ...revision, phase: 'Succeeded', message: `dry run: ${summarize(resources)}`, resources });
  }

  const writeOptions = { ignore: ignoreRules(ctx, app), diffs, serverSideApply: syncOptions.serverSideApply, concurrency: ctx.concurrency ?? 16 };
  // As Argo CD: a selective sync runs no hooks.
  const hooks = opts.only === undefined ? comparison.hooks : [];
  const hookRun = await hookRunOptions(ctx, app, comparison.revision, { ...opts, hooks: hooks.length > 0 }, now);
  const hookCreates = hooks.map((h) => hookObjectFor(h, hookRun.run, (o) => addTracking(o, hookRun.app)));
  // The operation is over (not merely stopped: an abort throws past this): its hooks are not taken over by the next sync.
  const ended = async (result: OperationResult): Promise<OperationResult> => {
    if (hooks.length > 0) await hookRun.ledger.end(app.name, hookRun.run.operation);
    return result;
  };
  const checked = await dryRunPlan(ctx.kube, plan, { ...writeOptions, creates: hookCreates, ...(syncOptions.createNamespace ? { createNamespace: app.spec.destination.namespace } : {}) });
  if (checked.rejections.length > 0) {
    const { rejections } = checked;
    return ended(finish({
      ...revision,
      // Error: the server could not check (unreachable, overloaded), which says nothing about the revision.
      phase: rejections.every((r) => r.transient) ? 'Error' : 'Failed',
      message: `the API server rejected ${rejections.length} of the writes (dry run); nothing was applied: ${rejections.map(describeRejection).join('; ')}`,
      resources: rejections.map((r) => ({ key: r.key, action: 'failed', message: describeRejection(r) })),
    }));
  }
  base.warnings.push(...checked.createdNamespaces.map((ns) => `namespace ${ns} was created before the objects in it could be checked`));
  if (syncOptions.createNamespace) {
    const created = await ensureNamespace(ctx, app.spec.destination.namespace, comparison.desired);
    if (created !== undefined) return ended(finish({ ...revision, phase: 'Failed', message: created, resources: [] }));
  }
  const run = await runPhases(ctx, comparison, plan, hooks, hookRun, {
    ...writeOptions,
    waveTimeoutMs: ctx.waveTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: ctx.pollIntervalMs ?? 1_000,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(opts.holds === undefined ? {} : { holds: opts.holds }),
    postSync: opts.postSync ?? 'run',
  });
  if (run.failure === undefined) return ended(finish({ ...revision, phase: 'Succeeded', message: `synced ${comparison.revision.slice(0, 7)}: ${summarize(run.applied)}`, resources: run.resources }));
  const syncFail = await runHookPhase(ctx.kube, hooks, 'SyncFail', hookRun);
  const failNote = syncFail.outcomes.length === 0 ? '' : syncFail.failure === undefined ? '; SyncFail hooks ran' : `; ${syncFail.failure}`;
  return ended(finish({ ...revision, phase: 'Failed', message: `sync failed: ${run.failure}${failNote}`, resources: [...run.resources, ...hookResults(syncFail.outcomes)] }));
}

/**
 * The writes of a sync in their phases: PreSync hooks to completion (one that fails stops
 * everything else), the plan with each wave's Sync hooks (the wave waits for them), then,
 * unless deferred to a rollout, PostSync hooks once everything is Healthy.
 */
async function runPhases(
  ctx: SyncContext,
  comparison: Comparison,
  plan: SyncPlan,
  hooks: readonly Hook[],
  hookRun: HookRunOptions,
  opts: ExecuteOptions & { postSync: 'run' | 'defer' },
): Promise<{ applied: readonly ResourceOutcome[]; resources: ResourceOutcome[]; failure?: string }> {
  const pre = await runHookPhase(ctx.kube, hooks, 'PreSync', hookRun);
  if (pre.failure !== undefined) return { applied: [], resources: hookResults(pre.outcomes), failure: `${pre.failure}; nothing else was applied` };
  const syncHooks = hooks.filter((h) => h.phase === 'Sync');
  const syncOutcomes: HookOutcome[] = [];
  const { outcomes, failure } = await executePlan(ctx.kube, withHookWaves(plan, syncHooks), {
    ...opts,
    afterWave: async (wave) => {
      const result = await runHookPhase(ctx.kube, syncHooks.filter((h) => h.wave === wave), 'Sync', hookRun);
      syncOutcomes.push(...result.outcomes);
      return result.failure;
    },
  });
  const resources = [...hookResults(pre.outcomes), ...outcomes, ...hookResults(syncOutcomes)];
  if (failure !== undefined) return { applied: outcomes, resources, failure: `${failure} (${summarize(outcomes)})` };
  if (opts.postSync === 'defer' || !hooks.some((h) => h.phase === 'PostSync')) return { applied: outcomes, resources };
  const post = await runPostSync(ctx, comparison.desired, hooks, hookRun);
  resources.push(...hookResults(post.outcomes));
  return { applied: outcomes, resources, ...(post.failure === undefined ? {} : { failure: `${post.failure} (${summarize(outcomes)})` }) };
}

/**
 * PostSync hooks: once every object of the app is Healthy (Argo CD's rule), then the
 * hooks. A controller that paces a rollout calls this when the rollout has finished.
 */
export async function runPostSync(ctx: SyncContext, desired: readonly JsonObject[], hooks: readonly Hook[], hookRun: HookRunOptions): Promise<{ outcomes: readonly HookOutcome[]; failure?: string }> {
  const objects = desired.map((d) => ({ ref: refOf(d), key: keyOf(d) }));
  const unhealthy = await waitHealthy(ctx.kube, objects, {
    waveTimeoutMs: ctx.waveTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: ctx.pollIntervalMs ?? 1_000,
    sleep: hookRun.sleep,
  });
  if (unhealthy !== undefined) return { outcomes: [], failure: `PostSync hooks not run: ${unhealthy}` };
  return runHookPhase(ctx.kube, hooks, 'PostSync', hookRun);
}

/**
 * How this operation's hooks run: its identity — the app's unfinished operation of the same
 * revision when a crash left one (HookLedger.begin), else this one — the ledger, timing.
 */
export async function hookRunOptions(ctx: SyncContext, app: Application, revision: string, opts: Pick<SyncOptions, 'operation'> & { hooks: boolean }, now: () => Date): Promise<HookRunOptions> {
  const ledger = ctx.hookLedger ?? new MemoryHookLedger();
  const at = now().getTime();
  const wanted = { operation: opts.operation ?? `${app.name}-${at}`, revision, startedAt: at };
  // no hooks, no ledger round trip
  const { operation, startedAt } = opts.hooks ? await ledger.begin(app.name, wanted) : wanted;
  return {
    run: { revision, startedAt, operation },
    app: { namespace: app.namespace, name: app.name },
    ledger,
    timeoutMs: ctx.hookTimeoutMs ?? ctx.waveTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: ctx.pollIntervalMs ?? 1_000,
    sleep: abortableSleep(ctx.signal),
  };
}

/** The plan with an empty step for each Sync hook wave it has no step in, so every such wave is visited in order. */
function withHookWaves(plan: SyncPlan, syncHooks: readonly Hook[]): SyncPlan {
  const missing = [...new Set(syncHooks.map((h) => h.wave))].filter((w) => !plan.steps.some((s) => s.wave === w));
  if (missing.length === 0) return plan;
  const steps = [...plan.steps, ...missing.map((wave) => ({ wave, tasks: [] }))].sort((a, b) => a.wave - b.wave);
  return { ...plan, steps };
}

/** Hook outcomes as resource results: a hook that ran is `created`, one that failed `failed`, each saying its phase. */
function hookResults(outcomes: readonly HookOutcome[]): ResourceOutcome[] {
  return outcomes.map((o) => ({ key: o.key, action: o.status === 'Succeeded' ? 'created' : 'failed', message: `${o.phase} hook ${o.status === 'Succeeded' ? 'succeeded' : 'failed'}: ${o.message}` }));
}

/** The server's message (which names the object), and the fields it named when the message does not. */
function describeRejection(r: Rejection): string {
  const unnamed = r.fields.filter((f) => !r.message.includes(f));
  return unnamed.length === 0 ? r.message : `${r.message} (fields: ${unnamed.join(', ')})`;
}

/** `2 created, 1 configured, 5 unchanged`. */
function summarize(outcomes: readonly ResourceOutcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.action, (counts.get(o.action) ?? 0) + 1);
  return counts.size === 0 ? 'nothing to do' : [...counts].map(([action, n]) => `${n} ${action}`).join(', ');
}

/** CreateNamespace=true: the destination namespace, unless the app renders it itself. Untracked, so never pruned. */
async function ensureNamespace(ctx: SyncContext, namespace: string, desired: readonly JsonObject[]): Promise<string | undefined> {
  if (rendersNamespace(desired, namespace)) return undefined;
  try {
    if ((await ctx.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace })) === undefined) {
      await ctx.kube.create(plainNamespace(namespace));
    }
    return undefined;
  } catch (e) {
    if (isAbortError(e)) throw e;
    if (e instanceof KubeError && e.reason === 'AlreadyExists') return undefined;
    return `cannot create namespace ${namespace}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
