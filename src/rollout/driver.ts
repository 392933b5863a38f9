/**
 * The rollout driver: the thin adapter between the planner and the world. A look reads the
 * workloads, asks the planner, makes the pacing writes, and stores the result; on a failed
 * step it marks the revision bad and rolls the whole app back to the last healthy revision.
 * Nothing waits here: the caller schedules the next look (a delayed queue job) at
 * `nextLookAt`, and the watch wakes it sooner when a workload changes.
 *
 * Crash safety: the state is written before each consequence that depends on it (the bad
 * mark and RollingBack before the pause and the rollback's sync, `rollbackApplied` after it; the sync
 * itself is resumable, see Controller.rollbackSync), and every
 * write is idempotent (pausing a paused Deployment, a sync of an applied revision), so a
 * process killed anywhere is followed by a look that carries on from the stored state.
 */
import type { Application } from '../app/types.ts';
import type { KubeClient } from '../kube/client.ts';
import { keyString } from '../sync/resource-key.ts';
import type { Comparison, OperationResult } from '../sync/types.ts';
import { observeWorkload } from './observe.ts';
import { look, short, type LookResult } from './plan.ts';
import { isRolloutKind, workloadPolicy } from './policy.ts';
import type { RolloutEventType, RolloutStore } from './store.ts';
import { workloadKey, type PaceAction, type RolloutState, type WorkloadProgress, type WorkloadRef } from './types.ts';
import type { JsonObject } from '../json.ts';

export interface DriverContext {
  /** bound to the job's signal */
  readonly kube: KubeClient;
  readonly store: RolloutStore;
  readonly now: Date;
  /**
   * Syncs the whole app to a revision (the rollback), recorded in history by the caller:
   * its outcome, or `waiting` while it waits on the cluster (a wave's health, a hook) — a
   * later look carries it on from where it stood.
   */
  readonly syncTo: (revision: string) => Promise<RollbackSync>;
  /** Tells people (Kubernetes Events on the Application, the log). */
  readonly notify: (type: 'Normal' | 'Warning', reason: string, message: string) => Promise<void>;
}

export type RollbackSync = Pick<OperationResult, 'phase' | 'message'> | 'waiting';

/** A workload a sync is about to change the pod template of, and how it rolls. */
export interface RolloutCandidate {
  readonly ref: WorkloadRef;
  readonly key: string;
  readonly steps: readonly number[];
  /** the extra patch that keeps its controller from rolling before the driver lets it */
  readonly hold?: JsonObject;
}

/**
 * The workloads of a comparison whose pod template the sync will change (a new object has
 * no old pods to protect), minus `sluice.dev/rollout: skip`. A bad annotation is a problem.
 */
export function rolloutCandidates(app: Application, comparison: Comparison): { candidates: RolloutCandidate[]; problems: string[] } {
  const candidates: RolloutCandidate[] = [];
  const problems: string[] = [];
  for (const r of comparison.resources) {
    if (!isRolloutKind(r.key.kind) || r.desired === undefined || r.live === undefined || r.diff.status !== 'OutOfSync') continue;
    if (!r.diff.jsonPatch.some((op) => op.path === '/spec/template' || op.path.startsWith('/spec/template/'))) continue;
    const chosen = workloadPolicy(app.spec.rollout, r.desired);
    if ('problem' in chosen) {
      problems.push(`${keyString(r.key)}: ${chosen.problem}`);
      continue;
    }
    if (chosen.skip) continue;
    const ref = { kind: r.key.kind, namespace: r.key.namespace, name: r.key.name };
    const steps = chosen.policy.steps;
    candidates.push({ ref, key: keyString(r.key), steps, ...holdFor(ref.kind, steps, r.desired) });
  }
  return { candidates, problems };
}

/** Held from the first write when there are steps to pace: paused, or every pod behind the partition. */
function holdFor(kind: WorkloadRef['kind'], steps: readonly number[], desired: JsonObject): { hold?: JsonObject } {
  if (steps.length < 2) return {};
  if (kind === 'Deployment') return { hold: { spec: { paused: true } } };
  const spec = desired['spec'] as JsonObject | undefined;
  const strategy = spec?.['updateStrategy'] as JsonObject | undefined;
  if (kind === 'StatefulSet' && (strategy?.['type'] ?? 'RollingUpdate') === 'RollingUpdate') {
    const replicas = typeof spec?.['replicas'] === 'number' ? spec['replicas'] : 1;
    return { hold: { spec: { updateStrategy: { rollingUpdate: { partition: replicas } } } } };
  }
  return {};
}

export function newRollout(input: { id: string; app: Application; revision: string; fromRevision: string | undefined; candidates: readonly RolloutCandidate[]; promoted?: boolean; beforeWave?: number; now: Date }): RolloutState {
  const at = input.now.toISOString();
  const steps = Math.max(1, ...input.candidates.map((c) => c.steps.length));
  const workloads: WorkloadProgress[] = input.candidates.map((c) => ({ ...c.ref, steps: c.steps, desired: 0, updated: 0, ready: 0, available: 0, stepTarget: 0, maxSurge: 0, maxUnavailable: 0 }));
  return {
    id: input.id,
    app: input.app.name,
    phase: 'Progressing',
    revision: input.revision,
    ...(input.fromRevision === undefined ? {} : { fromRevision: input.fromRevision }),
    policy: input.app.spec.rollout,
    step: 0,
    steps,
    startedAt: at,
    stepStartedAt: at,
    held: false,
    promoted: input.promoted ?? false,
    message: `rolling out ${short(input.revision)}`,
    workloads,
    ...(input.beforeWave === undefined ? {} : { beforeWave: input.beforeWave }),
  };
}

/** One look at an active rollout: observe, plan, pace, store; on failure, roll back (or stop). */
export async function advance(ctx: DriverContext, state: RolloutState): Promise<LookResult> {
  if (state.phase === 'RollingBack' && state.rollbackApplied !== true) return rollBack(ctx, state, state.reason ?? state.message);
  const snapshots = new Map(await Promise.all(state.workloads.map(async (w) => [workloadKey(w), await observeWorkload(ctx.kube, w)] as const)));
  const result = look(state, snapshots, ctx.now);
  await Promise.all(result.actions.map((a) => pace(ctx.kube, a)));
  if (result.failure !== undefined) {
    if (state.phase === 'RollingBack') {
      const failed = { ...result.state, phase: 'Failed' as const, message: `rollback to ${short(state.fromRevision)} failed: ${result.failure}`, finishedAt: ctx.now.toISOString() };
      await save(ctx, failed, [['RollbackFailed', 'Warning']]);
      return { ...result, state: failed };
    }
    return fail(ctx, result.state, result.failure);
  }
  const next = result.state;
  const events: [RolloutEventType, Severity, string?][] = [];
  if (next.step > state.step) events.push(['StepPassed', 'Normal', `step ${state.step + 1}/${state.steps} passed; step ${next.step + 1} started`]);
  if (next.phase === 'Succeeded' && state.phase !== 'Succeeded') events.push(['Succeeded', 'Normal']);
  if (next.phase === 'RolledBack' && state.phase !== 'RolledBack') events.push(['RolledBack', 'Warning']);
  if (next.phase === 'Paused' && state.phase !== 'Paused') events.push(['Paused', 'Normal']);
  // the healthy revision first: a crash after it repeats a look that finds the rollout done again
  if (next.phase === 'Succeeded' && next.beforeWave === undefined) await ctx.store.setHealthyRevision(state.app, state.revision);
  await save(ctx, next, events);
  return result;
}

/** A failed step (or `abort`): mark the revision bad and roll back, unless autoRollback is off or there is nothing to go back to. */
export async function fail(ctx: DriverContext, state: RolloutState, reason: string): Promise<LookResult> {
  await ctx.store.markBad(state.app, state.revision);
  const to = state.fromRevision;
  if (!state.policy.autoRollback || to === undefined || to === state.revision) {
    const why = !state.policy.autoRollback ? 'autoRollback is off; the workloads stay where they stopped' : 'no earlier healthy revision in history to roll back to';
    const failed = { ...state, phase: 'Failed' as const, reason, message: `${reason}; ${why}`, finishedAt: ctx.now.toISOString() };
    await save(ctx, failed, [['Failed', 'Warning']]);
    return { state: failed, actions: [], failure: reason };
  }
  const rolling: RolloutState = { ...state, phase: 'RollingBack', reason, rollbackApplied: false, stepStartedAt: ctx.now.toISOString(), reachedAt: undefined, message: `${reason}; rolling back to ${short(to)}` };
  await save(ctx, rolling, [['RollbackStarted', 'Warning']]);
  // Stop the bad revision first: its controllers make no more new pods while the rollback's
  // sync compares, checks and applies (a full sync of the app, which takes a while). The
  // rollback's looks resume them once the old template is back.
  await Promise.all(stopActions(state.workloads).map((a) => pace(ctx.kube, a)));
  // The sync itself is the next look's (`advance` of a RollingBack state), which the caller
  // queues behind the looks: a look that finds a failure stays short, so when a fleet fails
  // at once no app's failing step waits for a worker busy with another app's whole sync.
  return { state: rolling, actions: [], failure: reason };
}

/** The writes that hold a failed rollout's Deployments where they stand (a StatefulSet is held by its partition already; a DaemonSet has no such switch). */
export function stopActions(workloads: readonly WorkloadRef[]): PaceAction[] {
  return workloads.flatMap((w): PaceAction[] => {
    const ref = { kind: w.kind, namespace: w.namespace, name: w.name };
    if (w.kind === 'Deployment') return [{ ref, action: 'pause' }];
    return [];
  });
}

async function rollBack(ctx: DriverContext, state: RolloutState, reason: string): Promise<LookResult> {
  const to = state.fromRevision!;
  const result = await ctx.syncTo(to);
  if (result === 'waiting') return { state, actions: [] };
  if (result.phase !== 'Succeeded') {
    const failed = { ...state, phase: 'Failed' as const, message: `${reason}; rollback to ${short(to)} failed: ${result.message}`, finishedAt: ctx.now.toISOString() };
    await save(ctx, failed, [['RollbackFailed', 'Warning']]);
    return { state: failed, actions: [], failure: failed.message };
  }
  const applied = { ...state, rollbackApplied: true };
  await ctx.store.set(applied);
  return advance(ctx, applied);
}

async function pace(kube: KubeClient, a: PaceAction): Promise<void> {
  const ref = { apiVersion: 'apps/v1', kind: a.ref.kind, namespace: a.ref.namespace, name: a.ref.name };
  const body: JsonObject = a.action === 'partition' ? { spec: { updateStrategy: { rollingUpdate: { partition: a.partition } } } } : { spec: { paused: a.action === 'pause' } };
  await kube.patch(ref, body, { type: 'merge' });
}

type Severity = 'Normal' | 'Warning';

/** Stores the state with its events (atomically), then tells people: Kubernetes Events are best effort. */
async function save(ctx: DriverContext, state: RolloutState, events: readonly (readonly [RolloutEventType, Severity, string?])[]): Promise<void> {
  await ctx.store.set(state, events.map(([type, , message]) => ({ type, revision: state.revision, message: message ?? state.message })), ctx.now);
  for (const [type, severity, message] of events) await ctx.notify(severity, `Rollout${type}`, message ?? state.message);
}
