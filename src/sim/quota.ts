import { canonicalQuantity, parseQuantityMilli } from '../diff/quantity.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { errors } from './errors.ts';
import { deletionTimestampOf, namespaceOf } from './object-meta.ts';
import { podPhase } from './controllers/pods.ts';
import type { ObjectStore } from './store.ts';
import { storageKey, type ResourceType } from './resources.ts';

/**
 * ResourceQuota accounting (the quota evaluators of kube-apiserver and the resource quota
 * controller): what a namespace uses of each resource a quota limits, and the admission check
 * that refuses a create which would go over. Object counts ("pods", "services",
 * "count/deployments.apps", …) and the compute requests and limits of pods that have not
 * finished, and the storage requests of claims. Usage is counted afresh from the store, so
 * admission never reads a stale status.
 */

/** Short names of object counts (core group) as quotas spell them. */
const COUNTED: Readonly<Record<string, string>> = {
  pods: '/pods', services: '/services', configmaps: '/configmaps', secrets: '/secrets',
  persistentvolumeclaims: '/persistentvolumeclaims', resourcequotas: '/resourcequotas', replicationcontrollers: '/replicationcontrollers',
};

/** "count/deployments.apps" → "apps/deployments"; "count/pods" → "/pods". */
function countedStorageKey(resource: string): string | undefined {
  if (COUNTED[resource]) return COUNTED[resource];
  if (!resource.startsWith('count/')) return undefined;
  const name = resource.slice('count/'.length);
  const dot = name.indexOf('.');
  return dot < 0 ? `/${name}` : `${name.slice(dot + 1)}/${name.slice(0, dot)}`;
}

function quantityOf(v: JsonValue | undefined): bigint {
  return typeof v === 'string' ? parseQuantityMilli(v) ?? 0n : typeof v === 'number' ? BigInt(Math.round(v * 1000)) : 0n;
}

/** "limits.memory" → limits/memory; "requests.cpu" and plain "cpu" → requests/cpu. */
function computeField(resource: string): { kind: 'limits' | 'requests'; name: string } {
  if (resource.startsWith('limits.')) return { kind: 'limits', name: resource.slice('limits.'.length) };
  return { kind: 'requests', name: resource.startsWith('requests.') ? resource.slice('requests.'.length) : resource };
}

function containerValue(c: JsonObject, kind: string, name: string): JsonValue | undefined {
  const resources = isJsonObject(c.resources) ? c.resources : {};
  const values = resources[kind];
  return isJsonObject(values) ? values[name] : undefined;
}

/** A pod's own use of a compute resource ("requests.cpu", "cpu", "limits.memory"), in thousandths. */
function podCompute(pod: JsonObject, resource: string): bigint | undefined {
  const { kind, name } = computeField(resource);
  if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !name.includes('/')) return undefined;
  let total = 0n;
  for (const c of containersOf(pod)) total += quantityOf(containerValue(c, kind, name));
  return total;
}

function containersOf(pod: JsonObject): JsonObject[] {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  return Array.isArray(spec.containers) ? spec.containers.filter(isJsonObject) : [];
}

function podCounts(pod: JsonObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && deletionTimestampOf(pod) === undefined;
}

/** What one object adds to a quota's resource, in thousandths (0 when it does not count). */
function usageOf(key: string, obj: JsonObject, resource: string): bigint {
  if (countedStorageKey(resource) === key) return key === '/pods' && !podCounts(obj) ? 0n : 1000n;
  if (key === '/pods' && podCounts(obj)) return podCompute(obj, resource) ?? 0n;
  if (key === '/persistentvolumeclaims' && resource === 'requests.storage') {
    const spec = isJsonObject(obj.spec) ? obj.spec : {};
    const requests = isJsonObject(spec.resources) && isJsonObject(spec.resources.requests) ? spec.resources.requests : {};
    return quantityOf(requests.storage);
  }
  if (key === '/services' && resource === 'services.loadbalancers') return isJsonObject(obj.spec) && obj.spec.type === 'LoadBalancer' ? 1000n : 0n;
  if (key === '/services' && resource === 'services.nodeports') {
    const spec = isJsonObject(obj.spec) ? obj.spec : {};
    return spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? BigInt(Array.isArray(spec.ports) ? spec.ports.length : 0) * 1000n : 0n;
  }
  return 0n;
}

/** The storage keys whose objects a resource name is counted from. */
function sourcesOf(resource: string): string[] {
  const counted = countedStorageKey(resource);
  if (counted) return [counted];
  if (resource === 'requests.storage') return ['/persistentvolumeclaims'];
  if (resource.startsWith('services.')) return ['/services'];
  return ['/pods'];
}

function hardOf(quota: JsonObject): JsonObject {
  return isJsonObject(quota.spec) && isJsonObject(quota.spec.hard) ? quota.spec.hard : {};
}

/** status.used of a quota: for each resource it limits, what the namespace uses now. */
export function quotaUsed(store: ObjectStore, quota: JsonObject): JsonObject {
  const used: JsonObject = {};
  const ns = namespaceOf(quota);
  for (const resource of Object.keys(hardOf(quota))) {
    let total = 0n;
    for (const key of sourcesOf(resource)) for (const o of store.list(key, ns)) total += usageOf(key, o, resource);
    used[resource] = canonicalQuantity(`${total}m`);
  }
  return used;
}

/**
 * Admission of a create: refused (403) when any quota of the namespace would go over, or
 * when a quota limits a compute resource the pod does not state, as kube-apiserver words it.
 */
export function admitCreate(store: ObjectStore, rt: ResourceType, obj: JsonObject): void {
  if (!rt.namespaced) return;
  const key = storageKey(rt);
  for (const quota of store.list('/resourcequotas', namespaceOf(obj))) {
    const hard = hardOf(quota);
    const used = quotaUsed(store, quota);
    const over: { resource: string; requested: bigint; used: bigint; limit: bigint }[] = [];
    for (const [resource, limitText] of Object.entries(hard)) {
      if (!sourcesOf(resource).includes(key)) continue;
      if (key === '/pods' && podCompute(obj, resource) !== undefined && podCounts(obj) && !hasCompute(obj, resource)) {
        throw errors.forbidden(`failed quota: ${quotaName(quota)}: must specify ${resource}`);
      }
      const requested = usageOf(key, obj, resource);
      const limit = quantityOf(limitText);
      const now = quantityOf(used[resource]);
      if (requested > 0n && now + requested > limit) over.push({ resource, requested, used: now, limit });
    }
    if (over.length > 0) {
      const list = (f: (o: (typeof over)[number]) => bigint) => over.map((o) => `${o.resource}=${canonicalQuantity(`${f(o)}m`)}`).join(',');
      throw errors.forbidden(`exceeded quota: ${quotaName(quota)}, requested: ${list((o) => o.requested)}, used: ${list((o) => o.used)}, limited: ${list((o) => o.limit)}`);
    }
  }
}

function quotaName(quota: JsonObject): string {
  return isJsonObject(quota.metadata) ? String(quota.metadata.name) : '';
}

/** Every container states the resource (requests.cpu → resources.requests.cpu). */
function hasCompute(pod: JsonObject, resource: string): boolean {
  const { kind, name } = computeField(resource);
  return containersOf(pod).every((c) => containerValue(c, kind, name) !== undefined);
}
