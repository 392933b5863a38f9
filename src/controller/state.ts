/** What the controller knows of an app between operations: stored in Redis, shown by the API and UI. Pure. */
import { withCondition, withoutConditions, type ApplicationCondition } from '../app/status.ts';
import { bounded } from '../bounded.ts';
import type { CommitInfo } from '../git/index.ts';
import { formatRenderError } from '../render/format.ts';
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
  /** ComparisonError and SyncError while they hold (absent when there are none). */
  readonly conditions?: readonly ApplicationCondition[];
}

export function stateFromComparison(app: string, compared: Comparison | RenderFailure, previous: AppState | undefined, now: Date): AppState {
  const at = now.toISOString();
  const base = { app, revision: compared.revision, commit: compared.commit, comparedAt: at, ...synced(previous) };
  if ('errors' in compared) {
    const message = renderFailureMessage(compared);
    return {
      ...base,
      sync: 'Unknown',
      health: previous?.health ?? 'Unknown',
      message,
      resources: previous?.resources ?? [],
      ...(previous?.kinds === undefined ? {} : { kinds: previous.kinds }),
      ...conditions(withCondition(previous?.conditions, 'ComparisonError', message, at)),
    };
  }
  const problems = compared.problems.length > 0 ? bounded(compared.problems.map((p) => p.message).join('; ')) : undefined;
  const kept = problems === undefined ? withoutConditions(previous?.conditions, 'ComparisonError') : withCondition(previous?.conditions, 'ComparisonError', problems, at);
  return {
    ...base,
    sync: compared.status,
    health: compared.health,
    ...(problems === undefined ? {} : { message: problems }),
    resources: compared.resources.map((r) => ({ key: keyString(r.key), status: r.diff.status, health: r.health.status })),
    kinds: [...new Set(compared.resources.map((r) => `${r.apiVersion}/${r.key.kind}`))].sort(),
    // Everything matches Git: whatever sync failed before has nothing left to apply.
    ...conditions(compared.status === 'Synced' && problems === undefined ? withoutConditions(kept, 'SyncError') : kept),
  };
}

/** `rendering failed at abc1234: 2 error(s), first app/web.yaml:12: … [CODE]`. */
export function renderFailureMessage(failure: RenderFailure): string {
  const first = failure.errors[0];
  return bounded(`rendering failed at ${failure.revision.slice(0, 7)}: ${failure.errors.length} error(s)${first ? `, first ${formatRenderError(first)}` : ''}`);
}

export function stateFromError(app: string, message: string, previous: AppState | undefined, now: Date): AppState {
  const text = bounded(message);
  return {
    ...(previous ?? { resources: [] as ResourceState[], health: 'Unknown' as const }),
    app,
    sync: 'Unknown',
    comparedAt: now.toISOString(),
    message: text,
    conditions: withCondition(previous?.conditions, 'ComparisonError', text, now.toISOString()),
  };
}

/** The state after a sync: the revision synced when it succeeded, else the failure as message and SyncError. */
export function stateAfterSync(state: AppState, result: OperationResult, now: Date): AppState {
  if (result.phase === 'Succeeded') {
    const { conditions: previous, ...rest } = state;
    return { ...rest, ...conditions(withoutConditions(previous, 'SyncError')), ...(result.dryRun || result.revision === undefined ? {} : { syncedRevision: result.revision }) };
  }
  return { ...state, message: bounded(result.message), conditions: withCondition(state.conditions, 'SyncError', result.message, now.toISOString()) };
}

/** The conditions field, absent when empty. */
function conditions(list: readonly ApplicationCondition[]): { conditions?: readonly ApplicationCondition[] } {
  return list.length === 0 ? {} : { conditions: list };
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
