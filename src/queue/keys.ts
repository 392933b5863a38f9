/** Every Redis key and BullMQ name Sluice uses, in one place. */

export const DEFAULT_PREFIX = 'sluice';
export const QUEUE_NAME = 'ops';
/** Entries the app event stream keeps (approximately: XADD MAXLEN ~), so a client away for a while can resume. */
export const EVENT_STREAM_LENGTH = 10_000;

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
    /** per-app operation lock: `<lease owner> <token>`, valid while the owner's lease lives */
    appLock: (app: string) => `${p}:lock:${app}`,
    /** a worker's liveness lease: SET PX, renewed while the process lives */
    lease: (owner: string) => `${p}:lease:${owner}`,
    /** what `lease(owner)` starts with, for the Lua scripts that look up a lock holder's lease */
    leasePrefix: `${p}:lease:`,
    /** who polls an app this round: SET NX PX interval */
    pollTurn: (app: string) => `${p}:poll:${app}`,
    /** self-heal back-off: JSON {count, last} */
    heal: (app: string) => `${p}:heal:${app}`,
    /** the app's current failure (stage, revision, count, time; JSON): retry back-off and log-once */
    failure: (app: string) => `${p}:failure:${app}`,
    /** app changes for the API's live events: a stream trimmed to about EVENT_STREAM_LENGTH entries */
    appEvents: `${p}:events`,
    /** webhook delivery ids already handled (SET NX EX): replay protection */
    webhookDelivery: (source: string, id: string) => `${p}:webhook:${source}:${id}`,
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
    /** the outcome of each finished hook of a sync operation (a HASH by hook), src/sync/hook-run.ts */
    hookRun: (operation: string) => `${p}:hooks:${operation}`,
    /** the app's hook-running sync operation until it finishes (JSON HookOperation) */
    hookOperation: (app: string) => `${p}:hook-operation:${app}`,
    /** the app's sync operation in progress: where it waits, what is left (JSON, controller/sync-progress.ts) */
    syncProgress: (app: string) => `${p}:sync-progress:${app}`,
    /** PostSync hooks waiting for the app's rollout to succeed (JSON, controller/post-sync.ts) */
    postSyncPending: (app: string) => `${p}:postsync:${app}`,
    /** BullMQ deduplication id of an app's job of one kind */
    dedupId: (kind: string, app: string) => `${kind}:${app}`,
    /** operation history of an app: a list, newest first */
    history: (app: string) => `${p}:history:${app}`,
    /** the app's last sync state (JSON) */
    state: (app: string) => `${p}:state:${app}`,
  };
}
export type Keys = ReturnType<typeof keys>;
