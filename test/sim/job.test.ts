import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { rfc3339, VirtualClock, type SchedulingClock } from '../../src/sim/clock.ts';
import {
  ensureCondition, firstPendingIndexes, formatIndexes, JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, jobSpecView, nextBackoffRecord,
  parseIndexes, pastBackoffLimitOnFailure, remainingBackoffMs, wantedActive, type JobCondition,
} from '../../src/sim/controllers/job-status.ts';
import { createJobController } from '../../src/sim/controllers/job.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { GarbageCollector } from '../../src/sim/garbage-collector.ts';
import { metadataOf, nameOf, namespaceOf } from '../../src/sim/object-meta.ts';
import { controllerContext, typeOf } from '../support/sim.ts';

const START = new Date('2026-01-01T00:00:00Z');
const OUTCOME = 'test.sluice.dev/outcome';
const RUN_MS = 'test.sluice.dev/run-ms';
type Outcome = 'Succeeded' | 'Failed' | 'Running';

/**
 * TEST DOUBLE for the scheduler + kubelet (the real ones are another component): every new pod
 * is Running and Ready 1 s after it is created, then — `run-ms` later — exits as its
 * `outcome` annotation says (a test may override both per pod), written through the status
 * subresource with the container's terminated state. Deleted pods are left alone.
 */
interface RunnerOverrides {
  outcome?: (pod: JsonObject) => Outcome | undefined;
  runMs?: (pod: JsonObject) => number | undefined;
}

function fakePodRunner(api: SimApiServer, clock: SchedulingClock, overrides: RunnerOverrides): () => void {
  const pods = typeOf(api, '', 'v1', 'pods');
  const setStatus = (namespace: string, name: string, status: (now: string) => JsonObject) => {
    const live = api.store.get('/pods', namespace, name);
    if (!live || metadataOf(live).deletionTimestamp) return;
    api.update(pods, namespace, name, { ...live, status: status(rfc3339(clock.now())) }, { fieldManager: 'fake-pod-runner' }, 'status');
  };
  return api.store.subscribe((e) => {
    if (e.resource !== '/pods' || e.type !== 'ADDED') return;
    const [namespace, name] = [namespaceOf(e.object), nameOf(e.object)];
    const annotations = (metadataOf(e.object).annotations ?? {}) as Record<string, string>;
    const outcome = overrides.outcome?.(e.object) ?? (annotations[OUTCOME] as Outcome | undefined) ?? 'Succeeded';
    const runMs = overrides.runMs?.(e.object) ?? Number(annotations[RUN_MS] ?? 5_000);
    clock.setTimer(1_000, () =>
      setStatus(namespace, name, (now) => ({
        phase: 'Running', podIP: '10.244.0.9', startTime: now,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
        containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: now } } }],
      })),
    );
    if (outcome === 'Running') return;
    clock.setTimer(1_000 + runMs, () =>
      setStatus(namespace, name, (now) => ({
        phase: outcome,
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now, reason: 'PodCompleted' }],
        containerStatuses: [{
          name: 'main', ready: false, restartCount: 0,
          state: { terminated: { exitCode: outcome === 'Succeeded' ? 0 : 1, reason: outcome === 'Succeeded' ? 'Completed' : 'Error', finishedAt: now } },
        }],
      })),
    );
  });
}

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;
let overrides: RunnerOverrides;

beforeEach(() => {
  const ctx = controllerContext(START);
  ({ clock, api } = ctx);
  const gc = new GarbageCollector(api);
  manager = new ControllerManager(ctx, [createJobController(ctx)], [gc]);
  manager.start();
  overrides = {};
  const stopRunner = fakePodRunner(api, clock, { outcome: (pod) => overrides.outcome?.(pod), runMs: (pod) => overrides.runMs?.(pod) });
  return () => {
    stopRunner();
    manager.stop();
    gc.stop();
  };
});

const jobs = () => typeOf(api, 'batch', 'v1', 'jobs');
const podType = () => typeOf(api, '', 'v1', 'pods');
const job = (name = 'pi') => api.get(jobs(), 'default', name);
const status = (name = 'pi') => (job(name).status ?? {}) as Record<string, unknown>;
const conditions = (name = 'pi') => ((status(name).conditions ?? []) as JobCondition[]).map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`);
const pods = () => api.store.list('/pods', 'default');
const seconds = (o: JsonObject) => (Date.parse(String(metadataOf(o).creationTimestamp)) - START.getTime()) / 1000;
const eventsOf = (reason: string) => api.store.list('/events', 'default').filter((e) => e.reason === reason);

function newJob(name: string, spec: JsonObject, pod: { outcome?: Outcome; runMs?: number } = {}): JsonObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: {
        metadata: { annotations: { [OUTCOME]: pod.outcome ?? 'Succeeded', [RUN_MS]: String(pod.runMs ?? 5_000) } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'perl:5.34' }] },
      },
    },
  };
}

describe('Job controller', () => {
  it('runs parallelism pods until completions succeed, then Complete (SuccessCriteriaMet first)', async () => {
    api.create(jobs(), 'default', newJob('pi', { completions: 3, parallelism: 2 }));
    await manager.advance(clock, 2_000);
    expect(pods()).toHaveLength(2);
    expect(status()).toMatchObject({ active: 2, ready: 2, terminating: 0, startTime: '2026-01-01T00:00:00Z', uncountedTerminatedPods: {} });
    expect(status()).not.toHaveProperty('succeeded');

    await manager.advance(clock, 20_000);
    expect(pods().map(seconds).sort((a, b) => a - b)).toEqual([0, 0, 6]);
    expect(status()).toMatchObject({ succeeded: 3, ready: 0, terminating: 0, completionTime: '2026-01-01T00:00:12Z' });
    expect(status()).not.toHaveProperty('active');
    expect(conditions()).toEqual(['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached']);
    expect(eventsOf('SuccessfulCreate')).toHaveLength(3);
    expect(eventsOf('Completed').map((e) => e.message)).toEqual(['Job completed']);
  });

  it('gives pods the template labels, an owner reference and the tracking finalizer until they are counted', async () => {
    api.create(jobs(), 'default', newJob('pi', { completions: 1 }));
    await manager.advance(clock, 1);
    const [pod] = pods();
    const meta = metadataOf(pod!);
    const uid = String(metadataOf(job()).uid);
    expect(meta.generateName).toBe('pi-');
    expect(meta.labels).toMatchObject({ 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid });
    expect(meta.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid, controller: true, blockOwnerDeletion: true }]);
    expect(meta.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
    await manager.advance(clock, 10_000);
    expect(metadataOf(pods()[0]!).finalizers).toBeUndefined();
    expect(status()).toMatchObject({ succeeded: 1 });
  });

  it('backs off 10 s, 20 s … between failed pods and fails with BackoffLimitExceeded past backoffLimit', async () => {
    api.create(jobs(), 'default', newJob('pi', { backoffLimit: 2 }, { outcome: 'Failed', runMs: 2_000 }));
    await manager.advance(clock, 120_000);
    expect(pods().map(seconds).sort((a, b) => a - b)).toEqual([0, 13, 36]);
    expect(status()).toMatchObject({ failed: 3, ready: 0, terminating: 0 });
    expect(status()).not.toHaveProperty('completionTime');
    expect(conditions()).toEqual(['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded']);
    expect(eventsOf('BackoffLimitExceeded').map((e) => [e.type, e.message])).toEqual([['Warning', 'Job has reached the specified backoff limit']]);
  });

  it('fails with DeadlineExceeded at activeDeadlineSeconds, deleting and counting its active pods', async () => {
    api.create(jobs(), 'default', newJob('pi', { completions: 2, parallelism: 2, activeDeadlineSeconds: 10 }, { runMs: 60_000 }));
    await manager.advance(clock, 9_999);
    expect(conditions()).toEqual([]);
    await manager.advance(clock, 1);
    expect(conditions()).toEqual(['FailureTarget=True/DeadlineExceeded', 'Failed=True/DeadlineExceeded']);
    expect(status()).toMatchObject({ failed: 2, ready: 0, terminating: 0 });
    expect(pods()).toEqual([]);
    expect(eventsOf('DeadlineExceeded').map((e) => e.message)).toEqual(['Job was active longer than specified deadline']);
  });

  it('a suspended Job runs nothing; resuming starts it (and its deadline clock), suspending again removes pods uncounted', async () => {
    api.create(jobs(), 'default', newJob('pi', { completions: 2, parallelism: 2, suspend: true }, { runMs: 60_000 }));
    await manager.advance(clock, 5_000);
    expect(pods()).toEqual([]);
    expect(conditions()).toEqual(['Suspended=True/JobSuspended']);
    expect(status()).not.toHaveProperty('startTime');

    api.patch(jobs(), 'default', 'pi', 'merge', { spec: { suspend: false } });
    await manager.advance(clock, 2_000);
    expect(pods()).toHaveLength(2);
    expect(conditions()).toEqual(['Suspended=False/JobResumed']);
    expect(status()).toMatchObject({ startTime: '2026-01-01T00:00:05Z', active: 2 });

    api.patch(jobs(), 'default', 'pi', 'merge', { spec: { suspend: true } });
    await manager.advance(clock, 1_000);
    expect(pods()).toEqual([]);
    expect(status()).not.toHaveProperty('failed');
    expect(conditions()).toEqual(['Suspended=True/JobSuspended']);
    expect(eventsOf('Suspended')).toHaveLength(1);
    expect(eventsOf('Resumed')).toHaveLength(1);
  });

  it('Indexed: one pod per completion index, a failed index retried, completedIndexes reported', async () => {
    let failedOnce = 0;
    overrides.outcome = (pod) => ((metadataOf(pod).annotations as Record<string, string>)[JOB_COMPLETION_INDEX] === '1' && !failedOnce++ ? 'Failed' : undefined);
    api.create(jobs(), 'default', newJob('pi', { completions: 3, parallelism: 2, completionMode: 'Indexed' }));
    await manager.advance(clock, 1);
    const first = pods().map((p) => ({
      generateName: metadataOf(p).generateName,
      index: (metadataOf(p).labels as Record<string, string>)[JOB_COMPLETION_INDEX],
      hostname: (p.spec as JsonObject).hostname,
      env: ((p.spec as { containers: JsonObject[] }).containers[0]!.env as JsonObject[])[0],
    }));
    expect(first.sort((a, b) => String(a.index).localeCompare(String(b.index)))).toEqual([0, 1].map((i) => ({
      generateName: `pi-${i}-`, index: String(i), hostname: `pi-${i}`,
      // the pod's fieldRef gains apiVersion v1 from the API server's defaulting
      env: { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } },
    })));
    await manager.advance(clock, 60_000);
    expect(status()).toMatchObject({ completedIndexes: '0-2', succeeded: 3, failed: 1 });
    expect(conditions()).toEqual(['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached']);
    const indexes = pods().map((p) => (metadataOf(p).annotations as Record<string, string>)[JOB_COMPLETION_INDEX]).sort();
    expect(indexes).toEqual(['0', '1', '1', '2']);
  });

  it('without completions (work queue): done once one pod succeeded and the others finished', async () => {
    const runFor = [2_000, 5_000, 8_000];
    overrides.runMs = () => runFor.shift() ?? 1_000;
    api.create(jobs(), 'default', newJob('queue', { parallelism: 3 }));
    await manager.advance(clock, 30_000);
    expect(pods()).toHaveLength(3);
    expect(status('queue')).toMatchObject({ succeeded: 3, completionTime: '2026-01-01T00:00:09Z' });
    expect(conditions('queue')).toEqual(['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached']);
  });

  it('counts a running pod deleted by someone else as failed and replaces it', async () => {
    api.create(jobs(), 'default', newJob('pi', { completions: 1 }, { runMs: 30_000 }));
    await manager.advance(clock, 2_000);
    const [victim] = pods();
    api.delete(podType(), 'default', nameOf(victim!));
    await manager.advance(clock, 1);
    expect(status()).toMatchObject({ failed: 1 });
    expect(api.store.get('/pods', 'default', nameOf(victim!))).toBeUndefined();
    await manager.advance(clock, 60_000);
    expect(status()).toMatchObject({ failed: 1, succeeded: 1 });
    expect(pods().map(seconds)).toEqual([12]);
  });

  it('deleting the Job lets the garbage collector remove its pods despite their finalizers', async () => {
    api.create(jobs(), 'default', newJob('pi', { completions: 2, parallelism: 2 }, { runMs: 60_000 }));
    await manager.advance(clock, 2_000);
    expect(pods()).toHaveLength(2);
    api.delete(jobs(), 'default', 'pi', { propagationPolicy: 'Background' });
    await manager.advance(clock, 1_000);
    expect(pods()).toEqual([]);
  });
});

describe('Job arithmetic', () => {
  it.each([
    { name: 'no failures', record: undefined, now: 0, want: 0 },
    { name: 'first failure waits 10 s', record: { failuresAfterLastSuccess: 1, lastFailureTime: 1_000 }, now: 4_000, want: 7_000 },
    { name: 'third failure waits 40 s', record: { failuresAfterLastSuccess: 3, lastFailureTime: 0 }, now: 0, want: 40_000 },
    { name: 'capped at 10 minutes', record: { failuresAfterLastSuccess: 12, lastFailureTime: 0 }, now: 0, want: 600_000 },
    { name: 'already waited long enough', record: { failuresAfterLastSuccess: 2, lastFailureTime: 0 }, now: 25_000, want: 0 },
  ])('remainingBackoffMs: $name', ({ record, now, want }) => {
    expect(remainingBackoffMs(record, now)).toBe(want);
  });

  it.each([
    { name: 'nothing new keeps the record', prev: { failuresAfterLastSuccess: 2, lastFailureTime: 5 }, ok: [], failed: [], want: { failuresAfterLastSuccess: 2, lastFailureTime: 5 } },
    { name: 'failures add up', prev: { failuresAfterLastSuccess: 1, lastFailureTime: 5 }, ok: [], failed: [7, 9], want: { failuresAfterLastSuccess: 3, lastFailureTime: 9 } },
    { name: 'a success resets', prev: { failuresAfterLastSuccess: 4, lastFailureTime: 5 }, ok: [6], failed: [], want: { failuresAfterLastSuccess: 0, lastFailureTime: undefined } },
    { name: 'only failures after the last success count', prev: undefined, ok: [10], failed: [8, 12, 15], want: { failuresAfterLastSuccess: 2, lastFailureTime: 15 } },
  ])('nextBackoffRecord: $name', ({ prev, ok, failed, want }) => {
    expect(nextBackoffRecord(prev, ok, failed)).toEqual(want);
  });

  it.each([
    { indexes: [], text: '' },
    { indexes: [0, 1, 2], text: '0-2' },
    { indexes: [5, 1, 3, 4, 7], text: '1,3-5,7' },
  ])('completed indexes $text', ({ indexes, text }) => {
    expect(formatIndexes(new Set(indexes))).toBe(text);
    expect([...parseIndexes(text, 10)].sort((a, b) => a - b)).toEqual([...indexes].sort((a, b) => a - b));
  });

  it('parseIndexes ignores indexes from completions up, however wide the range written', () => {
    expect([...parseIndexes('1,3-99999999999', 5)]).toEqual([1, 3, 4]);
    expect(parseIndexes('7', 5).size).toBe(0);
  });

  it('firstPendingIndexes skips running and completed indexes', () => {
    expect(firstPendingIndexes(new Set([0, 2, undefined]), 2, 5)).toEqual([1, 3]);
    expect(firstPendingIndexes(new Set([0, 1]), 3, 2)).toEqual([]);
  });

  it.each([
    { name: 'remaining completions', spec: { completions: 5, parallelism: 2 } as JsonObject, succeeded: 4, active: 0, want: 1 },
    { name: 'capped by parallelism', spec: { completions: 5, parallelism: 2 } as JsonObject, succeeded: 0, active: 0, want: 2 },
    { name: 'work queue before any success', spec: { parallelism: 3 } as JsonObject, succeeded: 0, active: 1, want: 3 },
    { name: 'work queue after a success keeps what runs', spec: { parallelism: 3 } as JsonObject, succeeded: 1, active: 2, want: 2 },
  ])('wantedActive: $name', ({ spec, succeeded, active, want }) => {
    expect(wantedActive(jobSpecView({ spec }), succeeded, active)).toBe(want);
  });

  it.each([
    { name: 'Never ignores restarts', policy: 'Never', limit: 1, restarts: [5], want: false },
    { name: 'OnFailure at the limit', policy: 'OnFailure', limit: 3, restarts: [1, 2], want: true },
    { name: 'OnFailure below the limit', policy: 'OnFailure', limit: 3, restarts: [1, 1], want: false },
    { name: 'backoffLimit 0 fails on the first restart', policy: 'OnFailure', limit: 0, restarts: [1], want: true },
  ])('pastBackoffLimitOnFailure: $name', ({ policy, limit, restarts, want }) => {
    const spec = jobSpecView({ spec: { backoffLimit: limit, template: { spec: { restartPolicy: policy } } } });
    const running = restarts.map((n) => ({ status: { phase: 'Running', containerStatuses: [{ name: 'main', restartCount: n }] } }));
    expect(pastBackoffLimitOnFailure(spec, running)).toBe(want);
  });

  it('ensureCondition keeps the transition time unless the status changes, and never adds a False condition', () => {
    const t1 = '2026-01-01T00:00:00Z';
    const t2 = '2026-01-01T00:01:00Z';
    const suspended: JobCondition = { type: 'Suspended', status: 'True', lastProbeTime: t1, lastTransitionTime: t1, reason: 'JobSuspended', message: 'Job suspended' };
    expect(ensureCondition([], { ...suspended, status: 'False' })).toEqual({ conditions: [], changed: false });
    expect(ensureCondition([suspended], { ...suspended, lastProbeTime: t2, lastTransitionTime: t2 })).toEqual({ conditions: [suspended], changed: false });
    const resumed = ensureCondition([suspended], { ...suspended, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: t2, lastTransitionTime: t2 });
    expect(resumed).toEqual({ conditions: [{ ...suspended, status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: t2, lastTransitionTime: t2 }], changed: true });
  });
});
