import type { AppSummary, HealthStatus, SyncStatus } from './api-types.ts';

export interface AppFilter {
  sync: SyncStatus | '';
  health: HealthStatus | '';
  search: string;
}

export function matches(app: AppSummary, filter: AppFilter): boolean {
  if (filter.sync !== '' && app.sync !== filter.sync) return false;
  if (filter.health !== '' && app.health !== filter.health) return false;
  return filter.search === '' || app.name.toLowerCase().includes(filter.search.toLowerCase());
}
