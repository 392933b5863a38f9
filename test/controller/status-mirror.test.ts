import { describe, expect, it } from 'vitest';
import { invalidSpecStatus, readApplicationStatus } from '../../src/app/status.ts';
import type { Application } from '../../src/app/types.ts';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';
import type { JsonObject } from '../../src/json.ts';
import { applyMergePatch } from '../../src/diff/merge-patch.ts';
import type { AppState } from '../../src/controller/state.ts';
import { statusFromState, statusPatch } from '../../src/controller/status-mirror.ts';

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
