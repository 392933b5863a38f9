import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import {
  calculateStatus,
  deploymentComplete,
  deploymentLimits,
  deploymentProgressing,
  deploymentTimedOut,
  DESIRED_REPLICAS_ANNOTATION,
  IntOrPercentError,
  isSaturated,
  isScalingEvent,
  MAX_REPLICAS_ANNOTATION,
  maxRevision,
  newDeploymentCondition,
  newReplicaSetConditions,
  newReplicasToScaleUp,
  nextRevision,
  NO_PROGRESS_DEADLINE,
  oldReplicasToScaleDown,
  podTemplateHash,
  progressRecheckAfter,
  proportionalScale,
  replicasAnnotations,
  replicaSetSummary,
  resolveFenceposts,
  REVISION_ANNOTATION,
  revisionOf,
  rolloutStatus,
  scaledValue,
  setDeploymentCondition,
  templatesEqualIgnoringHash,
  type DeploymentCondition,
  type DeploymentStatus,
  type IntOrPercent,
  type ReplicaSetSummary,
} from '../../src/sim/controllers/deployment-math.ts';

const OLDER = '2016-05-20T00:00:00Z';
const OLD = '2016-05-20T01:00:00Z';
const NEW = '2016-05-20T02:00:00Z';

function rs(
  name: string,
  specReplicas: number,
  opts: { available?: number; created?: string; annotations?: Record<string, string> } = {},
): ReplicaSetSummary {
  const available = opts.available ?? specReplicas;
  return {
    name,
    creationTimestamp: opts.created ?? OLD,
    specReplicas,
    statusReplicas: specReplicas,
    readyReplicas: available,
    availableReplicas: available,
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
}

describe('scaledValue (GetScaledValueFromIntOrPercent)', () => {
  it.each<{ value: IntOrPercent; total: number; roundUp: boolean; want: number }>([
    { value: 5, total: 10, roundUp: true, want: 5 },
    { value: 0, total: 10, roundUp: false, want: 0 },
    { value: '25%', total: 10, roundUp: true, want: 3 },
    { value: '25%', total: 10, roundUp: false, want: 2 },
    { value: '1%', total: 10, roundUp: true, want: 1 },
    { value: '1%', total: 10, roundUp: false, want: 0 },
    { value: '100%', total: 7, roundUp: false, want: 7 },
    { value: '0%', total: 7, roundUp: true, want: 0 },
    { value: '+50%', total: 3, roundUp: true, want: 2 },
    { value: '33%', total: 0, roundUp: true, want: 0 },
  ])('$value of $total (roundUp $roundUp) → $want', ({ value, total, roundUp, want }) => {
    expect(scaledValue(value, total, roundUp)).toBe(want);
  });

  it.each<{ value: IntOrPercent; message: RegExp }>([
    { value: '25', message: /string is not a percentage/ },
    { value: '', message: /string is not a percentage/ },
    { value: 'abc%', message: /invalid value "abc%"/ },
    { value: '2.5%', message: /invalid value "2.5%"/ },
    { value: ' 5%', message: /invalid value " 5%"/ },
    { value: '5%%', message: /invalid value "5%%"/ },
    { value: '%', message: /invalid value "%"/ },
    { value: 1.5, message: /not an integer/ },
  ])('rejects $value', ({ value, message }) => {
    expect(() => scaledValue(value, 10, true)).toThrow(IntOrPercentError);
    expect(() => scaledValue(value, 10, true)).toThrow(message);
  });
});

describe('resolveFenceposts', () => {
  it.each<{ name: string; surge: IntOrPercent | undefined; unavailable: IntOrPercent | undefined; replicas: number; want: [number, number] }>([
    { name: 'the defaults on 10 replicas', surge: '25%', unavailable: '25%', replicas: 10, want: [3, 2] },
    { name: '1% of 10: surge rounds up to 1, unavailable down to 0 and stays 0', surge: '1%', unavailable: '1%', replicas: 10, want: [1, 0] },
    { name: 'both resolve to 0 by rounding: unavailable becomes 1', surge: '0%', unavailable: '1%', replicas: 10, want: [0, 1] },
    { name: 'both literally 0 (validation rejects it; the controller still copes)', surge: 0, unavailable: 0, replicas: 10, want: [0, 1] },
    { name: 'both absent count as 0', surge: undefined, unavailable: undefined, replicas: 4, want: [0, 1] },
    { name: '0 replicas', surge: '25%', unavailable: '25%', replicas: 0, want: [0, 1] },
    { name: '1 replica with the defaults', surge: '25%', unavailable: '25%', replicas: 1, want: [1, 0] },
    { name: 'absolute numbers pass through', surge: 3, unavailable: 2, replicas: 10, want: [3, 2] },
    { name: 'mixed', surge: '50%', unavailable: 3, replicas: 9, want: [5, 3] },
    { name: 'unavailable beyond replicas is not clamped here', surge: 0, unavailable: 20, replicas: 5, want: [0, 20] },
  ])('$name', ({ surge, unavailable, replicas, want }) => {
    const { maxSurge, maxUnavailable } = resolveFenceposts(surge, unavailable, replicas);
    expect([maxSurge, maxUnavailable]).toEqual(want);
  });

  it('throws on an invalid value', () => {
    expect(() => resolveFenceposts('x', '25%', 10)).toThrow(IntOrPercentError);
    expect(() => resolveFenceposts('25%', '10', 10)).toThrow(IntOrPercentError);
  });
});

describe('deploymentLimits (MaxSurge / MaxUnavailable)', () => {
  it.each<{ name: string; strategy: Parameters<typeof deploymentLimits>[0]; replicas: number; want: [number, number] }>([
    { name: 'rolling defaults', strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, replicas: 10, want: [3, 2] },
    { name: 'Recreate has neither', strategy: { type: 'Recreate' }, replicas: 10, want: [0, 0] },
    { name: 'no unavailability budget at 0 replicas', strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }, replicas: 0, want: [0, 0] },
    { name: 'unavailable clamped to replicas', strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 5 } }, replicas: 2, want: [1, 2] },
    { name: 'rollingUpdate absent', strategy: { type: 'RollingUpdate' }, replicas: 3, want: [0, 1] },
  ])('$name', ({ strategy, replicas, want }) => {
    const { maxSurge, maxUnavailable } = deploymentLimits(strategy, replicas);
    expect([maxSurge, maxUnavailable]).toEqual(want);
  });
});

describe('revisions', () => {
  const withRevision = (revision?: string): Pick<ReplicaSetSummary, 'annotations'> => ({
    annotations: revision === undefined ? {} : { [REVISION_ANNOTATION]: revision },
  });

  it.each<{ revision: string | undefined; want: number | undefined }>([
    { revision: undefined, want: 0 },
    { revision: '3', want: 3 },
    { revision: '+4', want: 4 },
    { revision: '12345678901', want: 12345678901 },
    { revision: 'x', want: undefined },
    { revision: '', want: undefined },
    { revision: '1.5', want: undefined },
  ])('revisionOf($revision) = $want', ({ revision, want }) => {
    expect(revisionOf(withRevision(revision))).toBe(want);
  });

  it.each<{ name: string; revisions: (string | undefined)[]; max: number; next: string }>([
    { name: 'no ReplicaSets', revisions: [], max: 0, next: '1' },
    { name: 'unannotated ReplicaSets', revisions: [undefined, undefined], max: 0, next: '1' },
    { name: 'highest wins, not the last', revisions: ['2', '7', '3'], max: 7, next: '8' },
    { name: 'unparsable ones are skipped', revisions: ['bogus', '4'], max: 4, next: '5' },
  ])('$name', ({ revisions, max, next }) => {
    const sets = revisions.map(withRevision);
    expect(maxRevision(sets)).toBe(max);
    expect(nextRevision(sets)).toBe(next);
  });

  it('reads no annotations on a ReplicaSet without any', () => {
    expect(revisionOf({})).toBe(0);
  });
});

describe('replicaSetSummary', () => {
  it('reads a ReplicaSet object, defaulting what is absent', () => {
    const object: JsonObject = {
      metadata: { name: 'web-5d8', creationTimestamp: NEW, annotations: { [REVISION_ANNOTATION]: '2', junk: 3 } },
      spec: { replicas: 4 },
      status: { replicas: 4, readyReplicas: 3, availableReplicas: 2 },
    };
    expect(replicaSetSummary(object)).toEqual({
      name: 'web-5d8',
      creationTimestamp: NEW,
      specReplicas: 4,
      statusReplicas: 4,
      readyReplicas: 3,
      availableReplicas: 2,
      annotations: { [REVISION_ANNOTATION]: '2' },
    });
    expect(replicaSetSummary({ metadata: { name: 'bare' } })).toMatchObject({ specReplicas: 1, statusReplicas: 0, availableReplicas: 0, annotations: {} });
  });
});

describe('newReplicasToScaleUp (reconcileNewReplicaSet)', () => {
  it.each<{ name: string; replicas: number; maxSurge: number; allSpecReplicas: number[]; newSpecReplicas: number; want: number }>([
    { name: 'fresh rollout takes the whole surge', replicas: 10, maxSurge: 3, allSpecReplicas: [10, 0], newSpecReplicas: 0, want: 3 },
    { name: 'room beyond what the new RS still needs is not used', replicas: 10, maxSurge: 3, allSpecReplicas: [0, 5], newSpecReplicas: 5, want: 10 },
    { name: 'room limited by old pods', replicas: 10, maxSurge: 3, allSpecReplicas: [6, 4], newSpecReplicas: 4, want: 7 },
    { name: 'at the maximum: no change', replicas: 10, maxSurge: 3, allSpecReplicas: [10, 3], newSpecReplicas: 3, want: 3 },
    { name: 'above the maximum (replicas lowered): no change', replicas: 10, maxSurge: 3, allSpecReplicas: [10, 5], newSpecReplicas: 5, want: 5 },
    { name: 'no surge: waits for old pods to go', replicas: 10, maxSurge: 0, allSpecReplicas: [10, 0], newSpecReplicas: 0, want: 0 },
    { name: 'no surge after a scale-down', replicas: 10, maxSurge: 0, allSpecReplicas: [9, 0], newSpecReplicas: 0, want: 1 },
    { name: 'already at replicas', replicas: 10, maxSurge: 3, allSpecReplicas: [0, 10], newSpecReplicas: 10, want: 10 },
    { name: 'above replicas: scaled down to replicas', replicas: 10, maxSurge: 3, allSpecReplicas: [0, 12], newSpecReplicas: 12, want: 10 },
  ])('$name', ({ name: _name, ...input }) => {
    const { want, ...args } = input;
    expect(newReplicasToScaleUp(args)).toBe(want);
  });
});

describe('oldReplicasToScaleDown (reconcileOldReplicaSets)', () => {
  it.each<{
    name: string;
    replicas: number;
    maxUnavailable: number;
    newRS: { specReplicas: number; availableReplicas: number };
    old: ReplicaSetSummary[];
    want: { sizes: Record<string, number>; cleanedUp: number; scaledDown: number };
  }>([
    {
      // the sources' own example: 10 replicas, maxUnavailable 2, maxSurge 3, new pods crash-loop
      name: 'unavailable new pods block scale-down (13 - 8 - 5 = 0)',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 5, availableReplicas: 0 },
      old: [rs('v1', 8)],
      want: { sizes: { v1: 8 }, cleanedUp: 0, scaledDown: 0 },
    },
    {
      name: 'a node failure on top of it still scales nothing down',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 5, availableReplicas: 0 },
      old: [rs('v1', 8, { available: 7 })],
      want: { sizes: { v1: 8 }, cleanedUp: 0, scaledDown: 0 },
    },
    {
      name: 'rollback: 13 - 8 - 1 = 4 crash-looping pods cleaned up',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 8, availableReplicas: 7 },
      old: [rs('crashing', 5, { available: 0, created: NEW })],
      want: { sizes: { crashing: 1 }, cleanedUp: 4, scaledDown: 0 },
    },
    {
      name: 'roll-over: the crash-looping old RS goes first, the healthy one stays',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 0, availableReplicas: 0 },
      old: [rs('v1', 8, { created: OLDER }), rs('v2', 5, { available: 0, created: OLD })],
      want: { sizes: { v1: 8, v2: 0 }, cleanedUp: 5, scaledDown: 0 },
    },
    {
      name: 'healthy progress: down by available - minAvailable',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 3, availableReplicas: 3 },
      old: [rs('v1', 10)],
      want: { sizes: { v1: 5 }, cleanedUp: 0, scaledDown: 5 },
    },
    {
      name: 'oldest first across ReplicaSets',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 5, availableReplicas: 5 },
      old: [rs('b', 6, { created: OLD }), rs('a', 2, { created: OLDER })],
      want: { sizes: { a: 0, b: 3 }, cleanedUp: 0, scaledDown: 5 },
    },
    {
      name: 'name breaks a creation-time tie',
      replicas: 4,
      maxUnavailable: 1,
      newRS: { specReplicas: 1, availableReplicas: 1 },
      old: [rs('y', 2), rs('x', 2)],
      want: { sizes: { x: 0, y: 2 }, cleanedUp: 0, scaledDown: 2 },
    },
    {
      name: 'cleanup and scale-down in one sync',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 3, availableReplicas: 3 },
      old: [rs('v1', 10, { available: 9 })],
      want: { sizes: { v1: 5 }, cleanedUp: 1, scaledDown: 4 },
    },
    {
      name: 'cleanup capped by maxScaledDown',
      replicas: 10,
      maxUnavailable: 1,
      newRS: { specReplicas: 2, availableReplicas: 0 },
      old: [rs('v1', 10, { available: 5 })],
      // 12 - 9 - 2 = 1 unhealthy pod may go; 5 available < minAvailable 9 so nothing more
      want: { sizes: { v1: 9 }, cleanedUp: 1, scaledDown: 0 },
    },
    {
      name: 'inactive old RSs keep their size and their lingering available pods do not count',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 6, availableReplicas: 5 },
      old: [rs('gone', 0, { available: 3, created: OLDER }), rs('v1', 5)],
      want: { sizes: { gone: 0, v1: 3 }, cleanedUp: 0, scaledDown: 2 },
    },
    {
      name: 'status lagging a scale-down (available > spec) stops the sync, as in the sources',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 6, availableReplicas: 6 },
      old: [rs('a', 4, { available: 2, created: OLDER }), rs('b', 3, { available: 5, created: OLD })],
      want: { sizes: { a: 2, b: 3 }, cleanedUp: 2, scaledDown: 0 },
    },
    {
      // the second phase budgets available - minAvailable, not what cleanup left of maxScaledDown
      name: 'a lagging RS the cleanup never reached still adds its available pods to the budget',
      replicas: 10,
      maxUnavailable: 2,
      newRS: { specReplicas: 5, availableReplicas: 5 },
      old: [rs('a', 6, { available: 0, created: OLDER }), rs('b', 2, { available: 4, created: OLD })],
      want: { sizes: { a: 0, b: 2 }, cleanedUp: 5, scaledDown: 1 },
    },
    {
      name: 'no old pods: nothing to do',
      replicas: 3,
      maxUnavailable: 1,
      newRS: { specReplicas: 3, availableReplicas: 3 },
      old: [rs('v1', 0, { available: 0 })],
      want: { sizes: { v1: 0 }, cleanedUp: 0, scaledDown: 0 },
    },
  ])('$name', ({ replicas, maxUnavailable, newRS, old, want }) => {
    const frozen = structuredClone(old);
    expect(oldReplicasToScaleDown({ replicas, maxUnavailable, newReplicaSet: newRS, oldReplicaSets: old })).toEqual(want);
    expect(old).toEqual(frozen);
  });
});

describe('proportionalScale (scale)', () => {
  /** ReplicaSets annotated the way a previous sync of a Deployment at `replicas` / `surge` left them. */
  const annotated = (replicas: number, surge: number) => replicasAnnotations(replicas, surge);

  // Numbers from kubernetes/kubernetes pkg/controller/deployment/sync_test.go TestScale (maxSurge 0 unless stated).
  it.each<{ name: string; replicas: number; maxSurge: number; was: [number, number]; newRS?: [string, number]; old: [string, number, string][]; want: Record<string, number> }>([
    { name: 'normal scaling event: 10 -> 12', replicas: 12, maxSurge: 0, was: [10, 0], newRS: ['foo-v1', 10], old: [], want: { 'foo-v1': 12 } },
    { name: 'normal scaling event: 10 -> 5', replicas: 5, maxSurge: 0, was: [10, 0], newRS: ['foo-v1', 10], old: [], want: { 'foo-v1': 5 } },
    { name: 'proportional scaling: 5 -> 10', replicas: 10, maxSurge: 0, was: [5, 0], newRS: ['foo-v2', 2], old: [['foo-v1', 3, OLD]], want: { 'foo-v2': 4, 'foo-v1': 6 } },
    { name: 'proportional scaling: 5 -> 3', replicas: 3, maxSurge: 0, was: [5, 0], newRS: ['foo-v2', 2], old: [['foo-v1', 3, OLD]], want: { 'foo-v2': 1, 'foo-v1': 2 } },
    { name: 'proportional scaling: 9 -> 4', replicas: 4, maxSurge: 0, was: [9, 0], newRS: ['foo-v2', 8], old: [['foo-v1', 1, OLD]], want: { 'foo-v2': 4, 'foo-v1': 0 } },
    {
      name: 'proportional scaling: 7 -> 10',
      replicas: 10,
      maxSurge: 0,
      was: [7, 0],
      newRS: ['foo-v3', 2],
      old: [['foo-v2', 3, OLD], ['foo-v1', 2, OLDER]],
      want: { 'foo-v3': 3, 'foo-v2': 4, 'foo-v1': 3 },
    },
    {
      name: 'proportional scaling: 13 -> 8',
      replicas: 8,
      maxSurge: 0,
      was: [13, 0],
      newRS: ['foo-v3', 2],
      old: [['foo-v2', 8, OLD], ['foo-v1', 3, OLDER]],
      want: { 'foo-v3': 1, 'foo-v2': 5, 'foo-v1': 2 },
    },
    {
      name: 'leftover to the newest of the largest when scaling up: 3 -> 4',
      replicas: 4,
      maxSurge: 0,
      was: [3, 0],
      newRS: ['foo-v3', 1],
      old: [['foo-v2', 1, OLD], ['foo-v1', 1, OLDER]],
      want: { 'foo-v3': 2, 'foo-v2': 1, 'foo-v1': 1 },
    },
    {
      name: 'leftover from the oldest of the largest when scaling down: 3 -> 2',
      replicas: 2,
      maxSurge: 0,
      was: [3, 0],
      newRS: ['foo-v3', 1],
      old: [['foo-v2', 1, OLD], ['foo-v1', 1, OLDER]],
      want: { 'foo-v3': 1, 'foo-v2': 1, 'foo-v1': 0 },
    },
    { name: 'no new RS: the latest scales up first: 4 -> 5', replicas: 5, maxSurge: 0, was: [4, 0], old: [['foo-v2', 2, OLD], ['foo-v1', 2, OLDER]], want: { 'foo-v2': 3, 'foo-v1': 2 } },
    {
      name: 'down to zero: 6 -> 0',
      replicas: 0,
      maxSurge: 0,
      was: [6, 0],
      newRS: ['foo-v3', 3],
      old: [['foo-v2', 2, OLD], ['foo-v1', 1, OLDER]],
      want: { 'foo-v3': 0, 'foo-v2': 0, 'foo-v1': 0 },
    },
    {
      name: 'down to zero with an absolute surge: every RS gives up its whole size',
      replicas: 0,
      maxSurge: 2,
      was: [6, 2],
      newRS: ['foo-v3', 3],
      old: [['foo-v2', 2, OLD], ['foo-v1', 1, OLDER]],
      want: { 'foo-v3': 0, 'foo-v2': 0, 'foo-v1': 0 },
    },
    { name: 'up from zero: the new RS takes all: 0 -> 6', replicas: 6, maxSurge: 0, was: [6, 0], newRS: ['foo-v3', 0], old: [['foo-v2', 0, OLD], ['foo-v1', 0, OLDER]], want: { 'foo-v3': 6 } },
    { name: 'with surge pods: 10 -> 20, maxSurge 2', replicas: 20, maxSurge: 2, was: [10, 2], newRS: ['foo-v2', 6], old: [['foo-v1', 6, OLD]], want: { 'foo-v2': 11, 'foo-v1': 11 } },
    { name: 'size and surge both change: 10/3 -> 50/6', replicas: 50, maxSurge: 6, was: [10, 3], newRS: ['foo-v2', 5], old: [['foo-v1', 8, OLD]], want: { 'foo-v2': 22, 'foo-v1': 34 } },
    { name: 'size and template both change: 10 -> 14', replicas: 14, maxSurge: 0, was: [10, 0], old: [['foo-v2', 7, NEW], ['foo-v1', 3, OLD]], want: { 'foo-v2': 10, 'foo-v1': 4 } },
    { name: 'no active RS and no new one: the newest old RS', replicas: 3, maxSurge: 0, was: [3, 0], old: [['foo-v1', 0, OLDER], ['foo-v2', 0, OLD]], want: { 'foo-v2': 3 } },
    { name: 'a lone RS already at size: nothing', replicas: 3, maxSurge: 1, was: [3, 1], newRS: ['foo-v2', 3], old: [['foo-v1', 0, OLD]], want: {} },
  ])('$name', ({ replicas, maxSurge, was, newRS, old, want }) => {
    const annotations = annotated(was[0], was[1]);
    const newReplicaSet = newRS ? rs(newRS[0], newRS[1], { created: NEW, annotations }) : undefined;
    const oldReplicaSets = old.map(([name, size, created]) => rs(name, size, { created, annotations }));
    const got = proportionalScale({ replicas, maxSurge, strategy: 'RollingUpdate', statusReplicas: was[0], newReplicaSet, oldReplicaSets });
    expect(got).toEqual(want);
  });

  it('a failed earlier update (stale desired annotation) shifts the proportions as in the sources', () => {
    const newReplicaSet = rs('foo-v3', 2, { created: NEW, annotations: annotated(5, 0) });
    const oldReplicaSets = [rs('foo-v2', 1, { created: OLD, annotations: annotated(3, 0) }), rs('foo-v1', 1, { created: OLDER, annotations: annotated(5, 0) })];
    expect(proportionalScale({ replicas: 5, maxSurge: 0, strategy: 'RollingUpdate', statusReplicas: 4, newReplicaSet, oldReplicaSets })).toEqual({ 'foo-v3': 2, 'foo-v2': 2, 'foo-v1': 1 });
  });

  it('a saturated new RS retires the old ones; a broken one does not', () => {
    const annotations = annotated(2, 1);
    const old = [rs('foo-v1', 1, { created: OLD, annotations })];
    const input = { replicas: 2, maxSurge: 1, strategy: 'RollingUpdate' as const, statusReplicas: 3, oldReplicaSets: old };
    expect(proportionalScale({ ...input, newReplicaSet: rs('foo-v2', 2, { created: NEW, annotations }) })).toEqual({ 'foo-v1': 0 });
    expect(proportionalScale({ ...input, newReplicaSet: rs('foo-v2', 2, { available: 0, created: NEW, annotations }) })).toEqual({ 'foo-v2': 2, 'foo-v1': 1 });
  });

  it('falls back to status.replicas without a max-replicas annotation', () => {
    const newReplicaSet = rs('v2', 2, { created: NEW });
    const oldReplicaSets = [rs('v1', 3, { created: OLD })];
    // 5 -> 10: each doubles when the deployment had 5 pods
    expect(proportionalScale({ replicas: 10, maxSurge: 0, strategy: 'RollingUpdate', statusReplicas: 5, newReplicaSet, oldReplicaSets })).toEqual({ v2: 4, v1: 6 });
  });

  it('leaves several active RSs of a Recreate Deployment alone', () => {
    const got = proportionalScale({ replicas: 10, maxSurge: 0, strategy: 'Recreate', statusReplicas: 5, newReplicaSet: rs('v2', 2, { created: NEW }), oldReplicaSets: [rs('v1', 3)] });
    expect(got).toEqual({});
  });

  it('isScalingEvent compares the desired-replicas annotation of active RSs only', () => {
    expect(isScalingEvent(5, [rs('a', 2, { annotations: annotated(5, 1) })])).toBe(false);
    expect(isScalingEvent(6, [rs('a', 2, { annotations: annotated(5, 1) })])).toBe(true);
    expect(isScalingEvent(6, [rs('a', 0, { annotations: annotated(5, 1) })])).toBe(false);
    expect(isScalingEvent(6, [rs('a', 2)])).toBe(false);
    expect(isScalingEvent(6, [rs('a', 2, { annotations: { [DESIRED_REPLICAS_ANNOTATION]: 'x' } })])).toBe(false);
  });

  it('isSaturated needs spec, annotation and availability all at replicas', () => {
    const annotations = annotated(3, 1);
    expect(isSaturated(3, rs('a', 3, { annotations }))).toBe(true);
    expect(isSaturated(3, rs('a', 3, { annotations, available: 2 }))).toBe(false);
    expect(isSaturated(3, rs('a', 3))).toBe(false);
    expect(isSaturated(3, undefined)).toBe(false);
    expect(annotations).toEqual({ [DESIRED_REPLICAS_ANNOTATION]: '3', [MAX_REPLICAS_ANNOTATION]: '4' });
  });
});

describe('podTemplateHash', () => {
  const template: JsonObject = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } };

  // expected values computed independently (Python: FNV-1a 32 over json.dumps(sort_keys=True, compact))
  it.each<{ name: string; template: JsonObject; collisionCount?: number; want: string }>([
    { name: 'empty template', template: {}, want: '5859f96865' },
    { name: 'collisionCount 0 still salts (nil and 0 differ, as in Go)', template: {}, collisionCount: 0, want: '7b58f74dd9' },
    { name: 'collisionCount 1', template: {}, collisionCount: 1, want: '648d6bd896' },
    { name: 'a pod template', template, want: '69549b4c44' },
  ])('$name', ({ template: t, collisionCount, want }) => {
    expect(podTemplateHash(t, collisionCount)).toBe(want);
  });

  it('ignores key order and uses only the safe alphabet', () => {
    const reordered: JsonObject = { spec: { containers: [{ image: 'nginx:1.25', name: 'app' }] }, metadata: { labels: { app: 'web' } } };
    expect(podTemplateHash(reordered)).toBe(podTemplateHash(template));
    expect(podTemplateHash(template)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('changes with the template and with the collision count', () => {
    const bumped: JsonObject = { ...template, spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } };
    const hashes = new Set([podTemplateHash(template), podTemplateHash(bumped), podTemplateHash(template, 1), podTemplateHash(template, 2)]);
    expect(hashes.size).toBe(4);
  });

  it('does not mutate its input', () => {
    const copy = structuredClone(template);
    podTemplateHash(template, 3);
    expect(template).toEqual(copy);
  });
});

describe('templatesEqualIgnoringHash (EqualIgnoreHash)', () => {
  const base: JsonObject = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } };
  const withLabels = (labels: JsonObject): JsonObject => ({ ...base, metadata: { labels } });

  it.each<{ name: string; a: JsonObject; b: JsonObject; want: boolean }>([
    { name: 'identical', a: base, b: structuredClone(base), want: true },
    { name: 'only one has the hash label', a: withLabels({ app: 'web', 'pod-template-hash': 'abc' }), b: base, want: true },
    { name: 'different hash labels', a: withLabels({ app: 'web', 'pod-template-hash': 'abc' }), b: withLabels({ app: 'web', 'pod-template-hash': 'xyz' }), want: true },
    { name: 'hash label was the only label', a: { ...base, metadata: { labels: { 'pod-template-hash': 'abc' } } }, b: { spec: base.spec ?? {} }, want: true },
    { name: 'empty map equals absent map', a: { ...base, metadata: { labels: { app: 'web' }, annotations: {} } }, b: base, want: true },
    { name: 'other label differs', a: withLabels({ app: 'api' }), b: base, want: false },
    { name: 'spec differs', a: { ...base, spec: { containers: [{ name: 'app', image: 'nginx:2' }] } }, b: base, want: false },
    { name: 'key order is irrelevant', a: { spec: base.spec ?? {}, metadata: base.metadata ?? {} }, b: base, want: true },
  ])('$name → $want', ({ a, b, want }) => {
    const before = structuredClone(a);
    expect(templatesEqualIgnoringHash(a, b)).toBe(want);
    expect(templatesEqualIgnoringHash(b, a)).toBe(want);
    expect(a).toEqual(before);
  });
});

describe('conditions', () => {
  const T0 = new Date('2024-01-01T00:00:00Z');
  const T1 = new Date('2024-01-01T00:05:00Z');
  const at = (d: Date) => d.toISOString().replace('.000Z', 'Z');
  const progressing = (reason: string, status: DeploymentCondition['status'], time: Date, message = 'm'): DeploymentCondition =>
    newDeploymentCondition('Progressing', status, reason, message, time);

  describe('setDeploymentCondition', () => {
    it.each<{ name: string; current?: DeploymentCondition; next: DeploymentCondition; want: DeploymentCondition }>([
      { name: 'adds a missing condition', next: progressing('ReplicaSetUpdated', 'True', T1), want: progressing('ReplicaSetUpdated', 'True', T1) },
      {
        name: 'same status and reason: nothing changes, not even the message',
        current: progressing('ReplicaSetUpdated', 'True', T0, 'old'),
        next: progressing('ReplicaSetUpdated', 'True', T1, 'new'),
        want: progressing('ReplicaSetUpdated', 'True', T0, 'old'),
      },
      {
        name: 'same status, new reason: lastTransitionTime kept',
        current: progressing('ReplicaSetUpdated', 'True', T0),
        next: progressing('NewReplicaSetAvailable', 'True', T1),
        want: { ...progressing('NewReplicaSetAvailable', 'True', T1), lastTransitionTime: at(T0) },
      },
      {
        name: 'status changes: both times move',
        current: progressing('ReplicaSetUpdated', 'True', T0),
        next: progressing('ProgressDeadlineExceeded', 'False', T1),
        want: progressing('ProgressDeadlineExceeded', 'False', T1),
      },
    ])('$name', ({ current, next, want }) => {
      const available = newDeploymentCondition('Available', 'True', 'MinimumReplicasAvailable', 'ok', T0);
      const conditions = current ? [available, current] : [available];
      const frozen = structuredClone(conditions);
      const got = setDeploymentCondition(conditions, next);
      expect(got).toEqual([available, want]);
      expect(conditions).toEqual(frozen);
    });
  });

  it.each<{ name: string; created: boolean; existing?: DeploymentCondition; deadline?: number; want?: Pick<DeploymentCondition, 'reason' | 'message'> }>([
    { name: 'created', created: true, deadline: 600, want: { reason: 'NewReplicaSetCreated', message: 'Created new replica set "web-abc"' } },
    { name: 'found, nothing recorded yet', created: false, deadline: 600, want: { reason: 'FoundNewReplicaSet', message: 'Found new replica set "web-abc"' } },
    { name: 'found, a condition already there', created: false, deadline: 600, existing: progressing('ReplicaSetUpdated', 'True', T0, 'x'), want: { reason: 'ReplicaSetUpdated', message: 'x' } },
    { name: 'no deadline: no Progressing condition', created: true, deadline: NO_PROGRESS_DEADLINE },
    { name: 'deadline unset: no Progressing condition', created: true },
  ])('newReplicaSetConditions: $name', ({ created, existing, deadline, want }) => {
    const conditions = newReplicaSetConditions(
      { conditions: existing ? [existing] : [], replicaSetName: 'web-abc', created, ...(deadline === undefined ? {} : { progressDeadlineSeconds: deadline }) },
      T1,
    );
    expect(conditions.find((c) => c.type === 'Progressing')).toEqual(want ? expect.objectContaining({ ...want, status: 'True' }) : undefined);
  });

  const counts = (replicas: number, updated: number, available: number, ready = available) => ({ replicas, updatedReplicas: updated, readyReplicas: ready, availableReplicas: available });

  it.each<{ name: string; previous: ReturnType<typeof counts>; next: ReturnType<typeof counts>; want: boolean }>([
    { name: 'no change', previous: counts(10, 3, 8), next: counts(10, 3, 8), want: false },
    { name: 'more updated', previous: counts(10, 3, 8), next: counts(13, 5, 8), want: true },
    { name: 'fewer old', previous: counts(13, 5, 8), next: counts(11, 5, 8), want: true },
    { name: 'more ready', previous: counts(10, 3, 8, 8), next: counts(10, 3, 8, 9), want: true },
    { name: 'more available', previous: counts(10, 3, 8), next: counts(10, 3, 9, 8), want: true },
    { name: 'fewer available only', previous: counts(10, 3, 8), next: counts(10, 3, 7), want: false },
  ])('deploymentProgressing: $name → $want', ({ previous, next, want }) => {
    expect(deploymentProgressing(previous, next)).toBe(want);
  });

  it.each<{ name: string; replicas: number; generation: number; status: Parameters<typeof deploymentComplete>[1]; want: boolean }>([
    { name: 'all updated and available', replicas: 3, generation: 2, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, want: true },
    { name: 'old pods still around', replicas: 3, generation: 2, status: { observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }, want: false },
    { name: 'not all available', replicas: 3, generation: 2, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }, want: false },
    { name: 'generation not observed', replicas: 3, generation: 3, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, want: false },
  ])('deploymentComplete: $name → $want', ({ replicas, generation, status, want }) => {
    expect(deploymentComplete({ replicas, generation }, status)).toBe(want);
  });

  it.each<{ name: string; condition?: DeploymentCondition; deadline?: number; now: Date; want: boolean }>([
    { name: 'within the deadline', condition: progressing('ReplicaSetUpdated', 'True', T0), deadline: 600, now: new Date(T0.getTime() + 600_000), want: false },
    { name: 'past the deadline', condition: progressing('ReplicaSetUpdated', 'True', T0), deadline: 600, now: new Date(T0.getTime() + 600_001), want: true },
    { name: 'already timed out', condition: progressing('ProgressDeadlineExceeded', 'False', T1), deadline: 600, now: T1, want: true },
    { name: 'a finished rollout is not judged', condition: progressing('NewReplicaSetAvailable', 'True', T0), deadline: 1, now: T1, want: false },
    { name: 'no Progressing condition', deadline: 1, now: T1, want: false },
    { name: 'no deadline', condition: progressing('ReplicaSetUpdated', 'True', T0), deadline: NO_PROGRESS_DEADLINE, now: new Date(T0.getTime() + 1e12), want: false },
    { name: 'deadline unset', condition: progressing('ReplicaSetUpdated', 'True', T0), now: new Date(T0.getTime() + 1e12), want: false },
  ])('deploymentTimedOut: $name → $want', ({ condition, deadline, now, want }) => {
    expect(deploymentTimedOut(now, deadline, { conditions: condition ? [condition] : [] })).toBe(want);
  });

  describe('calculateStatus', () => {
    const previousAvailable = newDeploymentCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', T0);

    it('counts from the ReplicaSets and keeps an unchanged Available condition as it was', () => {
      const newRS = rs('v2', 3, { available: 2 });
      const status = calculateStatus(
        { generation: 4, replicas: 10, maxUnavailable: 2, previous: { conditions: [previousAvailable], collisionCount: 1 }, newReplicaSet: newRS, allReplicaSets: [rs('v1', 8), newRS] },
        T1,
      );
      expect(status).toEqual({
        observedGeneration: 4,
        replicas: 11,
        updatedReplicas: 3,
        readyReplicas: 10,
        availableReplicas: 10,
        unavailableReplicas: 1,
        conditions: [previousAvailable],
        collisionCount: 1,
      });
    });

    it('flips Available to False below the minimum, moving both times', () => {
      const status = calculateStatus({ generation: 1, replicas: 10, maxUnavailable: 2, previous: { conditions: [previousAvailable] }, allReplicaSets: [rs('v1', 10, { available: 7 })] }, T1);
      expect(status.conditions).toEqual([newDeploymentCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', T1)]);
      expect(status.updatedReplicas).toBe(0);
      expect(status).not.toHaveProperty('collisionCount');
    });

    it('never reports negative unavailability', () => {
      const status = calculateStatus({ generation: 1, replicas: 2, maxUnavailable: 0, previous: { conditions: [] }, allReplicaSets: [rs('v1', 2, { available: 4 })] }, T1);
      expect(status.unavailableReplicas).toBe(0);
    });
  });

  describe('rolloutStatus (syncRolloutStatus)', () => {
    const status = (c: ReturnType<typeof counts>, conditions: DeploymentCondition[], observedGeneration = 1): DeploymentStatus => ({
      observedGeneration,
      ...c,
      unavailableReplicas: Math.max(0, c.replicas - c.availableReplicas),
      conditions,
    });
    const base = { deploymentName: 'web', newReplicaSetName: 'web-abc', replicas: 10, generation: 1, progressDeadlineSeconds: 600 };

    it.each<{ name: string; previous: DeploymentStatus; calculated: ReturnType<typeof counts>; now: Date; input?: Partial<typeof base>; want?: Partial<DeploymentCondition> }>([
      {
        name: 'progress refreshes lastUpdateTime and keeps lastTransitionTime',
        previous: status(counts(10, 0, 10), [progressing('NewReplicaSetCreated', 'True', T0)]),
        calculated: counts(13, 3, 10),
        now: T1,
        want: { reason: 'ReplicaSetUpdated', status: 'True', message: 'ReplicaSet "web-abc" is progressing.', lastUpdateTime: at(T1), lastTransitionTime: at(T0) },
      },
      {
        name: 'progress under the same reason still refreshes lastUpdateTime',
        previous: status(counts(13, 3, 10), [progressing('ReplicaSetUpdated', 'True', T0)]),
        calculated: counts(11, 5, 10),
        now: T1,
        want: { reason: 'ReplicaSetUpdated', lastUpdateTime: at(T1), lastTransitionTime: at(T0) },
      },
      {
        name: 'progress after a time-out starts a new transition',
        previous: status(counts(13, 3, 10), [progressing('ProgressDeadlineExceeded', 'False', T0)]),
        calculated: counts(13, 3, 11),
        now: T1,
        want: { reason: 'ReplicaSetUpdated', status: 'True', lastUpdateTime: at(T1), lastTransitionTime: at(T1) },
      },
      {
        name: 'completion',
        previous: status(counts(11, 10, 9), [progressing('ReplicaSetUpdated', 'True', T0)]),
        calculated: counts(10, 10, 10),
        now: T1,
        want: { reason: 'NewReplicaSetAvailable', status: 'True', message: 'ReplicaSet "web-abc" has successfully progressed.', lastUpdateTime: at(T1), lastTransitionTime: at(T0) },
      },
      {
        name: 'completion without a new ReplicaSet names the Deployment',
        previous: status(counts(11, 10, 9), [progressing('ReplicaSetUpdated', 'True', T0)]),
        calculated: counts(10, 10, 10),
        now: T1,
        input: { newReplicaSetName: undefined },
        want: { reason: 'NewReplicaSetAvailable', message: 'Deployment "web" has successfully progressed.' },
      },
      {
        name: 'no progress within the deadline: unchanged',
        previous: status(counts(13, 3, 10), [progressing('ReplicaSetUpdated', 'True', T0)]),
        calculated: counts(13, 3, 10),
        now: T1,
        want: progressing('ReplicaSetUpdated', 'True', T0),
      },
      {
        name: 'no progress past the deadline: timed out',
        previous: status(counts(13, 3, 10), [progressing('ReplicaSetUpdated', 'True', T0)]),
        calculated: counts(13, 3, 10),
        now: new Date(T0.getTime() + 601_000),
        want: { reason: 'ProgressDeadlineExceeded', status: 'False', message: 'ReplicaSet "web-abc" has timed out progressing.', lastTransitionTime: at(new Date(T0.getTime() + 601_000)) },
      },
      {
        name: 'a finished rollout is left alone on resync',
        previous: status(counts(10, 10, 10), [progressing('NewReplicaSetAvailable', 'True', T0)]),
        calculated: counts(10, 10, 10),
        now: new Date(T0.getTime() + 10_000_000),
        want: progressing('NewReplicaSetAvailable', 'True', T0),
      },
      {
        name: 'no deadline removes the Progressing condition',
        previous: status(counts(13, 3, 10), [progressing('ReplicaSetUpdated', 'True', T0)]),
        calculated: counts(11, 5, 10),
        now: T1,
        input: { progressDeadlineSeconds: NO_PROGRESS_DEADLINE },
      },
    ])('$name', ({ previous, calculated, now, input, want }) => {
      const frozen = structuredClone(previous);
      const got = rolloutStatus({ ...base, ...input, previous, calculated: status(calculated, [...previous.conditions]) }, now);
      const condition = got.conditions.find((c) => c.type === 'Progressing');
      expect(condition).toEqual(want ? expect.objectContaining(want) : undefined);
      expect(got.conditions.filter((c) => c.type === 'Progressing').length).toBe(want ? 1 : 0);
      expect(previous).toEqual(frozen);
    });

    it.each<{ name: string; condition?: DeploymentCondition; calculated: ReturnType<typeof counts>; now: Date; want: number | undefined }>([
      { name: 'stuck: recheck at the deadline plus a second', condition: progressing('ReplicaSetUpdated', 'True', T0), calculated: counts(13, 3, 10), now: new Date(T0.getTime() + 180_000), want: 421_000 },
      { name: 'under a second left: now', condition: progressing('ReplicaSetUpdated', 'True', T0), calculated: counts(13, 3, 10), now: new Date(T0.getTime() + 599_500), want: 0 },
      { name: 'complete: none', condition: progressing('ReplicaSetUpdated', 'True', T0), calculated: counts(10, 10, 10), now: T1, want: undefined },
      { name: 'already timed out: none', condition: progressing('ProgressDeadlineExceeded', 'False', T0), calculated: counts(13, 3, 10), now: T1, want: undefined },
      { name: 'no condition yet: none', calculated: counts(13, 3, 10), now: T1, want: undefined },
    ])('progressRecheckAfter: $name', ({ condition, calculated, now, want }) => {
      const conditions = condition ? [condition] : [];
      expect(progressRecheckAfter({ ...base, previous: status(counts(13, 3, 10), conditions), calculated: status(calculated, conditions) }, now)).toBe(want);
    });
  });
});

describe('rolling update simulation', () => {
  interface SimRS {
    readonly name: string;
    readonly creationTimestamp: string;
    specReplicas: number;
    availableReplicas: number;
    /** whether its pods ever become available */
    readonly healthy: boolean;
  }

  interface Scenario {
    name: string;
    replicas: number;
    maxSurge: IntOrPercent;
    maxUnavailable: IntOrPercent;
    /** old ReplicaSets at the start, oldest first; the new one starts at 0 */
    old?: { spec: number; available: number; healthy: boolean }[];
  }

  const scenarios: Scenario[] = [
    { name: '10 replicas, 25%/25%', replicas: 10, maxSurge: '25%', maxUnavailable: '25%' },
    { name: '10 replicas, surge only (3/0)', replicas: 10, maxSurge: 3, maxUnavailable: 0 },
    { name: '10 replicas, unavailable only (0/1)', replicas: 10, maxSurge: 0, maxUnavailable: 1 },
    { name: '10 replicas, 1%/1% (surge 1, unavailable 0)', replicas: 10, maxSurge: '1%', maxUnavailable: '1%' },
    { name: '2 replicas, 0%/1% (both round to 0: unavailable 1)', replicas: 2, maxSurge: '0%', maxUnavailable: '1%' },
    { name: '1 replica, 1%/25%', replicas: 1, maxSurge: '1%', maxUnavailable: '25%' },
    { name: '7 replicas, 100% surge', replicas: 7, maxSurge: '100%', maxUnavailable: 0 },
    { name: '5 replicas, 100% unavailable', replicas: 5, maxSurge: 0, maxUnavailable: '100%' },
    {
      name: 'roll-over: a healthy and a crash-looping old ReplicaSet (3/2)',
      replicas: 10,
      maxSurge: 3,
      maxUnavailable: 2,
      old: [
        { spec: 8, available: 8, healthy: true },
        { spec: 5, available: 0, healthy: false },
      ],
    },
  ];

  function start(s: Scenario, newHealthy: boolean): { old: SimRS[]; next: SimRS } {
    const old = (s.old ?? [{ spec: s.replicas, available: s.replicas, healthy: true }]).map((o, i) => ({
      name: `old-${i}`,
      creationTimestamp: `2024-01-0${i + 1}T00:00:00Z`,
      specReplicas: o.spec,
      availableReplicas: o.available,
      healthy: o.healthy,
    }));
    return { old, next: { name: 'new', creationTimestamp: '2024-02-01T00:00:00Z', specReplicas: 0, availableReplicas: 0, healthy: newHealthy } };
  }

  /** One rolloutRolling sync: scale the new RS up if possible, else the old ones down. */
  function sync(state: { old: SimRS[]; next: SimRS }, limits: { replicas: number; maxSurge: number; maxUnavailable: number }): void {
    const all = [...state.old, state.next];
    const target = newReplicasToScaleUp({ ...limits, allSpecReplicas: all.map((r) => r.specReplicas), newSpecReplicas: state.next.specReplicas });
    if (target !== state.next.specReplicas) {
      resize(state.next, target);
      return;
    }
    const { sizes } = oldReplicasToScaleDown({ ...limits, newReplicaSet: state.next, oldReplicaSets: state.old });
    for (const r of state.old) resize(r, sizes[r.name] ?? r.specReplicas);
  }

  /** The ReplicaSet controller deletes unavailable pods first. */
  function resize(r: SimRS, size: number): void {
    r.specReplicas = size;
    r.availableReplicas = Math.min(r.availableReplicas, size);
  }

  function becomeAvailable(state: { old: SimRS[]; next: SimRS }): void {
    for (const r of [...state.old, state.next]) if (r.healthy) r.availableReplicas = r.specReplicas;
  }

  function run(s: Scenario, newHealthy: boolean) {
    const { maxSurge, maxUnavailable } = deploymentLimits({ type: 'RollingUpdate', rollingUpdate: { maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable } }, s.replicas);
    const limits = { replicas: s.replicas, maxSurge, maxUnavailable };
    const state = start(s, newHealthy);
    const violations: string[] = [];
    const check = (step: number, phase: string) => {
      const all = [...state.old, state.next];
      const pods = all.reduce((n, r) => n + r.specReplicas, 0);
      const available = all.reduce((n, r) => n + r.availableReplicas, 0);
      if (pods > s.replicas + maxSurge) violations.push(`step ${step} ${phase}: ${pods} pods > ${s.replicas} + ${maxSurge}`);
      if (available < s.replicas - maxUnavailable) violations.push(`step ${step} ${phase}: ${available} available < ${s.replicas} - ${maxUnavailable}`);
    };
    const snapshot = () => JSON.stringify([...state.old, state.next]);
    check(0, 'start');
    let steps = 0;
    let stalled = false;
    for (; steps < 200; steps++) {
      const before = snapshot();
      sync(state, limits);
      check(steps + 1, 'after sync');
      becomeAvailable(state);
      check(steps + 1, 'after pods settle');
      if (snapshot() === before) {
        stalled = true;
        break;
      }
    }
    const complete = state.next.specReplicas === s.replicas && state.next.availableReplicas === s.replicas && state.old.every((r) => r.specReplicas === 0);
    return { state, violations, steps, stalled, complete, limits };
  }

  it.each(scenarios)('$name: completes without breaking the bounds', (s) => {
    const { violations, complete, stalled, steps, state, limits } = run(s, true);
    expect(violations).toEqual([]);
    expect(complete).toBe(true);
    expect(stalled).toBe(true); // it reached a fixpoint: one more sync changes nothing
    expect(steps).toBeLessThan(50);

    const all = [...state.old, state.next];
    const summaries = all.map((r) => ({ specReplicas: r.specReplicas, statusReplicas: r.specReplicas, readyReplicas: r.availableReplicas, availableReplicas: r.availableReplicas }));
    const status = calculateStatus({ generation: 1, replicas: s.replicas, maxUnavailable: limits.maxUnavailable, previous: { conditions: [] }, newReplicaSet: summaries.at(-1), allReplicaSets: summaries }, new Date(0));
    expect(deploymentComplete({ replicas: s.replicas, generation: 1 }, status)).toBe(true);
  });

  it.each(scenarios)('$name: new pods never available → stalls within the bounds', (s) => {
    const { violations, complete, stalled, state, limits } = run(s, false);
    expect(violations).toEqual([]);
    expect(complete).toBe(false);
    expect(stalled).toBe(true);
    // the rollout got as far as the budget allowed: new pods exist, and old available pods still cover the minimum
    expect(state.next.specReplicas).toBeGreaterThan(0);
    const oldAvailable = state.old.reduce((n, r) => n + r.availableReplicas, 0);
    expect(oldAvailable).toBeGreaterThanOrEqual(s.replicas - limits.maxUnavailable);
  });
});
