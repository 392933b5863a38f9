/**
 * docs/api.md's AppSummary, OperationSummary and HistoryEntry, made from what the store
 * keeps; and the apps list's filter and page. Pure.
 */
import type { Application } from '../app/types.ts';
import { isAppState, type AppState } from '../controller/state.ts';
import type { HistoryEntry } from '../store/types.ts';
import type { StoredApp } from '../store/history.ts';
import type { RolloutProgress, RolloutView } from './rollout-port.ts';

export interface OperationSummary {
  readonly id: string;
  readonly kind: 'sync' | 'rollback';
  readonly trigger: string;
  readonly phase: string;
  readonly revision?: string;
  readonly message: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
}

export interface AppSummary {
  readonly name: string;
  readonly namespace: string;
  readonly source: { readonly repoURL: string; readonly targetRevision: string; readonly path: string };
  readonly destination: { readonly namespace: string };
  readonly sync: AppState['sync'];
  readonly health: AppState['health'];
  readonly healthMessage?: string;
  readonly revision?: string;
  readonly syncedRevision?: string;
  readonly commit?: { readonly message: string; readonly author: string; readonly time: string };
  readonly lastOperation?: OperationSummary;
  readonly autoSync: boolean;
  readonly pinned?: RolloutView['pinned'];
  readonly badRevisions: readonly string[];
  readonly rollout?: RolloutProgress;
  readonly conditions: readonly { readonly type: string; readonly message: string; readonly lastTransitionTime: string }[];
  readonly comparedAt?: string;
}

export function operationSummary(entry: HistoryEntry): OperationSummary {
  return {
    id: entry.id,
    kind: entry.trigger === 'rollback' ? 'rollback' : 'sync',
    trigger: entry.trigger,
    phase: entry.phase,
    ...(entry.revision === '' ? {} : { revision: entry.revision }),
    message: entry.message,
    startedAt: entry.startedAt,
    finishedAt: entry.finishedAt,
  };
}

export function appSummary(app: Application, stored: StoredApp | undefined, view: RolloutView | undefined): AppSummary {
  const state = isAppState(stored?.state) ? stored.state : undefined;
  const commit = state?.commit;
  return {
    name: app.name,
    namespace: app.namespace,
    source: { repoURL: app.spec.source.repoURL, targetRevision: app.spec.source.targetRevision, path: app.spec.source.path },
    destination: { namespace: app.spec.destination.namespace },
    sync: state?.sync ?? 'Unknown',
    health: state?.health ?? 'Unknown',
    ...(state?.revision === undefined ? {} : { revision: state.revision }),
    ...(state?.syncedRevision === undefined ? {} : { syncedRevision: state.syncedRevision }),
    ...(commit === undefined ? {} : { commit: { message: commit.message, author: commit.author.name, time: commit.time } }),
    ...(stored?.last === undefined ? {} : { lastOperation: operationSummary(stored.last) }),
    autoSync: app.spec.syncPolicy.automated !== undefined,
    ...(view?.pinned === undefined ? {} : { pinned: view.pinned }),
    badRevisions: view?.badRevisions ?? [],
    ...(view?.rollout === undefined ? {} : { rollout: view.rollout }),
    conditions: state?.message === undefined ? [] : [{ type: state.sync === 'Unknown' ? 'ComparisonError' : 'SyncError', message: state.message, lastTransitionTime: state.comparedAt }],
    ...(state === undefined ? {} : { comparedAt: state.comparedAt }),
  };
}

export interface AppFilter {
  readonly sync?: string;
  readonly health?: string;
  /** Matched, case-insensitively, against the name, repository URL and path. */
  readonly search?: string;
}

/** Apps by name that the name-only parts of the filter (search) keep; sync and health need state, see matchesState. */
export function filterByName(apps: readonly Application[], filter: AppFilter): Application[] {
  const needle = filter.search?.toLowerCase();
  const kept = needle === undefined || needle === '' ? [...apps] : apps.filter((a) => [a.name, a.spec.source.repoURL, a.spec.source.path].some((s) => s.toLowerCase().includes(needle)));
  return kept.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function matchesState(summary: AppSummary, filter: AppFilter): boolean {
  return (filter.sync === undefined || summary.sync === filter.sync) && (filter.health === undefined || summary.health === filter.health);
}
