import type { SchedulingClock } from '../clock.ts';
import { StatusError } from '../errors.ts';

/** What a reconcile asks for after it ran: nothing, or another look after some clock time. */
export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export type Reconcile = (key: string) => ReconcileResult | void;

const MAX_BACKOFF_MS = 5_000;

/**
 * A controller's queue of keys, as client-go's workqueue: a key waits at most once, keys are
 * processed off the event loop (setImmediate) in batches, a key can come back after a delay
 * on the cluster clock, and failures are retried with exponential backoff — a Conflict at once,
 * since it only means someone wrote in between.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly timers = new Map<string, { readonly due: number; readonly cancel: () => void }>();
  private readonly failures = new Map<string, number>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly clock: SchedulingClock,
    private readonly reconcile: Reconcile,
    private readonly onIdleChange: () => void,
  ) {}

  get busy(): boolean {
    return this.waiting.size > 0 || this.scheduled;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.waiting.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Adds key after ms of clock time; of two delays pending for one key, the sooner wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    const due = this.clock.now().getTime() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    pending?.cancel();
    const cancel = this.clock.setTimer(ms, () => {
      this.timers.delete(key);
      this.add(key);
    });
    this.timers.set(key, { due, cancel });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.waiting.clear();
  }

  private drain(): void {
    this.scheduled = false;
    const keys = [...this.waiting];
    this.waiting.clear();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        const result = this.reconcile(key);
        this.failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        this.retry(key, e);
      }
    }
    this.onIdleChange();
  }

  private retry(key: string, error: unknown): void {
    if (error instanceof StatusError && error.reason === 'NotFound') return;
    if (error instanceof StatusError && (error.reason === 'Conflict' || error.reason === 'AlreadyExists')) {
      this.add(key);
      return;
    }
    const count = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, count);
    if (count === 1 || count % 20 === 0) {
      console.error(`sim ${this.name}: reconcile ${key} failed (${count}x):`, error instanceof Error ? error.message : error);
    }
    this.addAfter(key, Math.min(MAX_BACKOFF_MS, 5 * 2 ** count));
  }
}
