/**
 * The rollout planner, pure: given the persisted rollout, what each workload looks like now
 * and the time, it says what the rollout has become, which writes pace the workloads' own
 * controllers (pause/resume a Deployment, move a StatefulSet's partition), and when to look
 * again. No I/O, no clock: `now` comes in.
 *
 * A step of p % aims at ceil(p % of the replicas) pods on the new revision (all of them at
 * 100 %). The workload's controller moves pods within its own maxSurge/maxUnavailable; a
 * Deployment is paused once its new ReplicaSet may hold the step's count (the controller
 * may have gone up to maxSurge past it in its last move), and resumed for the next step. A
 * step passes when every workload has its target of new pods Ready and they stay so for
 * stepHold; it fails when a new pod breaks the failure budget or the step runs past the
 * progress deadline.
 */
import { isStuckWaitingReason } from '../health/pod.ts';
import type { RolloutPolicy } from '../app/types.ts';
import { workloadKey, type PaceAction, type PodView, type RolloutState, type WorkloadProgress, type WorkloadSnapshot } from './types.ts';

export interface LookResult {
  readonly state: RolloutState;
  readonly actions: readonly PaceAction[];
  /** when to look again at the latest (the watch may wake the driver sooner); absent when nothing is timed */
  readonly nextLookAt?: string;
  /** the step failed (or, while rolling back, the rollback did): why, in words a person can act on */
  readonly failure?: string;
}

/** Pods on the new revision a step of `percent` aims for. */
export function stepTarget(desired: number, percent: number): number {
  if (percent >= 100) return desired;
  return Math.min(desired, Math.max(1, Math.ceil((desired * percent) / 100)));
}

/** `45 s`, `2m 5s`: how long, in words. */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

interface WorkloadLook {
  readonly progress: WorkloadProgress;
  readonly met: boolean;
  readonly action?: PaceAction;
  readonly failure?: string;
  readonly timers: readonly number[];
}

export function look(asStored: RolloutState, snapshots: ReadonlyMap<string, WorkloadSnapshot>, now: Date): LookResult {
  if (asStored.phase !== 'Progressing' && asStored.phase !== 'Paused' && asStored.phase !== 'RollingBack') return { state: asStored, actions: [] };
  // resumed: progressing again (a request to pause sets Paused again below)
  const state: RolloutState = asStored.phase === 'Paused' && !asStored.held ? { ...asStored, phase: 'Progressing' } : asStored;
  const rollingBack = state.phase === 'RollingBack';
  const nowMs = now.getTime();
  const stepStart = Date.parse(state.stepStartedAt);
  const looks = state.workloads.map((w) => lookAtWorkload(w, snapshots.get(workloadKey(w)), state, rollingBack, nowMs));
  const workloads = looks.map((l) => l.progress);
  const actions = looks.flatMap((l) => (l.action === undefined ? [] : [l.action]));
  const stepLabel = rollingBack ? `rollback to ${short(state.fromRevision)}` : `step ${state.step + 1}/${state.steps}`;

  const failure = looks.find((l) => l.failure !== undefined)?.failure ?? deadlineFailure(looks, state, stepStart, nowMs, stepLabel);
  if (failure !== undefined) {
    return { state: { ...state, workloads, reachedAt: undefined, message: failure }, actions: rollingBack ? actions : [], failure };
  }
  const deadline = stepStart + state.policy.progressDeadlineMs;
  if (!looks.every((l) => l.met)) {
    const waiting = looks.filter((l) => !l.met).map((l) => l.progress.message ?? l.progress.name);
    const next = Math.min(deadline, ...looks.flatMap((l) => l.timers));
    return { state: { ...state, workloads, reachedAt: undefined, message: `${stepLabel}: ${waiting.join('; ')}` }, actions, nextLookAt: new Date(next).toISOString() };
  }

  const reachedAt = state.reachedAt ?? now.toISOString();
  const holdMs = rollingBack || state.promoted ? 0 : state.policy.stepHoldMs;
  const holdUntil = Date.parse(reachedAt) + holdMs;
  const final = rollingBack || state.step >= state.steps - 1;
  // paused by request: the step's pods stay as they are, its hold goes on counting
  if (state.held && !rollingBack && !final) {
    return { state: { ...state, workloads, reachedAt, phase: 'Paused', message: `paused at step ${state.step + 1}/${state.steps}` }, actions };
  }
  if (nowMs < holdUntil) {
    const held = workloads.map((w) => ({ ...w, holdUntil: new Date(holdUntil).toISOString() }));
    return { state: { ...state, workloads: held, reachedAt, message: `${stepLabel}: holding until ${new Date(holdUntil).toISOString()}` }, actions, nextLookAt: new Date(holdUntil).toISOString() };
  }
  if (final) {
    const phase = rollingBack ? 'RolledBack' : 'Succeeded';
    const message = rollingBack ? `${state.reason ?? 'rollback'}; rolled back to ${short(state.fromRevision)}` : `rolled out ${short(state.revision)} in ${state.steps} step${state.steps === 1 ? '' : 's'}`;
    return { state: { ...state, workloads, reachedAt, phase, message, finishedAt: now.toISOString() }, actions };
  }
  // the next step starts now, from the same view of the cluster
  return look({ ...state, phase: 'Progressing', step: state.step + 1, stepStartedAt: now.toISOString(), reachedAt: undefined, workloads }, snapshots, now);
}

function lookAtWorkload(w: WorkloadProgress, snap: WorkloadSnapshot | undefined, state: RolloutState, rollingBack: boolean, nowMs: number): WorkloadLook {
  if (snap === undefined || !snap.exists) {
    return { progress: { ...w, message: `${w.name}: the ${w.kind} is gone` }, met: false, failure: `${w.name}: the ${w.kind} was deleted during the rollout`, timers: [] };
  }
  const percent = rollingBack ? 100 : (w.steps[Math.min(state.step, w.steps.length - 1)] ?? 100);
  const target = stepTarget(snap.desired, percent);
  const live = snap.pods.filter((p) => !p.terminating);
  const newReady = live.filter((p) => p.current && p.ready).length;
  const old = live.filter((p) => !p.current).length;
  const met = percent >= 100 ? newReady >= snap.desired && old === 0 && snap.updated >= snap.desired && snap.available >= snap.desired : newReady >= target;
  const budget = judgePods(live, state.policy, nowMs);
  const progress: WorkloadProgress = {
    ...w,
    desired: snap.desired,
    updated: snap.updated,
    ready: snap.ready,
    available: snap.available,
    stepTarget: target,
    maxSurge: snap.maxSurge,
    maxUnavailable: snap.maxUnavailable,
    holdUntil: undefined,
    message: met ? `${w.name}: ${newReady}/${snap.desired} new pods Ready` : `${w.name}: ${newReady}/${target} new pods Ready${old > 0 ? `, ${old} old` : ''}`,
    failingPod: budget.failing[0]?.pod,
  };
  const failure = budget.failing.length === 0 ? undefined : budgetMessage(w.name, budget.failing, snap.desired, nowMs - Date.parse(state.stepStartedAt));
  return { progress, met, failure, timers: budget.timers, ...paceAction(snap, target, percent >= 100) };
}

/** The write that keeps a workload's controller at the step's count, if one is needed. */
function paceAction(snap: WorkloadSnapshot, target: number, final: boolean): { action?: PaceAction } {
  const ref = { kind: snap.kind, namespace: snap.namespace, name: snap.name };
  if (snap.kind === 'Deployment') {
    const hold = !final && snap.allowedNew >= target;
    if (hold && !snap.held) return { action: { ref, action: 'pause' } };
    if (!hold && snap.held) return { action: { ref, action: 'resume' } };
    return {};
  }
  if (snap.kind === 'StatefulSet') {
    const partition = final ? 0 : snap.desired - target;
    return snap.desired - snap.allowedNew === partition ? {} : { action: { ref, action: 'partition', partition } };
  }
  return {};
}

interface PodFailure {
  readonly pod: { name: string; reason: string; lastState?: string; restarts: number };
  readonly since: number;
}

/**
 * The failure budget over a workload's new pods: restarted more than `restarts` times (or
 * crash-looping / OOM-killed with `restarts` used up), stuck in a waiting state that does
 * not clear by itself (image pull, bad config), or not Ready for longer than `notReadyFor`.
 * `timers`: when a pod not Ready now would break the budget.
 */
export function judgePods(pods: readonly PodView[], policy: RolloutPolicy, nowMs: number): { failing: PodFailure[]; timers: number[] } {
  const failing: PodFailure[] = [];
  const timers: number[] = [];
  const { restarts, notReadyForMs } = policy.failure;
  for (const p of pods) {
    if (!p.current || p.terminating) continue;
    const crashing = p.waitingReason === 'CrashLoopBackOff' || p.lastTerminationReason === 'OOMKilled';
    const stuck = p.waitingReason !== undefined && p.waitingReason !== 'CrashLoopBackOff' && isStuckWaitingReason(p.waitingReason);
    const notReadySince = p.ready || p.notReadySince === undefined ? undefined : Date.parse(p.notReadySince);
    const base = { name: p.name, restarts: p.restarts, ...(p.lastTerminationReason === undefined ? {} : { lastState: p.lastTerminationReason }) };
    if (p.restarts > restarts || (crashing && p.restarts >= restarts) || stuck) {
      failing.push({ pod: { ...base, reason: p.waitingReason ?? p.lastTerminationReason ?? 'restarting' }, since: notReadySince ?? nowMs });
    } else if (notReadySince !== undefined && nowMs - notReadySince > notReadyForMs) {
      failing.push({ pod: { ...base, reason: p.waitingReason ?? 'not Ready' }, since: notReadySince });
    } else if (notReadySince !== undefined) {
      timers.push(notReadySince + notReadyForMs + 1);
    }
  }
  return { failing, timers };
}

/** `web: 3/10 new pods CrashLoopBackOff after 45 s`: the most common reason, counted. */
function budgetMessage(name: string, failing: readonly PodFailure[], desired: number, elapsedMs: number): string {
  const byReason = new Map<string, number>();
  for (const f of failing) byReason.set(f.pod.reason, (byReason.get(f.pod.reason) ?? 0) + 1);
  const [reason, count] = [...byReason].sort((a, b) => b[1] - a[1])[0]!;
  const first = failing.find((f) => f.pod.reason === reason)!.pod;
  const detail = first.restarts > 0 ? ` (${first.name}: ${first.restarts} restart${first.restarts === 1 ? '' : 's'}${first.lastState ? `, last ${first.lastState}` : ''})` : '';
  return `${name}: ${count}/${desired} new pod${desired === 1 ? '' : 's'} ${reason} after ${formatSeconds(elapsedMs)}${detail}`;
}

function deadlineFailure(looks: readonly WorkloadLook[], state: RolloutState, stepStart: number, nowMs: number, stepLabel: string): string | undefined {
  if (looks.every((l) => l.met) || nowMs <= stepStart + state.policy.progressDeadlineMs) return undefined;
  const waiting = looks.filter((l) => !l.met).map((l) => l.progress.message ?? l.progress.name);
  return `${stepLabel} not done after ${formatSeconds(state.policy.progressDeadlineMs)}: ${waiting.join('; ')}`;
}

export function short(revision: string | undefined): string {
  return revision === undefined ? '?' : revision.slice(0, 7);
}
