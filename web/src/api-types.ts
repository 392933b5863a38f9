/**
 * The UI's view of the HTTP API contract (docs/api.md). Types only, no DOM: the in-memory
 * test server (test/support/fake-api.ts) builds its answers from the same definitions.
 */

export const SYNC_STATUSES = ['Synced', 'OutOfSync', 'Unknown'] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

export const HEALTH_STATUSES = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export type Role = 'viewer' | 'operator' | 'admin';

export interface Session {
  name: string;
  role: Role;
}

export interface OperationSummary {
  id: string;
  kind: 'sync' | 'rollback';
  trigger: 'webhook' | 'poll' | 'manual' | 'rollback' | 'self-heal';
  phase: 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'RolledBack' | 'Aborted';
  revision?: string;
  message: string;
  startedAt: string;
  finishedAt?: string;
}

export type RolloutPhase = 'Progressing' | 'Paused' | 'Succeeded' | 'Failed' | 'RollingBack' | 'RolledBack' | 'Aborted';

export interface FailingPod {
  name: string;
  reason: string;
  lastState?: string;
  restarts: number;
}

export interface WorkloadProgress {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
  desired: number;
  updated: number;
  ready: number;
  available: number;
  stepTarget: number;
  maxSurge: number;
  maxUnavailable: number;
  holdUntil?: string;
  message?: string;
  failingPod?: FailingPod;
}

export interface RolloutProgress {
  phase: RolloutPhase;
  revision: string;
  fromRevision?: string;
  step: number;
  steps: number;
  message: string;
  startedAt: string;
  workloads: WorkloadProgress[];
  /** the rollout of an earlier sync wave: the sync goes on with this wave after it */
  beforeWave?: number;
}

export interface AppSummary {
  name: string;
  namespace: string;
  source: { repoURL: string; targetRevision: string; path: string };
  destination: { server?: string; namespace: string };
  sync: SyncStatus;
  health: HealthStatus;
  healthMessage?: string;
  revision?: string;
  syncedRevision?: string;
  commit?: { message: string; author: string; time: string };
  lastOperation?: OperationSummary;
  autoSync: boolean;
  pinned?: { revision: string; since: string; by?: string };
  badRevisions: string[];
  rollout?: RolloutProgress;
  conditions: { type: string; message: string; lastTransitionTime: string }[];
  comparedAt?: string;
}

export type AppDetail = AppSummary & { spec: object; operation?: OperationSummary };

export interface ResourceNode {
  key: string;
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  parent?: string;
  status?: 'Synced' | 'OutOfSync' | 'Missing' | 'Extraneous';
  health?: { status: string; message?: string };
  createdAt?: string;
}

export interface ResourceDiff {
  key: string;
  status: string;
  desired?: string;
  live?: string;
  diff: string;
}

export interface HistoryEntry {
  id: string;
  revision: string;
  startedAt: string;
  finishedAt: string;
  trigger: string;
  phase: string;
  message: string;
  kind?: 'sync' | 'rollback' | 'rollout-step' | 'pin' | 'unpin' | 'bad-revision';
  resources: { group: string; kind: string; namespace: string; name: string; action: string; message?: string }[];
}

export interface Accepted {
  accepted: true;
  jobId?: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** The live event stream's events (GET /api/v1/events), by name. */
export interface LiveEvents {
  app: AppSummary;
  'app-deleted': { name: string };
  resources: { app: string; items: ResourceNode[] };
  ping: Record<string, never>;
}
export type LiveEventName = keyof LiveEvents;

/** Operations an operator may start on an app (POST /api/v1/apps/:name/<op>). */
export type AppOperation = 'refresh' | 'sync' | 'rollback' | 'pin' | 'unpin' | 'rollout/promote' | 'rollout/abort' | 'rollout/pause' | 'rollout/resume';

/** A rollout is in progress while its driver still acts: these phases can be promoted or aborted. */
export const ACTIVE_ROLLOUT_PHASES: readonly RolloutPhase[] = ['Progressing', 'Paused', 'RollingBack'];

export function rolloutActive(app: Pick<AppSummary, 'rollout'>): boolean {
  return app.rollout !== undefined && ACTIVE_ROLLOUT_PHASES.includes(app.rollout.phase);
}

export function mayOperate(role: Role): boolean {
  return role === 'operator' || role === 'admin';
}
