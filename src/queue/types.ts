/**
 * The controller's work queue: what is asked for (requests), what a worker runs
 * (operations) and the payload validation at the Redis boundary.
 */

export const SYNC_TRIGGERS = ['webhook', 'poll', 'manual', 'rollback', 'self-heal'] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

/**
 * Background triggers re-check the same desired state; explicit ones carry intent (a push,
 * a person). A pending explicit request is never replaced by a background one.
 */
const BACKGROUND_TRIGGERS: ReadonlySet<SyncTrigger> = new Set(['poll', 'self-heal']);
export function isBackgroundTrigger(trigger: SyncTrigger): boolean {
  return BACKGROUND_TRIGGERS.has(trigger);
}

/** `look`: a delayed refresh at a time a rollout asked for (its step hold ends, a deadline passes). */
export const JOB_KINDS = ['sync', 'refresh', 'look'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** What a producer asks for; several of these for one app collapse into one. */
export interface SyncRequest {
  readonly revision?: string;
  readonly trigger: SyncTrigger;
  /** epoch ms when requested */
  readonly requestedAt: number;
  /** A manual sync's choices (the API's sync route): prune or not, and only these resources (keyStrings). */
  readonly prune?: boolean;
  readonly resources?: readonly string[];
}

/** What a worker's handler is given: one operation for one app. */
export type Operation =
  | {
      readonly kind: 'sync';
      readonly app: string;
      readonly request: SyncRequest;
      readonly jobId: string;
      /** 1 for the first run, 2 for the first retry, … */
      readonly attempt: number;
    }
  | {
      readonly kind: 'refresh';
      readonly app: string;
      readonly jobId: string;
      readonly attempt: number;
    };

/** The BullMQ job data: only the app; sync details live in the request ledger. */
export interface JobPayload {
  readonly app: string;
}

const APP_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** App names are Kubernetes object names (DNS subdomain), which also keeps Redis keys tidy. */
export function assertAppName(app: string): void {
  if (!APP_NAME.test(app)) throw new TypeError(`invalid app name ${JSON.stringify(app)}`);
}

export function isJobKind(value: unknown): value is JobKind {
  return typeof value === 'string' && (JOB_KINDS as readonly string[]).includes(value);
}

export function isSyncTrigger(value: unknown): value is SyncTrigger {
  return typeof value === 'string' && (SYNC_TRIGGERS as readonly string[]).includes(value);
}

export function parseJobPayload(data: unknown): JobPayload {
  if (typeof data !== 'object' || data === null) throw new TypeError('job data is not an object');
  const app = (data as { app?: unknown }).app;
  if (typeof app !== 'string') throw new TypeError('job data has no app');
  assertAppName(app);
  return { app };
}

export function parseSyncRequest(text: string): SyncRequest {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new TypeError('sync request is not an object');
  const { revision, trigger, requestedAt } = value as Record<string, unknown>;
  if (!isSyncTrigger(trigger)) throw new TypeError(`sync request has invalid trigger ${String(trigger)}`);
  if (typeof requestedAt !== 'number') throw new TypeError('sync request has no requestedAt');
  if (revision !== undefined && typeof revision !== 'string') throw new TypeError('sync request revision is not a string');
  const { prune, resources } = value as Record<string, unknown>;
  if (prune !== undefined && typeof prune !== 'boolean') throw new TypeError('sync request prune is not a boolean');
  if (resources !== undefined && !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))) throw new TypeError('sync request resources is not a list of strings');
  return {
    ...(revision === undefined ? {} : { revision }),
    trigger,
    requestedAt,
    ...(prune === undefined ? {} : { prune }),
    ...(resources === undefined ? {} : { resources: resources as string[] }),
  };
}
