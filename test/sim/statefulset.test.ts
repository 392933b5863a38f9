import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import {
  canonicalJson, controllerRevisionName, hashRevisionData, HISTORY_HASH_LABEL, revisionsToPrune, templateRevisionData,
} from '../../src/sim/controllers/controller-history.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { isPodReady } from '../../src/sim/controllers/pods.ts';
import { createStatefulSetController } from '../../src/sim/controllers/statefulset.ts';
import {
  memberPod, parentAndOrdinal, planStatefulSet, revisionForNewPod, statefulSetMaxUnavailable, statefulSetView, type MemberPod,
} from '../../src/sim/controllers/statefulset-plan.ts';
import { GarbageCollector } from '../../src/sim/garbage-collector.ts';
import { labelsOf, metadataOf, nameOf, uidOf } from '../../src/sim/object-meta.ts';
import { kubeletDouble } from '../support/kubelet-double.ts';
import { controllerContext, typeOf } from '../support/sim.ts';

const START = new Date('2026-01-01T00:00:00Z');
const START_MS = 2_000;

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;
let gc: GarbageCollector;

beforeEach(() => {
  const ctx = controllerContext(START);
  ({ clock, api } = ctx);
  api.podsTerminateGracefully = true;
  gc = new GarbageCollector(api);
  manager = new ControllerManager(ctx, [createStatefulSetController(ctx), kubeletDouble(api, clock, START_MS)], [gc]);
  manager.start();
});

afterEach(() => {
  manager.stop();
  gc.stop();
});

const sets = () => typeOf(api, 'apps', 'v1', 'statefulsets');
const podsType = () => typeOf(api, '', 'v1', 'pods');
const advance = (ms: number) => manager.advance(clock, ms);
const getSet = (name = 'web') => api.get(sets(), 'default', name);
const status = (name = 'web') => (getSet(name).status ?? {}) as Record<string, unknown>;
const pods = () => api.store.list('/pods', 'default');
const podNames = () => pods().map(nameOf).sort();
const revisionOf = (pod: JsonObject) => labelsOf(pod)['controller-revision-hash'] ?? '';
const revisions = () => api.store.list('apps/controllerrevisions', 'default');

interface SetOptions {
  replicas?: number;
  policy?: 'OrderedReady' | 'Parallel';
  partition?: number;
  maxUnavailable?: number | string;
  onDelete?: boolean;
  claims?: string[];
  whenScaled?: 'Retain' | 'Delete';
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
}

function newStatefulSet(name: string, o: SetOptions = {}): JsonObject {
  const rollingUpdate = { partition: o.partition ?? 0, ...(o.maxUnavailable !== undefined ? { maxUnavailable: o.maxUnavailable } : {}) };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas: o.replicas ?? 3,
      serviceName: name,
      podManagementPolicy: o.policy ?? 'OrderedReady',
      selector: { matchLabels: { app: name } },
      updateStrategy: o.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate },
      ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
      ...(o.minReadySeconds ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.whenScaled ? { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: o.whenScaled } } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'db:1' }] },
      },
      volumeClaimTemplates: (o.claims ?? []).map((c) => ({
        metadata: { name: c, labels: { tier: 'storage' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      })),
    },
  };
}

function setImage(image: string, name = 'web'): void {
  api.patch(sets(), 'default', name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } });
}

function patchSpec(spec: JsonObject, name = 'web'): void {
  api.patch(sets(), 'default', name, 'merge', { spec });
}

/** Runs the clock while checking `check` against the pods after every pod event; the first failure is rethrown. */
async function advanceWatching(ms: number, check: (event: { type: string; pod: JsonObject }) => void): Promise<void> {
  let violation: unknown;
  const stop = api.store.subscribe((e) => {
    if (e.resource !== '/pods' || violation) return;
    try {
      check({ type: e.type, pod: e.object });
    } catch (error) {
      violation = error;
    }
  });
  try {
    await advance(ms);
  } finally {
    stop();
  }
  if (violation) throw violation;
}

/** Ordinals in [0, replicas) without a pod that is ready and not terminating. */
function unavailableOrdinals(set: string, replicas: number): number[] {
  const byName = new Map(pods().map((p) => [nameOf(p), p]));
  return Array.from({ length: replicas }, (_, i) => i).filter((i) => {
    const pod = byName.get(`${set}-${i}`);
    return !pod || !isPodReady(pod) || metadataOf(pod).deletionTimestamp !== undefined;
  });
}

describe('StatefulSet controller: scaling', () => {
  it('OrderedReady creates ordinal i only once every ordinal below it is Running and Ready', async () => {
    const created: number[] = [];
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 3 }));
    await advanceWatching(20_000, ({ type, pod }) => {
      if (type !== 'ADDED') return;
      const { ordinal } = parentAndOrdinal(nameOf(pod));
      created.push(ordinal);
      expect(unavailableOrdinals('web', ordinal)).toEqual([]);
    });
    expect(created).toEqual([0, 1, 2]);
    expect(status()).toMatchObject({ observedGeneration: 1, replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, collisionCount: 0 });
    expect(status().currentRevision).toBe(status().updateRevision);
  });

  it('OrderedReady also waits minReadySeconds of availability, and looks again by itself when it has passed', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 2, minReadySeconds: 10 }));
    await advance(START_MS + 1_000);
    expect(podNames()).toEqual(['web-0']);
    expect(status()).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    await advance(10_000);
    expect(podNames()).toEqual(['web-0', 'web-1']);
    expect(status()).toMatchObject({ readyReplicas: 1, availableReplicas: 1 });
  });

  it('OrderedReady scales down from the highest ordinal, one pod at a time, waiting for each to terminate', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 4 }));
    await advance(30_000);
    const order: string[] = [];
    patchSpec({ replicas: 1 });
    await advanceWatching(30_000, ({ type, pod }) => {
      const terminating = metadataOf(pod).deletionTimestamp !== undefined;
      if (type === 'MODIFIED' && terminating) {
        // a new deletion starts only when no other member is still terminating
        expect(pods().filter((p) => p !== pod && metadataOf(p).deletionTimestamp)).toEqual([]);
        order.push(nameOf(pod));
      }
    });
    expect(order).toEqual(['web-3', 'web-2', 'web-1']);
    expect(podNames()).toEqual(['web-0']);
    expect(status()).toMatchObject({ replicas: 1, readyReplicas: 1 });
  });

  it('Parallel creates and deletes all pods at once, without waiting for readiness', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 3, policy: 'Parallel' }));
    await manager.settle();
    expect(podNames()).toEqual(['web-0', 'web-1', 'web-2']);
    expect(pods().some(isPodReady)).toBe(false);
    await advance(10_000);
    patchSpec({ replicas: 0 });
    await manager.settle();
    expect(pods().every((p) => metadataOf(p).deletionTimestamp !== undefined)).toBe(true);
    await advance(5_000);
    expect(pods()).toEqual([]);
  });

  it('replaces a failed pod under the same name', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 2 }));
    await advance(20_000);
    const before = api.store.get('/pods', 'default', 'web-1')!;
    api.update(podsType(), 'default', 'web-1', { ...before, status: { phase: 'Failed' } }, {}, 'status');
    await advance(10_000);
    const after = api.store.get('/pods', 'default', 'web-1')!;
    expect(uidOf(after)).not.toBe(uidOf(before));
    expect(isPodReady(after)).toBe(true);
  });

  it('adopts an orphan named like a member and matching the selector', async () => {
    api.create(podsType(), 'default', { metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'db:1' }] } });
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 1 }));
    await advance(10_000);
    const pod = api.store.get('/pods', 'default', 'web-0')!;
    expect(metadataOf(pod).ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'web', controller: true })]);
    // adopted pods keep their spec; the controller only restores the identity labels
    expect(labelsOf(pod)).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0' });
  });
});

describe('StatefulSet controller: identity and storage', () => {
  it('gives each pod its name, hostname, labels and claims, creating the claims before the pod', async () => {
    const order: string[] = [];
    const stop = api.store.subscribe((e) => {
      if (e.type === 'ADDED' && (e.resource === '/pods' || e.resource === '/persistentvolumeclaims')) order.push(`${e.resource}:${nameOf(e.object)}`);
    });
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 2, claims: ['data'] }));
    await advance(20_000);
    stop();
    expect(order).toEqual(['/persistentvolumeclaims:data-web-0', '/pods:web-0', '/persistentvolumeclaims:data-web-1', '/pods:web-1']);
    const pod = api.store.get('/pods', 'default', 'web-1')!;
    expect(labelsOf(pod)).toEqual({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-1',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': status().updateRevision,
    });
    expect(pod.spec).toMatchObject({ hostname: 'web-1', subdomain: 'web', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }] });
    const claim = api.store.get('/persistentvolumeclaims', 'default', 'data-web-1')!;
    expect(labelsOf(claim)).toEqual({ tier: 'storage', app: 'web' });
    expect(claim.spec).toMatchObject({ resources: { requests: { storage: '1Gi' } } });
  });

  it.each([
    { whenScaled: 'Retain' as const, want: ['data-web-0', 'data-web-1', 'data-web-2'] },
    { whenScaled: 'Delete' as const, want: ['data-web-0'] },
  ])('scaling down with whenScaled=$whenScaled keeps claims $want', async ({ whenScaled, want }) => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 3, claims: ['data'], whenScaled }));
    await advance(30_000);
    patchSpec({ replicas: 1 });
    await advance(30_000);
    expect(podNames()).toEqual(['web-0']);
    expect(api.store.list('/persistentvolumeclaims', 'default').map(nameOf).sort()).toEqual(want);
  });
});

describe('StatefulSet controller: revisions and updates', () => {
  it('the invariant checks also hold for a partitioned rollout: top ordinal down to the partition, one unavailable at a time', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 5, partition: 2 }));
    await advance(40_000);
    const oldRevision = String(status().currentRevision);
    const below = new Map(['web-0', 'web-1'].map((n) => [n, uidOf(api.store.get('/pods', 'default', n)!)]));
    const updatedOrder: number[] = [];
    let worst = 0;
    setImage('db:2');
    await advanceWatching(60_000, ({ pod }) => {
      const live = pods();
      const updated = live.filter((p) => revisionOf(p) !== oldRevision).map((p) => parentAndOrdinal(nameOf(p)).ordinal);
      for (const o of updated) if (!updatedOrder.includes(o)) updatedOrder.push(o);
      // ordinals below the partition are never touched
      for (const [name, uid] of below) {
        const p = api.store.get('/pods', 'default', name);
        expect(p && uidOf(p)).toBe(uid);
        expect(p && metadataOf(p).deletionTimestamp).toBeUndefined();
      }
      // updated ordinals always form the top of the range
      const lowest = Math.min(...updated);
      expect(live.filter((p) => parentAndOrdinal(nameOf(p)).ordinal > lowest && revisionOf(p) === oldRevision)).toEqual([]);
      worst = Math.max(worst, unavailableOrdinals('web', 5).length);
      expect(worst, `after ${nameOf(pod)}`).toBeLessThanOrEqual(1);
    });
    expect(updatedOrder).toEqual([4, 3, 2]);
    expect(worst).toBe(1);
    expect(status()).toMatchObject({ replicas: 5, readyReplicas: 5, updatedReplicas: 3, currentReplicas: 2, currentRevision: oldRevision });
    expect(status().updateRevision).not.toBe(oldRevision);

    // lowering the partition finishes the rollout, and the update revision becomes current
    patchSpec({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } });
    await advance(60_000);
    expect(status()).toMatchObject({ updatedReplicas: 5, currentReplicas: 5, currentRevision: status().updateRevision });
    expect(new Set(pods().map(revisionOf))).toEqual(new Set([status().updateRevision]));
  });

  it('with maxUnavailable, replaces up to that many pods at once and never more', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 5, policy: 'Parallel', maxUnavailable: 2 }));
    await advance(20_000);
    let worst = 0;
    setImage('db:2');
    await advanceWatching(60_000, () => {
      worst = Math.max(worst, unavailableOrdinals('web', 5).length);
      expect(worst).toBeLessThanOrEqual(2);
    });
    expect(worst).toBe(2);
    expect(status()).toMatchObject({ updatedReplicas: 5, readyReplicas: 5, currentRevision: status().updateRevision });
  });

  it('records the template as numbered ControllerRevisions named <set>-<hash>, and a rollback renumbers the old one', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 2 }));
    await advance(20_000);
    setImage('db:2');
    await advance(60_000);
    const byRevision = () => Object.fromEntries(revisions().map((r) => [Number(r.revision), nameOf(r)]));
    const [first, second] = [byRevision()[1]!, byRevision()[2]!];
    expect(status().updateRevision).toBe(second);
    for (const r of revisions()) {
      expect(nameOf(r)).toBe(controllerRevisionName('web', labelsOf(r)[HISTORY_HASH_LABEL]!));
      expect(metadataOf(r).ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'web', controller: true })]);
      expect(labelsOf(r)).toMatchObject({ app: 'web' });
    }
    setImage('db:1');
    await advance(60_000);
    expect(byRevision()).toEqual({ 2: second, 3: first });
    expect(status()).toMatchObject({ currentRevision: first, updateRevision: first, updatedReplicas: 2 });
  });

  it('OnDelete records the new revision but replaces only pods that get deleted', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 3, onDelete: true }));
    await advance(30_000);
    const oldRevision = String(status().currentRevision);
    setImage('db:2');
    await advance(60_000);
    expect(pods().map(revisionOf)).toEqual([oldRevision, oldRevision, oldRevision]);
    expect(status()).toMatchObject({ updatedReplicas: 0, currentReplicas: 3, currentRevision: oldRevision });
    api.delete(podsType(), 'default', 'web-1');
    await advance(20_000);
    const byName = Object.fromEntries(pods().map((p) => [nameOf(p), revisionOf(p)]));
    expect(byName).toEqual({ 'web-0': oldRevision, 'web-1': status().updateRevision, 'web-2': oldRevision });
    expect(status()).toMatchObject({ updatedReplicas: 1, currentReplicas: 2 });
  });

  it('keeps revisionHistoryLimit unused revisions besides the current one', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 1, revisionHistoryLimit: 1 }));
    await advance(10_000);
    for (const image of ['db:2', 'db:3', 'db:4']) {
      setImage(image);
      await advance(20_000);
    }
    expect(revisions().map((r) => Number(r.revision)).sort()).toEqual([3, 4]);
  });

  it('records Events for what it does', async () => {
    api.create(sets(), 'default', newStatefulSet('web', { replicas: 1, claims: ['data'] }));
    await advance(10_000);
    patchSpec({ replicas: 0 });
    await advance(10_000);
    const messages = api.store.list('/events', 'default').map((e) => `${String(e.reason)}: ${String(e.message)}`);
    expect(messages).toEqual(expect.arrayContaining([
      'SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success',
      'SuccessfulCreate: create Pod web-0 in StatefulSet web successful',
      'SuccessfulDelete: delete Pod web-0 in StatefulSet web successful',
    ]));
  });
});

// ---- the pure core ----

const view = (o: SetOptions & { currentReplicas?: number } = {}) => {
  const set = newStatefulSet('web', o);
  if (o.currentReplicas !== undefined) set.status = { currentReplicas: o.currentReplicas };
  return statefulSetView(set);
};

function member(ordinal: number, o: Partial<MemberPod> = {}): MemberPod {
  return { name: `web-${ordinal}`, ordinal, revision: 'web-old', phase: 'Running', ready: true, available: true, terminating: false, identityOk: true, ...o };
}

describe('StatefulSet plan', () => {
  it.each([
    { name: 'web-0', want: { parent: 'web', ordinal: 0 } },
    { name: 'my-db-12', want: { parent: 'my-db', ordinal: 12 } },
    { name: 'web', want: { parent: '', ordinal: -1 } },
    { name: 'web-99999999999', want: { parent: 'web', ordinal: -1 } },
  ])('parentAndOrdinal($name)', ({ name, want }) => {
    expect(parentAndOrdinal(name)).toEqual(want);
  });

  it.each([
    { value: undefined, replicas: 5, want: 1 },
    { value: 3, replicas: 5, want: 3 },
    { value: '50%', replicas: 5, want: 2 },
    { value: '10%', replicas: 5, want: 1 },
  ])('maxUnavailable $value of $replicas is $want', ({ value, replicas, want }) => {
    expect(statefulSetMaxUnavailable(value, replicas)).toBe(want);
  });

  it.each([
    { opts: { partition: 2 }, ordinal: 1, want: 'current' },
    { opts: { partition: 2 }, ordinal: 2, want: 'update' },
    { opts: { onDelete: true }, ordinal: 0, want: 'update' },
  ] as const)('a new pod at ordinal $ordinal with $opts gets the $want revision', ({ opts, ordinal, want }) => {
    expect(revisionForNewPod(view(opts), ordinal)).toBe(want);
  });

  it.each([
    {
      name: 'OrderedReady waits at the first unready pod',
      set: view({ replicas: 3 }),
      pods: [member(0), member(1, { ready: false })],
      want: [],
    },
    {
      name: 'Parallel creates every missing ordinal',
      set: view({ replicas: 3, policy: 'Parallel' }),
      pods: [member(1, { ready: false })],
      want: [{ type: 'createPod', ordinal: 0, revision: 'update' }, { type: 'createPod', ordinal: 2, revision: 'update' }],
    },
    {
      name: 'an unhealthy condemned pod may go first when it is the first unavailable',
      set: view({ replicas: 1 }),
      pods: [member(0, { revision: 'web-new' }), member(1, { revision: 'web-new' }), member(2, { ready: false, available: false, revision: 'web-new' })],
      want: [{ type: 'deletePod', pod: 'web-2', cause: 'scaleDown' }],
    },
    {
      name: 'rolls the highest outdated pod at or above the partition',
      set: view({ replicas: 3, partition: 1 }),
      pods: [member(0), member(1), member(2, { revision: 'web-new' })],
      want: [{ type: 'deletePod', pod: 'web-1', cause: 'update' }],
    },
    {
      name: 'OnDelete leaves outdated pods alone',
      set: view({ replicas: 2, onDelete: true }),
      pods: [member(0), member(1)],
      want: [],
    },
  ])('$name', ({ set, pods: members, want }) => {
    expect(planStatefulSet({ set, pods: members, updateRevision: 'web-new' })).toEqual(want);
  });

  it('plans at most 500 missing ordinals per sync, whatever replicas says', () => {
    const set = view({ replicas: 2 ** 31 - 1, policy: 'Parallel' });
    const actions = planStatefulSet({ set, pods: [member(0, { revision: 'web-new' }), member(1)], updateRevision: 'web-new' });
    expect(actions).toHaveLength(500);
    expect(actions.at(-1)).toEqual({ type: 'createPod', ordinal: 501, revision: 'update' });
  });

  it('reads a pod the way the controller does', () => {
    const pod: JsonObject = {
      metadata: { name: 'web-2', labels: { 'controller-revision-hash': 'web-abc', 'statefulset.kubernetes.io/pod-name': 'web-2' } },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    };
    const m = memberPod(pod, { name: 'web', minReadySeconds: 10 }, new Date('2026-01-01T00:00:05Z'));
    expect(m).toMatchObject({ ordinal: 2, revision: 'web-abc', ready: true, available: false, identityOk: false });
  });
});

describe('ControllerRevision helpers', () => {
  it('hashes the Data.Raw bytes of the revision, with the collision count', () => {
    const data = templateRevisionData({ metadata: { labels: { b: '1', a: '2' } }, spec: {} });
    expect(canonicalJson(data)).toBe('{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"a":"2","b":"1"}},"spec":{}}}}');
    expect(hashRevisionData(data, 0)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(hashRevisionData(data, 0)).toBe(hashRevisionData(structuredClone(data), 0));
    expect(hashRevisionData(data, 1)).not.toBe(hashRevisionData(data, 0));
    expect(controllerRevisionName('x'.repeat(300), 'h')).toHaveLength(225);
  });

  const rev = (n: number) => ({ metadata: { name: `r${n}` }, revision: n }) as JsonObject;
  it.each([
    { mode: 'statefulset' as const, limit: 1, live: ['r4'], want: ['r1', 'r2'] },
    { mode: 'daemonset' as const, limit: 1, live: ['r4'], want: ['r1', 'r2', 'r3'] },
    { mode: 'daemonset' as const, limit: 2, live: ['r1'], want: ['r2', 'r3'] },
    { mode: 'statefulset' as const, limit: -1, live: [], want: [] },
  ])('$mode prunes $want with limit $limit and live $live', ({ mode, limit, live, want }) => {
    const revisionsIn = [rev(3), rev(1), rev(4), rev(2)];
    expect(revisionsToPrune({ revisions: revisionsIn, isLive: (r) => live.includes(nameOf(r)), limit, mode })).toEqual(want);
  });
});
