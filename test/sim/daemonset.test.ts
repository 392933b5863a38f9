import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { createDaemonSetController } from '../../src/sim/controllers/daemonset.ts';
import {
  daemonSetCounts, planManage, planRollingUpdate, rolloutLimits, type DaemonPod, type DaemonSetStrategy,
} from '../../src/sim/controllers/daemonset-plan.ts';
import { daemonTolerations, newDaemonPod, nodeFit, targetNodeName, type NodeFit } from '../../src/sim/controllers/daemonset-scheduling.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { isPodAvailable } from '../../src/sim/controllers/pods.ts';
import { labelsOf, metadataOf, nameOf, uidOf } from '../../src/sim/object-meta.ts';
import { kubeletDouble } from '../support/kubelet-double.ts';
import { controllerContext, typeOf } from '../support/sim.ts';

const START = new Date('2026-01-01T00:00:00Z');
const START_MS = 2_000;

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;

beforeEach(() => {
  const ctx = controllerContext(START);
  ({ clock, api } = ctx);
  api.podsTerminateGracefully = true;
  manager = new ControllerManager(ctx, [createDaemonSetController(ctx), kubeletDouble(api, clock, START_MS)]);
  manager.start();
});

afterEach(() => manager.stop());

const daemonSets = () => typeOf(api, 'apps', 'v1', 'daemonsets');
const nodesType = () => typeOf(api, '', 'v1', 'nodes');
const podsType = () => typeOf(api, '', 'v1', 'pods');
const advance = (ms: number) => manager.advance(clock, ms);
const status = (name = 'agent') => (api.get(daemonSets(), 'default', name).status ?? {}) as Record<string, unknown>;
const pods = () => api.store.list('/pods', 'default');
const live = () => pods().filter((p) => metadataOf(p).deletionTimestamp === undefined);
const hashOf = (pod: JsonObject) => labelsOf(pod)['controller-revision-hash'] ?? '';
const nodeOf = (pod: JsonObject) => String((pod.spec as JsonObject).nodeName);
const revisions = () => api.store.list('apps/controllerrevisions', 'default');

function addNode(name: string, o: { labels?: Record<string, string>; taints?: JsonObject[]; unschedulable?: boolean } = {}): void {
  const spec = { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) };
  const node = api.create(nodesType(), '', { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } }, spec });
  api.update(nodesType(), '', name, { ...node, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, {}, 'status');
}

function patchNode(name: string, patch: JsonObject): void {
  api.patch(nodesType(), '', name, 'merge', patch);
}

interface DsOptions {
  maxUnavailable?: number | string;
  maxSurge?: number | string;
  onDelete?: boolean;
  nodeSelector?: Record<string, string>;
  minReadySeconds?: number;
}

function newDaemonSet(name: string, o: DsOptions = {}): JsonObject {
  const rollingUpdate = { maxUnavailable: o.maxUnavailable ?? 1, maxSurge: o.maxSurge ?? 0 };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      updateStrategy: o.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate },
      ...(o.minReadySeconds ? { minReadySeconds: o.minReadySeconds } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          containers: [{ name: 'agent', image: 'agent:1' }],
        },
      },
    },
  };
}

function setImage(image: string, name = 'agent'): void {
  api.patch(daemonSets(), 'default', name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'agent', image }] } } } });
}

async function advanceWatching(ms: number, check: () => void): Promise<void> {
  let violation: unknown;
  const stop = api.store.subscribe((e) => {
    if (e.resource !== '/pods' || violation) return;
    try {
      check();
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

/** Nodes among `nodes` with no available pod that is not terminating. */
function nodesWithoutAvailablePod(nodes: readonly string[]): string[] {
  const serving = new Set(live().filter((p) => isPodAvailable(p, 0, clock.now())).map(nodeOf));
  return nodes.filter((n) => !serving.has(n));
}

function onePodPerNode(nodes: readonly string[]): void {
  expect(pods().map(nodeOf).sort()).toEqual([...nodes].sort());
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('DaemonSet controller: placement', () => {
  it('runs one pod per eligible node, pinned to it, with the revision hash and template generation', async () => {
    for (const n of ['a', 'b']) addNode(n, { labels: { disk: 'ssd' } });
    addNode('c', { labels: { disk: 'hdd' } });
    addNode('d', { labels: { disk: 'ssd' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    addNode('e', { labels: { disk: 'ssd' }, unschedulable: true });
    api.create(daemonSets(), 'default', newDaemonSet('agent', { nodeSelector: { disk: 'ssd' } }));
    await advance(10_000);
    // cordoned nodes still run daemon pods: they tolerate node.kubernetes.io/unschedulable
    onePodPerNode(['a', 'b', 'e']);
    const [revision] = revisions();
    const pod = pods().find((p) => nodeOf(p) === 'a')!;
    expect(labelsOf(pod)).toEqual({ app: 'agent', 'controller-revision-hash': labelsOf(revision!)['controller-revision-hash'], 'pod-template-generation': '1' });
    expect(metadataOf(pod).ownerReferences).toEqual([expect.objectContaining({ kind: 'DaemonSet', name: 'agent', controller: true })]);
    expect((pod.spec as JsonObject).affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }] } },
    });
    expect(status()).toEqual(expect.objectContaining({
      observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0,
      numberReady: 3, numberAvailable: 3, numberUnavailable: 0, updatedNumberScheduled: 3,
    }));
  });

  it('follows node changes: new nodes, labels, NoSchedule and NoExecute taints', async () => {
    addNode('a');
    addNode('b');
    api.create(daemonSets(), 'default', newDaemonSet('agent', { nodeSelector: { pool: 'x' } }));
    for (const n of ['a', 'b']) patchNode(n, { metadata: { labels: { pool: 'x' } } });
    await advance(10_000);
    onePodPerNode(['a', 'b']);

    addNode('c', { labels: { pool: 'x' } });
    await advance(10_000);
    onePodPerNode(['a', 'b', 'c']);

    // a NoSchedule taint keeps the pod running there, but the node no longer counts as desired
    patchNode('a', { spec: { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] } });
    await advance(10_000);
    onePodPerNode(['a', 'b', 'c']);
    expect(status()).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 1 });

    // NoExecute evicts; a label that no longer matches does too
    patchNode('a', { spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } });
    patchNode('b', { metadata: { labels: { pool: 'y' } } });
    await advance(10_000);
    onePodPerNode(['c']);
    expect(status()).toMatchObject({ desiredNumberScheduled: 1, numberMisscheduled: 0, numberAvailable: 1 });
  });

  it('replaces a failed pod and says so', async () => {
    addNode('a');
    api.create(daemonSets(), 'default', newDaemonSet('agent'));
    await advance(10_000);
    const [before] = pods();
    api.update(podsType(), 'default', nameOf(before!), { ...before!, status: { phase: 'Failed' } }, {}, 'status');
    await advance(10_000);
    const [after] = pods();
    expect(uidOf(after!)).not.toBe(uidOf(before!));
    expect(nodeOf(after!)).toBe('a');
    const reasons = api.store.list('/events', 'default').map((e) => String(e.reason));
    expect(reasons).toEqual(expect.arrayContaining(['SuccessfulCreate', 'FailedDaemonPod', 'SuccessfulDelete']));
  });

  it('counts a pod available only minReadySeconds after it is ready, and looks again by itself', async () => {
    for (const n of ['a', 'b']) addNode(n);
    api.create(daemonSets(), 'default', newDaemonSet('agent', { minReadySeconds: 10 }));
    await advance(START_MS + 1_000);
    expect(status()).toMatchObject({ numberReady: 2, numberAvailable: 0, numberUnavailable: 2 });
    await advance(10_000);
    expect(status()).toMatchObject({ numberReady: 2, numberAvailable: 2, numberUnavailable: 0 });
  });
});

describe('DaemonSet controller: updates', () => {
  it('the invariant checks also hold for a DaemonSet rolling update with maxUnavailable (30% of 5 rounds up to 2)', async () => {
    for (const n of NODES) addNode(n);
    api.create(daemonSets(), 'default', newDaemonSet('agent', { maxUnavailable: '30%' }));
    await advance(10_000);
    const oldHash = hashOf(pods()[0]!);
    let worst = 0;
    setImage('agent:2');
    await advanceWatching(60_000, () => {
      worst = Math.max(worst, nodesWithoutAvailablePod(NODES).length);
      expect(worst).toBeLessThanOrEqual(2);
      // never two serving pods on one node
      expect(new Set(live().map(nodeOf)).size).toBe(live().length);
    });
    expect(worst).toBe(2);
    onePodPerNode(NODES);
    expect(pods().every((p) => hashOf(p) !== oldHash)).toBe(true);
    expect(status()).toMatchObject({ observedGeneration: 2, desiredNumberScheduled: 5, updatedNumberScheduled: 5, numberAvailable: 5 });
  });

  it('the invariant checks also hold for a DaemonSet surge update: the new pod first, the old one once it is available', async () => {
    for (const n of NODES) addNode(n);
    api.create(daemonSets(), 'default', newDaemonSet('agent', { maxUnavailable: 0, maxSurge: 1 }));
    await advance(10_000);
    const oldHash = hashOf(pods()[0]!);
    let worstExtra = 0;
    setImage('agent:2');
    await advanceWatching(60_000, () => {
      worstExtra = Math.max(worstExtra, live().length - NODES.length);
      expect(worstExtra).toBeLessThanOrEqual(1);
      // with surge every node keeps an available pod throughout
      expect(nodesWithoutAvailablePod(NODES)).toEqual([]);
    });
    expect(worstExtra).toBe(1);
    onePodPerNode(NODES);
    expect(pods().every((p) => hashOf(p) !== oldHash)).toBe(true);
    expect(status()).toMatchObject({ updatedNumberScheduled: 5, numberAvailable: 5, numberUnavailable: 0 });
  });

  it('OnDelete replaces only the pods that get deleted', async () => {
    for (const n of ['a', 'b']) addNode(n);
    api.create(daemonSets(), 'default', newDaemonSet('agent', { onDelete: true }));
    await advance(10_000);
    const oldHash = hashOf(pods()[0]!);
    setImage('agent:2');
    await advance(30_000);
    expect(pods().map(hashOf)).toEqual([oldHash, oldHash]);
    expect(status()).toMatchObject({ updatedNumberScheduled: 0, observedGeneration: 2 });
    api.delete(podsType(), 'default', nameOf(pods().find((p) => nodeOf(p) === 'a')!));
    await advance(10_000);
    const byNode = Object.fromEntries(pods().map((p) => [nodeOf(p), hashOf(p)]));
    expect(byNode.b).toBe(oldHash);
    expect(byNode.a).not.toBe(oldHash);
    expect(status()).toMatchObject({ updatedNumberScheduled: 1 });
  });

  it('keeps ControllerRevisions named <ds>-<hash>, numbered, and renumbers one on rollback', async () => {
    addNode('a');
    api.create(daemonSets(), 'default', newDaemonSet('agent'));
    await advance(10_000);
    setImage('agent:2');
    await advance(30_000);
    const byRevision = () => Object.fromEntries(revisions().map((r) => [Number(r.revision), nameOf(r)]));
    const [first, second] = [byRevision()[1]!, byRevision()[2]!];
    for (const r of revisions()) {
      expect(nameOf(r)).toBe(`agent-${labelsOf(r)['controller-revision-hash']}`);
      expect(metadataOf(r).ownerReferences).toEqual([expect.objectContaining({ kind: 'DaemonSet', controller: true })]);
    }
    expect(`agent-${hashOf(pods()[0]!)}`).toBe(second);
    setImage('agent:1');
    await advance(30_000);
    expect(byRevision()).toEqual({ 2: second, 3: first });
    expect(`agent-${hashOf(pods()[0]!)}`).toBe(first);
  });
});

// ---- the pure core ----

const node = (name: string, o: { labels?: Record<string, string>; taints?: JsonObject[] } = {}): JsonObject => ({
  metadata: { name, labels: o.labels ?? {} },
  spec: o.taints ? { taints: o.taints } : {},
});

describe('DaemonSet scheduling predicates', () => {
  it.each<{ name: string; template: JsonObject; node: JsonObject; want: [boolean, boolean] }>([
    { name: 'no constraints', template: {}, node: node('a'), want: [true, true] },
    { name: 'nodeSelector mismatch', template: { nodeSelector: { disk: 'ssd' } }, node: node('a'), want: [false, false] },
    { name: 'untolerated NoSchedule taint', template: {}, node: node('a', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), want: [false, true] },
    { name: 'untolerated NoExecute taint', template: {}, node: node('a', { taints: [{ key: 'k', effect: 'NoExecute' }] }), want: [false, false] },
    { name: 'PreferNoSchedule is ignored', template: {}, node: node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), want: [true, true] },
    {
      name: 'tolerated taint',
      template: { tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute' }] },
      node: node('a', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] }),
      want: [true, true],
    },
    { name: 'not-ready taint is tolerated by every daemon pod', template: {}, node: node('a', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), want: [true, true] },
    { name: 'template pinned to another node', template: { nodeName: 'b' }, node: node('a'), want: [false, false] },
    {
      name: 'required node affinity Gt',
      template: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }] } } } },
      node: node('a', { labels: { cores: '8' } }),
      want: [true, true],
    },
    {
      name: 'required node affinity by name',
      template: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['a'] }] }] } } } },
      node: node('a'),
      want: [false, false],
    },
  ])('$name', ({ template, node: n, want }) => {
    const fit = nodeFit({ spec: template }, n);
    expect([fit.shouldRun, fit.shouldContinueRunning]).toEqual(want);
  });

  it('builds the pod for a node: tolerations added once, node affinity replaced, bound by name', () => {
    const ds: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', uid: 'u1' },
      spec: { template: { metadata: { labels: { app: 'agent' } }, spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }], containers: [] } } },
    };
    const pod = newDaemonPod({ ds, node: 'n7', hash: 'abc', templateGeneration: 4 });
    expect(metadataOf(pod)).toMatchObject({ generateName: 'agent-', labels: { app: 'agent', 'controller-revision-hash': 'abc', 'pod-template-generation': '4' } });
    expect(targetNodeName(pod)).toBe('n7');
    expect(targetNodeName({ spec: { affinity: (pod.spec as JsonObject).affinity! } })).toBe('n7');
    const tolerations = (pod.spec as JsonObject).tolerations as JsonObject[];
    expect(tolerations.filter((t) => t.key === 'node.kubernetes.io/not-ready')).toHaveLength(1);
    expect(daemonTolerations({ hostNetwork: true }).map((t) => t.key)).toContain('node.kubernetes.io/network-unavailable');
  });
});

const fit = (name: string, shouldRun = true): NodeFit => ({ node: name, shouldRun, shouldContinueRunning: shouldRun });

function dpod(name: string, nodeName: string, o: Partial<DaemonPod> = {}): DaemonPod {
  return { name, node: nodeName, scheduled: true, phase: 'Running', terminating: false, ready: true, available: true, hash: 'old', updated: false, created: '2026-01-01T00:00:00Z', ...o };
}
const fresh = (name: string, nodeName: string, o: Partial<DaemonPod> = {}) => dpod(name, nodeName, { hash: 'new', updated: true, ...o });

describe('DaemonSet plan', () => {
  const ru = (maxUnavailable: number | string, maxSurge: number | string): DaemonSetStrategy => ({ type: 'RollingUpdate', maxUnavailable, maxSurge });
  it.each([
    { strategy: ru(1, 0), nodes: 5, want: { desired: 5, maxUnavailable: 1, maxSurge: 0 } },
    { strategy: ru('30%', 0), nodes: 5, want: { desired: 5, maxUnavailable: 2, maxSurge: 0 } },
    { strategy: ru(0, '10%'), nodes: 5, want: { desired: 5, maxUnavailable: 0, maxSurge: 1 } },
    { strategy: ru(0, 0), nodes: 3, want: { desired: 3, maxUnavailable: 1, maxSurge: 0 } },
    { strategy: { type: 'OnDelete' } as const, nodes: 3, want: { desired: 3, maxUnavailable: 0, maxSurge: 0 } },
  ])('limits for $strategy on $nodes nodes', ({ strategy, nodes, want }) => {
    expect(rolloutLimits(strategy, Array.from({ length: nodes }, (_, i) => fit(`n${i}`)))).toEqual(want);
  });

  it.each([
    {
      name: 'deletes old pods within the budget, counting unavailable new ones',
      pods: [fresh('p1', 'a', { available: false }), dpod('p2', 'b'), dpod('p3', 'c')],
      limits: { desired: 3, maxUnavailable: 2, maxSurge: 0 },
      want: { deletePods: ['p2'], createOn: [] },
    },
    {
      name: 'replaces an unavailable old pod without budget',
      pods: [fresh('p1', 'a', { available: false }), dpod('p2', 'b', { available: false }), dpod('p3', 'c')],
      limits: { desired: 3, maxUnavailable: 1, maxSurge: 0 },
      want: { deletePods: ['p2'], createOn: [] },
    },
    {
      name: 'a node without a pod counts against maxUnavailable',
      pods: [dpod('p2', 'b'), dpod('p3', 'c')],
      limits: { desired: 3, maxUnavailable: 1, maxSurge: 0 },
      want: { deletePods: [], createOn: [] },
    },
    {
      name: 'surges onto up to maxSurge nodes and retires old pods whose replacement is available',
      pods: [dpod('p1', 'a'), fresh('q1', 'a'), dpod('p2', 'b'), dpod('p3', 'c')],
      limits: { desired: 3, maxUnavailable: 0, maxSurge: 1 },
      want: { deletePods: ['p1'], createOn: ['b'] },
    },
    {
      name: 'waits while a surge pod is not yet available',
      pods: [dpod('p1', 'a'), fresh('q1', 'a', { available: false }), dpod('p2', 'b')],
      limits: { desired: 2, maxUnavailable: 0, maxSurge: 1 },
      want: { deletePods: [], createOn: [] },
    },
  ])('$name', ({ pods: ps, limits, want }) => {
    expect(planRollingUpdate({ fits: ['a', 'b', 'c'].map((n) => fit(n)), pods: ps, limits })).toEqual(want);
  });

  it('manage keeps the oldest pod per node, and while surging the new one beside an old one', () => {
    const older = dpod('p1', 'a', { created: '2026-01-01T00:00:00Z' });
    const newer = dpod('p2', 'a', { created: '2026-01-01T00:00:05Z' });
    expect(planManage({ fits: [fit('a')], pods: [newer, older], surge: false, hash: 'new' }).deletions).toEqual([{ pod: 'p2', reason: 'excess' }]);
    const surging = planManage({ fits: [fit('a')], pods: [older, fresh('q1', 'a', { available: false })], surge: true, hash: 'new' });
    expect(surging.deletions).toEqual([]);
    const done = planManage({ fits: [fit('a')], pods: [older, fresh('q1', 'a')], surge: true, hash: 'new' });
    expect(done.deletions).toEqual([{ pod: 'p1', reason: 'excess' }]);
    expect(planManage({ fits: [fit('a'), fit('b', false)], pods: [dpod('p3', 'b')], surge: false, hash: 'new' })).toEqual({
      createOn: ['a'],
      deletions: [{ pod: 'p3', reason: 'misscheduled' }],
      failed: [],
    });
  });

  it('status counts the oldest pod of each node', () => {
    const counts = daemonSetCounts([fit('a'), fit('b'), fit('c', false)], [
      dpod('p1', 'a', { updated: true }),
      dpod('p2', 'b', { ready: false, available: false }),
      dpod('p3', 'c'),
    ]);
    expect(counts).toEqual({
      desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 1,
      numberReady: 1, numberAvailable: 1, numberUnavailable: 1, updatedNumberScheduled: 1,
    });
  });
});
