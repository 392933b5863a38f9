import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopProcess } from '../../src/child-process.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { until } from '../support/wait.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { completedRuns, overlaps, queueIdle, runEvents, sleep } from './recorder.ts';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

describe.skipIf(!redisAvailable())('workers in separate processes (real redis-server)', () => {
  let server: TestRedis;
  let redis: Redis;
  const children: ChildProcess[] = [];
  const queues: SluiceQueue[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c, 5_000)));
    await Promise.all(queues.splice(0).map((q) => q.close()));
  });
  afterAll(async () => {
    redis.disconnect();
    await server?.stop();
  });

  function spawnWorker(prefix: string, name: string, env: Record<string, string>): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: { ...process.env, REDIS_URL: server.url, PREFIX: prefix, WORKER_NAME: name, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output}`)), 15_000);
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.stdout?.on('data', (c: Buffer) => {
        output += c.toString();
        if (output.includes('ready')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code}: ${output}`));
      });
    });
  }

  it('two processes: each app runs one operation at a time and ends on its newest request', async () => {
    const prefix = `p${randomUUID().slice(0, 8)}`;
    const queue = new SluiceQueue({ connection: server.url, prefix });
    queues.push(queue);
    await Promise.all([spawnWorker(prefix, 'A', { HOLD_MS: '40' }), spawnWorker(prefix, 'B', { HOLD_MS: '40' })]);
    const apps = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    for (let round = 0; round < 10; round++) {
      for (const app of apps) await queue.requestSync(app, { revision: `${app}-${round}`, trigger: 'webhook' });
      await sleep(15);
    }
    await until('all apps', async () => (await queueIdle(queue.bullQueue)) && (await redis.exists(...apps.map((a) => `${prefix}:req:pending:${a}`))) === 0, 15_000, 25);
    const runs = await completedRuns(redis, prefix);
    expect(overlaps(runs)).toEqual([]);
    const jobIds = runs.map((r) => r.jobId);
    expect(new Set(jobIds).size).toBe(jobIds.length);
    for (const app of apps) expect(runs.filter((r) => r.app === app).at(-1)?.revision).toBe(`${app}-9`);
    expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(['A', 'B']));
  });

  it('a worker killed with SIGKILL mid-job: the other process runs the job after stall detection', async () => {
    const prefix = `k${randomUUID().slice(0, 8)}`;
    const queue = new SluiceQueue({ connection: server.url, prefix });
    queues.push(queue);
    const timing = { LOCK_MS: '1000', STALL_MS: '500', HOLD_MS: '2500' };
    const workers = new Map(await Promise.all(['A', 'B'].map(async (name) => [name, await spawnWorker(prefix, name, timing)] as const)));
    const job = await queue.requestSync('victim', { revision: 'r1', trigger: 'manual' });
    await until('a worker to start the job', async () => (await runEvents(redis, prefix, 'start')).length > 0, 5_000, 25);
    const [first] = await runEvents(redis, prefix, 'start');
    const victim = first!.worker;
    const survivor = victim === 'A' ? 'B' : 'A';
    const killedAt = Date.now();
    workers.get(victim)!.kill('SIGKILL');
    await until(`${survivor} to finish the job`, async () => (await completedRuns(redis, prefix)).length > 0, 12_000, 25);
    const recoveredIn = Date.now() - killedAt;
    const runs = await completedRuns(redis, prefix);
    expect(runs.map((r) => [r.worker, r.jobId, r.revision])).toEqual([[survivor, job.jobId, 'r1']]);
    // the survivor started it only after the victim's lock expired
    expect(runs[0]!.start - killedAt).toBeGreaterThanOrEqual(500);
    console.info(`SIGKILL recovery: restarted after ${runs[0]!.start - killedAt} ms, done after ${recoveredIn} ms (hold 2500 ms)`);
    // the handler records its end just before BullMQ marks the job completed
    await until('the job to complete', async () => (await queue.bullQueue.getJobState(job.jobId)) === 'completed', 3_000, 25);
    expect(recoveredIn).toBeLessThan(10_000);
    expect(workers.get(survivor)!.exitCode).toBeNull();
  });
});
