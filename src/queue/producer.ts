/**
 * SluiceQueue: the producer side. Every request for an app collapses into at most one
 * running and one waiting job of its kind (BullMQ deduplication with keepLastIfActive),
 * and a sync job runs the newest request (see request-ledger.ts).
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAME, keys, type Keys } from './keys.ts';
import { RedisHealth } from './redis-health.ts';
import { RequestLedger, type LedgerView } from './request-ledger.ts';
import { assertAppName, type JobKind, type JobPayload, type SyncRequest } from './types.ts';

export interface QueueConnectionOptions {
  /** redis:// URL; the queue opens and closes its own connection */
  readonly connection: string;
  /** key prefix, default 'sluice' */
  readonly prefix?: string;
  /** where the connections report outages (one per process); default: a new one logging to stderr */
  readonly health?: RedisHealth;
}

export function healthOf(options: QueueConnectionOptions): RedisHealth {
  return options.health ?? new RedisHealth({ log: (line) => console.error(`sluice: ${line}`) });
}

/** Redis cannot take a request now: the caller is told at once rather than left waiting. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}

export interface SluiceQueueOptions extends QueueConnectionOptions {
  /** attempts per job for failures the handler marks retryable (default 5) */
  readonly attempts?: number;
  /** first backoff; doubles each retry (default 1000 ms) */
  readonly backoffMs?: number;
}

export interface RequestOutcome {
  /** the job that will run this request (a new one, or the pending/active one it joined) */
  readonly jobId: string;
  /** false when a pending explicit request was kept over this background one */
  readonly stored: boolean;
}

/** BullMQ runs jobs without a priority first: rollout looks have none, syncs and refreshes this one (FIFO among themselves). */
const OPERATION_PRIORITY = 1;

/** States in which a job still has work ahead of it. */
const UNFINISHED = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

export class SluiceQueue {
  private readonly redis: Redis;
  private readonly queue: Queue<JobPayload, unknown, JobKind>;
  private readonly keys: Keys;
  private readonly ledger: RequestLedger;

  constructor(private readonly options: SluiceQueueOptions) {
    this.keys = keys(options);
    const health = healthOf(options);
    this.redis = health.connect(options.connection);
    this.queue = new Queue<JobPayload, unknown, JobKind>(QUEUE_NAME, { connection: this.redis, prefix: this.keys.bullPrefix });
    this.queue.on('error', (err) => {
      if (!health.bullError(err)) console.error(`sluice queue: ${err.message}`);
    });
    this.ledger = new RequestLedger(this.redis, this.keys);
  }

  /**
   * Stores the request and queues its job. While Redis is unreachable this fails at once
   * with QueueUnavailableError (nothing stored: the caller knows to retry); a request
   * already on its way when the connection drops is sent again on reconnect.
   */
  async requestSync(app: string, request: Omit<SyncRequest, 'requestedAt'>): Promise<RequestOutcome> {
    assertAppName(app);
    await this.reachable();
    // the request is written before the job is added, so whichever job starts next sees it
    const stored = await this.ledger.submit(app, { ...request, requestedAt: Date.now() });
    const jobId = await this.add('sync', app);
    return { jobId, stored };
  }

  async requestRefresh(app: string): Promise<RequestOutcome> {
    assertAppName(app);
    await this.reachable();
    return { jobId: await this.add('refresh', app), stored: true };
  }

  /**
   * A refresh in `delayMs` (a rollout's next look). Not deduplicated with the app's other
   * jobs, so a pending look never swallows a watch's immediate refresh; one per due time,
   * and one immediate look waiting per app (plus the one running: a change it may not have
   * seen gets a look after it, as with keepLastIfActive elsewhere).
   * Looks go first: they carry BullMQ's top priority (none), every other job a lower one, so
   * a failing step's look is not queued behind a fleet's polls and syncs.
   */
  async requestLook(app: string, delayMs: number): Promise<string> {
    assertAppName(app);
    const due = Date.now() + Math.max(0, Math.ceil(delayMs));
    const options: JobsOptions =
      delayMs <= 0
        ? { deduplication: { id: this.keys.dedupId('look-now', app), keepLastIfActive: true } }
        : { jobId: `look-${app}-${due}`, delay: Math.max(0, due - Date.now()) };
    const job = await this.queue.add('look', { app }, { ...options, attempts: 1, removeOnComplete: true, removeOnFail: { count: 1_000 } });
    if (job.id === undefined) throw new Error(`BullMQ returned no job id for look ${app}`);
    return job.id;
  }

  /** True while a webhook-triggered sync of the app waits or runs (the poll scheduler then skips it). */
  async webhookBusy(app: string): Promise<boolean> {
    const view = await this.ledger.view(app);
    if (view.pending?.trigger === 'webhook') return true;
    if (view.inflight?.request.trigger !== 'webhook') return false;
    // an inflight entry whose job is gone (lost after a crash) is not busy; the next job adopts it
    return UNFINISHED.has(await this.queue.getJobState(view.inflight.jobId));
  }

  /**
   * Takes this round's poll of the app for the caller's process: true for exactly one
   * caller until the key expires (SET NX PX).
   */
  async claimPollTurn(app: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.pollTurn(app), String(process.pid), 'PX', Math.max(1, Math.floor(ttlMs)), 'NX')) === 'OK';
  }

  /** The id of the app's job of this kind that is waiting or running, if any. */
  async currentJobId(kind: JobKind, app: string): Promise<string | undefined> {
    return (await this.queue.getDeduplicationJobId(this.keys.dedupId(kind, app))) ?? undefined;
  }

  /** The app's waiting sync request and the one a running job took (the API shows them). */
  requests(app: string): Promise<LedgerView> {
    assertAppName(app);
    return this.ledger.view(app);
  }

  /** The BullMQ queue, for tests and metrics. */
  get bullQueue(): Queue<JobPayload, unknown, JobKind> {
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Waits briefly for a connection being made (start-up, a reconnect in progress), then gives up loudly. */
  private async reachable(waitMs = 2_000): Promise<void> {
    if (this.redis.status === 'ready') return;
    const { host, port } = this.redis.options;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), waitMs);
      const onReady = (): void => done(true);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      this.redis.on('ready', onReady);
    });
    if (!(await ready)) throw new QueueUnavailableError(`redis ${host ?? ''}:${port ?? ''} is unreachable (${this.redis.status}): the request was not queued; try again`);
  }

  private async add(kind: JobKind, app: string): Promise<string> {
    const opts: JobsOptions = {
      deduplication: { id: this.keys.dedupId(kind, app), keepLastIfActive: true },
      priority: OPERATION_PRIORITY,
      attempts: this.options.attempts ?? 5,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1_000 },
      removeOnComplete: { count: 1_000, age: 24 * 3600 },
      removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
    };
    const job = await this.queue.add(kind, { app }, opts);
    if (job.id === undefined) throw new Error(`BullMQ returned no job id for ${kind} ${app}`);
    return job.id;
  }
}
