import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireAppLock } from '../../src/queue/app-lock.ts';
import { keys } from '../../src/queue/keys.ts';
import { RequestLedger } from '../../src/queue/request-ledger.ts';
import type { SyncTrigger } from '../../src/queue/types.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { sleep, waitFor } from './recorder.ts';

describe.skipIf(!redisAvailable())('app lock and request ledger (real redis-server)', () => {
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

  const key = (): string => `lock:${randomUUID()}`;

  it('the app lock admits one holder, renews itself, and is released only by its holder', async () => {
    const k = key();
    const first = await acquireAppLock(redis, k, 300);
    expect(first).toBeDefined();
    expect(await acquireAppLock(redis, k, 300)).toBeUndefined();
    await sleep(500); // past the TTL: renewals kept it
    expect(await acquireAppLock(redis, k, 300)).toBeUndefined();
    await first!.release();
    const second = await acquireAppLock(redis, k, 300);
    expect(second).toBeDefined();
    await first!.release(); // a stale holder's release must not free the new holder's lock
    expect(await redis.exists(k)).toBe(1);
    await second!.release();
    expect(await redis.exists(k)).toBe(0);
  });

  it('an abandoned lock expires; a lock taken away signals its holder', async () => {
    const k = key();
    const held = await acquireAppLock(redis, k, 200);
    held!.abandon();
    await sleep(300);
    expect(await redis.exists(k)).toBe(0);
    const k2 = key();
    const stolen = await acquireAppLock(redis, k2, 150);
    await redis.set(k2, 'someone-else');
    await waitFor(() => stolen!.lost.aborted, 1_000, 'the holder to notice');
    await stolen!.release();
    expect(await redis.get(k2)).toBe('someone-else');
  });

  const req = (trigger: SyncTrigger, revision: string, requestedAt = 1) => ({ trigger, revision, requestedAt });

  it.each([
    { name: 'newer explicit replaces older explicit', first: req('webhook', 'a'), second: req('manual', 'b'), want: 'b' },
    { name: 'explicit replaces background', first: req('poll', 'a'), second: req('webhook', 'b'), want: 'b' },
    { name: 'newer background replaces background', first: req('poll', 'a'), second: req('self-heal', 'b'), want: 'b' },
    { name: 'background never replaces explicit', first: req('rollback', 'a'), second: req('poll', 'b'), want: 'a' },
  ])('ledger merge: $name', async ({ first, second, want }) => {
    const ledger = new RequestLedger(redis, keys({ prefix: `l${randomUUID().slice(0, 8)}` }));
    await ledger.submit('app', first);
    await ledger.submit('app', second);
    expect((await ledger.claim('app', 'job-1'))?.revision).toBe(want);
  });

  it('ledger: a claim moves the request in flight; a re-run or a later job adopts it until released', async () => {
    const ledger = new RequestLedger(redis, keys({ prefix: `l${randomUUID().slice(0, 8)}` }));
    expect(await ledger.claim('app', 'job-1')).toBeUndefined();
    await ledger.submit('app', req('webhook', 'a'));
    expect(await ledger.claim('app', 'job-1')).toEqual(req('webhook', 'a'));
    expect((await ledger.view('app')).pending).toBeUndefined();
    // the same job re-run after a crash gets the same request
    expect(await ledger.claim('app', 'job-1')).toEqual(req('webhook', 'a'));
    // a newer poll does not displace it; a newer explicit request does
    await ledger.submit('app', req('poll', 'p'));
    expect((await ledger.claim('app', 'job-1'))?.revision).toBe('a');
    await ledger.submit('app', req('manual', 'm'));
    expect((await ledger.claim('app', 'job-2'))?.revision).toBe('m');
    // only the holder's release clears it
    await ledger.release('app', 'job-1');
    expect((await ledger.view('app')).inflight?.jobId).toBe('job-2');
    await ledger.release('app', 'job-2');
    expect(await ledger.view('app')).toEqual({});
  });
});
