import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/queue/keys.ts';
import { ProcessLease } from '../../src/queue/lease.ts';
import { RequestLedger } from '../../src/queue/request-ledger.ts';
import type { SyncTrigger } from '../../src/queue/types.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';


describe.skipIf(!redisAvailable())('process lease, app locks and request ledger (real redis-server)', () => {
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

  const prefix = `lease${randomUUID().slice(0, 8)}`;
  const leaseOf = (ttlMs: number, connection: Redis = redis) => ProcessLease.start(connection, keys({ prefix }), { ttlMs });
  const key = (): string => `lock:${randomUUID()}`;

  it('an app lock admits one holder, lives while its lease is renewed, and is released only by its holder', async () => {
    const [a, b] = [await leaseOf(1_000), await leaseOf(1_000)];
    const k = key();
    const first = await a.acquire(k);
    expect(first).toBeDefined();
    expect(await b.acquire(k)).toBeUndefined();
    // Redis expires keys on its own wall clock, which no injected clock drives: past two and a
    // half TTLs of real time, the renewed lease still holds the lock (a 1 s TTL leaves a loaded
    // machine room for a late renewal)
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await b.acquire(k)).toBeUndefined();
    expect(first!.lost.aborted).toBe(false);
    await first!.release();
    const second = await b.acquire(k);
    expect(second).toBeDefined();
    await first!.release(); // a stale holder's release must not free the new holder's lock
    expect(await redis.exists(k)).toBe(1);
    await second!.release();
    expect(await redis.exists(k)).toBe(0);
    await Promise.all([a.stop(), b.stop()]);
  });

  it("a dead holder's locks are free one lease TTL later; a stopped lease frees them at once", async () => {
    // a process killed with SIGKILL: its connection is gone, its lease no longer renewed
    const deadConnection = new Redis(server.url);
    const [dead, survivor] = [await leaseOf(300, deadConnection), await leaseOf(300)];
    const k = key();
    await dead.acquire(k);
    deadConnection.disconnect();
    const killedAt = Date.now();
    const taken = await until('the survivor to take the lock', () => survivor.acquire(k), 2_000, 20);
    expect(Date.now() - killedAt).toBeLessThan(1_500);
    await taken.release();
    const k2 = key();
    const stopping = await leaseOf(60_000);
    await stopping.acquire(k2);
    await stopping.stop();
    expect(await survivor.acquire(k2)).toBeDefined();
    await survivor.stop();
  });

  it('a lock taken away or a lease that expired aborts its holder', async () => {
    const lease = await leaseOf(300);
    const k = key();
    const stolen = await lease.acquire(k);
    await redis.set(k, 'someone-else');
    await until('the holder to notice the theft', () => stolen!.lost.aborted, 1_000, 25);
    await stolen!.release();
    expect(await redis.get(k)).toBe('someone-else');
    // the lease deleted behind its back (expired while the process stalled): every lock is lost
    const held = await lease.acquire(key());
    await redis.del(...(await redis.keys(`${prefix}:lease:*`)));
    await until('the holder to notice its lease is gone', () => held!.lost.aborted, 1_000, 25);
    // and a new lease takes new locks
    expect(await lease.acquire(key())).toBeDefined();
    await lease.stop();
  });

  it('a holder cut off from Redis stops as soon as its lease TTL passes, before anyone could take over', async () => {
    const connection = new Redis(server.url);
    const lease = await leaseOf(300, connection);
    const held = await lease.acquire(key());
    connection.disconnect();
    const cutAt = Date.now();
    await until('the holder to give its lock up', () => held!.lost.aborted, 2_000, 10);
    // the lease TTL (300 ms) and at most one renewal tick (100 ms)
    expect(Date.now() - cutAt).toBeLessThan(1_000);
    await lease.stop();
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
