import { describe, expect, it } from 'vitest';
import { invalidSpecStatus, readApplicationStatus } from '../../src/app/status.ts';
import type { Application } from '../../src/app/types.ts';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';
import type { JsonObject } from '../../src/json.ts';
import { applyMergePatch } from '../../src/diff/merge-patch.ts';
import { stateAfterSync, stateFromComparison, stateFromError, type AppState } from '../../src/controller/state.ts';
import { bounded, MAX_MESSAGE_CHARS } from '../../src/bounded.ts';
import type { Comparison, OperationResult, RenderFailure } from '../../src/sync/types.ts';
import { statusAfterOperation, statusFromState, statusPatch, statusWhileWaiting, statusWithRollout } from '../../src/controller/status-mirror.ts';
import type { SyncSuspended } from '../../src/sync/operation.ts';
import type { RolloutState } from '../../src/rollout/types.ts';

const app: Application = {
  name: 'web',
  namespace: 'sluice-system',
  spec: {
    source: { repoURL: 'https://git.example.com/deploy.git', targetRevision: 'main', path: 'web', recurse: true },
    destination: { namespace: 'web' },
    syncPolicy: { syncOptions: { createNamespace: false, pruneLast: false, serverSideApply: false }, intervalMs: 180_000 },
    ignoreDifferences: [],
    rollout: DEFAULT_ROLLOUT,
  },
};
const state: AppState = { app: 'web', sync: 'Synced', health: 'Healthy', revision: 'sha1', comparedAt: '2026-01-01T00:05:00Z', resources: [] };

describe('the mirrored status after a spec was fixed', () => {
  // What an invalid spec left on the resource: sync/health Unknown, an InvalidSpecError, and the history from before.
  const invalid = invalidSpecStatus(undefined, [{ path: 'spec.destination', message: 'is required' }], '2026-01-01T00:00:00Z');
  const stored = { ...invalid, history: [{ id: 0, revision: 'sha0', source: { repoURL: 'https://git.example.com/deploy.git', targetRevision: 'main', path: 'web' }, deployedAt: '2026-01-01T00:00:00Z' }] };

  it('drops the InvalidSpecError and keeps the history', () => {
    const previous = readApplicationStatus(app, stored);
    expect(previous.conditions).toHaveLength(1);
    const status = statusFromState(app, state, previous);
    expect(status.conditions).toBeUndefined();
    expect(status.history).toEqual(previous.history);
    expect(status).toMatchObject({ sync: { status: 'Synced', revision: 'sha1' }, health: { status: 'Healthy' } });
  });

  it('writes a merge patch that removes the condition from the resource', () => {
    const status = statusFromState(app, state, readApplicationStatus(app, stored));
    const resource = { metadata: { name: 'web' }, status: stored } as unknown as JsonObject;
    const written = applyMergePatch(resource, statusPatch(status)) as JsonObject;
    expect(written['status']).not.toHaveProperty('conditions');
    expect(written['status']).toMatchObject({ sync: { status: 'Synced' }, health: { status: 'Healthy' }, history: [{ id: 0 }] });
  });

  it('writes conditions a status has', () => {
    const resource = { metadata: { name: 'web' } } as JsonObject;
    const written = applyMergePatch(resource, statusPatch(readApplicationStatus(app, stored))) as JsonObject;
    expect(written['status']).toMatchObject({ conditions: invalid.conditions });
  });
});

describe('the conditions of an app state', () => {
  const commit: Comparison['commit'] = { sha: 'sha2', message: 'm', author: { name: 'a', email: 'a@example.com' }, time: '2026-01-01T00:00:00Z', parents: [] };
  const failure: RenderFailure = { revision: 'sha2', commit, errors: [{ file: 'web/a.yaml', line: 4, message: 'duplicate key', code: 'YAML_SYNTAX' }] };
  const synced = { revision: 'sha2', commit, warnings: [], desired: [], live: new Map(), resources: [], status: 'Synced', health: 'Healthy', problems: [], hooks: [], kinds: [] } satisfies Comparison;
  const operation = (phase: OperationResult['phase'], message: string): OperationResult => ({
    app: 'web', phase, message, trigger: 'poll', dryRun: false, revision: 'sha2', startedAt: 't0', finishedAt: 't1', resources: [], renderErrors: [], warnings: [],
  });

  it('a render failure is a ComparisonError at file:line, kept with its first transition time while it lasts', () => {
    const first = stateFromComparison('web', failure, state, new Date('2026-01-01T00:10:00Z'));
    expect(first.conditions).toEqual([{ type: 'ComparisonError', message: expect.stringContaining('web/a.yaml:4: duplicate key'), lastTransitionTime: '2026-01-01T00:10:00.000Z' }]);
    const again = stateFromComparison('web', failure, first, new Date('2026-01-01T00:11:00Z'));
    expect(again.conditions).toEqual(first.conditions);
    expect(statusFromState(app, again, readApplicationStatus(app, undefined)).conditions).toEqual(first.conditions);
    expect(stateFromComparison('web', synced, again, new Date()).conditions).toBeUndefined();
  });

  it('a failed sync is a SyncError until a sync succeeds or the app compares Synced', () => {
    const failed = stateAfterSync(state, operation('Failed', 'the API server rejected 1 of the writes'), new Date('2026-01-01T00:10:00Z'));
    expect(failed).toMatchObject({ message: 'the API server rejected 1 of the writes', conditions: [{ type: 'SyncError', message: 'the API server rejected 1 of the writes' }] });
    expect(stateAfterSync(failed, operation('Succeeded', 'synced'), new Date())).not.toHaveProperty('conditions');
    expect(stateAfterSync(failed, operation('Succeeded', 'synced'), new Date()).syncedRevision).toBe('sha2');
    expect(stateFromComparison('web', { ...synced, status: 'OutOfSync' }, failed, new Date()).conditions).toEqual(failed.conditions);
    expect(stateFromComparison('web', synced, failed, new Date())).not.toHaveProperty('conditions');
  });

  it('bounds what it stores: a 100,000-character message is cut, and says so', () => {
    const huge = `GET failed: ${'n'.repeat(100_000)}`;
    const errored = stateFromError('web', huge, state, new Date());
    expect(errored.message!.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(errored.message).toMatch(/… \(\d+ more characters\)$/);
    expect(errored.conditions![0]!.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(bounded('short')).toBe('short');
  });
});

describe('the rollout in the mirrored status', () => {
  const rollout: RolloutState = {
    id: 'job-1',
    app: 'web',
    phase: 'RollingBack',
    revision: 'bad1234567',
    fromRevision: 'good123456',
    policy: DEFAULT_ROLLOUT,
    step: 1,
    steps: 3,
    startedAt: '2026-01-01T00:00:00Z',
    stepStartedAt: '2026-01-01T00:01:00Z',
    held: false,
    promoted: false,
    message: 'web: 3/10 new pods CrashLoopBackOff after 45 s; rolling back to good123',
    workloads: [],
  };

  it('shows phase, 1-based step, revisions and message, and survives the next state write', () => {
    const status = statusWithRollout(statusFromState(app, state, readApplicationStatus(app, undefined)), rollout);
    expect(status.rollout).toEqual({ phase: 'RollingBack', revision: 'bad1234567', fromRevision: 'good123456', step: 2, steps: 3, message: rollout.message, startedAt: '2026-01-01T00:00:00Z' });
    expect(statusFromState(app, { ...state, health: 'Progressing' }, status).rollout).toEqual(status.rollout);
    const done = statusWithRollout(status, { ...rollout, phase: 'RolledBack', finishedAt: '2026-01-01T00:02:00Z' });
    expect(done.rollout).toMatchObject({ phase: 'RolledBack', finishedAt: '2026-01-01T00:02:00Z' });
  });
});

describe('a sync that waits between jobs, in the mirrored status', () => {
  const waiting: SyncSuspended = {
    app: 'web',
    revision: 'sha2',
    message: 'wave 1: waits for the rollout of wave 0 (apps/Deployment/web/web)',
    kinds: [],
    position: { stage: 'Waves', wave: 1, since: '2026-01-01T00:06:00Z', startedAt: '2026-01-01T00:05:30Z', resources: [] },
  };
  const finished: OperationResult = { app: 'web', phase: 'Succeeded', message: 'synced sha2', trigger: 'poll', dryRun: false, revision: 'sha2', startedAt: '2026-01-01T00:05:30Z', finishedAt: '2026-01-01T00:09:00Z', resources: [], renderErrors: [], warnings: [] };

  it('shows the operation Running with what it waits for, then its outcome once it has finished', () => {
    const status = statusWhileWaiting(statusFromState(app, state, readApplicationStatus(app, undefined)), waiting);
    expect(status.operationState).toEqual({ phase: 'Running', message: `waiting: ${waiting.message}`, startedAt: '2026-01-01T00:05:30Z' });
    expect(statusFromState(app, state, status).operationState, 'a compare keeps it').toEqual(status.operationState);
    const after = statusAfterOperation(app, finished, status);
    expect(after.operationState).toMatchObject({ phase: 'Succeeded', startedAt: '2026-01-01T00:05:30Z', finishedAt: '2026-01-01T00:09:00Z' });
  });
});
