/**
 * The Application resource's status as the controller keeps it, pure: what `kubectl get
 * sapp` and the CRD's columns show. Built from the controller's app state (sync, health,
 * revision) and, after an operation, its outcome; a successful sync adds a history entry.
 */
import { comparedToOf, withHistoryEntry, type ApplicationStatus, type RolloutSummary } from '../app/status.ts';
import type { Application } from '../app/types.ts';
import type { JsonValue } from '../json.ts';
import type { RolloutState } from '../rollout/types.ts';
import type { SyncSuspended } from '../sync/operation.ts';
import type { OperationResult } from '../sync/types.ts';
import type { AppState } from './state.ts';

/**
 * The status for a valid app's state. Its conditions are the state's (ComparisonError,
 * SyncError): an InvalidSpecError from before the spec was fixed is dropped. `server`: the
 * server of the cluster the app's destination resolves to (see comparedToOf).
 */
export function statusFromState(app: Application, state: AppState, previous: ApplicationStatus, server?: string): ApplicationStatus {
  const { conditions: _, ...kept } = previous;
  return {
    ...kept,
    ...(state.conditions === undefined || state.conditions.length === 0 ? {} : { conditions: state.conditions }),
    sync: { status: state.sync, ...(state.revision === undefined ? {} : { revision: state.revision }), comparedTo: comparedToOf(app, server) },
    health: { status: state.health, ...(state.message === undefined ? {} : { message: state.message }) },
    reconciledAt: state.comparedAt,
  };
}

export function statusAfterOperation(app: Application, result: OperationResult, previous: ApplicationStatus): ApplicationStatus {
  const source = comparedToOf(app).source;
  const withOperation: ApplicationStatus = {
    ...previous,
    operationState: {
      phase: result.phase,
      message: result.message,
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      ...(result.revision === undefined
        ? {}
        : {
            syncResult: {
              revision: result.revision,
              source,
              resources: result.resources.map((r) => ({
                group: r.key.group,
                version: '',
                kind: r.key.kind,
                ...(r.key.namespace === '' ? {} : { namespace: r.key.namespace }),
                name: r.key.name,
                action: r.action,
                ...(r.message === undefined ? {} : { message: r.message }),
              })),
            },
          }),
    },
  };
  if (result.phase !== 'Succeeded' || result.dryRun || result.revision === undefined) return withOperation;
  return withHistoryEntry(withOperation, {
    revision: result.revision,
    source,
    deployStartedAt: result.startedAt,
    deployedAt: result.finishedAt,
    initiatedBy: { automated: result.trigger !== 'manual' && result.trigger !== 'rollback' },
  });
}

/** A sync that waits between jobs: its operation Running, saying what it waits for (Argo CD's "waiting for healthy state of …"). */
export function statusWhileWaiting(previous: ApplicationStatus, sync: SyncSuspended): ApplicationStatus {
  return { ...previous, operationState: { phase: 'Running', message: `waiting: ${sync.message}`, startedAt: sync.position.startedAt } };
}

/**
 * The merge patch of the status subresource that writes `status`. Absent conditions are
 * sent as null (RFC 7386: remove), since a patch without them would keep an earlier
 * InvalidSpecError after the spec was fixed.
 */
export function statusPatch(status: ApplicationStatus): JsonValue {
  return { status: { ...status, conditions: status.conditions ?? null } } as unknown as JsonValue;
}

/** The status with the rollout as it stands now (`status.rollout`). */
export function statusWithRollout(previous: ApplicationStatus, rollout: RolloutState): ApplicationStatus {
  const summary: RolloutSummary = {
    phase: rollout.phase,
    revision: rollout.revision,
    step: rollout.step + 1,
    steps: rollout.steps,
    message: rollout.message,
    startedAt: rollout.startedAt,
    ...(rollout.finishedAt === undefined ? {} : { finishedAt: rollout.finishedAt }),
    ...(rollout.fromRevision === undefined ? {} : { fromRevision: rollout.fromRevision }),
  };
  return { ...previous, rollout: summary };
}
