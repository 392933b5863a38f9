/**
 * What the API needs of progressive rollouts, rollback and pins (src/rollout): a narrow
 * port, so the routes, role checks and tests stand without the rollout engine, and the
 * process wires the real one in. `notImplementedRollouts` answers 501 until it is wired.
 */
import type { Principal } from './auth.ts';
import { ApiError } from './errors.ts';

export const ROLLOUT_PHASES = ['Progressing', 'Paused', 'Succeeded', 'Failed', 'RollingBack', 'RolledBack', 'Aborted'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** docs/api.md's RolloutProgress. */
export interface RolloutProgress {
  readonly phase: RolloutPhase;
  readonly revision: string;
  readonly fromRevision?: string;
  readonly step: number;
  readonly steps: number;
  readonly message: string;
  readonly startedAt: string;
  readonly workloads: readonly {
    readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
    readonly namespace: string;
    readonly name: string;
    readonly desired: number;
    readonly updated: number;
    readonly ready: number;
    readonly available: number;
    readonly stepTarget: number;
    readonly maxSurge: number;
    readonly maxUnavailable: number;
    readonly holdUntil?: string;
    readonly message?: string;
    readonly failingPod?: { readonly name: string; readonly reason: string; readonly lastState?: string; readonly restarts: number };
  }[];
}

/** What an app summary shows of rollouts and pins. */
export interface RolloutView {
  readonly pinned?: { readonly revision: string; readonly since: string; readonly by?: string };
  readonly badRevisions: readonly string[];
  readonly rollout?: RolloutProgress;
}

export const ROLLOUT_ACTIONS = ['promote', 'abort', 'pause', 'resume'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export interface OperationAccepted {
  readonly jobId?: string;
  readonly message: string;
}

export interface RolloutOperations {
  /** The view of each app that has one, in one round trip to wherever it is kept (the apps list reads a page at once). */
  views(apps: readonly string[]): Promise<ReadonlyMap<string, RolloutView>>;
  /** `to`: a history id or a revision. Pins the app there. */
  rollback(app: string, to: string, by: Principal): Promise<OperationAccepted>;
  pin(app: string, revision: string, by: Principal): Promise<OperationAccepted>;
  unpin(app: string, by: Principal): Promise<OperationAccepted>;
  /** Throws ApiError('Conflict') when no rollout of the app runs. */
  rollout(app: string, action: RolloutAction, by: Principal): Promise<OperationAccepted>;
}

/** Until the rollout engine is wired into the process: reads show nothing, operations answer 501. */
export function notImplementedRollouts(): RolloutOperations {
  const refuse = (what: string) => Promise.reject(new ApiError('NotImplemented', `${what} is not available in this build of the server yet`));
  return {
    views: () => Promise.resolve(new Map()),
    rollback: () => refuse('rollback'),
    pin: () => refuse('pin'),
    unpin: () => refuse('unpin'),
    rollout: (_app, action) => refuse(`rollout ${action}`),
  };
}
