import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { rfc3339 } from '../../src/sim/clock.ts';
import { controllerContext } from '../support/sim.ts';
import { createKubelet } from '../../src/sim/controllers/kubelet.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { createNodes, healthyConditions, nodeObject, nodeStatus, parseQuantity, podRequests } from '../../src/sim/controllers/nodes.ts';
import { podCondition } from '../../src/sim/controllers/pods.ts';
import { createScheduler, schedulePod, tolerates } from '../../src/sim/controllers/scheduler.ts';

const START = new Date('2026-01-01T00:00:00Z');
const NOW = rfc3339(START);

describe('parseQuantity', () => {
  it.each([
    { q: '100m', want: 0.1 },
    { q: '2', want: 2 },
    { q: '1.5', want: 1.5 },
    { q: '128Mi', want: 128 * 2 ** 20 },
    { q: '1Gi', want: 2 ** 30 },
    { q: '64Ki', want: 65_536 },
    { q: '1k', want: 1000 },
    { q: '1M', want: 1e6 },
    { q: '2G', want: 2e9 },
    { q: '1e3', want: 1000 },
    { q: 3, want: 3 },
    { q: '12 apples', want: undefined },
    { q: '', want: undefined },
  ])('$q', ({ q, want }) => {
    expect(parseQuantity(q)).toBe(want);
  });
});

const container = (cpu?: string, memory?: string, limits?: JsonObject): JsonObject => ({
  name: 'c', image: 'x', resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) }, ...(limits ? { limits } : {}) },
});

describe('podRequests', () => {
  it.each<{ name: string; spec: JsonObject; want: { milliCpu: number; memory: number } }>([
    { name: 'nothing', spec: { containers: [{ name: 'c', image: 'x' }] }, want: { milliCpu: 0, memory: 0 } },
    { name: 'containers add up', spec: { containers: [container('250m', '64Mi'), container('1', '1Gi')] }, want: { milliCpu: 1250, memory: 2 ** 30 + 64 * 2 ** 20 } },
    { name: 'a bigger init container wins', spec: { containers: [container('100m')], initContainers: [container('2'), container('500m')] }, want: { milliCpu: 2000, memory: 0 } },
    { name: 'a limit alone is the request', spec: { containers: [container(undefined, undefined, { cpu: '300m', memory: '1G' })] }, want: { milliCpu: 300, memory: 1e9 } },
    { name: 'overhead on top', spec: { containers: [container('100m')], overhead: { cpu: '50m' } }, want: { milliCpu: 150, memory: 0 } },
  ])('$name', ({ spec, want }) => {
    expect(podRequests({ spec })).toEqual(want);
  });
});

describe('tolerates', () => {
  const taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  it.each([
    { name: 'Equal with the same value', toleration: { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }, want: true },
    { name: 'Equal by default', toleration: { key: 'dedicated', value: 'db' }, want: true },
    { name: 'another value', toleration: { key: 'dedicated', value: 'web' }, want: false },
    { name: 'Exists on the key', toleration: { key: 'dedicated', operator: 'Exists' }, want: true },
    { name: 'Exists on everything', toleration: { operator: 'Exists' }, want: true },
    { name: 'another effect', toleration: { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, want: false },
    { name: 'another key', toleration: { key: 'gpu', operator: 'Exists' }, want: false },
  ])('$name', ({ toleration, want }) => {
    expect(tolerates(toleration, taint)).toBe(want);
  });
});

function node(index: number, changes: { cpu?: string; pods?: number; labels?: Record<string, string>; spec?: JsonObject; ready?: boolean } = {}): JsonObject {
  const base = nodeObject(index);
  const status = nodeStatus(index, { cpu: changes.cpu ?? '4', ...(changes.pods ? { pods: changes.pods } : {}) }, NOW);
  if (changes.ready === false) status.conditions = healthyConditions(NOW).map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c));
  const meta = base.metadata as JsonObject;
  return { ...base, metadata: { ...meta, labels: { ...(meta.labels as JsonObject), ...changes.labels } }, spec: { ...(base.spec as JsonObject), ...changes.spec }, status };
}

function pod(spec: JsonObject = {}, cpu = '1'): JsonObject {
  return { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [container(cpu)], ...spec } };
}

const bound = (nodeName: string, cpu: string, phase = 'Running'): JsonObject => ({ ...pod({ nodeName }, cpu), status: { phase } });
const owned = (p: JsonObject): JsonObject => ({
  ...p,
  metadata: { ...(p.metadata as JsonObject), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true }] },
});

describe('schedulePod', () => {
  it.each<{ name: string; pod: JsonObject; nodes: JsonObject[]; pods?: JsonObject[]; want: string }>([
    { name: 'the least requested node', pod: pod(), nodes: [node(1), node(2), node(3)], pods: [bound('sim-node-1', '1'), bound('sim-node-3', '500m')], want: 'sim-node-2' },
    { name: 'the first by name on a tie', pod: pod(), nodes: [node(2), node(1)], want: 'sim-node-1' },
    {
      name: 'away from its siblings first',
      pod: owned(pod()),
      nodes: [node(1), node(2, { cpu: '2' })],
      pods: [owned(bound('sim-node-1', '100m'))],
      want: 'sim-node-2',
    },
    { name: 'finished pods free their requests', pod: pod({}, '3'), nodes: [node(1)], pods: [bound('sim-node-1', '3', 'Succeeded')], want: 'sim-node-1' },
    { name: 'a matching nodeSelector', pod: pod({ nodeSelector: { disk: 'ssd' } }), nodes: [node(1), node(2, { labels: { disk: 'ssd' } })], want: 'sim-node-2' },
    { name: 'a tolerated taint', pod: pod({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), nodes: [node(1, { spec: { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] } })], want: 'sim-node-1' },
    {
      name: 'required node affinity',
      pod: pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } } }),
      nodes: [node(1, { labels: { zone: 'a' } }), node(2, { labels: { zone: 'b' } })],
      want: 'sim-node-2',
    },
    {
      name: 'too big for all nodes',
      pod: pod({}, '8'),
      nodes: [node(1), node(2), node(3)],
      want: '0/3 nodes are available: 3 Insufficient cpu.',
    },
    {
      name: 'a mix of reasons, sorted',
      pod: pod({ nodeSelector: { disk: 'ssd' } }, '3'),
      nodes: [node(1, { labels: { disk: 'ssd' } }), node(2, { labels: { disk: 'ssd' }, spec: { unschedulable: true } }), node(3, { ready: false }), node(4)],
      pods: [bound('sim-node-1', '2')],
      want: "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.",
    },
    { name: 'a full node', pod: pod({}, '0'), nodes: [node(1, { pods: 1 })], pods: [bound('sim-node-1', '0')], want: '0/1 nodes are available: 1 Too many pods.' },
    { name: 'no nodes at all', pod: pod(), nodes: [], want: 'no nodes available to schedule pods' },
  ])('$name', ({ pod: p, nodes, pods, want }) => {
    const result = schedulePod(p, nodes, pods ?? []);
    expect('node' in result ? result.node : result.message).toBe(want);
  });
});

let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});

function cluster() {
  const ctx = controllerContext(START);
  const { api, clock } = ctx;
  createNodes(ctx);
  const manager = new ControllerManager(ctx, [createScheduler(ctx), createKubelet(ctx)]);
  manager.start();
  stops.push(() => manager.stop());
  const podsType = api.registry.lookup('', 'v1', 'pods')!;
  const get = (name: string) => api.store.get('/pods', 'default', name)!;
  return {
    ctx, api,
    advance: (ms: number) => manager.advance(clock, ms),
    create: (name: string, cpu: string) => api.create(podsType, 'default', { metadata: { name }, spec: { containers: [{ ...container(cpu), name: 'app', image: 'nginx' }] } }),
    remove: (name: string) => api.delete(podsType, 'default', name, { gracePeriodSeconds: 0 }),
    nodeOf: (name: string) => (get(name).spec as JsonObject).nodeName,
    scheduled: (name: string) => podCondition(get(name), 'PodScheduled'),
    events: (name: string, reason: string) => api.store.list('/events', 'default').filter((e) => (e.involvedObject as JsonObject).name === name && e.reason === reason),
  };
}

describe('createNodes', () => {
  it('registers Ready nodes with capacity, addresses and the kubelet version; again, it changes nothing', () => {
    const c = cluster();
    const nodes = createNodes(c.ctx, { count: 2, cpu: '8', memory: '32Gi', pods: 50 });
    expect(nodes.map((n) => (n.metadata as JsonObject).name)).toEqual(['sim-node-1', 'sim-node-2']);
    const n = c.api.store.get('/nodes', '', 'sim-node-3')!;
    expect((n.metadata as JsonObject).labels).toMatchObject({ 'kubernetes.io/hostname': 'sim-node-3', 'kubernetes.io/os': 'linux' });
    expect(n.status).toMatchObject({
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '172.18.0.4' }, { type: 'Hostname', address: 'sim-node-3' }],
      nodeInfo: { kubeletVersion: 'v1.30.0', operatingSystem: 'linux' },
    });
    expect(((n.status as JsonObject).conditions as JsonObject[]).find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady', lastTransitionTime: NOW });
  });
});

describe('the scheduler controller', () => {
  it('spreads pods over the least requested nodes, with PodScheduled and a Scheduled Event', async () => {
    const c = cluster();
    for (const name of ['a', 'b', 'c']) c.create(name, '1');
    await c.advance(0);
    expect(new Set(['a', 'b', 'c'].map(c.nodeOf))).toEqual(new Set(['sim-node-1', 'sim-node-2', 'sim-node-3']));
    expect(c.scheduled('a')).toMatchObject({ status: 'True', lastTransitionTime: NOW });
    expect(c.events('a', 'Scheduled')[0]).toMatchObject({ type: 'Normal', message: `Successfully assigned default/a to ${String(c.nodeOf('a'))}` });
  });

  it('reports an unschedulable pod, and binds it once a node with room appears', async () => {
    const c = cluster();
    c.create('big', '8');
    await c.advance(1000);
    expect(c.nodeOf('big')).toBeUndefined();
    expect(c.scheduled('big')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.', lastTransitionTime: NOW });
    expect(c.events('big', 'FailedScheduling')[0]).toMatchObject({ type: 'Warning', message: '0/3 nodes are available: 3 Insufficient cpu.' });
    createNodes(c.ctx, { count: 4, cpu: '16' });
    await c.advance(1000);
    expect(c.nodeOf('big')).toBe('sim-node-4');
    expect(c.scheduled('big')).toMatchObject({ status: 'True', lastTransitionTime: rfc3339(new Date(START.getTime() + 1000)) });
  });

  it('tries again when a bound pod goes away', async () => {
    const c = cluster();
    for (const name of ['a', 'b', 'c']) c.create(name, '3');
    await c.advance(1000);
    c.create('late', '2');
    await c.advance(1000);
    expect(c.scheduled('late')?.status).toBe('False');
    const freed = c.nodeOf('b');
    c.remove('b');
    await c.advance(0);
    expect(c.nodeOf('late')).toBe(freed);
  });
});
