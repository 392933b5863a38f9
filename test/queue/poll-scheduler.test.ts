import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PollScheduler, jitteredDelay, type PollOutcome } from '../../src/queue/poll-scheduler.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { sleep } from './recorder.ts';

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

  function setup(prefix = `s${randomUUID().slice(0, 8)}`) {
    const queue = new SluiceQueue({ connection: server.url, prefix });
    stops.push(() => queue.close());
    const rounds: Array<{ app: string; outcome: PollOutcome; at: number }> = [];
    const scheduler = new PollScheduler({ queue, onPoll: (app, outcome) => rounds.push({ app, outcome, at: Date.now() }) });
    stops.push(() => scheduler.stop());
    const count = (app: string, outcome: PollOutcome): number => rounds.filter((r) => r.app === app && r.outcome === outcome).length;
    return { prefix, queue, scheduler, rounds, count };
  }

  it('polls each app at its own interval, within the jitter', async () => {
    const { prefix, queue, scheduler, rounds, count } = setup();
    const started = Date.now();
    scheduler.set('fast', 100);
    scheduler.set('slow', 300);
    await sleep(1_050);
    scheduler.stop();
    // 1050 ms / (90..110 ms) → 9..11 rounds; / (270..330 ms) → 3 rounds; a little slack for timers
    expect(count('fast', 'requested')).toBeGreaterThanOrEqual(8);
    expect(count('fast', 'requested')).toBeLessThanOrEqual(12);
    expect(count('slow', 'requested')).toBeGreaterThanOrEqual(2);
    expect(count('slow', 'requested')).toBeLessThanOrEqual(4);
    const first = rounds.find((r) => r.app === 'slow');
    expect(first!.at - started).toBeGreaterThanOrEqual(265);
    // each round asked for a poll-triggered sync
    expect((await queue.currentJobId('sync', 'fast')) !== undefined).toBe(true);
    const redis = new Redis(server.url);
    stops.push(() => redis.quit());
    expect(JSON.parse((await redis.get(`${prefix}:req:pending:fast`)) ?? '{}')).toMatchObject({ trigger: 'poll' });
  });

  it('skips rounds while a webhook sync of the app is pending', async () => {
    const { queue, scheduler, count } = setup();
    await queue.requestSync('hooked', { revision: 'abc', trigger: 'webhook' });
    scheduler.set('hooked', 50);
    scheduler.set('plain', 50);
    await sleep(400);
    expect(count('hooked', 'webhook-busy')).toBeGreaterThanOrEqual(4);
    expect(count('hooked', 'requested')).toBe(0);
    expect(count('plain', 'requested')).toBeGreaterThanOrEqual(4);
    // the pending webhook request is intact
    expect(await queue.webhookBusy('hooked')).toBe(true);
  });

  it('adds, updates and removes apps at runtime; stop() ends every round', async () => {
    const { scheduler, rounds, count } = setup();
    scheduler.set('app', 300);
    await sleep(150);
    expect(rounds.length).toBe(0);
    scheduler.set('app', 40); // from now, faster
    await sleep(300);
    const afterUpdate = count('app', 'requested');
    expect(afterUpdate).toBeGreaterThanOrEqual(4);
    scheduler.set('other', 40);
    scheduler.remove('app');
    expect([...scheduler.apps.keys()]).toEqual(['other']);
    await sleep(200);
    expect(count('app', 'requested')).toBeLessThanOrEqual(afterUpdate + 1); // one round may have been in flight
    expect(count('other', 'requested')).toBeGreaterThanOrEqual(2);
    scheduler.stop();
    const atStop = rounds.length;
    await sleep(150);
    expect(rounds.length).toBeLessThanOrEqual(atStop + 1);
    expect(() => scheduler.set('again', 10)).toThrow(/stopped/);
  });

  it('two schedulers (two controller processes) share the polling of an app instead of doubling it', async () => {
    const prefix = `s${randomUUID().slice(0, 8)}`;
    const one = setup(prefix);
    const two = setup(prefix);
    one.scheduler.set('shared', 100);
    two.scheduler.set('shared', 100);
    await sleep(1_050);
    one.scheduler.stop();
    two.scheduler.stop();
    const requested = one.count('shared', 'requested') + two.count('shared', 'requested');
    const declined = one.count('shared', 'other-process') + two.count('shared', 'other-process');
    // one process alone would poll 9..11 times; two without coordination about 20
    expect(requested).toBeGreaterThanOrEqual(7);
    expect(requested).toBeLessThanOrEqual(13);
    expect(declined).toBeGreaterThanOrEqual(5);
  });
});
