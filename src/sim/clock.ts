import { performance } from 'node:perf_hooks';

/** The one clock of the embedded cluster: timestamps, ages and (later) controller timers read it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A clock simulated controllers can also wait on: every delay is measured in this clock's time. */
export interface SchedulingClock extends Clock {
  /** Run fn after `ms` of this clock's time (never before); returns a cancel function (idempotent). */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Negative, NaN and infinite delays behave like setTimeout's: "as soon as possible". */
function delayOf(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * Real time sped up by `speed`: with speed 10 a 5 s readiness delay takes 0.5 s of wall time.
 * now() starts at `start` and advances speed× faster than a monotonic wall clock.
 */
export class ScaledClock implements SchedulingClock {
  readonly speed: number;
  readonly #startMs: number;
  readonly #wallStart: number;

  constructor(options: { speed: number; start?: Date }) {
    if (!Number.isFinite(options.speed) || options.speed <= 0) {
      throw new RangeError(`ScaledClock speed must be a positive finite number, got ${options.speed}`);
    }
    this.speed = options.speed;
    this.#startMs = (options.start ?? new Date()).getTime();
    // performance.now is monotonic: a wall-clock step (NTP) must not move simulated time backwards
    this.#wallStart = performance.now();
  }

  now(): Date {
    return new Date(Math.floor(this.#nowMs()));
  }

  setTimer(ms: number, fn: () => void): () => void {
    const due = this.#nowMs() + delayOf(ms);
    let handle: NodeJS.Timeout | undefined;
    const fire = (): void => {
      // Node may wake a timer up to a millisecond early, which is `speed` ms here: re-arm until due
      const left = due - this.#nowMs();
      if (left > 0) {
        handle = setTimeout(fire, left / this.speed);
        return;
      }
      handle = undefined;
      fn();
    };
    handle = setTimeout(fire, delayOf(ms) / this.speed);
    return () => {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    };
  }

  #nowMs(): number {
    return this.#startMs + (performance.now() - this.#wallStart) * this.speed;
  }
}

interface PendingTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** What runUntilIdle did: how many timers fired and whether none is left pending. */
export interface RunResult {
  readonly fired: number;
  readonly idle: boolean;
}

/**
 * Time that moves only when told, for deterministic tests and benchmarks. Timers fire inside
 * advance()/runUntilIdle(), in due-time order (scheduling order on ties), each seeing now() equal
 * to its own due time.
 */
export class VirtualClock implements SchedulingClock {
  #nowMs: number;
  #seq = 0;
  #firing = false;
  // kept sorted by (due, seq); simulations hold tens of timers, so insertion sort beats a heap
  readonly #timers: PendingTimer[] = [];

  constructor(start: Date = new Date(0)) {
    this.#nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextTimerAt(): Date | undefined {
    const next = this.#timers[0];
    return next === undefined ? undefined : new Date(next.due);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: PendingTimer = { due: this.#nowMs + delayOf(ms), seq: this.#seq++, fn };
    const at = this.#timers.findIndex((t) => t.due > timer.due);
    this.#timers.splice(at === -1 ? this.#timers.length : at, 0, timer);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i !== -1) this.#timers.splice(i, 1);
    };
  }

  /**
   * Move time forward by ms, firing every timer due by then, including timers scheduled by
   * callbacks during this call. An exception from a callback propagates; later timers stay pending.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance a VirtualClock by ${ms} ms`);
    const target = this.#nowMs + ms;
    this.#run(() => {
      while (this.#fireNext(target)) {
        // each iteration fires one timer
      }
    });
    this.#nowMs = target;
  }

  /**
   * Jump from timer to timer until none is pending. With maxMs, stop once the next timer would be
   * later than now + maxMs (time then ends at that bound); maxTimers guards against timers that
   * always reschedule themselves.
   */
  runUntilIdle(options: { maxMs?: number; maxTimers?: number } = {}): RunResult {
    const limit = options.maxMs === undefined ? Infinity : this.#nowMs + delayOf(options.maxMs);
    const maxTimers = options.maxTimers ?? 100_000;
    let fired = 0;
    this.#run(() => {
      while (fired < maxTimers && this.#fireNext(limit)) fired++;
    });
    const idle = this.#timers.length === 0;
    if (!idle && fired >= maxTimers) {
      throw new Error(`VirtualClock did not become idle after ${maxTimers} timers`);
    }
    if (!idle && Number.isFinite(limit)) this.#nowMs = Math.max(this.#nowMs, limit);
    return { fired, idle };
  }

  /** Fire the earliest timer if it is due by `limit`; false when there is none. */
  #fireNext(limit: number): boolean {
    const next = this.#timers[0];
    if (next === undefined || next.due > limit) return false;
    this.#timers.shift();
    this.#nowMs = Math.max(this.#nowMs, next.due);
    next.fn();
    return true;
  }

  #run(body: () => void): void {
    // a callback that advances the clock would fire timers out of order under the outer loop
    if (this.#firing) throw new Error('VirtualClock cannot be advanced from inside a timer callback');
    this.#firing = true;
    try {
      body();
    } finally {
      this.#firing = false;
    }
  }
}
