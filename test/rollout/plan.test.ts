import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';
import { look, stepTarget } from '../../src/rollout/plan.ts';
import { workloadKey, type PodView, type RolloutState, type WorkloadSnapshot } from '../../src/rollout/types.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const iso = (s: number) => at(s).toISOString();

function rollout(fields: Partial<RolloutState> = {}, kind: 'Deployment' | 'StatefulSet' = 'Deployment'): RolloutState {
  return {
    id: '1',
    app: 'shop',
    phase: 'Progressing',
    revision: 'b'.repeat(40),
    fromRevision: 'a'.repeat(40),
    policy: { ...DEFAULT_ROLLOUT, steps: [20, 50, 100], stepHoldMs: 10_000, progressDeadlineMs: 300_000, failure: { restarts: 3, notReadyForMs: 60_000 } },
    step: 0,
    steps: 3,
    startedAt: iso(0),
    stepStartedAt: iso(0),
    held: false,
    promoted: false,
    message: '',
    workloads: [{ kind, namespace: 'shop', name: 'web', steps: [20, 50, 100], desired: 10, updated: 0, ready: 10, available: 10, stepTarget: 2, maxSurge: 2, maxUnavailable: 0 }],
    ...fields,
  };
}

function pods(newReady: number, newNotReady: number, old: number, extra: Partial<PodView> = {}): PodView[] {
  const list: PodView[] = [];
  for (let i = 0; i < newReady; i++) list.push({ name: `new-${i}`, current: true, ready: true, terminating: false, restarts: 0 });
  for (let i = 0; i < newNotReady; i++) list.push({ name: `pending-${i}`, current: true, ready: false, terminating: false, notReadySince: iso(0), restarts: 0, ...extra });
  for (let i = 0; i < old; i++) list.push({ name: `old-${i}`, current: false, ready: true, terminating: false, restarts: 0 });
  return list;
}

function snapshot(fields: Partial<WorkloadSnapshot>, kind: 'Deployment' | 'StatefulSet' = 'Deployment'): Map<string, WorkloadSnapshot> {
  const snap: WorkloadSnapshot = { kind, namespace: 'shop', name: 'web', exists: true, desired: 10, held: false, allowedNew: 0, updated: 0, ready: 10, available: 10, maxSurge: 2, maxUnavailable: 0, pods: pods(0, 0, 10), ...fields };
  return new Map([[workloadKey(snap), snap]]);
}

describe('stepTarget', () => {
  it.each([
    { desired: 10, percent: 20, want: 2 },
    { desired: 10, percent: 50, want: 5 },
    { desired: 10, percent: 100, want: 10 },
    { desired: 3, percent: 20, want: 1 },
    { desired: 3, percent: 50, want: 2 },
    { desired: 1, percent: 10, want: 1 },
    { desired: 0, percent: 50, want: 0 },
  ])('$percent % of $desired → $want', ({ desired, percent, want }) => expect(stepTarget(desired, percent)).toBe(want));
});

describe('look', () => {
  it.each([
    { name: 'a paused Deployment below the step count is resumed', snap: { held: true, allowedNew: 0 }, want: 'resume' },
    { name: 'one whose new ReplicaSet may hold the step count is paused', snap: { held: false, allowedNew: 2 }, want: 'pause' },
    { name: 'a pause past the count (maxSurge overshoot) stays', snap: { held: true, allowedNew: 4 }, want: undefined },
    { name: 'a running one below the count is left running', snap: { held: false, allowedNew: 1 }, want: undefined },
  ])('$name', ({ snap, want }) => {
    const result = look(rollout(), snapshot(snap), at(1));
    expect(result.actions.map((a) => a.action)[0]).toBe(want);
    expect(result.failure).toBeUndefined();
  });

  it('holds a met step for stepHold, then starts the next and resumes the workload', () => {
    const met = snapshot({ held: true, allowedNew: 2, updated: 2, ready: 12, available: 12, pods: pods(2, 0, 10) });
    const first = look(rollout(), met, at(5));
    expect(first.state).toMatchObject({ step: 0, reachedAt: iso(5) });
    expect(first.nextLookAt).toBe(iso(15));
    expect(first.state.workloads[0]?.holdUntil).toBe(iso(15));
    const still = look(first.state, met, at(14));
    expect(still.state.step).toBe(0);
    const next = look(first.state, met, at(15));
    expect(next.state).toMatchObject({ step: 1, stepStartedAt: iso(15), reachedAt: undefined, phase: 'Progressing' });
    expect(next.actions).toEqual([{ ref: { kind: 'Deployment', namespace: 'shop', name: 'web' }, action: 'resume' }]);
  });

  it('restarts the hold when a new pod stops being Ready', () => {
    const state = { ...rollout(), reachedAt: iso(5) };
    const result = look(state, snapshot({ held: true, allowedNew: 2, pods: pods(1, 1, 10) }), at(10));
    expect(result.state.reachedAt).toBeUndefined();
    expect(result.state.step).toBe(0);
  });

  it('skips holds once promoted, and stops after a step while held by the user', () => {
    const met = snapshot({ held: true, allowedNew: 2, pods: pods(2, 0, 10) });
    expect(look(rollout({ promoted: true }), met, at(5)).state.step).toBe(1);
    const paused = look(rollout({ held: true, reachedAt: iso(0) }), met, at(5));
    expect(paused.state).toMatchObject({ phase: 'Paused', step: 0 });
    expect(look(paused.state, met, at(20)).state).toMatchObject({ phase: 'Paused', step: 0 });
    const resumed = look({ ...paused.state, held: false }, met, at(6));
    expect(resumed.state).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(resumed.nextLookAt).toBe(iso(10));
    expect(look({ ...paused.state, held: false }, met, at(10)).state).toMatchObject({ phase: 'Progressing', step: 1 });
  });

  it('succeeds when the last step has every pod new, Ready and available, and no old pod left', () => {
    const state = rollout({ step: 2, stepStartedAt: iso(0), reachedAt: iso(0) });
    const done = snapshot({ allowedNew: 10, updated: 10, ready: 10, available: 10, pods: pods(10, 0, 0) });
    expect(look(state, done, at(10)).state).toMatchObject({ phase: 'Succeeded', finishedAt: iso(10) });
    const oldLeft = snapshot({ allowedNew: 10, updated: 10, ready: 11, available: 11, pods: pods(10, 0, 1) });
    expect(look(state, oldLeft, at(10)).state.phase).toBe('Progressing');
  });

  it.each([
    { name: 'crash-looping with the restarts used up', extra: { waitingReason: 'CrashLoopBackOff', restarts: 3, lastTerminationReason: 'Error' }, now: 45, want: /^web: 2\/10 new pods CrashLoopBackOff after 45 s \(pending-0: 3 restarts, last Error\)$/ },
    { name: 'more restarts than the budget', extra: { restarts: 4 }, now: 30, want: /2\/10 new pods restarting/ },
    { name: 'OOM-killed with the restarts used up', extra: { lastTerminationReason: 'OOMKilled', restarts: 3 }, now: 30, want: /OOMKilled/ },
    { name: 'an image that cannot be pulled', extra: { waitingReason: 'ImagePullBackOff' }, now: 5, want: /2\/10 new pods ImagePullBackOff after 5 s/ },
    { name: 'not Ready past notReadyFor', extra: {}, now: 61, want: /2\/10 new pods not Ready after 61 s/ },
  ])('fails a step on the budget: $name', ({ extra, now, want }) => {
    const result = look(rollout(), snapshot({ held: true, allowedNew: 2, pods: pods(0, 2, 10, extra) }), at(now));
    expect(result.failure).toMatch(want);
    expect(result.actions).toEqual([]);
    expect(result.state.workloads[0]?.failingPod?.name).toBe('pending-0');
  });

  it('keeps within the budget: a crash before the restarts run out, a pod not Ready for less than notReadyFor', () => {
    const crashing = look(rollout(), snapshot({ held: true, allowedNew: 2, pods: pods(0, 2, 10, { waitingReason: 'CrashLoopBackOff', restarts: 2 }) }), at(30));
    expect(crashing.failure).toBeUndefined();
    const slow = look(rollout(), snapshot({ held: true, allowedNew: 2, pods: pods(0, 2, 10) }), at(30));
    expect(slow.failure).toBeUndefined();
    expect(slow.nextLookAt).toBe(new Date(T0 + 60_001).toISOString());
  });

  it('fails a step past the progress deadline, saying what it waited for', () => {
    const result = look(rollout({ policy: { ...rollout().policy, progressDeadlineMs: 20_000, failure: { restarts: 3, notReadyForMs: 600_000 } } }), snapshot({ held: false, allowedNew: 1, pods: pods(1, 0, 10) }), at(21));
    expect(result.failure).toBe('step 1/3 not done after 20 s: web: 1/2 new pods Ready, 10 old');
  });

  it('fails when the workload is gone', () => {
    expect(look(rollout(), new Map(), at(1)).failure).toMatch(/web: the Deployment was deleted/);
  });

  it('moves a StatefulSet partition to the step: replicas - target, 0 at the last step', () => {
    const held = look(rollout({}, 'StatefulSet'), snapshot({ held: true, allowedNew: 0 }, 'StatefulSet'), at(1));
    expect(held.actions).toEqual([{ ref: { kind: 'StatefulSet', namespace: 'shop', name: 'web' }, action: 'partition', partition: 8 }]);
    const last = look(rollout({ step: 2 }, 'StatefulSet'), snapshot({ held: true, allowedNew: 5 }, 'StatefulSet'), at(1));
    expect(last.actions).toEqual([{ ref: { kind: 'StatefulSet', namespace: 'shop', name: 'web' }, action: 'partition', partition: 0 }]);
  });

  it('while rolling back: every workload resumed, RolledBack once all pods run the old revision, and a failure is final', () => {
    const state = rollout({ phase: 'RollingBack', reason: 'web: 2/10 new pods CrashLoopBackOff after 45 s' });
    const moving = look(state, snapshot({ held: true, allowedNew: 2, pods: pods(8, 0, 2) }), at(50));
    expect(moving.actions.map((a) => a.action)).toEqual(['resume']);
    const back = look(state, snapshot({ allowedNew: 10, updated: 10, ready: 10, available: 10, pods: pods(10, 0, 0) }), at(60));
    expect(back.state).toMatchObject({ phase: 'RolledBack', message: `web: 2/10 new pods CrashLoopBackOff after 45 s; rolled back to aaaaaaa` });
  });
});
