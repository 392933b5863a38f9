/**
 * startWorker: runs operations from the queue, one at a time per app across every worker
 * and process, with retries for failures the handler marks retryable, recovery of jobs
 * whose worker died (BullMQ stall detection), and a bounded graceful close.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { acquireAppLock, type HeldLock } from './app-lock.ts';
import { retryClassOf, OperationError } from './errors.ts';
import { QUEUE_NAME, keys } from './keys.ts';
import type { QueueConnectionOptions } from './producer.ts';
import { RequestLedger } from './request-ledger.ts';
import { isJobKind, parseJobPayload, type JobKind, type JobPayload, type Operation } from './types.ts';

export interface HandlerContext {
  /** aborted when the worker closes past its grace period or the app lock was lost */
  readonly signal: AbortSignal;
}

export type Handler<R> = (op: Operation, ctx: HandlerContext) => Promise<R>;

export type JobOutcome<R> = { readonly outcome: 'handled'; readonly result: R } | { readonly outcome: 'skipped'; readonly reason: string };

export interface WorkerOptions<R> extends QueueConnectionOptions {
  readonly concurrency: number;
  readonly handle: Handler<R>;
  /** BullMQ job lock and the per-app lock TTL; a worker silent this long is presumed dead (default 30 s) */
  readonly lockDurationMs?: number;
  /** how often this worker looks for stalled jobs (default 15 s) */
  readonly stalledIntervalMs?: number;
  /** stalls tolerated before a job fails (default 2) */
  readonly maxStalledCount?: number;
  /** delay before a job whose app is busy is tried again (default 1 s) */
  readonly appBusyRetryMs?: number;
  /** close() waits this long for running operations before handing them back (default 30 s) */
  readonly closeTimeoutMs?: number;
  /** errors from BullMQ's connections and loops; default: console.error */
  readonly onError?: (err: Error) => void;
}

export interface CloseReport {
  /** job ids returned to the queue unfinished because the grace period ran out */
  readonly handedBack: readonly string[];
}

export interface SluiceWorker {
  readonly id: string;
  close(options?: { readonly timeoutMs?: number }): Promise<CloseReport>;
}

interface Running {
  readonly job: Job<JobPayload, unknown, JobKind>;
  readonly token: string;
  readonly abort: AbortController;
  readonly lock: HeldLock;
  readonly done: Promise<void>;
  /** set by close() when the job went back to the queue unfinished */
  handedBack: boolean;
}

let workerCount = 0;

/** A payload that does not validate never will: fail the job without retries. */
function appOf(data: unknown): string {
  try {
    return parseJobPayload(data).app;
  } catch (err) {
    throw new UnrecoverableError(`invalid job payload: ${(err as Error).message}`);
  }
}

export async function startWorker<R>(options: WorkerOptions<R>): Promise<SluiceWorker> {
  const k = keys(options);
  const lockDuration = options.lockDurationMs ?? 30_000;
  const appBusyRetryMs = options.appBusyRetryMs ?? 1_000;
  const onError = options.onError ?? ((err: Error) => console.error(`sluice worker: ${err.message}`));
  // BullMQ's blocking connection requires maxRetriesPerRequest: null (it throws otherwise)
  const redis = new Redis(options.connection, { maxRetriesPerRequest: null });
  redis.on('error', onError);
  const ledger = new RequestLedger(redis, k);
  const running = new Map<string, Running>();
  const id = `${process.pid}-${++workerCount}`;

  const processor = async (job: Job<JobPayload, unknown, JobKind>, token?: string): Promise<JobOutcome<R>> => {
    if (!isJobKind(job.name)) throw new UnrecoverableError(`unknown job kind ${job.name}`);
    if (job.id === undefined || token === undefined) throw new Error('BullMQ gave a job without id or token');
    const jobId = job.id;
    const app = appOf(job.data);
    const lock = await acquireAppLock(redis, k.appLock(app), lockDuration);
    if (!lock) {
      // another operation of this app runs somewhere: try again shortly, without using an attempt
      await job.moveToDelayed(Date.now() + appBusyRetryMs, token);
      throw new DelayedError(`app ${app} is busy`);
    }
    const abort = new AbortController();
    const onLost = (): void => abort.abort(lock.lost.reason);
    lock.lost.addEventListener('abort', onLost, { once: true });
    let finish = (): void => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    running.set(jobId, { job, token, abort, lock, done, handedBack: false });
    try {
      return await runLocked(job, jobId, token, app, abort.signal);
    } finally {
      running.delete(jobId);
      lock.lost.removeEventListener('abort', onLost);
      await lock.release().catch(onError);
      finish();
    }
  };

  const runLocked = async (job: Job<JobPayload, unknown, JobKind>, jobId: string, token: string, app: string, signal: AbortSignal): Promise<JobOutcome<R>> => {
    const attempt = job.attemptsMade + 1;
    let op: Operation;
    if (job.name === 'sync') {
      const request = await ledger.claim(app, jobId);
      if (!request) return { outcome: 'skipped', reason: 'no pending request (an earlier job already ran it)' };
      op = { kind: 'sync', app, request, jobId, attempt };
    } else {
      op = { kind: 'refresh', app, jobId, attempt };
    }
    try {
      const result = await options.handle(op, { signal });
      if (op.kind === 'sync') await ledger.release(app, jobId);
      return { outcome: 'handled', result };
    } catch (err) {
      // handed back by close(): the job and its request belong to the next worker now
      if (running.get(jobId)?.handedBack) throw err;
      const retry = retryClassOf(err);
      if (retry === 'requeue-after' && err instanceof OperationError) {
        await job.moveToDelayed(Date.now() + (err.options.requeueAfterMs ?? appBusyRetryMs), token);
        throw new DelayedError(err.message);
      }
      const attempts = job.opts.attempts ?? 1;
      if (retry === 'retryable' && attempt < attempts) throw err;
      if (op.kind === 'sync') await ledger.release(app, jobId);
      if (retry === 'retryable') throw err;
      throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
    }
  };

  const worker = new Worker<JobPayload, JobOutcome<R>, JobKind>(QUEUE_NAME, processor, {
    connection: redis,
    prefix: k.bullPrefix,
    concurrency: options.concurrency,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? 15_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    autorun: true,
  });
  worker.on('error', onError);
  await worker.waitUntilReady();

  return {
    id,
    async close({ timeoutMs = options.closeTimeoutMs ?? 30_000 } = {}) {
      // stop taking jobs, then give the running ones their grace period
      await worker.pause(true);
      const inFlight = [...running.values()];
      const allDone = Promise.all(inFlight.map((r) => r.done)).then(() => true);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const finished = await Promise.race([allDone, timedOut]);
      clearTimeout(timer);
      const handedBack: string[] = [];
      if (!finished) {
        // the jobs go back to wait first, then BullMQ stops (force: it will not record the
        // aborted runs), then the handlers are told to stop; the app locks, no longer
        // renewed, are released when a handler returns or expire when it does not
        const stuck = [...running.values()];
        for (const r of stuck) {
          r.handedBack = true;
          r.lock.abandon();
          try {
            await r.job.moveToWait(r.token);
            handedBack.push(r.job.id ?? '');
          } catch (err) {
            onError(err as Error);
          }
        }
        await worker.close(true);
        for (const r of stuck) r.abort.abort(new Error('worker closing'));
        await Promise.race([Promise.all(stuck.map((r) => r.done)), new Promise((r) => setTimeout(r, 250))]);
      } else {
        await worker.close();
      }
      await redis.quit().catch(() => redis.disconnect());
      return { handedBack };
    },
  };
}
