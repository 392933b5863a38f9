/**
 * The status Sluice writes to an Application's status subresource (Argo CD's field names,
 * so `kubectl get sapp -o yaml` reads familiar). Pure: times are passed in as RFC 3339 strings.
 */
import { bounded } from '../bounded.ts';
import type { ValidationError } from './fields.ts';
import { IN_CLUSTER_SERVER } from '../kube/clusters.ts';
import type { Application } from './types.ts';
import { formatValidationError } from './validate.ts';

export const SYNC_STATUS_CODES = ['Synced', 'OutOfSync', 'Unknown'] as const;
export type SyncStatusCode = (typeof SYNC_STATUS_CODES)[number];

/** Best first; `Missing` and `Unknown` rank as Argo CD ranks them. */
export const HEALTH_STATUS_CODES = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
export type HealthStatusCode = (typeof HEALTH_STATUS_CODES)[number];

export const OPERATION_PHASES = ['Running', 'Terminating', 'Succeeded', 'Failed', 'Error'] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];

/**
 * The condition types Sluice sets (Argo CD's names): the spec is invalid; the revision
 * could not be compared (render errors, an unreachable repository or API server, kinds the
 * cluster does not serve); its last sync failed (the server rejected a write, a wave never
 * became healthy).
 */
export const CONDITION_TYPES = ['InvalidSpecError', 'ComparisonError', 'SyncError'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const DEFAULT_HISTORY_LIMIT = 10;

/** What a comparison or sync was made against: the source and destination of the spec at that time. */
export interface ComparedTo {
  readonly source: { readonly repoURL: string; readonly targetRevision: string; readonly path: string };
  /** Argo CD's shape: the cluster's server (and its name when the spec gives one) beside the namespace. */
  readonly destination: { readonly server?: string; readonly name?: string; readonly namespace: string };
}

export interface SyncStatus {
  readonly status: SyncStatusCode;
  /** The commit SHA the comparison used (absent until one was fetched). */
  readonly revision?: string;
  readonly comparedTo: ComparedTo;
}

export interface AppHealthStatus {
  readonly status: HealthStatusCode;
  readonly message?: string;
}

/** One resource's outcome in a sync. */
export interface ResourceResult {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** created / configured / unchanged / pruned / prune-skipped / failed … as the sync engine reports it */
  readonly action: string;
  readonly message?: string;
}

export interface SyncResult {
  readonly revision: string;
  readonly source: ComparedTo['source'];
  readonly resources: readonly ResourceResult[];
}

export interface OperationState {
  readonly phase: OperationPhase;
  readonly message: string;
  readonly startedAt: string;
  /** Absent while the operation is Running or Terminating. */
  readonly finishedAt?: string;
  readonly syncResult?: SyncResult;
}

export interface HistoryEntry {
  /** Increasing over the Application's life (never reused after older entries are dropped), so rollback can name one. */
  readonly id: number;
  readonly revision: string;
  readonly source: ComparedTo['source'];
  readonly deployStartedAt?: string;
  readonly deployedAt: string;
  readonly initiatedBy?: { readonly username?: string; readonly automated?: boolean };
}

/** A problem with the Application itself, as Argo CD's ApplicationCondition. */
export interface ApplicationCondition {
  readonly type: ConditionType;
  readonly message: string;
  /** When this condition appeared with this message. */
  readonly lastTransitionTime: string;
}

export interface ApplicationStatus {
  readonly sync: SyncStatus;
  readonly health: AppHealthStatus;
  readonly operationState?: OperationState;
  /** Oldest first, at most DEFAULT_HISTORY_LIMIT entries. */
  readonly history: readonly HistoryEntry[];
  /** When the live state was last compared with Git. */
  readonly reconciledAt?: string;
  /** Absent when there are none (Argo CD omits an empty list too). */
  readonly conditions?: readonly ApplicationCondition[];
  /** The app's current or last rollout (Sluice's own field: Argo CD has none). */
  readonly rollout?: RolloutSummary;
}

/** `status.rollout`: where the app's rollout stands, for `kubectl get` and anyone reading the resource. */
export interface RolloutSummary {
  readonly phase: string;
  readonly revision: string;
  /** 1-based, of `steps` */
  readonly step: number;
  readonly steps: number;
  readonly message: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** what a rollback returns (or returned) to */
  readonly fromRevision?: string;
}

/**
 * What Sluice writes over the status of an Application whose spec is invalid, as a merge
 * patch: revision, history and the rest stay as they were (Argo CD does the same).
 */
export interface InvalidSpecStatus {
  readonly sync: { readonly status: 'Unknown' };
  readonly health: { readonly status: 'Unknown' };
  readonly conditions: readonly [ApplicationCondition];
}

/**
 * `server`: the server of the cluster the destination resolved to, when known. Argo CD
 * records the destination with its server filled in from a name, so a name-only spec
 * shows both; the spec's own server wins, and no server nor name means the own cluster.
 */
export function comparedToOf(app: Application, server?: string): ComparedTo {
  const { repoURL, targetRevision, path } = app.spec.source;
  const { namespace, name } = app.spec.destination;
  const resolved = app.spec.destination.server ?? server ?? (name === undefined ? IN_CLUSTER_SERVER : undefined);
  return { source: { repoURL, targetRevision, path }, destination: { ...(resolved === undefined ? {} : { server: resolved }), ...(name === undefined ? {} : { name }), namespace } };
}

/** The status of an Application nothing is known about yet. */
export function initialStatus(app: Application): ApplicationStatus {
  return { sync: { status: 'Unknown', comparedTo: comparedToOf(app) }, health: { status: 'Unknown' }, history: [] };
}

/**
 * `status` with `entry` appended to its history (id = last id + 1), keeping the newest
 * `limit` entries. Returns a new object; `status` is not changed.
 */
export function withHistoryEntry(status: ApplicationStatus, entry: Omit<HistoryEntry, 'id'>, limit = DEFAULT_HISTORY_LIMIT): ApplicationStatus {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`history limit must be a positive integer, not ${limit}`);
  const lastId = status.history.reduce((max, h) => Math.max(max, h.id), -1);
  const history = [...status.history, { ...entry, id: lastId + 1 }];
  return { ...status, history: history.slice(Math.max(0, history.length - limit)) };
}

/**
 * The status for an Application that failed validation: one InvalidSpecError condition
 * listing every error at its field path. `stored` is the resource's current status: a
 * condition with the same message keeps its lastTransitionTime, so rebuilding for an
 * unchanged spec gives the same status and nothing needs writing.
 */
export function invalidSpecStatus(stored: unknown, errors: readonly ValidationError[], now: string): InvalidSpecStatus {
  // Only path and message: the errors also say which resource, and the condition is on it.
  const message = errors.map((e) => formatValidationError({ path: e.path, message: e.message })).join('; ');
  const unchanged = readConditions(record(stored).conditions).find((c) => c.type === 'InvalidSpecError' && c.message === message);
  return { sync: { status: 'Unknown' }, health: { status: 'Unknown' }, conditions: [unchanged ?? { type: 'InvalidSpecError', message, lastTransitionTime: now }] };
}

/**
 * `conditions` with one of `type` carrying `message` (bounded), replacing any other of that
 * type; an unchanged one keeps its lastTransitionTime, so a steady failure is not a change.
 */
export function withCondition(conditions: readonly ApplicationCondition[] | undefined, type: ConditionType, message: string, now: string): readonly ApplicationCondition[] {
  const text = bounded(message);
  const others = (conditions ?? []).filter((c) => c.type !== type);
  const same = conditions?.find((c) => c.type === type && c.message === text);
  return [...others, same ?? { type, message: text, lastTransitionTime: now }];
}

/** `conditions` without those of the given types. */
export function withoutConditions(conditions: readonly ApplicationCondition[] | undefined, ...types: readonly ConditionType[]): readonly ApplicationCondition[] {
  return (conditions ?? []).filter((c) => !types.includes(c.type));
}

/** true when `a` is a worse health than `b` (Degraded is worse than Progressing, …). */
export function isWorseHealth(a: HealthStatusCode, b: HealthStatusCode): boolean {
  return HEALTH_STATUS_CODES.indexOf(a) > HEALTH_STATUS_CODES.indexOf(b);
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function oneOf<T extends string>(values: readonly T[], v: unknown, fallback: T): T {
  return values.find((x) => x === v) ?? fallback;
}

function sourceOf(v: unknown, fallback: ComparedTo['source']): ComparedTo['source'] {
  const s = record(v);
  return { repoURL: text(s.repoURL) ?? fallback.repoURL, targetRevision: text(s.targetRevision) ?? fallback.targetRevision, path: text(s.path) ?? fallback.path };
}

/** A stored destination is taken whole (server, name and namespace belong together), else the spec's. */
function destinationOf(v: unknown, fallback: ComparedTo['destination']): ComparedTo['destination'] {
  const d = record(v);
  const namespace = text(d.namespace);
  if (namespace === undefined) return fallback;
  const server = text(d.server);
  const name = text(d.name);
  return { ...(server === undefined ? {} : { server }), ...(name === undefined ? {} : { name }), namespace };
}

/** Conditions read back tolerantly: entries of unknown types or without message or time are dropped. */
function readConditions(v: unknown): ApplicationCondition[] {
  const conditions: ApplicationCondition[] = [];
  for (const c of Array.isArray(v) ? v : []) {
    const entry = record(c);
    const type = CONDITION_TYPES.find((t) => t === entry.type);
    const message = text(entry.message);
    const lastTransitionTime = text(entry.lastTransitionTime);
    if (type && message && lastTransitionTime) conditions.push({ type, message, lastTransitionTime });
  }
  return conditions;
}

/**
 * The status stored on an Application CR, read back tolerantly (after a restart the
 * controller continues its history): unknown codes become Unknown, malformed history
 * entries and conditions are dropped, and comparedTo falls back to the app's spec.
 * operationState is not carried over: a restarted controller starts a new operation.
 */
export function readApplicationStatus(app: Application, stored: unknown): ApplicationStatus {
  const base = initialStatus(app);
  const status = record(stored);
  const sync = record(status.sync);
  const compared = record(sync.comparedTo);
  const revision = text(sync.revision);
  const health = record(status.health);
  const healthMessage = text(health.message);
  const history: HistoryEntry[] = [];
  for (const h of Array.isArray(status.history) ? status.history : []) {
    const e = record(h);
    const rev = text(e.revision);
    const deployedAt = text(e.deployedAt);
    if (typeof e.id !== 'number' || !Number.isInteger(e.id) || e.id < 0 || !rev || !deployedAt) continue;
    const startedAt = text(e.deployStartedAt);
    const by = record(e.initiatedBy);
    const username = text(by.username);
    history.push({
      id: e.id,
      revision: rev,
      source: sourceOf(e.source, base.sync.comparedTo.source),
      ...(startedAt ? { deployStartedAt: startedAt } : {}),
      deployedAt,
      ...(username || typeof by.automated === 'boolean' ? { initiatedBy: { ...(username ? { username } : {}), ...(typeof by.automated === 'boolean' ? { automated: by.automated } : {}) } } : {}),
    });
  }
  const reconciledAt = text(status.reconciledAt);
  const conditions = readConditions(status.conditions);
  return {
    sync: {
      status: oneOf(SYNC_STATUS_CODES, sync.status, 'Unknown'),
      ...(revision ? { revision } : {}),
      comparedTo: {
        source: sourceOf(compared.source, base.sync.comparedTo.source),
        destination: destinationOf(compared.destination, base.sync.comparedTo.destination),
      },
    },
    health: { status: oneOf(HEALTH_STATUS_CODES, health.status, 'Unknown'), ...(healthMessage ? { message: healthMessage } : {}) },
    history: history.sort((a, b) => a.id - b.id),
    ...(reconciledAt ? { reconciledAt } : {}),
    ...(conditions.length > 0 ? { conditions } : {}),
  };
}
