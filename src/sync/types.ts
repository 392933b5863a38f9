import type { ResourceDiff } from '../diff/resource-diff.ts';
import type { JsonObject } from '../json.ts';
import type { CommitInfo } from '../git/index.ts';
import type { HealthAssessment } from '../health/index.ts';
import type { SyncTrigger } from '../queue/types.ts';
import type { RenderError } from '../render/types.ts';
import type { OperationPhase, ResourceAction } from '../store/types.ts';
import type { Hook } from './hooks.ts';
import type { ResourceKey } from './resource-key.ts';

/** One object of an app as compared: what Git wants, what runs, how they differ, how it is doing. */
export interface ResourceComparison {
  readonly key: ResourceKey;
  readonly apiVersion: string;
  readonly desired?: JsonObject;
  readonly live?: JsonObject;
  readonly diff: ResourceDiff;
  readonly health: HealthAssessment;
}

export type AppSyncStatus = 'Synced' | 'OutOfSync';

/** An app compared with its revision: the input to planning and to status. */
export interface Comparison {
  readonly revision: string;
  readonly commit: CommitInfo;
  readonly warnings: readonly string[];
  /** Rendered, namespaced and tracked: what a sync applies. */
  readonly desired: readonly JsonObject[];
  /** Live objects by keyString: the desired that exist, and all the app's tracked objects. */
  readonly live: ReadonlyMap<string, JsonObject>;
  readonly resources: readonly ResourceComparison[];
  readonly status: AppSyncStatus;
  readonly health: HealthAssessment['status'];
  /** Sync hooks by phase, in no order (see hooks.ts): not part of `desired`, the diff or the status. */
  readonly hooks: readonly Hook[];
  /** Objects that cannot be compared (kinds the cluster does not serve). */
  readonly problems: readonly { key: ResourceKey; message: string }[];
  /** The kinds searched for the app's objects (`apiVersion/kind`, one per group/kind): what a watch must cover. */
  readonly kinds: readonly string[];
}

/** Why a revision produced nothing to compare: render errors, all-or-nothing. */
export interface RenderFailure {
  readonly revision: string;
  readonly commit: CommitInfo;
  readonly errors: readonly RenderError[];
}

export type { OperationPhase, ResourceAction };
export type Trigger = SyncTrigger;

export interface ResourceOutcome {
  readonly key: ResourceKey;
  readonly action: ResourceAction;
  readonly message?: string;
}


/** One sync operation, as history records it and the CLI prints it. */
export interface OperationResult {
  readonly app: string;
  readonly phase: OperationPhase;
  readonly message: string;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly revision?: string;
  readonly commit?: CommitInfo;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly resources: readonly ResourceOutcome[];
  readonly renderErrors: readonly RenderError[];
  readonly warnings: readonly string[];
}
