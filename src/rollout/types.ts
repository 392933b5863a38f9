/**
 * A rollout as Sluice persists it (one per app, in Redis) and as the API shows it
 * (`RolloutProgress` in docs/api.md), and what the planner reads of the cluster. Plain,
 * JSON-serialisable data.
 */
import type { RolloutPolicy } from '../app/types.ts';
import type { RolloutKind } from './policy.ts';

export const ROLLOUT_PHASES = ['Progressing', 'Paused', 'Succeeded', 'Failed', 'RollingBack', 'RolledBack', 'Aborted'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** Phases that still need the driver; the others are final. */
export function isActivePhase(phase: RolloutPhase): boolean {
  return phase === 'Progressing' || phase === 'Paused' || phase === 'RollingBack';
}

export interface WorkloadRef {
  readonly kind: RolloutKind;
  readonly namespace: string;
  readonly name: string;
}

export interface FailingPod {
  readonly name: string;
  readonly reason: string;
  readonly lastState?: string;
  readonly restarts: number;
}

/** One workload's part of a rollout: `RolloutProgress.workloads[]` of docs/api.md, plus its steps. */
export interface WorkloadProgress extends WorkloadRef {
  /** percent of pods on the new revision at each step (the app's, or the workload's annotation) */
  readonly steps: readonly number[];
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly stepTarget: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly holdUntil?: string;
  readonly message?: string;
  readonly failingPod?: FailingPod;
}

/** The persisted operation: everything a restarted (or another) process needs to carry on. */
export interface RolloutState {
  /** the id of the operation (the queue job that started it) */
  readonly id: string;
  readonly app: string;
  readonly phase: RolloutPhase;
  /** what is being rolled out (during RollingBack: the bad revision) */
  readonly revision: string;
  /** the last healthy revision: what a rollback returns to */
  readonly fromRevision?: string;
  readonly policy: RolloutPolicy;
  /** 0-based index of the current step */
  readonly step: number;
  readonly steps: number;
  readonly startedAt: string;
  readonly stepStartedAt: string;
  /** when every workload first met the current step's target (readiness must hold from here for stepHold) */
  readonly reachedAt?: string;
  /** held by `sluice rollout pause` */
  readonly held: boolean;
  /** `sluice rollout promote`: the remaining holds are skipped */
  readonly promoted: boolean;
  readonly message: string;
  /** why the rollout failed or was aborted (kept through the rollback) */
  readonly reason?: string;
  /** RollingBack: the sync to fromRevision is done (a restart then only waits for health) */
  readonly rollbackApplied?: boolean;
  readonly workloads: readonly WorkloadProgress[];
  readonly finishedAt?: string;
  /**
   * Paces workloads an earlier wave of its sync applied: the sync goes on with wave
   * `beforeWave` once this has succeeded. Absent: the rollout of the sync's end. Until the
   * sync has ended, a success is not the revision's: no healthy mark, no PostSync hooks.
   */
  readonly beforeWave?: number;
}

/** One pod of a workload as the planner judges it. */
export interface PodView {
  readonly name: string;
  /** runs the workload's new revision */
  readonly current: boolean;
  readonly ready: boolean;
  readonly terminating: boolean;
  /** since when it has not been Ready (its creation, or the Ready condition's last transition) */
  readonly notReadySince?: string;
  readonly restarts: number;
  /** a container's waiting reason (CrashLoopBackOff, ImagePullBackOff …), if any */
  readonly waitingReason?: string;
  /** the last termination's reason (OOMKilled, Error …), if any */
  readonly lastTerminationReason?: string;
}

/** A workload as read from the cluster for one look. */
export interface WorkloadSnapshot extends WorkloadRef {
  readonly exists: boolean;
  readonly desired: number;
  /** the controller is held: Deployment spec.paused; StatefulSet a partition above 0 */
  readonly held: boolean;
  /** pods the controller has been let put on the new revision (new ReplicaSet's replicas; replicas - partition) */
  readonly allowedNew: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly pods: readonly PodView[];
}

/** A write the driver makes to pace a workload's own controller. */
export type PaceAction =
  | { readonly ref: WorkloadRef; readonly action: 'pause' | 'resume' }
  | { readonly ref: WorkloadRef; readonly action: 'partition'; readonly partition: number };

export function workloadKey(ref: WorkloadRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** How long a finished rollout took, start to final phase (cluster time); 0 while it runs. */
export function rolloutDurationMs(state: Pick<RolloutState, 'startedAt' | 'finishedAt'>): number {
  return state.finishedAt === undefined ? 0 : Math.max(0, Date.parse(state.finishedAt) - Date.parse(state.startedAt));
}
