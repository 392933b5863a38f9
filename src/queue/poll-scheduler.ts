/**
 * PollScheduler: asks for a 'poll' sync of each app every interval (±10% jitter, so apps
 * added together drift apart). Several controller processes may run one each: a Redis key
 * per app (SET NX PX) decides which process polls a round. A round is skipped while a
 * webhook-triggered sync of the app waits or runs — it already brings the newest commit.
 */
import type { SluiceQueue } from './producer.ts';

export type PollPort = Pick<SluiceQueue, 'requestSync' | 'webhookBusy' | 'claimPollTurn'>;

export type PollOutcome = 'requested' | 'webhook-busy' | 'other-process' | 'error';

/** How rounds are timed: real timers by default; tests pass the sim's VirtualClock (a SchedulingClock). */
export interface Timers {
  /** calls `fn` after `ms`; the returned function cancels it */
  setTimer(ms: number, fn: () => void): () => void;
}

const realTimers: Timers = {
  setTimer(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface PollSchedulerOptions {
  readonly queue: PollPort;
  readonly timers?: Timers;
  /** fraction of the interval added or taken at random (default 0.1) */
  readonly jitter?: number;
  /** in [0, 1); default Math.random */
  readonly random?: () => number;
  /** each round's result, for logs, metrics and tests */
  readonly onPoll?: (app: string, outcome: PollOutcome, err?: unknown) => void;
}

interface Entry {
  intervalMs: number;
  cancel: (() => void) | undefined;
  /** bumped on update/remove so a round in flight does not reschedule a stale entry */
  generation: number;
}

/** The pure part: next delay for an interval, jitter fraction and a random number in [0, 1). */
export function jitteredDelay(intervalMs: number, jitter: number, random: number): number {
  return Math.max(1, Math.round(intervalMs * (1 + jitter * (2 * random - 1))));
}

export class PollScheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly timers: Timers;

  constructor(private readonly options: PollSchedulerOptions) {
    this.jitter = options.jitter ?? 0.1;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? realTimers;
    if (this.jitter < 0 || this.jitter >= 1) throw new RangeError('jitter must be in [0, 1)');
  }

  /** Adds an app or changes its interval; the next round is scheduled from now. */
  set(app: string, intervalMs: number): void {
    if (this.stopped) throw new Error('PollScheduler is stopped');
    if (!(intervalMs > 0)) throw new RangeError(`poll interval must be positive, got ${intervalMs}`);
    const existing = this.entries.get(app);
    if (existing) {
      existing.cancel?.();
      existing.generation++;
    }
    const entry: Entry = { intervalMs, cancel: undefined, generation: 0 };
    this.entries.set(app, entry);
    this.schedule(app, entry);
  }

  remove(app: string): void {
    const entry = this.entries.get(app);
    if (!entry) return;
    entry.cancel?.();
    entry.generation++;
    this.entries.delete(app);
  }

  /** The apps and their intervals. */
  get apps(): ReadonlyMap<string, number> {
    return new Map([...this.entries].map(([app, e]) => [app, e.intervalMs]));
  }

  stop(): void {
    this.stopped = true;
    for (const app of [...this.entries.keys()]) this.remove(app);
  }

  private schedule(app: string, entry: Entry): void {
    const generation = entry.generation;
    entry.cancel = this.timers.setTimer(jitteredDelay(entry.intervalMs, this.jitter, this.random()), () => {
      void this.round(app, entry, generation);
    });
  }

  private async round(app: string, entry: Entry, generation: number): Promise<void> {
    let outcome: PollOutcome;
    let error: unknown;
    try {
      outcome = await this.poll(app, entry.intervalMs);
    } catch (err) {
      outcome = 'error';
      error = err;
    }
    if (this.stopped || entry.generation !== generation) return;
    this.options.onPoll?.(app, outcome, error);
    this.schedule(app, entry);
  }

  private async poll(app: string, intervalMs: number): Promise<PollOutcome> {
    const { queue } = this.options;
    // the turn lasts a little less than the shortest jittered interval, so the process
    // that polled can take the next round, and another process can when it stops
    if (!(await queue.claimPollTurn(app, intervalMs * (1 - this.jitter) * 0.9))) return 'other-process';
    if (await queue.webhookBusy(app)) return 'webhook-busy';
    await queue.requestSync(app, { trigger: 'poll' });
    return 'requested';
  }
}
