/** Operation history and last sync state, as stored per app. Pure types and guards. */
import type { SyncTrigger } from '../queue/types.ts';

export const OPERATION_PHASES = ['Succeeded', 'Failed', 'Error'] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];

export const RESOURCE_ACTIONS = ['created', 'configured', 'unchanged', 'pruned', 'failed'] as const;
export type ResourceAction = (typeof RESOURCE_ACTIONS)[number];

export interface ResourceResult {
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects */
  readonly namespace: string;
  readonly name: string;
  readonly action: ResourceAction;
  readonly message?: string;
}

export interface HistoryEntry {
  /** the operation's id (the job id) */
  readonly id: string;
  readonly revision: string;
  /** ISO 8601 */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly trigger: SyncTrigger;
  readonly phase: OperationPhase;
  readonly message: string;
  readonly resources: readonly ResourceResult[];
}
