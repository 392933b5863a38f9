import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { rfc3339, VirtualClock } from '../../src/sim/clock.ts';
import { createCronJobController, CRONJOB_SCHEDULED_TIMESTAMP, cronJobView, jobName, planCronJob, type ChildJob } from '../../src/sim/controllers/cronjob.ts';
import { EventRecorder } from '../../src/sim/controllers/events.ts';
import { createJobController } from '../../src/sim/controllers/job.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { GarbageCollector } from '../../src/sim/garbage-collector.ts';
import { metadataOf, nameOf } from '../../src/sim/object-meta.ts';
import { typeOf } from '../support/sim.ts';

const START = new Date('2026-01-01T00:00:00Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(START.getTime() + minutes * MINUTE);

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;
let gc: GarbageCollector;

function start(options: { withJobController?: boolean } = {}): void {
  const ctx = { api, clock, events: new EventRecorder(api, clock) };
  const controllers = [createCronJobController(ctx), ...(options.withJobController ? [createJobController(ctx)] : [])];
  manager = new ControllerManager(ctx, controllers, [gc]);
  manager.start();
}

beforeEach(() => {
  clock = new VirtualClock(START);
  api = new SimApiServer({ clock });
  gc = new GarbageCollector(api);
  return () => {
    manager.stop();
    gc.stop();
  };
});

const cronJobs = () => typeOf(api, 'batch', 'v1', 'cronjobs');
const jobsType = () => typeOf(api, 'batch', 'v1', 'jobs');
const jobs = () => api.store.list('batch/jobs', 'default');
const jobNames = () => jobs().map(nameOf).sort();
const cronStatus = (name = 'cj') => (api.get(cronJobs(), 'default', name).status ?? {}) as Record<string, unknown>;
const eventsOf = (reason: string) => api.store.list('/events', 'default').filter((e) => e.reason === reason);
const nameAt = (minutes: number, cj = 'cj') => jobName(cj, at(minutes));

function newCronJob(name: string, spec: JsonObject): JsonObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      ...spec,
      jobTemplate: {
        metadata: { labels: { app: 'report' }, annotations: { team: 'data' } },
        spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
      },
    },
  };
}

/** Test stand-in for the Job controller: mark a Job finished through its status subresource. */
function finishJob(name: string, type: 'Complete' | 'Failed'): void {
  const job = api.get(jobsType(), 'default', name);
  const now = rfc3339(clock.now());
  const status: JsonObject = {
    startTime: String(metadataOf(job).creationTimestamp),
    ...(type === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }),
    conditions: [{ type, status: 'True', lastProbeTime: now, lastTransitionTime: now }],
  };
  api.update(jobsType(), 'default', name, { ...job, status }, { fieldManager: 'test' }, 'status');
}

describe('CronJob controller', () => {
  it('advancing an hour on */15 creates exactly 4 Jobs, each at its scheduled time', async () => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '*/15 * * * *' }));
    await manager.advance(clock, 59 * MINUTE + 59_000);
    expect(jobNames()).toEqual([15, 30, 45].map((m) => nameAt(m)).sort());
    await manager.advance(clock, 1_000);
    expect(jobNames()).toEqual([15, 30, 45, 60].map((m) => nameAt(m)).sort());
    const byName = new Map(jobs().map((j) => [nameOf(j), j]));
    for (const m of [15, 30, 45, 60]) {
      const meta = metadataOf(byName.get(nameAt(m))!);
      expect(meta.creationTimestamp).toBe(rfc3339(at(m)));
      expect(meta.annotations).toEqual({ team: 'data', [CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339(at(m)) });
      expect(meta.labels).toMatchObject({ app: 'report' });
      expect(meta.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'cj', controller: true })]);
    }
    expect(nameAt(15)).toBe(`cj-${START.getTime() / MINUTE + 15}`);
    expect(cronStatus()).toMatchObject({ lastScheduleTime: rfc3339(at(60)) });
    expect((cronStatus().active as { name: string }[]).map((r) => r.name).sort()).toEqual(jobNames());
    expect(eventsOf('SuccessfulCreate')).toHaveLength(4);
    // one wake-up pending (the next schedule), not a busy loop
    expect(clock.pendingTimers).toBeLessThanOrEqual(1);
  });

  it.each([
    { name: 'runs the skipped time late, once the running Job finishes', startingDeadlineSeconds: undefined, want: [5, 10] },
    { name: 'with startingDeadlineSeconds, a skipped time is dropped', startingDeadlineSeconds: 30, want: [5, 15] },
  ])('Forbid never overlaps Jobs and $name', async ({ startingDeadlineSeconds, want }) => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', ...(startingDeadlineSeconds ? { startingDeadlineSeconds } : {}) }));
    await manager.advance(clock, 10 * MINUTE);
    expect(jobNames()).toEqual([nameAt(5)]);
    expect(eventsOf('JobAlreadyActive').map((e) => e.message)).toEqual(['Not starting job because prior execution is running and concurrency policy is Forbid']);
    await manager.advance(clock, MINUTE);
    finishJob(nameAt(5), 'Complete');
    await manager.advance(clock, 5 * MINUTE);
    expect(jobNames()).toEqual(want.map((m) => nameAt(m)).sort());
    expect(eventsOf('SawCompletedJob').map((e) => e.message)).toEqual([`Saw completed job: ${nameAt(5)}, condition: Complete`]);
    expect(cronStatus()).toMatchObject({ lastSuccessfulTime: rfc3339(at(11)) });
  });

  it('Replace deletes the running Job and starts the new one', async () => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '*/5 * * * *', concurrencyPolicy: 'Replace' }));
    await manager.advance(clock, 10 * MINUTE + 1_000);
    expect(jobNames()).toEqual([nameAt(10)]);
    expect(eventsOf('SuccessfulDelete').map((e) => e.message)).toEqual([`Deleted job ${nameAt(5)}`]);
    expect((cronStatus().active as { name: string }[]).map((r) => r.name)).toEqual([nameAt(10)]);
  });

  it('Allow lets Jobs overlap; a Job deleted behind its back leaves the active list', async () => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '*/5 * * * *' }));
    await manager.advance(clock, 15 * MINUTE);
    expect((cronStatus().active as unknown[]).length).toBe(3);
    api.delete(jobsType(), 'default', nameAt(10));
    await manager.advance(clock, 1_000);
    expect((cronStatus().active as { name: string }[]).map((r) => r.name).sort()).toEqual([nameAt(5), nameAt(15)].sort());
    expect(eventsOf('MissingJob').map((e) => e.message)).toEqual([`Active job went missing: ${nameAt(10)}`]);
  });

  it.each([
    { name: 'starts only the most recent missed time', startingDeadlineSeconds: undefined, want: [30, 45] },
    { name: 'starts nothing late past startingDeadlineSeconds', startingDeadlineSeconds: 60, want: [45] },
  ])('while suspended nothing runs; on resume it $name', async ({ startingDeadlineSeconds, want }) => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '*/15 * * * *', suspend: true, ...(startingDeadlineSeconds ? { startingDeadlineSeconds } : {}) }));
    await manager.advance(clock, 32 * MINUTE);
    expect(jobs()).toEqual([]);
    api.patch(cronJobs(), 'default', 'cj', 'merge', { spec: { suspend: false } });
    await manager.advance(clock, 14 * MINUTE);
    expect(jobNames()).toEqual(want.map((m) => nameAt(m)).sort());
  });

  it('keeps successfulJobsHistoryLimit / failedJobsHistoryLimit finished Jobs, deleting the oldest', async () => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '* * * * *', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }));
    const outcomes = ['Complete', 'Failed', 'Complete', 'Complete', 'Failed', 'Complete'] as const;
    for (const [i, outcome] of outcomes.entries()) {
      await manager.advance(clock, MINUTE);
      finishJob(nameAt(i + 1), outcome);
    }
    await manager.advance(clock, 1_000);
    expect(jobNames()).toEqual([4, 5, 6].map((m) => nameAt(m)).sort());
    expect(eventsOf('SuccessfulDelete')).toHaveLength(3);
    expect(cronStatus()).toMatchObject({ lastSuccessfulTime: rfc3339(at(6)) });
    expect(cronStatus()).not.toHaveProperty('active');
  });

  it('reads the schedule in spec.timeZone and stamps the Job in that zone', async () => {
    start();
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    await manager.advance(clock, 25 * 60 * MINUTE);
    const expected = new Date('2026-01-02T00:00:00Z');
    expect(jobNames()).toEqual([jobName('cj', expected)]);
    expect(metadataOf(jobs()[0]!).annotations).toMatchObject({ [CRONJOB_SCHEDULED_TIMESTAMP]: '2026-01-02T09:00:00+09:00' });
  });

  it('with the Job controller: Forbid waits for real Jobs to finish (pods run 7 minutes)', async () => {
    start({ withJobController: true });
    const pods = typeOf(api, '', 'v1', 'pods');
    // test double for the kubelet: a pod succeeds 7 minutes after it is created
    const stop = api.store.subscribe((e) => {
      if (e.resource !== '/pods' || e.type !== 'ADDED') return;
      const name = nameOf(e.object);
      clock.setTimer(7 * MINUTE, () => {
        const live = api.store.get('/pods', 'default', name);
        if (live) api.update(pods, 'default', name, { ...live, status: { phase: 'Succeeded' } }, { fieldManager: 'test' }, 'status');
      });
    });
    api.create(cronJobs(), 'default', newCronJob('cj', { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 10 }));
    await manager.advance(clock, 30 * MINUTE);
    stop();
    expect(jobNames()).toEqual([5, 15, 25].map((m) => nameAt(m)).sort());
    expect(cronStatus()).toMatchObject({ lastScheduleTime: rfc3339(at(25)), lastSuccessfulTime: rfc3339(at(22)) });
  });
});

describe('planCronJob', () => {
  const base = cronJobView(newCronJob('cj', { schedule: '*/15 * * * *' }));
  const view = { ...base, createdAt: START };
  const running: ChildJob = { name: nameAt(15), uid: 'u1', finished: undefined, startTime: at(15), completionTime: undefined };
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name: nameAt(15), uid: 'u1' };

  it.each([
    { name: 'not yet due: wake at the next time', cj: view, jobs: [], now: at(7), steps: [], requeue: 8 * MINUTE },
    { name: 'due: create, then wake at the following time', cj: view, jobs: [], now: at(15), steps: [{ kind: 'create', scheduledTime: at(15) }], requeue: 15 * MINUTE },
    {
      name: 'Forbid with a Job running: skip with an event', cj: { ...view, concurrencyPolicy: 'Forbid' as const, active: [ref], lastScheduleTime: at(15) }, jobs: [running], now: at(30),
      steps: [{ kind: 'event', type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' }], requeue: 15 * MINUTE,
    },
    {
      name: 'Replace: delete the running Job first', cj: { ...view, concurrencyPolicy: 'Replace' as const, active: [ref], lastScheduleTime: at(15) }, jobs: [running], now: at(30),
      steps: [{ kind: 'delete', job: nameAt(15) }, { kind: 'create', scheduledTime: at(30) }], requeue: 15 * MINUTE,
    },
    { name: 'suspended: nothing, no wake-up', cj: { ...view, suspend: true }, jobs: [], now: at(30), steps: [], requeue: undefined },
    { name: 'already handled this time', cj: { ...view, lastScheduleTime: at(15) }, jobs: [], now: at(15), steps: [], requeue: 15 * MINUTE },
  ])('$name', ({ cj, jobs, now, steps, requeue }) => {
    const plan = planCronJob(cj, jobs, now);
    expect(plan.steps).toEqual(steps);
    expect(plan.requeueAfterMs).toBe(requeue);
  });

  it('warns of too many missed start times and still starts the latest', () => {
    const plan = planCronJob({ ...view, schedule: '* * * * *' }, [], at(200));
    expect(plan.steps).toEqual([
      expect.objectContaining({ reason: 'TooManyMissedTimes' }),
      { kind: 'create', scheduledTime: at(200) },
    ]);
  });
});
