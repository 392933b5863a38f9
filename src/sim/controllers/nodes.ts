import { randomUUID } from 'node:crypto';
import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { StatusError } from '../errors.ts';
import type { ControllerContext } from './types.ts';

/** The simulated cluster's Nodes, and the resource arithmetic the scheduler and kubelet share. */

export const NODE_NAME_PREFIX = 'sim-node-';
export const KUBELET_VERSION = 'v1.30.0';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export interface NodeOptions {
  readonly count?: number;
  readonly cpu?: string;
  readonly memory?: string;
  readonly pods?: number;
}

/** The conditions a healthy kubelet posts, as of `now` (RFC 3339). */
export function healthyConditions(now: string): JsonObject[] {
  const condition = (type: string, status: string, reason: string, message: string): JsonObject => ({
    type, status, lastHeartbeatTime: now, lastTransitionTime: now, reason, message,
  });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** What the node lifecycle controller writes when the kubelet stops posting status: every condition Unknown. */
export function unknownConditions(conditions: readonly JsonObject[], now: string): JsonObject[] {
  return conditions.map((c) => ({
    ...c,
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: 'Kubelet stopped posting node status.',
    lastTransitionTime: c.status === 'Unknown' ? (c.lastTransitionTime ?? now) : now,
  }));
}

/** A new sim-node-N (without status: the API server drops it on create). */
export function nodeObject(index: number): JsonObject {
  const name = `${NODE_NAME_PREFIX}${index}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`], providerID: `sim://${name}` },
  };
}

export function nodeStatus(index: number, options: NodeOptions, now: string): JsonObject {
  const resources: JsonObject = {
    cpu: options.cpu ?? '4',
    memory: options.memory ?? '16Gi',
    pods: String(options.pods ?? 110),
    'ephemeral-storage': '100Gi',
  };
  return {
    capacity: resources,
    allocatable: { ...resources },
    conditions: healthyConditions(now),
    addresses: [
      { type: 'InternalIP', address: `172.18.0.${index + 1}` },
      { type: 'Hostname', address: `${NODE_NAME_PREFIX}${index}` },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      architecture: 'amd64',
      bootID: randomUUID(),
      containerRuntimeVersion: 'containerd://1.7.15',
      kernelVersion: '6.8.0',
      kubeProxyVersion: KUBELET_VERSION,
      kubeletVersion: KUBELET_VERSION,
      machineID: randomUUID().replaceAll('-', ''),
      operatingSystem: 'linux',
      osImage: 'Sluice simulated node',
      systemUUID: randomUUID(),
    },
  };
}

/**
 * Registers nodes sim-node-1..count as their kubelets would: the Node, then its status
 * (capacity = allocatable, Ready). Existing nodes are left alone. Returns the nodes.
 */
export function createNodes(ctx: Pick<ControllerContext, 'api' | 'clock'>, options: NodeOptions = {}): JsonObject[] {
  const nodes = ctx.api.registry.lookup('', 'v1', 'nodes')!;
  const created: JsonObject[] = [];
  for (let i = 1; i <= (options.count ?? 3); i++) {
    const existing = ctx.api.store.get('/nodes', '', `${NODE_NAME_PREFIX}${i}`);
    if (existing) {
      created.push(existing);
      continue;
    }
    const node = ctx.api.create(nodes, '', nodeObject(i), { fieldManager: 'kubelet' });
    const status = nodeStatus(i, options, rfc3339(ctx.clock.now()));
    created.push(ctx.api.update(nodes, '', `${NODE_NAME_PREFIX}${i}`, { ...node, status }, { fieldManager: 'kubelet' }, 'status'));
  }
  return created;
}

export function requireNode(ctx: Pick<ControllerContext, 'api'>, name: string): JsonObject {
  const node = ctx.api.store.get('/nodes', '', name);
  if (!node) throw new StatusError('NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' });
  return node;
}

// ---- reads ----

function objectAt(obj: JsonObject, key: string): JsonObject {
  const v = obj[key];
  return isJsonObject(v) ? v : {};
}

function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

export function nodeConditions(node: JsonObject): JsonObject[] {
  return objects(objectAt(node, 'status').conditions);
}

export function isNodeReady(node: JsonObject): boolean {
  return nodeConditions(node).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** When the node last became Ready (ms), or undefined. */
export function nodeReadySince(node: JsonObject): number | undefined {
  const ready = nodeConditions(node).find((c) => c.type === 'Ready' && c.status === 'True');
  const at = typeof ready?.lastTransitionTime === 'string' ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(at) ? at : undefined;
}

export function nodeInternalIP(node: JsonObject): string {
  const address = objects(objectAt(node, 'status').addresses).find((a) => a.type === 'InternalIP');
  return typeof address?.address === 'string' ? address.address : '';
}

/** "10.244.3" for a node with podCIDR 10.244.3.0/24: pod IPs are this prefix plus a host number. */
export function podNetworkPrefix(node: JsonObject): string {
  const cidr = objectAt(node, 'spec').podCIDR;
  const match = typeof cidr === 'string' ? /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr) : null;
  return match?.[1] ?? '10.244.0';
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

export function taintsOf(node: JsonObject): Taint[] {
  return objects(objectAt(node, 'spec').taints).map((t) => ({
    key: String(t.key ?? ''),
    ...(typeof t.value === 'string' ? { value: t.value } : {}),
    effect: String(t.effect ?? ''),
  }));
}

// ---- resources ----

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** A resource.Quantity ("100m", "1.5", "128Mi", "1G", "1e3") as a plain number, or undefined when malformed. */
export function parseQuantity(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  const [, number, exponent, suffix = ''] = match;
  const base = Number(number);
  if (exponent) return base * 10 ** Number(exponent.slice(1));
  return base * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

/** cpu in millicores, memory in bytes (whole numbers, as the scheduler compares them). */
export interface Resources {
  readonly milliCpu: number;
  readonly memory: number;
}

export const NO_RESOURCES: Resources = { milliCpu: 0, memory: 0 };

export function addResources(a: Resources, b: Resources): Resources {
  return { milliCpu: a.milliCpu + b.milliCpu, memory: a.memory + b.memory };
}

function maxResources(a: Resources, b: Resources): Resources {
  return { milliCpu: Math.max(a.milliCpu, b.milliCpu), memory: Math.max(a.memory, b.memory) };
}

function resourcesOf(list: JsonValue | undefined): Resources {
  const r = isJsonObject(list) ? list : {};
  return {
    milliCpu: Math.ceil((parseQuantity(r.cpu) ?? 0) * 1000),
    memory: Math.ceil(parseQuantity(r.memory) ?? 0),
  };
}

/** A container's requests; a resource with only a limit requests its limit (API defaulting). */
export function containerRequests(container: JsonObject): Resources {
  const resources = objectAt(container, 'resources');
  const requests = objectAt(resources, 'requests');
  const limits = objectAt(resources, 'limits');
  return resourcesOf({ cpu: requests.cpu ?? limits.cpu ?? 0, memory: requests.memory ?? limits.memory ?? 0 });
}

/** What a pod asks the scheduler for: the sum of its containers, or its largest init container if more, plus overhead. */
/** Requests per pod spec: stored objects never change, and the scheduler sums them for every decision. */
const requestsOfSpec = new WeakMap<JsonObject, Resources>();

export function podRequests(pod: JsonObject): Resources {
  const spec = objectAt(pod, 'spec');
  let cached = requestsOfSpec.get(spec);
  if (!cached) {
    cached = specRequests(spec);
    requestsOfSpec.set(spec, cached);
  }
  return cached;
}

function specRequests(spec: JsonObject): Resources {
  const containers = objects(spec.containers).map(containerRequests).reduce(addResources, NO_RESOURCES);
  const init = objects(spec.initContainers).map(containerRequests).reduce(maxResources, NO_RESOURCES);
  return addResources(maxResources(containers, init), resourcesOf(spec.overhead));
}

export interface NodeCapacity extends Resources {
  readonly pods: number;
}

export function nodeAllocatable(node: JsonObject): NodeCapacity {
  const status = objectAt(node, 'status');
  const allocatable = isJsonObject(status.allocatable) ? status.allocatable : objectAt(status, 'capacity');
  return { ...resourcesOf(allocatable), pods: Math.floor(parseQuantity(allocatable.pods) ?? 0) };
}
