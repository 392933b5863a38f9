/**
 * A Sluice worker in its own process, for the multi-process tests:
 *   node --import tsx test/queue/worker-process.ts
 * Settings come from the environment (REDIS_URL, PREFIX, WORKER_NAME, HOLD_MS, LOCK_MS,
 * STALL_MS, CONCURRENCY). Prints "ready" once the worker listens; SIGTERM closes it.
 */
import { Redis } from 'ioredis';
import { startWorker } from '../../src/queue/worker.ts';
import { recordingHandler } from './recorder.ts';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const url = env('REDIS_URL');
const prefix = env('PREFIX');
const name = env('WORKER_NAME', `pid${process.pid}`);
const holdMs = Number(env('HOLD_MS', '50'));
const redis = new Redis(url);
const worker = await startWorker({
  connection: url,
  prefix,
  concurrency: Number(env('CONCURRENCY', '4')),
  handle: recordingHandler(redis, prefix, name, () => holdMs),
  lockDurationMs: Number(env('LOCK_MS', '2000')),
  stalledIntervalMs: Number(env('STALL_MS', '1000')),
  appBusyRetryMs: 50,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void worker.close({ timeoutMs: 2_000 }).finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
