import { describe, expect, it } from 'vitest';
import { comparedToOf, initialStatus, invalidSpecStatus, isWorseHealth, readApplicationStatus, withHistoryEntry, type ApplicationStatus, type HistoryEntry } from '../../src/app/status.ts';
import type { Application } from '../../src/app/types.ts';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';

const app: Application = {
  name: 'guestbook',
  namespace: 'sluice-system',
  spec: {
    source: { repoURL: 'https://git.example.com/deploy.git', targetRevision: 'main', path: 'apps/guestbook', recurse: true },
    destination: { namespace: 'guestbook' },
    syncPolicy: { syncOptions: { createNamespace: false, pruneLast: false, serverSideApply: false }, intervalMs: 180_000 },
    ignoreDifferences: [],
    rollout: DEFAULT_ROLLOUT,
  },
};

function entry(n: number): Omit<HistoryEntry, 'id'> {
  return { revision: `sha${n}`, source: comparedToOf(app).source, deployedAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}Z` };
}

describe('Application status', () => {
  it('starts Unknown, compared to the spec, with no history', () => {
    expect(initialStatus(app)).toEqual({
      sync: { status: 'Unknown', comparedTo: { source: { repoURL: 'https://git.example.com/deploy.git', targetRevision: 'main', path: 'apps/guestbook' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' } } },
      health: { status: 'Unknown' },
      history: [],
    });
  });

  it('records the destination as Argo CD does: the server, the name where the spec gives one, and the namespace', () => {
    const to = (destination: Application['spec']['destination'], server?: string) => comparedToOf({ ...app, spec: { ...app.spec, destination } }, server).destination;
    expect(to({ namespace: 'web', server: 'https://east.example.com:6443' })).toEqual({ server: 'https://east.example.com:6443', namespace: 'web' });
    // a name: the server of the cluster it resolved to, when known
    expect(to({ namespace: 'web', name: 'west' }, 'https://west.example.com')).toEqual({ server: 'https://west.example.com', name: 'west', namespace: 'web' });
    expect(to({ namespace: 'web', name: 'west' })).toEqual({ name: 'west', namespace: 'web' });
    // neither: the cluster Sluice runs in, by the server Argo CD names it with
    expect(to({ namespace: 'web' })).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'web' });
    // the spec's server wins over what a resolution says
    expect(to({ namespace: 'web', server: 'https://east.example.com:6443' }, 'https://10.0.0.1:6443')).toEqual({ server: 'https://east.example.com:6443', namespace: 'web' });
  });

  it('reads a stored destination back whole', () => {
    const stored = { sync: { comparedTo: { destination: { server: 'https://west.example.com', name: 'west', namespace: 'web' } } } };
    expect(readApplicationStatus(app, stored).sync.comparedTo.destination).toEqual({ server: 'https://west.example.com', name: 'west', namespace: 'web' });
    expect(readApplicationStatus(app, { sync: { comparedTo: { destination: { server: 'https://west.example.com' } } } }).sync.comparedTo.destination).toEqual(initialStatus(app).sync.comparedTo.destination);
  });

  it('appends history with increasing ids and does not modify its input', () => {
    const s0 = initialStatus(app);
    const s1 = withHistoryEntry(s0, entry(1));
    const s2 = withHistoryEntry(s1, entry(2));
    expect(s0.history).toEqual([]);
    expect(s1.history.map((h) => h.id)).toEqual([0]);
    expect(s2.history.map((h) => [h.id, h.revision])).toEqual([
      [0, 'sha1'],
      [1, 'sha2'],
    ]);
    expect(s2.sync).toBe(s0.sync);
  });

  it.each([
    [10, 25, 10],
    [3, 5, 3],
    [1, 4, 1],
    [10, 4, 4],
  ])('with limit %d after %d entries keeps the newest %d, ids never reused', (limit, count, kept) => {
    let s: ApplicationStatus = initialStatus(app);
    for (let i = 1; i <= count; i++) s = withHistoryEntry(s, entry(i), limit);
    expect(s.history).toHaveLength(kept);
    expect(s.history.map((h) => h.id)).toEqual(Array.from({ length: kept }, (_, i) => count - kept + i));
    expect(s.history.at(-1)?.revision).toBe(`sha${count}`);
  });

  it('defaults the limit to 10 and trims a longer history it was given', () => {
    let s: ApplicationStatus = initialStatus(app);
    for (let i = 1; i <= 12; i++) s = withHistoryEntry(s, entry(i), 20);
    expect(withHistoryEntry(s, entry(13)).history.map((h) => h.revision)).toEqual(Array.from({ length: 10 }, (_, i) => `sha${i + 4}`));
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects limit %d', (limit) => {
    expect(() => withHistoryEntry(initialStatus(app), entry(1), limit)).toThrow(RangeError);
  });

  it('orders health as Argo CD does', () => {
    expect(isWorseHealth('Degraded', 'Progressing')).toBe(true);
    expect(isWorseHealth('Healthy', 'Suspended')).toBe(false);
    expect(isWorseHealth('Missing', 'Progressing')).toBe(true);
    expect(isWorseHealth('Healthy', 'Healthy')).toBe(false);
  });
});

describe('readApplicationStatus', () => {
  it('reads back what withHistoryEntry wrote (a JSON round trip through the CR)', () => {
    let s: ApplicationStatus = { ...initialStatus(app), sync: { ...initialStatus(app).sync, status: 'Synced', revision: 'sha2' }, health: { status: 'Degraded', message: 'web: 0/2 ready' }, reconciledAt: '2026-01-01T00:01:00Z' };
    s = withHistoryEntry(s, { ...entry(1), initiatedBy: { automated: true } });
    s = withHistoryEntry(s, { ...entry(2), deployStartedAt: '2026-01-01T00:00:01Z', initiatedBy: { username: 'admin' } });
    s = { ...s, conditions: [{ type: 'InvalidSpecError', message: 'spec.destination.namespace: is required', lastTransitionTime: '2026-01-01T00:02:00Z' }] };
    expect(readApplicationStatus(app, JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it.each([
    ['nothing', undefined],
    ['a string', 'Synced'],
    ['an empty object', {}],
  ])('reads %s as the initial status', (_name, stored) => {
    expect(readApplicationStatus(app, stored)).toEqual(initialStatus(app));
  });

  it('turns unknown codes into Unknown, drops malformed history, orders it by id, and drops operationState', () => {
    const r = readApplicationStatus(app, {
      sync: { status: 'Sync', revision: 7 },
      health: { status: 'Fine' },
      operationState: { phase: 'Running' },
      history: [{ id: 3, revision: 'b', deployedAt: 't3' }, { id: 'x', revision: 'a', deployedAt: 't' }, { id: 1, revision: 'a', deployedAt: 't1', source: { path: 'other' } }, null, { id: 2, deployedAt: 't2' }],
    });
    expect(r.sync.status).toBe('Unknown');
    expect(r.sync.revision).toBeUndefined();
    expect(r.health.status).toBe('Unknown');
    expect(r.operationState).toBeUndefined();
    expect(r.history.map((h) => [h.id, h.revision, h.source.path])).toEqual([
      [1, 'a', 'other'],
      [3, 'b', 'apps/guestbook'],
    ]);
    expect(withHistoryEntry(r, entry(9)).history.at(-1)?.id).toBe(4);
  });
});

describe('conditions', () => {
  const condition = { type: 'InvalidSpecError', message: 'spec.source.repoURL: is required', lastTransitionTime: '2026-01-01T00:00:00Z' };

  it.each([
    ['a valid condition', [condition], [condition]],
    ['an unknown type', [{ ...condition, type: 'OrphanedResourceWarning' }], undefined],
    ['no message', [{ ...condition, message: '' }], undefined],
    ['no lastTransitionTime', [{ type: 'InvalidSpecError', message: 'x' }], undefined],
    ['a non-object entry', ['InvalidSpecError', null, condition], [condition]],
    ['a non-list', { 0: condition }, undefined],
  ])('reads %s', (_name, stored, want) => {
    expect(readApplicationStatus(app, { conditions: stored }).conditions).toEqual(want);
  });

  const errors = [
    { where: 'cluster sluice-system/web', path: 'spec.destination.namespace', message: 'is required' },
    { where: 'cluster sluice-system/web', path: 'spec.syncPolicy.interval', message: 'must be at least 5s' },
  ];
  const message = 'spec.destination.namespace: is required; spec.syncPolicy.interval: must be at least 5s';
  const now = '2026-02-02T00:00:00Z';

  it.each([
    ['no status yet', undefined, now],
    ['a status without conditions', { sync: { status: 'Synced' }, health: { status: 'Healthy' } }, now],
    ['the same error since earlier', { conditions: [{ type: 'InvalidSpecError', message, lastTransitionTime: '2026-01-01T00:00:00Z' }] }, '2026-01-01T00:00:00Z'],
    ['a different error earlier', { conditions: [{ type: 'InvalidSpecError', message: 'spec: is required', lastTransitionTime: '2026-01-01T00:00:00Z' }] }, now],
    ['a malformed condition', { conditions: [{ type: 'InvalidSpecError', message }] }, now],
  ])('an invalid spec over %s: Unknown, one InvalidSpecError naming each field', (_name, stored, since) => {
    expect(invalidSpecStatus(stored, errors, now)).toEqual({
      sync: { status: 'Unknown' },
      health: { status: 'Unknown' },
      conditions: [{ type: 'InvalidSpecError', message, lastTransitionTime: since }],
    });
  });

  it('reports an error of the whole object by its message alone', () => {
    expect(invalidSpecStatus(undefined, [{ path: '', message: 'is not a valid Application' }], now).conditions[0].message).toBe('is not a valid Application');
  });
});
