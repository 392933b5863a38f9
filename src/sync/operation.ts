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
import { executePlan } from './execute.ts';
import { planSync } from './plan.ts';
import { keyString } from './resource-key.ts';
import { admitApplication, describeViolations, objectViolations, rendersNamespace, type ProjectContext } from './project-gate.ts';
import type { Comparison, OperationResult, RenderFailure, ResourceOutcome, Trigger } from './types.ts';

export interface SyncContext extends CompareContext, ProjectContext {
  readonly waveTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
  /** The job's signal: once it fires the operation stops before its next request (an AbortError). */
  readonly signal?: AbortSignal;
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
    violations = await objectViolations(ctx, app, admitted.project, comparison.desired);
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
  const checked = await dryRunPlan(ctx.kube, plan, { ...writeOptions, ...(syncOptions.createNamespace ? { createNamespace: app.spec.destination.namespace } : {}) });
  if (checked.rejections.length > 0) {
    const { rejections } = checked;
    return finish({
      ...revision,
      // Error: the server could not check (unreachable, overloaded), which says nothing about the revision.
      phase: rejections.every((r) => r.transient) ? 'Error' : 'Failed',
      message: `the API server rejected ${rejections.length} of the writes (dry run); nothing was applied: ${rejections.map(describeRejection).join('; ')}`,
      resources: rejections.map((r) => ({ key: r.key, action: 'failed', message: describeRejection(r) })),
    });
  }
  base.warnings.push(...checked.createdNamespaces.map((ns) => `namespace ${ns} was created before the objects in it could be checked`));
  if (syncOptions.createNamespace) {
    const created = await ensureNamespace(ctx, app.spec.destination.namespace, comparison.desired);
    if (created !== undefined) return finish({ ...revision, phase: 'Failed', message: created, resources: [] });
  }
  const { outcomes, failure } = await executePlan(ctx.kube, plan, {
    ...writeOptions,
    waveTimeoutMs: ctx.waveTimeoutMs ?? 5 * 60_000,
    pollIntervalMs: ctx.pollIntervalMs ?? 1_000,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    ...(opts.holds === undefined ? {} : { holds: opts.holds }),
  });
  if (failure !== undefined) return finish({ ...revision, phase: 'Failed', message: `sync failed: ${failure} (${summarize(outcomes)})`, resources: outcomes });
  return finish({ ...revision, phase: 'Succeeded', message: `synced ${comparison.revision.slice(0, 7)}: ${summarize(outcomes)}`, resources: outcomes });
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
