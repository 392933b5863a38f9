/**
 * What the API needs of progressive rollouts, rollback and pins (src/rollout): a narrow
 * port, so the routes, role checks and tests stand without the rollout engine, and the
 * process wires the real one in. `notImplementedRollouts` answers 501 until it is wired.
 */
import type { RolloutView } from '../rollout/commands.ts';
import type { Principal } from './auth.ts';
import { ApiError } from './errors.ts';

/** docs/api.md's RolloutProgress and what an app summary shows of rollouts and pins: the rollout engine's own shapes. */
export type { RolloutProgress, RolloutView } from '../rollout/commands.ts';

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
