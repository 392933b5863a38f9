/**
 * startWorker: runs operations from the queue, one at a time per app across every worker
 * and process, with retries for failures the handler marks retryable, recovery of jobs
 * whose worker died (BullMQ stall detection and the process lease, both a few seconds),
 * and a bounded graceful close.
 *
 * A handler whose app lock or BullMQ job lock is lost (this process stalled or lost Redis
 * for a lease TTL, and another may have taken over) sees `ctx.signal` aborted at once; its
 * job is handed back rather than failed, so the request runs again where the lock now is.
 */
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { retryClassOf, OperationError } from './errors.ts';
import { QUEUE_NAME, keys } from './keys.ts';
import { ProcessLease } from './lease.ts';
import { healthOf, type QueueConnectionOptions } from './producer.ts';
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
  /** BullMQ job lock and the process lease TTL; a worker silent this long is presumed dead (default 3 s) */
  readonly lockDurationMs?: number;
  /** how often this worker looks for stalled jobs (default 1 s) */
  readonly stalledIntervalMs?: number;
  /** stalls tolerated before a job fails (default 2) */
  readonly maxStalledCount?: number;
  /** delay before a job whose app is busy is tried again (default 1 s) */
  readonly appBusyRetryMs?: number;
  /** close() waits this long for running operations before handing them back (default 30 s) */
  readonly closeTimeoutMs?: number;
  /** one line per problem (lost locks, BullMQ errors); Redis outages go to `health` */
  readonly log?: (line: string) => void;
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
  readonly done: Promise<void>;
  /** set by close() when the job went back to the queue unfinished */
  handedBack: boolean;
  /** set when its app lock or job lock was lost: another process may run it now */
  lost: boolean;
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
  const lockDuration = options.lockDurationMs ?? 3_000;
  const appBusyRetryMs = options.appBusyRetryMs ?? 1_000;
  const log = options.log ?? ((line: string) => console.error(`sluice worker: ${line}`));
  const onError = (err: Error): void => log(err.message);
  const health = healthOf(options);
  // BullMQ's blocking connection requires maxRetriesPerRequest: null (it throws otherwise)
  const redis = health.connect(options.connection);
  const ledger = new RequestLedger(redis, k);
  const lease = await ProcessLease.start(redis, k, { ttlMs: lockDuration });
  const running = new Map<string, Running>();
  const id = `${process.pid}-${++workerCount}`;

  const processor = async (job: Job<JobPayload, unknown, JobKind>, token?: string): Promise<JobOutcome<R>> => {
    if (!isJobKind(job.name)) throw new UnrecoverableError(`unknown job kind ${job.name}`);
    if (job.id === undefined || token === undefined) throw new Error('BullMQ gave a job without id or token');
    const jobId = job.id;
    const app = appOf(job.data);
    const lock = await lease.acquire(k.appLock(app));
    if (!lock) {
      // another operation of this app runs somewhere: try again shortly, without using an attempt
      await job.moveToDelayed(Date.now() + appBusyRetryMs, token);
      throw new DelayedError(`app ${app} is busy`);
    }
    const abort = new AbortController();
    let finish = (): void => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const entry: Running = { job, token, abort, done, handedBack: false, lost: false };
    const onLost = (): void => loseLock(entry, lock.lost.reason as Error);
    lock.lost.addEventListener('abort', onLost, { once: true });
    running.set(jobId, entry);
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
      if (running.get(jobId)?.lost) return handBackLost(job, token, app);
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

  /** Stops the handler at once: its lock is gone, so another process may be running the app. */
  const loseLock = (r: Running, reason: Error): void => {
    if (r.lost || r.handedBack) return;
    r.lost = true;
    log(`${r.job.data.app}: ${reason.message}; operation ${r.job.id ?? ''} stopped and handed back`);
    r.abort.abort(reason);
  };

  /**
   * After a lost lock the job is not this worker's to fail: back to wait if BullMQ still
   * lets us (our job lock held), else its stall detection re-queues it. The request stays
   * in the ledger's inflight entry for the next run.
   */
  const handBackLost = async (job: Job<JobPayload, unknown, JobKind>, token: string, app: string): Promise<never> => {
    await job.moveToWait(token).catch(() => undefined);
    throw new DelayedError(`app ${app}: lock lost, handed back`);
  };

  const worker = new Worker<JobPayload, JobOutcome<R>, JobKind>(QUEUE_NAME, processor, {
    connection: redis,
    prefix: k.bullPrefix,
    concurrency: options.concurrency,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? 1_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    autorun: true,
  });
  worker.on('error', (err) => {
    if (!health.bullError(err)) onError(err);
  });
  // BullMQ could not extend a job's lock: another worker may pick the job up as stalled
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const jobId of jobIds) {
      const r = running.get(jobId);
      if (r) loseLock(r, new Error(`job lock of ${jobId} lost`));
    }
  });
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
      // frees the app locks of handlers that did not return (they were told to stop)
      await lease.stop();
      await redis.quit().catch(() => redis.disconnect());
      return { handedBack };
    },
  };
}
