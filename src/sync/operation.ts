/**
 * One sync operation, end to end: compare (git → render → diff), plan, and unless it is a
 * dry run, check every write with the API server (dry-run.ts) and execute. Render errors,
 * kinds the cluster does not serve, ownership conflicts and writes the server rejects stop
 * the operation before anything is applied: a bad commit changes nothing.
 *
 * Waiting (a wave's health, a hook) happens in place (`waits: 'poll'`, the CLI) or not at all
 * (`waits: 'yield'`, the controller): the operation then returns `SyncSuspended`, its
 * position (stage, wave, what it did so far), and the caller persists it and runs the
 * operation again later with `resume`, under the same operation id. Every step is
 * idempotent (a synced object is not written again, a hook is found by its operation and
 * its outcome in the ledger), so running a stage again only carries it on.
 */
import type { Application } from '../app/types.ts';
import type { JsonObject } from '../json.ts';
import { GitError } from '../git/index.ts';
import { KubeError } from '../kube/errors.ts';
import { isAbortError } from '../kube/transport.ts';
import { compareApp, confirmLive, ignoreRules, isRenderFailure, type CompareContext } from './compare.ts';
import { bounded, MAX_RESOURCE_MESSAGE_CHARS } from '../bounded.ts';
import { dryRunPlan, plainNamespace, type Rejection } from './dry-run.ts';
import { abortableSleep, executePlan, healthGate, type ExecuteOptions, type Gate, type WaitMode } from './execute.ts';
import { MemoryHookLedger, runHookPhase, type HookLedger, type HookOutcome, type HookRunOptions, type PhaseResult } from './hook-run.ts';
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
  /** The clock a suspended operation's waits are timed by (the cluster's; default `now`). */
  readonly waitClock?: () => Date;
}

export const SYNC_STAGES = ['PreSync', 'Waves', 'PostSync', 'SyncFail'] as const;
export type SyncStage = (typeof SYNC_STAGES)[number];

/** Where a suspended sync operation stands: what the caller persists and passes back as `resume`. */
export interface SyncPosition {
  readonly stage: SyncStage;
  /** Waves: the wave whose gate (its Sync hooks, then its health) is not passed yet; earlier waves are done */
  readonly wave?: number;
  /** when the operation began waiting at this stage and wave (the wait clock, ISO): past the stage's limit it fails */
  readonly since: string;
  /** the operation's first start */
  readonly startedAt: string;
  /** what its earlier runs wrote and which hooks finished */
  readonly resources: readonly ResourceOutcome[];
  /** SyncFail: why the sync failed (its SyncFail hooks run) */
  readonly failure?: string;
  /**
   * Waves: the workloads (by keyString) an earlier wave applied held, whose rollout must
   * finish before `wave` starts. The caller drives that rollout and resumes the operation
   * without this (and with a new `since`) once it has succeeded.
   */
  readonly rollout?: readonly string[];
}

/** A sync in yield mode that must wait: nothing more to do until the cluster moves. */
export interface SyncSuspended {
  readonly app: string;
  readonly revision: string;
  readonly position: SyncPosition;
  /** what it waits for */
  readonly message: string;
  /** the kinds of the app's objects and hooks: what a watch must cover to wake it */
  readonly kinds: readonly string[];
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
  /** `yield`: never wait in place; return SyncSuspended instead (see the file's comment). */
  readonly waits?: WaitMode;
  /** Carry on a suspended operation from where it stood (with the same `operation` and revision). */
  readonly resume?: SyncPosition;
}

/** `compared`: a comparison the caller already made for this revision (a controller compares before deciding to sync). */
export async function syncApp(unbound: SyncContext, app: Application, opts: SyncOptions & { readonly waits?: 'poll' }, compared?: Comparison | RenderFailure): Promise<OperationResult>;
export async function syncApp(unbound: SyncContext, app: Application, opts: SyncOptions, compared?: Comparison | RenderFailure): Promise<OperationResult | SyncSuspended>;
export async function syncApp(unbound: SyncContext, app: Application, opts: SyncOptions, compared?: Comparison | RenderFailure): Promise<OperationResult | SyncSuspended> {
  const ctx = unbound.signal === undefined ? unbound : { ...unbound, kube: unbound.kube.withSignal(unbound.signal) };
  const now = ctx.now ?? (() => new Date());
  const { resume } = opts;
  const startedAt = resume?.startedAt ?? now().toISOString();
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
  const before = resume?.resources ?? [];
  const waitNow = ctx.waitClock ?? now;
  const suspend = (stage: SyncStage, message: string, resources: readonly ResourceOutcome[], more: Pick<SyncPosition, 'wave' | 'failure' | 'rollout'> = {}): SyncSuspended => {
    const since = resume !== undefined && resume.stage === stage && resume.wave === more.wave ? resume.since : waitNow().toISOString();
    return { app: app.name, revision: comparison.revision, message, kinds: comparison.kinds, position: { stage, ...more, since, startedAt, resources: merged(before, resources) } };
  };
  // Past the stage's limit, waiting is failing (what waiting in place does at its deadline).
  const overdue = (stage: SyncStage, wave: number | undefined): string | undefined => {
    if (resume === undefined || resume.stage !== stage || resume.wave !== wave) return undefined;
    const limit = stage === 'Waves' ? (ctx.waveTimeoutMs ?? 5 * 60_000) : hookRun.timeoutMs;
    return waitNow().getTime() - Date.parse(resume.since) >= limit ? `still waiting after ${Math.round(limit / 1000)} s` : undefined;
  };
  const failed = async (failure: string, resources: readonly ResourceOutcome[]): Promise<OperationResult | SyncSuspended> => {
    const syncFail = await runHookPhase(ctx.kube, hooks, 'SyncFail', hookRun);
    const late = overdue('SyncFail', undefined);
    if (syncFail.waiting !== undefined && late === undefined) return suspend('SyncFail', syncFail.waiting, resources, { failure });
    const failNote = late !== undefined ? `; SyncFail hooks ${late}: ${syncFail.waiting}` : syncFail.outcomes.length === 0 ? '' : syncFail.failure === undefined ? '; SyncFail hooks ran' : `; ${syncFail.failure}`;
    return ended(finish({ ...revision, phase: 'Failed', message: `sync failed: ${failure}${failNote}`, resources: merged(before, [...resources, ...hookResults(syncFail.outcomes)]) }));
  };
  // The operation is over (not merely stopped: an abort throws past this): its hooks are not taken over by the next sync.
  const ended = async (result: OperationResult): Promise<OperationResult> => {
    if (hooks.length > 0) await hookRun.ledger.end(app.name, hookRun.run.operation);
    return result;
  };
  if (resume?.stage === 'SyncFail') return failed(resume.failure ?? 'unknown failure', []);
  // a resumed operation runs only the waves it has not passed; its first run checked them all (same revision)
  const rest = remaining(plan, resume);
  const checked = resume !== undefined ? { rejections: [], createdNamespaces: [] } : await dryRunPlan(ctx.kube, rest, { ...writeOptions, creates: hookCreates, ...(syncOptions.createNamespace ? { createNamespace: app.spec.destination.namespace } : {}) });
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
  const run = await runPhases(ctx, comparison, rest, hooks, hookRun, {
    ...writeOptions,
    waveTimeoutMs: ctx.waveTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: ctx.pollIntervalMs ?? 1_000,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(opts.holds === undefined ? {} : { holds: opts.holds }),
    ...(opts.waits === undefined ? {} : { waits: opts.waits }),
    postSync: opts.postSync ?? 'run',
    from: resume?.stage ?? 'PreSync',
  });
  if (run.waiting !== undefined) {
    const late = overdue(run.waiting.stage, run.waiting.wave);
    const where = run.waiting.stage === 'Waves' ? `wave ${run.waiting.wave}` : `${run.waiting.stage} hooks`;
    if (late === undefined) return suspend(run.waiting.stage, `${where}: ${run.waiting.message}`, run.resources, { ...(run.waiting.wave === undefined ? {} : { wave: run.waiting.wave }), ...(run.waiting.rollout === undefined ? {} : { rollout: run.waiting.rollout }) });
    return failed(`${where} ${late}: ${run.waiting.message} (${summarize(run.applied)})`, run.resources);
  }
  if (run.failure === undefined) {
    const resources = merged(before, run.resources);
    return ended(finish({ ...revision, phase: 'Succeeded', message: `synced ${comparison.revision.slice(0, 7)}: ${summarize(resources.filter((r) => hookPhaseOf(r) === undefined))}`, resources }));
  }
  return failed(run.failure, run.resources);
}

/** The plan without the waves a resumed operation has passed (none left once it is past the waves). */
function remaining(plan: SyncPlan, resume: SyncPosition | undefined): SyncPlan {
  if (resume === undefined || resume.stage === 'PreSync') return plan;
  if (resume.stage !== 'Waves') return { ...plan, steps: [] };
  return { ...plan, steps: plan.steps.filter((s) => s.wave >= (resume.wave ?? -Infinity)) };
}

/**
 * What an operation did over several runs: a later outcome of an object replaces the earlier
 * one, except that finding it unchanged (the earlier run wrote it) keeps what that run did.
 */
function merged(earlier: readonly ResourceOutcome[], later: readonly ResourceOutcome[]): ResourceOutcome[] {
  // a hook object may run in two phases: one outcome each
  const id = (o: ResourceOutcome): string => `${keyString(o.key)}|${hookPhaseOf(o) ?? ''}`;
  const byKey = new Map(earlier.map((o) => [id(o), o]));
  for (const o of later) if (!(o.action === 'unchanged' && byKey.has(id(o)))) byKey.set(id(o), o);
  return [...byKey.values()];
}

/** The phase of a hook's result (see hookResults); undefined for an object's. */
function hookPhaseOf(outcome: ResourceOutcome): string | undefined {
  return /^(PreSync|Sync|PostSync|SyncFail) hook (succeeded|failed): /.exec(outcome.message ?? '')?.[1];
}

/** What runPhases did, and where it stopped: failed, or (yield mode) waiting at a stage. */
interface PhasesRun {
  readonly applied: readonly ResourceOutcome[];
  readonly resources: ResourceOutcome[];
  readonly failure?: string;
  readonly waiting?: { readonly stage: Exclude<SyncStage, 'SyncFail'>; readonly wave?: number; readonly message: string; readonly rollout?: readonly string[] };
}

/**
 * The writes of a sync in their phases, from stage `from` on: PreSync hooks to completion
 * (one that fails stops everything else), the plan with each wave's Sync hooks (the wave
 * waits for them), then, unless deferred to a rollout, PostSync hooks once everything is Healthy.
 */
async function runPhases(
  ctx: SyncContext,
  comparison: Comparison,
  plan: SyncPlan,
  hooks: readonly Hook[],
  hookRun: HookRunOptions,
  opts: ExecuteOptions & { postSync: 'run' | 'defer'; from: SyncStage },
): Promise<PhasesRun> {
  const pre: PhaseResult = opts.from === 'PreSync' ? await runHookPhase(ctx.kube, hooks, 'PreSync', hookRun) : { outcomes: [] };
  if (pre.waiting !== undefined) return { applied: [], resources: hookResults(pre.outcomes), waiting: { stage: 'PreSync', message: pre.waiting } };
  if (pre.failure !== undefined) return { applied: [], resources: hookResults(pre.outcomes), failure: `${pre.failure}; nothing else was applied` };
  const syncHooks = hooks.filter((h) => h.phase === 'Sync');
  const syncOutcomes: HookOutcome[] = [];
  const { outcomes, failure, waiting } = await executePlan(ctx.kube, withHookWaves(plan, syncHooks), {
    ...opts,
    afterWave: async (wave) => {
      const result = await runHookPhase(ctx.kube, syncHooks.filter((h) => h.wave === wave), 'Sync', hookRun);
      syncOutcomes.push(...result.outcomes);
      return gateOf(result);
    },
  });
  const resources = [...hookResults(pre.outcomes), ...outcomes, ...hookResults(syncOutcomes)];
  if (waiting !== undefined) return { applied: outcomes, resources, waiting: { stage: 'Waves', ...waiting } };
  if (failure !== undefined) return { applied: outcomes, resources, failure: `${failure} (${summarize(outcomes)})` };
  if (opts.postSync === 'defer' || !hooks.some((h) => h.phase === 'PostSync')) return { applied: outcomes, resources };
  const post = await runPostSync(ctx, comparison.desired, hooks, hookRun);
  resources.push(...hookResults(post.outcomes));
  if (post.waiting !== undefined) return { applied: outcomes, resources, waiting: { stage: 'PostSync', message: post.waiting } };
  return { applied: outcomes, resources, ...(post.failure === undefined ? {} : { failure: `${post.failure} (${summarize(outcomes)})` }) };
}

/** A hook phase's result as a gate of the executor. */
function gateOf(result: PhaseResult): Gate {
  return result.failure !== undefined ? { failure: result.failure } : result.waiting !== undefined ? { waiting: result.waiting } : undefined;
}

/**
 * PostSync hooks: once every object of the app is Healthy (Argo CD's rule), then the
 * hooks. A controller that paces a rollout calls this when the rollout has finished.
 */
export async function runPostSync(ctx: SyncContext, desired: readonly JsonObject[], hooks: readonly Hook[], hookRun: HookRunOptions): Promise<PhaseResult> {
  const objects = desired.map((d) => ({ ref: refOf(d), key: keyOf(d) }));
  const health = await healthGate(ctx.kube, objects, {
    waveTimeoutMs: ctx.waveTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: ctx.pollIntervalMs ?? 1_000,
    sleep: hookRun.sleep,
    ...(hookRun.waits === undefined ? {} : { waits: hookRun.waits }),
  });
  if (health !== undefined) return 'failure' in health ? { outcomes: [], failure: `PostSync hooks not run: ${health.failure}` } : { outcomes: [], waiting: `waiting for health: ${health.waiting}` };
  return runHookPhase(ctx.kube, hooks, 'PostSync', hookRun);
}

/**
 * How this operation's hooks run: its identity — the app's unfinished operation of the same
 * revision when a crash left one (HookLedger.begin), else this one — the ledger, timing.
 */
export async function hookRunOptions(ctx: SyncContext, app: Application, revision: string, opts: Pick<SyncOptions, 'operation' | 'waits'> & { hooks: boolean }, now: () => Date): Promise<HookRunOptions> {
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
    ...(opts.waits === undefined ? {} : { waits: opts.waits }),
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
