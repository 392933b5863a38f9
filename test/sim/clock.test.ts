import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { rfc3339, ScaledClock, systemClock, VirtualClock } from '../../src/sim/clock.ts';
import { until } from '../support/wait.ts';

const START = new Date('2025-01-01T00:00:00Z');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('rfc3339', () => {
  it.each([
    { name: 'drops milliseconds', date: new Date('2024-03-05T07:08:09.123Z'), want: '2024-03-05T07:08:09Z' },
    { name: 'whole seconds', date: new Date('2024-03-05T07:08:09Z'), want: '2024-03-05T07:08:09Z' },
    { name: 'epoch', date: new Date(0), want: '1970-01-01T00:00:00Z' },
  ])('$name', ({ date, want }) => {
    expect(rfc3339(date)).toBe(want);
  });

  it('systemClock reads the wall clock', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});

describe('VirtualClock', () => {
  it('starts where told and moves only when advanced', () => {
    const clock = new VirtualClock(START);
    expect(clock.now()).toEqual(START);
    expect(clock.now()).toEqual(START);
    clock.advance(1500);
    expect(clock.now().getTime()).toBe(START.getTime() + 1500);
    expect(new VirtualClock().now().getTime()).toBe(0);
  });

  it('returns a fresh Date each time, so callers cannot move time', () => {
    const clock = new VirtualClock(START);
    clock.now().setTime(0);
    expect(clock.now()).toEqual(START);
  });

  it.each<{ name: string; delays: number[]; advance: number; want: string[] }>([
    { name: 'due-time order, not scheduling order', delays: [300, 100, 200], advance: 1000, want: ['100', '200', '300'] },
    { name: 'scheduling order on equal due times', delays: [100, 100, 50, 100], advance: 100, want: ['50', '100', '100', '100'] },
    { name: 'only timers due within the window', delays: [100, 250, 200], advance: 200, want: ['100', '200'] },
    { name: 'a timer due exactly at the end of the window', delays: [200], advance: 200, want: ['200'] },
    { name: 'zero and negative delays on the next advance', delays: [0, -5], advance: 0, want: ['0', '-5'] },
  ])('fires $name', ({ delays, advance, want }) => {
    const clock = new VirtualClock(START);
    const fired: string[] = [];
    delays.forEach((ms) => clock.setTimer(ms, () => fired.push(String(ms))));
    expect(fired).toEqual([]);
    clock.advance(advance);
    expect(fired).toEqual(want);
  });

  it('does not fire a timer synchronously when it is scheduled', () => {
    const clock = new VirtualClock(START);
    let fired = false;
    clock.setTimer(0, () => (fired = true));
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(1);
  });

  it('shows each callback its own due time, then ends at the window end', () => {
    const clock = new VirtualClock(START);
    const seen: number[] = [];
    for (const ms of [700, 200]) clock.setTimer(ms, () => seen.push(clock.now().getTime() - START.getTime()));
    clock.advance(1000);
    expect(seen).toEqual([200, 700]);
    expect(clock.now().getTime() - START.getTime()).toBe(1000);
  });

  it('measures delays from the time of scheduling', () => {
    const clock = new VirtualClock(START);
    const fired: number[] = [];
    clock.advance(1000);
    clock.setTimer(500, () => fired.push(clock.now().getTime() - START.getTime()));
    clock.advance(499);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([1500]);
  });

  it('fires timers scheduled during advance when due within the window, in order', () => {
    const clock = new VirtualClock(START);
    const fired: string[] = [];
    const at = () => clock.now().getTime() - START.getTime();
    clock.setTimer(100, () => {
      fired.push(`a@${at()}`);
      clock.setTimer(50, () => fired.push(`c@${at()}`)); // due 150, before b
      clock.setTimer(500, () => fired.push(`late@${at()}`)); // due 600, outside the window
      clock.setTimer(0, () => fired.push(`now@${at()}`)); // due 100, after a
    });
    clock.setTimer(200, () => fired.push(`b@${at()}`));
    clock.advance(300);
    expect(fired).toEqual(['a@100', 'now@100', 'c@150', 'b@200']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(300);
    expect(fired.at(-1)).toBe('late@600');
  });

  it('chains self-rescheduling timers within one advance', () => {
    const clock = new VirtualClock(START);
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(clock.now().getTime() - START.getTime());
      clock.setTimer(100, tick);
    };
    clock.setTimer(100, tick);
    clock.advance(450);
    expect(ticks).toEqual([100, 200, 300, 400]);
    expect(clock.nextTimerAt()?.getTime()).toBe(START.getTime() + 500);
  });

  describe('cancel', () => {
    it('stops a pending timer and is idempotent', () => {
      const clock = new VirtualClock(START);
      const fired: string[] = [];
      const cancelA = clock.setTimer(100, () => fired.push('a'));
      clock.setTimer(100, () => fired.push('b'));
      cancelA();
      cancelA();
      expect(clock.pendingTimers).toBe(1);
      clock.advance(100);
      expect(fired).toEqual(['b']);
    });

    it('is harmless after the timer fired', () => {
      const clock = new VirtualClock(START);
      const fired: string[] = [];
      const cancel = clock.setTimer(10, () => fired.push('a'));
      clock.advance(10);
      clock.setTimer(10, () => fired.push('b'));
      cancel();
      clock.advance(10);
      expect(fired).toEqual(['a', 'b']);
    });

    it('works from inside a callback on a later timer of the same window', () => {
      const clock = new VirtualClock(START);
      const fired: string[] = [];
      let cancelLater = () => {};
      clock.setTimer(100, () => {
        fired.push('first');
        cancelLater();
      });
      cancelLater = clock.setTimer(200, () => fired.push('later'));
      clock.advance(1000);
      expect(fired).toEqual(['first']);
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('runUntilIdle', () => {
    it('jumps from timer to timer and stops at the last one', () => {
      const clock = new VirtualClock(START);
      const fired: number[] = [];
      clock.setTimer(5000, () => {
        fired.push(clock.now().getTime() - START.getTime());
        clock.setTimer(60_000, () => fired.push(clock.now().getTime() - START.getTime()));
      });
      clock.setTimer(10, () => fired.push(clock.now().getTime() - START.getTime()));
      expect(clock.runUntilIdle()).toEqual({ fired: 3, idle: true });
      expect(fired).toEqual([10, 5000, 65_000]);
      expect(clock.now().getTime() - START.getTime()).toBe(65_000);
    });

    it('is a no-op when idle', () => {
      const clock = new VirtualClock(START);
      expect(clock.runUntilIdle({ maxMs: 1000 })).toEqual({ fired: 0, idle: true });
      expect(clock.now()).toEqual(START);
    });

    it('stops at maxMs with timers still pending', () => {
      const clock = new VirtualClock(START);
      let ticks = 0;
      const tick = () => {
        ticks++;
        clock.setTimer(1000, tick);
      };
      clock.setTimer(1000, tick);
      expect(clock.runUntilIdle({ maxMs: 10_500 })).toEqual({ fired: 10, idle: false });
      expect(ticks).toBe(10);
      expect(clock.now().getTime() - START.getTime()).toBe(10_500);
    });

    it('throws when timers keep rescheduling past maxTimers', () => {
      const clock = new VirtualClock(START);
      const tick = () => void clock.setTimer(1, tick);
      clock.setTimer(1, tick);
      expect(() => clock.runUntilIdle({ maxTimers: 50 })).toThrow(/did not become idle after 50 timers/);
    });
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses to advance by %s', (ms) => {
    expect(() => new VirtualClock(START).advance(ms)).toThrow(RangeError);
  });

  it('refuses to be advanced from inside a timer callback', () => {
    const clock = new VirtualClock(START);
    clock.setTimer(10, () => clock.advance(10));
    expect(() => clock.advance(10)).toThrow(/inside a timer callback/);
    // the clock stays usable afterwards
    clock.setTimer(10, () => {});
    expect(() => clock.advance(10)).not.toThrow();
  });

  it('propagates a callback error and keeps later timers pending', () => {
    const clock = new VirtualClock(START);
    const fired: string[] = [];
    clock.setTimer(10, () => {
      throw new Error('boom');
    });
    clock.setTimer(20, () => fired.push('later'));
    expect(() => clock.advance(100)).toThrow('boom');
    expect(clock.now().getTime() - START.getTime()).toBe(10);
    clock.advance(100);
    expect(fired).toEqual(['later']);
  });
});

describe('ScaledClock', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects speed %s', (speed) => {
    expect(() => new ScaledClock({ speed })).toThrow(RangeError);
  });

  it('starts at the start instant and runs speed× faster than wall time', async () => {
    const speed = 50;
    const wallBefore = performance.now();
    const clock = new ScaledClock({ speed, start: START });
    const wallAfterStart = performance.now();
    const first = clock.now().getTime() - START.getTime();
    // bounded by the wall time up to the read itself, however slow a loaded machine is
    expect(first).toBeLessThanOrEqual((performance.now() - wallBefore) * speed + 1);
    await sleep(40);
    const wallLo = performance.now() - wallAfterStart;
    const simulated = clock.now().getTime() - START.getTime();
    const wallHi = performance.now() - wallBefore;
    expect(simulated).toBeGreaterThanOrEqual(Math.floor(wallLo * speed) - 1);
    expect(simulated).toBeLessThanOrEqual(Math.ceil(wallHi * speed) + 1);
    expect(simulated).toBeGreaterThanOrEqual(40 * speed * 0.9);
  });

  it('never runs backwards', () => {
    const clock = new ScaledClock({ speed: 1000 });
    let last = clock.now().getTime();
    for (let i = 0; i < 1000; i++) {
      const now = clock.now().getTime();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });

  it('fires a timer after the scaled wall delay, never before its due time', async () => {
    const speed = 100;
    const clock = new ScaledClock({ speed, start: START });
    const scheduledAt = clock.now().getTime();
    const wallStart = performance.now();
    let firedAt: number | undefined;
    let wallElapsed = 0;
    clock.setTimer(2000, () => {
      firedAt = clock.now().getTime();
      wallElapsed = performance.now() - wallStart;
    });
    await until('the condition', () => firedAt !== undefined, 1000, 2);
    expect(firedAt).toBeGreaterThanOrEqual(scheduledAt + 2000);
    // 2000 ms at speed 100 is 20 ms of wall time; allow generous scheduling slack on a busy CI box
    expect(wallElapsed).toBeGreaterThanOrEqual(19);
    expect(wallElapsed).toBeLessThan(500);
  });

  it('fires timers in due-time order', async () => {
    const clock = new ScaledClock({ speed: 100 });
    const fired: string[] = [];
    clock.setTimer(1500, () => fired.push('late'));
    clock.setTimer(500, () => fired.push('early'));
    clock.setTimer(1000, () => fired.push('middle'));
    await until('the condition', () => fired.length === 3, 1_000, 2);
    expect(fired).toEqual(['early', 'middle', 'late']);
  });

  it('cancels a pending timer', async () => {
    const clock = new ScaledClock({ speed: 100 });
    const fired: string[] = [];
    const cancel = clock.setTimer(500, () => fired.push('cancelled'));
    clock.setTimer(1500, () => fired.push('kept'));
    cancel();
    cancel();
    await until('the condition', () => fired.length > 0, 1_000, 2);
    await sleep(10);
    expect(fired).toEqual(['kept']);
  });
});
