import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore, parseHistoryEntry } from '../../src/store/history.ts';
import type { HistoryEntry } from '../../src/store/types.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';

function newEntry(n: number, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: `op-${n}`,
    revision: `rev${n}`,
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    finishedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, n)).toISOString(),
    trigger: 'webhook',
    phase: 'Succeeded',
    message: 'successfully synced',
    resources: [
      { group: 'apps', kind: 'Deployment', namespace: 'default', name: 'web', action: 'configured' },
      { group: '', kind: 'ConfigMap', namespace: 'default', name: 'old', action: 'pruned', message: 'pruned' },
    ],
    ...overrides,
  };
}

describe('parseHistoryEntry', () => {
  it.each([
    { name: 'bad phase', entry: { ...newEntry(1), phase: 'Done' }, error: /phase/ },
    { name: 'bad trigger', entry: { ...newEntry(1), trigger: 'cron' }, error: /trigger/ },
    { name: 'bad action', entry: { ...newEntry(1), resources: [{ group: '', kind: 'Pod', namespace: 'a', name: 'b', action: 'deleted' }] }, error: /action/ },
    { name: 'missing revision', entry: { ...newEntry(1), revision: undefined }, error: /revision/ },
    { name: 'not an object', entry: 'x', error: /not an object/ },
  ])('rejects $name', ({ entry, error }) => {
    expect(() => parseHistoryEntry(entry)).toThrow(error);
  });

  it('drops unknown fields', () => {
    expect(parseHistoryEntry({ ...newEntry(1), extra: true })).toEqual(newEntry(1));
  });
});

describe.skipIf(!redisAvailable())('HistoryStore (real redis-server)', () => {
  let server: TestRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server?.stop();
  });

  const store = (limit?: number) => new HistoryStore(redis, { prefix: `h${randomUUID().slice(0, 8)}`, ...(limit ? { limit } : {}) });

  it('keeps the last 50 entries, newest first', async () => {
    const history = store();
    for (let n = 0; n < 60; n++) await history.record('guestbook', newEntry(n));
    const all = await history.list('guestbook', 100);
    expect(all).toHaveLength(50);
    expect(all[0]).toEqual(newEntry(59));
    expect(all.at(-1)?.id).toBe('op-10');
    expect(all.map((e) => e.id)).toEqual(Array.from({ length: 50 }, (_, i) => `op-${59 - i}`));
    expect((await history.list('guestbook', 3)).map((e) => e.id)).toEqual(['op-59', 'op-58', 'op-57']);
    expect(await history.list('guestbook', 0)).toEqual([]);
  });

  it('keeps apps apart and honours a custom limit', async () => {
    const history = store(3);
    for (let n = 0; n < 5; n++) await history.record('a', newEntry(n));
    await history.record('b', newEntry(100, { phase: 'Failed', trigger: 'poll' }));
    expect((await history.list('a', 10)).map((e) => e.id)).toEqual(['op-4', 'op-3', 'op-2']);
    expect(await history.list('b', 10)).toEqual([newEntry(100, { phase: 'Failed', trigger: 'poll' })]);
    expect(await history.list('never', 10)).toEqual([]);
  });

  it('rejects an invalid entry without storing it', async () => {
    const history = store();
    await expect(history.record('a', { ...newEntry(1), phase: 'Nope' } as unknown as HistoryEntry)).rejects.toThrow(/phase/);
    expect(await history.list('a', 10)).toEqual([]);
  });

  it('stores and returns the last sync state', async () => {
    const history = store();
    expect(await history.getState('guestbook')).toBeUndefined();
    const state = { phase: 'Synced', revision: 'abc', resources: [{ kind: 'Service', name: 'web' }] };
    await history.setState('guestbook', state);
    expect(await history.getState('guestbook')).toEqual(state);
    await history.setState('guestbook', { phase: 'OutOfSync' });
    expect(await history.getState('guestbook')).toEqual({ phase: 'OutOfSync' });
  });
});
