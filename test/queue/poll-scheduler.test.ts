import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PollScheduler, jitteredDelay, type PollOutcome, type PollPort } from '../../src/queue/poll-scheduler.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { until } from '../support/wait.ts';

describe('jitteredDelay', () => {
  it.each([
    { name: 'no jitter', interval: 1000, jitter: 0, random: 0.7, want: 1000 },
    { name: 'lowest', interval: 1000, jitter: 0.1, random: 0, want: 900 },
    { name: 'middle', interval: 1000, jitter: 0.1, random: 0.5, want: 1000 },
    { name: 'highest', interval: 1000, jitter: 0.1, random: 0.999999, want: 1100 },
    { name: 'never below 1 ms', interval: 1, jitter: 0.5, random: 0, want: 1 },
  ])('$name', ({ interval, jitter, random, want }) => {
    expect(jitteredDelay(interval, jitter, random)).toBe(want);
  });
});

/**
 * A scheduler on a VirtualClock: `advance(ms)` moves time in small steps and, after each, waits
 * until every round that started has reported (rounds await the queue, which may be Redis).
 */
function driven(queue: PollPort, random?: () => number) {
  const clock = new VirtualClock();
  let started = 0;
  const rounds: Array<{ app: string; outcome: PollOutcome; at: number }> = [];
  const counted: PollPort = {
    claimPollTurn: (app, ttl) => {
      started++;
      return queue.claimPollTurn(app, ttl);
    },
    webhookBusy: (app) => queue.webhookBusy(app),
    requestSync: (app, request) => queue.requestSync(app, request),
  };
  const scheduler = new PollScheduler({
    queue: counted,
    timers: clock,
    ...(random ? { random } : {}),
    onPoll: (app, outcome) => rounds.push({ app, outcome, at: clock.now().getTime() }),
  });
  const advance = async (ms: number, stepMs = 5): Promise<void> => {
    for (let done = 0; done < ms; done += stepMs) {
      clock.advance(Math.min(stepMs, ms - done));
      await until('the rounds in flight to finish', async () => rounds.length === started, 5_000, 1);
    }
  };
  const count = (app: string, outcome: PollOutcome): number => rounds.filter((r) => r.app === app && r.outcome === outcome).length;
  return { scheduler, rounds, advance, count };
}

/** A queue in memory: every turn is ours, the apps in `hooked` have a webhook sync pending. */
function memoryQueue(hooked: ReadonlySet<string> = new Set()): PollPort & { readonly requested: string[] } {
  const requested: string[] = [];
  return {
    requested,
    claimPollTurn: async () => true,
    webhookBusy: async (app) => hooked.has(app),
    requestSync: async (app) => {
      requested.push(app);
      return { jobId: String(requested.length), stored: true };
    },
  };
}

describe('PollScheduler on a virtual clock', () => {
  it('polls each app at its own interval, within the jitter', async () => {
    const { scheduler, rounds, advance, count } = driven(memoryQueue());
    scheduler.set('fast', 100);
    scheduler.set('slow', 300);
    await advance(1_050);
    scheduler.stop();
    // 1050 ms / (90..110 ms) → 9..11 rounds; / (270..330 ms) → 3 rounds
    expect(count('fast', 'requested')).toBeGreaterThanOrEqual(9);
    expect(count('fast', 'requested')).toBeLessThanOrEqual(11);
    expect(count('slow', 'requested')).toBe(3);
    expect(rounds.find((r) => r.app === 'slow')!.at).toBeGreaterThanOrEqual(270);
  });

  it('skips rounds while a webhook sync of the app is pending', async () => {
    const queue = memoryQueue(new Set(['hooked']));
    const { scheduler, advance, count } = driven(queue, () => 0.5);
    scheduler.set('hooked', 50);
    scheduler.set('plain', 50);
    await advance(400);
    expect(count('hooked', 'webhook-busy')).toBe(8);
    expect(count('plain', 'requested')).toBe(8);
    expect(queue.requested.filter((a) => a === 'hooked')).toEqual([]);
  });

  it('adds, updates and removes apps at runtime; stop() ends every round', async () => {
    const { scheduler, rounds, advance, count } = driven(memoryQueue(), () => 0.5);
    scheduler.set('app', 300);
    await advance(150);
    expect(rounds.length).toBe(0);
    scheduler.set('app', 40); // from now, faster
    await advance(300);
    expect(count('app', 'requested')).toBe(7);
    scheduler.set('other', 40);
    scheduler.remove('app');
    expect([...scheduler.apps.keys()]).toEqual(['other']);
    await advance(200);
    expect(count('app', 'requested')).toBe(7);
    expect(count('other', 'requested')).toBe(5);
    scheduler.stop();
    await advance(150);
    expect(rounds.length).toBe(12);
    expect(() => scheduler.set('again', 10)).toThrow(/stopped/);
  });
});

describe.skipIf(!redisAvailable())('PollScheduler (real redis-server)', () => {
  let server: TestRedis;
  const stops: Array<() => unknown> = [];

  beforeAll(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    while (stops.length) await stops.pop()!();
  });
  afterAll(async () => {
    await server?.stop();
  });

  function queueFor(prefix: string): SluiceQueue {
    const queue = new SluiceQueue({ connection: server.url, prefix });
    stops.push(() => queue.close());
    return queue;
  }

  it('a round asks for a poll-triggered sync; a pending webhook sync makes it skip', async () => {
    const prefix = `s${randomUUID().slice(0, 8)}`;
    const queue = queueFor(prefix);
    const { scheduler, advance, count } = driven(queue, () => 0.5);
    stops.push(() => scheduler.stop());
    await queue.requestSync('hooked', { revision: 'abc', trigger: 'webhook' });
    scheduler.set('plain', 1_000);
    scheduler.set('hooked', 1_000);
    await advance(1_000, 1_000);
    expect(count('plain', 'requested')).toBe(1);
    expect(count('hooked', 'webhook-busy')).toBe(1);
    expect(await queue.currentJobId('sync', 'plain')).toBeDefined();
    const redis = new Redis(server.url);
    stops.push(() => redis.quit());
    expect(JSON.parse((await redis.get(`${prefix}:req:pending:plain`)) ?? '{}')).toMatchObject({ trigger: 'poll' });
    // the pending webhook request is intact
    expect(await queue.webhookBusy('hooked')).toBe(true);
  });

  it('two schedulers (two controller processes) share the polling of an app instead of doubling it', async () => {
    const prefix = `s${randomUUID().slice(0, 8)}`;
    // both on one virtual clock, so their rounds meet; the turn lasts ~0.8 intervals of real
    // time in Redis, which the virtual clock does not move, so each round is one process's
    const [one, two] = [driven(queueFor(prefix), () => 0.5), driven(queueFor(prefix), () => 0.5)];
    stops.push(() => one.scheduler.stop(), () => two.scheduler.stop());
    one.scheduler.set('shared', 60_000);
    two.scheduler.set('shared', 60_000);
    await Promise.all([one.advance(60_000, 60_000), two.advance(60_000, 60_000)]);
    expect(one.count('shared', 'requested') + two.count('shared', 'requested')).toBe(1);
    expect(one.count('shared', 'other-process') + two.count('shared', 'other-process')).toBe(1);
  });
});
