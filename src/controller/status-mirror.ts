/**
 * The Application resource's status as the controller keeps it, pure: what `kubectl get
 * sapp` and the CRD's columns show. Built from the controller's app state (sync, health,
 * revision) and, after an operation, its outcome; a successful sync adds a history entry.
 */
import { comparedToOf, withHistoryEntry, type ApplicationStatus } from '../app/status.ts';
import type { Application } from '../app/types.ts';
import type { OperationResult } from '../sync/types.ts';
import type { AppState } from './state.ts';

export function statusFromState(app: Application, state: AppState, previous: ApplicationStatus): ApplicationStatus {
  return {
    ...previous,
    sync: { status: state.sync, ...(state.revision === undefined ? {} : { revision: state.revision }), comparedTo: comparedToOf(app) },
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
