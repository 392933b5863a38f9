/** Every Redis key and BullMQ name the queue uses, in one place. */

export const DEFAULT_PREFIX = 'sluice';
export const QUEUE_NAME = 'ops';

export interface KeyOptions {
  /** Key prefix; tests use their own so runs never meet. Default 'sluice'. */
  readonly prefix?: string;
}

export function keys(options: KeyOptions = {}) {
  const p = options.prefix ?? DEFAULT_PREFIX;
  return {
    /** BullMQ's prefix option: its keys become `<p>:ops:…` */
    bullPrefix: p,
    /** the newest sync request not yet taken by a job (JSON) */
    pendingSync: (app: string) => `${p}:req:pending:${app}`,
    /** the request a running (or crashed) job took, with its job id (JSON) */
    inflightSync: (app: string) => `${p}:req:inflight:${app}`,
    /** per-app operation lock: a random token, PX */
    appLock: (app: string) => `${p}:lock:${app}`,
    /** who polls an app this round: SET NX PX interval */
    pollTurn: (app: string) => `${p}:poll:${app}`,
    /** the app's current or last rollout (JSON RolloutState, src/rollout) */
    rollout: (app: string) => `${p}:rollout:${app}`,
    /** the app's rollout events, newest first (JSON lines, capped) */
    rolloutEvents: (app: string) => `${p}:rollout-events:${app}`,
    /** the last revision the app ran Healthy: what an automatic rollback returns to */
    healthyRevision: (app: string) => `${p}:healthy:${app}`,
    /** revisions auto-sync will not apply again (a SET) */
    badRevisions: (app: string) => `${p}:bad:${app}`,
    /** requests to a running rollout (a HASH: promote, pause, abort → the rollout's id) */
    rolloutControl: (app: string) => `${p}:rollout-control:${app}`,
    /** a manual rollback's pin (JSON) */
    pin: (app: string) => `${p}:pin:${app}`,
    /** BullMQ deduplication id of an app's job of one kind */
    dedupId: (kind: string, app: string) => `${kind}:${app}`,
  };
}
export type Keys = ReturnType<typeof keys>;
