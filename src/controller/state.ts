/** What the controller knows of an app between operations: stored in Redis, shown by the API and UI. Pure. */
import type { CommitInfo } from '../git/index.ts';
import type { HealthStatus } from '../health/index.ts';
import type { HistoryEntry } from '../store/types.ts';
import { keyString } from '../sync/resource-key.ts';
import type { Comparison, OperationResult, RenderFailure } from '../sync/types.ts';

export interface ResourceState {
  readonly key: string;
  readonly status: 'Synced' | 'OutOfSync' | 'Missing' | 'Extraneous';
  readonly health: HealthStatus;
}

export interface AppState {
  readonly app: string;
  readonly sync: 'Synced' | 'OutOfSync' | 'Unknown';
  readonly health: HealthStatus;
  /** The revision compared last, and the one last synced successfully. */
  readonly revision?: string;
  readonly syncedRevision?: string;
  readonly commit?: CommitInfo;
  readonly comparedAt: string;
  /** Why the state is Unknown or what went wrong (render errors, an unreachable repo). */
  readonly message?: string;
  readonly resources: readonly ResourceState[];
  /**
   * The kinds (`apiVersion/kind`) the app had objects of at its last compare, so that a
   * restarted controller still searches a kind Git has since dropped entirely (to prune it).
   */
  readonly kinds?: readonly string[];
}

export function stateFromComparison(app: string, compared: Comparison | RenderFailure, previous: AppState | undefined, now: Date): AppState {
  const base = { app, revision: compared.revision, commit: compared.commit, comparedAt: now.toISOString(), ...synced(previous) };
  if ('errors' in compared) {
    const first = compared.errors[0];
    return {
      ...base,
      sync: 'Unknown',
      health: previous?.health ?? 'Unknown',
      message: `rendering failed at ${compared.revision.slice(0, 7)}: ${compared.errors.length} error(s)${first ? `, first ${first.file}${first.line === undefined ? '' : `:${first.line}`}: ${first.message}` : ''}`,
      resources: previous?.resources ?? [],
      ...(previous?.kinds === undefined ? {} : { kinds: previous.kinds }),
    };
  }
  return {
    ...base,
    sync: compared.status,
    health: compared.health,
    ...(compared.problems.length > 0 ? { message: compared.problems.map((p) => p.message).join('; ') } : {}),
    resources: compared.resources.map((r) => ({ key: keyString(r.key), status: r.diff.status, health: r.health.status })),
    kinds: [...new Set(compared.resources.map((r) => `${r.apiVersion}/${r.key.kind}`))].sort(),
  };
}

export function stateFromError(app: string, message: string, previous: AppState | undefined, now: Date): AppState {
  return {
    ...(previous ?? { resources: [] as ResourceState[], health: 'Unknown' as const }),
    app,
    sync: 'Unknown',
    comparedAt: now.toISOString(),
    message,
  };
}

export function withSyncedRevision(state: AppState, result: OperationResult): AppState {
  return result.phase === 'Succeeded' && !result.dryRun && result.revision !== undefined ? { ...state, syncedRevision: result.revision } : state;
}

function synced(previous: AppState | undefined): { syncedRevision?: string } {
  return previous?.syncedRevision === undefined ? {} : { syncedRevision: previous.syncedRevision };
}

export function historyEntry(id: string, result: OperationResult): HistoryEntry {
  return {
    id,
    revision: result.revision ?? '',
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    trigger: result.trigger,
    phase: result.phase,
    message: result.message,
    resources: result.resources.map((r) => ({
      group: r.key.group,
      kind: r.key.kind,
      namespace: r.key.namespace,
      name: r.key.name,
      action: r.action,
      ...(r.message === undefined ? {} : { message: r.message }),
    })),
  };
}

export function isAppState(value: unknown): value is AppState {
  return typeof value === 'object' && value !== null && typeof (value as AppState).app === 'string' && Array.isArray((value as AppState).resources);
}
