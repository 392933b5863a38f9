import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OperationError } from '../../src/queue/errors.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import type { Operation } from '../../src/queue/types.ts';
import { startWorker, type SluiceWorker } from '../../src/queue/worker.ts';
import { until } from '../support/wait.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { completedRuns, overlaps, queueIdle, recordingHandler, runEvents, sleep } from './recorder.ts';

describe.skipIf(!redisAvailable())('queue workers (real redis-server)', () => {
  let server: TestRedis;
  let redis: Redis;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  });
  afterAll(async () => {
    redis.disconnect();
    await server?.stop();
  });

  function setup(queueOptions: { backoffMs?: number; attempts?: number } = {}) {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const queue = new SluiceQueue({ connection: server.url, prefix, ...queueOptions });
    cleanups.push(() => queue.close());
    const worker = async (name: string, hold: (op: Operation) => number, extra: { concurrency?: number } = {}): Promise<SluiceWorker> => {
      const w = await startWorker({
        connection: server.url,
        prefix,
        concurrency: extra.concurrency ?? 4,
        handle: recordingHandler(redis, prefix, name, hold),
        lockDurationMs: 2_000,
        stalledIntervalMs: 1_000,
        appBusyRetryMs: 50,
      });
      cleanups.push(() => w.close({ timeoutMs: 1_000 }));
      return w;
    };
    return { prefix, queue, worker };
  }

  it('collapses a burst of 50 requests into at most two runs, the last with the newest revision', async () => {
    const { prefix, queue, worker } = setup();
    // each run outlasts the whole burst, even on a loaded machine
    await worker('w1', () => 1_000);
    for (let i = 0; i < 50; i++) await queue.requestSync('guestbook', { revision: `r${i}`, trigger: 'webhook' });
    await until('the queue to drain', async () => (await queueIdle(queue.bullQueue)) && (await completedRuns(redis, prefix)).length > 0, 10_000, 25);
    const runs = await completedRuns(redis, prefix);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(runs.at(-1)?.revision).toBe('r49');
    expect(overlaps(runs)).toEqual([]);
  });

  it('runs a burst that arrives while a job is active exactly twice: the active one and the newest', async () => {
    const { prefix, queue, worker } = setup();
    // the first run outlasts the whole burst, even on a loaded machine
    await worker('w1', (op) => (op.kind === 'sync' && op.request.revision === 'first' ? 3_000 : 50));
    await queue.requestSync('guestbook', { revision: 'first', trigger: 'manual' });
    await until('the first run to start', async () => (await redis.llen(`${prefix}:test:runs`)) > 0, 5_000, 25);
    for (let i = 0; i < 50; i++) await queue.requestSync('guestbook', { revision: `r${i}`, trigger: 'webhook' });
    await until('two runs', async () => (await completedRuns(redis, prefix)).length >= 2 && (await queueIdle(queue.bullQueue)), 10_000, 25);
    const runs = await completedRuns(redis, prefix);
    expect(runs.map((r) => r.revision)).toEqual(['first', 'r49']);
    expect(overlaps(runs)).toEqual([]);
  });

  it('never lets an older background request replace a pending webhook request', async () => {
    const { prefix, queue, worker } = setup();
    await queue.requestSync('web', { revision: 'pushed', trigger: 'webhook' });
    const poll = await queue.requestSync('web', { trigger: 'poll' });
    expect(poll.stored).toBe(false);
    expect(await queue.webhookBusy('web')).toBe(true);
    // and an explicit request does replace a pending poll
    await queue.requestSync('polled', { trigger: 'poll' });
    expect((await queue.requestSync('polled', { revision: 'abc', trigger: 'webhook' })).stored).toBe(true);
    await worker('w1', () => 20);
    await until('both apps', async () => (await completedRuns(redis, prefix)).length >= 2 && (await queueIdle(queue.bullQueue)), 10_000, 25);
    const runs = await completedRuns(redis, prefix);
    expect(runs.map((r) => [r.app, r.revision, r.trigger]).sort()).toEqual([
      ['polled', 'abc', 'webhook'],
      ['web', 'pushed', 'webhook'],
    ]);
    expect(await queue.webhookBusy('web')).toBe(false);
  });

  it('runs a rollout look before the syncs and refreshes queued ahead of it', async () => {
    const { prefix, queue, worker } = setup();
    // one slot, taken by a run that outlasts the queueing below, even on a loaded machine
    await worker('w1', (op) => (op.app === 'blocker' ? 2_000 : 10), { concurrency: 1 });
    await queue.requestSync('blocker', { trigger: 'manual' });
    await until('the first run to start', async () => (await redis.llen(`${prefix}:test:runs`)) > 0, 5_000, 25);
    for (let i = 0; i < 5; i++) await queue.requestSync(`app${i}`, { trigger: 'poll' });
    for (let i = 0; i < 3; i++) await queue.requestRefresh(`other${i}`);
    const look = await queue.requestLook('rolling', 0);
    await until('every run', async () => (await completedRuns(redis, prefix)).length === 10 && (await queueIdle(queue.bullQueue)), 15_000, 25);
    const order = (await completedRuns(redis, prefix)).map((r) => r.jobId);
    expect(order.indexOf(look)).toBe(1);
  });

  it('two workers: each job runs once, apps never run twice at once, each app ends on its newest request', async () => {
    const { prefix, queue, worker } = setup();
    await worker('w1', () => 60, { concurrency: 3 });
    await worker('w2', () => 60, { concurrency: 3 });
    const apps = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (let round = 0; round < 20; round++) {
      for (const app of apps) await queue.requestSync(app, { revision: `${app}-${round}`, trigger: 'webhook' });
      await sleep(10);
    }
    await until('all apps', async () => (await queueIdle(queue.bullQueue)) && (await redis.exists(...apps.map((a) => `${prefix}:req:pending:${a}`))) === 0, 15_000, 25);
    await sleep(100);
    expect(await queueIdle(queue.bullQueue)).toBe(true);
    const runs = await completedRuns(redis, prefix);
    expect(overlaps(runs)).toEqual([]);
    const jobIds = runs.map((r) => r.jobId);
    expect(new Set(jobIds).size).toBe(jobIds.length);
    for (const app of apps) {
      const mine = runs.filter((r) => r.app === app);
      expect(mine.at(-1)?.revision).toBe(`${app}-19`);
    }
    expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
    // different apps did run in parallel
    expect(runs.some((r, i) => runs.some((o, j) => i !== j && o.app !== r.app && o.start < r.end! && r.start < o.end!))).toBe(true);
  });

  it('serialises a refresh and a sync of the same app across workers (per-app lock)', async () => {
    const { prefix, queue, worker } = setup();
    await worker('w1', () => 300);
    await worker('w2', () => 300);
    await queue.requestSync('shop', { revision: 'r1', trigger: 'manual' });
    await queue.requestRefresh('shop');
    await until('sync and refresh', async () => (await completedRuns(redis, prefix)).length >= 2 && (await queueIdle(queue.bullQueue)), 10_000, 25);
    const runs = await completedRuns(redis, prefix);
    expect(runs.map((r) => r.kind).sort()).toEqual(['refresh', 'sync']);
    expect(overlaps(runs)).toEqual([]);
  });

  it('retries retryable failures with exponential backoff, and fails others at once', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const queue = new SluiceQueue({ connection: server.url, prefix, attempts: 4, backoffMs: 150 });
    cleanups.push(() => queue.close());
    const seen: Array<{ app: string; attempt: number; at: number }> = [];
    const w = await startWorker({
      connection: server.url,
      prefix,
      concurrency: 2,
      lockDurationMs: 2_000,
      handle: async (op) => {
        seen.push({ app: op.app, attempt: op.attempt, at: Date.now() });
        if (op.app === 'flaky' && op.attempt < 3) throw OperationError.retryable('apiserver unavailable');
        if (op.app === 'broken') throw new Error('manifest is invalid');
        if (op.app === 'terminal') throw OperationError.terminal('no such namespace');
        return 'ok';
      },
    });
    cleanups.push(() => w.close({ timeoutMs: 1_000 }));
    const flaky = await queue.requestSync('flaky', { trigger: 'manual' });
    const broken = await queue.requestSync('broken', { trigger: 'manual' });
    const terminal = await queue.requestSync('terminal', { trigger: 'manual' });
    await until('retries', async () => (await queueIdle(queue.bullQueue)) && seen.length >= 5, 10_000, 25);
    const flakyRuns = seen.filter((s) => s.app === 'flaky');
    expect(flakyRuns.map((s) => s.attempt)).toEqual([1, 2, 3]);
    const gap1 = flakyRuns[1]!.at - flakyRuns[0]!.at;
    const gap2 = flakyRuns[2]!.at - flakyRuns[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(140); // 150 ms
    expect(gap2).toBeGreaterThanOrEqual(290); // 300 ms: doubled
    expect(seen.filter((s) => s.app === 'broken').length).toBe(1);
    expect(seen.filter((s) => s.app === 'terminal').length).toBe(1);
    expect(await queue.bullQueue.getJobState(flaky.jobId)).toBe('completed');
    expect(await queue.bullQueue.getJobState(broken.jobId)).toBe('failed');
    expect(await queue.bullQueue.getJobState(terminal.jobId)).toBe('failed');
    // a failed-for-good request is not left in flight
    expect(await redis.exists(`${prefix}:req:inflight:broken`, `${prefix}:req:inflight:flaky`)).toBe(0);
  });

  it('fails a job with an invalid payload at once, without calling the handler', async () => {
    const { prefix, queue, worker } = setup();
    await worker('w1', () => 10);
    const job = await queue.bullQueue.add('sync', { app: 'Not A Name!' }, { attempts: 5 });
    await until('the job to fail', async () => (await queue.bullQueue.getJobState(job.id!)) === 'failed', 5_000, 25);
    const failed = await queue.bullQueue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/invalid job payload/);
    expect(await redis.llen(`${prefix}:test:runs`)).toBe(0);
  });

  it('close() lets a running operation finish within the grace period', async () => {
    const { prefix, queue, worker } = setup();
    const w = await worker('w1', () => 300);
    await queue.requestSync('guestbook', { revision: 'r1', trigger: 'manual' });
    await until('the run to start', async () => (await redis.llen(`${prefix}:test:runs`)) > 0, 5_000, 25);
    const report = await w.close({ timeoutMs: 3_000 });
    expect(report.handedBack).toEqual([]);
    const runs = await completedRuns(redis, prefix);
    expect(runs.map((r) => r.revision)).toEqual(['r1']);
  });

  it('close() past its grace period aborts the handler and hands the job back to another worker', async () => {
    const { prefix, queue, worker } = setup();
    const w1 = await worker('w1', () => 60_000);
    const job = await queue.requestSync('guestbook', { revision: 'r1', trigger: 'manual' });
    await until('the run to start', async () => (await redis.llen(`${prefix}:test:runs`)) > 0, 5_000, 25);
    const started = Date.now();
    const report = await w1.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(report.handedBack).toEqual([job.jobId]);
    expect(await completedRuns(redis, prefix)).toEqual([]);
    await until('the handler to see the abort', async () => (await runEvents(redis, prefix, 'aborted')).length === 1, 2_000, 25);
    await worker('w2', () => 50);
    await until('w2 to run the handed-back job', async () => (await completedRuns(redis, prefix)).length > 0, 8_000, 25);
    const runs = await completedRuns(redis, prefix);
    expect(runs.map((r) => [r.worker, r.jobId, r.revision])).toEqual([['w2', job.jobId, 'r1']]);
  });

  it('a handler whose app lock is lost (its lease expired) is aborted at once and its job runs again', async () => {
    const { prefix, queue, worker } = setup();
    let runs = 0;
    await worker('w1', () => (++runs === 1 ? 60_000 : 50));
    const job = await queue.requestSync('guestbook', { revision: 'r1', trigger: 'manual' });
    await until('the run to start', async () => (await redis.llen(`${prefix}:test:runs`)) > 0, 5_000, 25);
    // what a process that stalled past its lease TTL finds: its lease gone, maybe its locks taken
    const lostAt = Date.now();
    await redis.del(...(await redis.keys(`${prefix}:lease:*`)));
    await until('the handler to see the abort', async () => (await runEvents(redis, prefix, 'aborted')).length === 1, 3_000, 25);
    // a renewal tick (a third of the 2 s TTL) notices
    expect(Date.now() - lostAt).toBeLessThan(1_500);
    await until('the job to run again', async () => (await completedRuns(redis, prefix)).length > 0, 8_000, 25);
    expect((await completedRuns(redis, prefix)).map((r) => [r.jobId, r.revision])).toEqual([[job.jobId, 'r1']]);
    await until('the job to complete', async () => (await queue.bullQueue.getJobState(job.jobId)) === 'completed', 3_000, 25);
  });
});
