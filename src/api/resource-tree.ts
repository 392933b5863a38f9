/**
 * docs/api.md's ResourceNode tree: an app's managed objects (sync and health status from
 * its stored state, identity from the watch cache) and what they own, found by owner
 * references among the ReplicaSets, Pods and Jobs of their namespaces (Deployment →
 * ReplicaSet → Pod, StatefulSet/DaemonSet → Pod, CronJob → Job → Pod). The controller's
 * watch cache keeps only labelled objects, and owned ones carry no Sluice label: the API
 * server watches those few kinds in the namespaces trees are asked for (owned-objects.ts).
 */
import type { ResourceState } from '../controller/state.ts';
import { assessHealth } from '../health/index.ts';
import { isJsonObject, type JsonObject } from '../json.ts';
import { keyOf, keyString } from '../sync/resource-key.ts';

export interface ResourceNode {
  readonly key: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly parent?: string;
  readonly status?: ResourceState['status'];
  readonly health?: { readonly status: string; readonly message?: string };
  readonly createdAt?: string;
}

/** The kinds whose children the tree shows, and the kinds of those children. */
export const OWNED_KINDS: readonly { apiVersion: string; kind: string; ownedBy: readonly string[] }[] = [
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', ownedBy: ['Deployment'] },
  { apiVersion: 'batch/v1', kind: 'Job', ownedBy: ['CronJob'] },
  { apiVersion: 'v1', kind: 'Pod', ownedBy: ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'] },
];
const OWNERS = new Set(OWNED_KINDS.flatMap((k) => k.ownedBy));

/** `apps/Deployment/ns/web`, `ConfigMap/ns/settings`, `Namespace/web`… back into parts (kinds are CamelCase, groups are not). */
export function parseKey(key: string): { group: string; kind: string; namespace: string; name: string } {
  const parts = key.split('/');
  const hasGroup = parts.length === 4 || (parts.length === 3 && !/^[A-Z]/.test(parts[0]!));
  const [group, kind, ...rest] = hasGroup ? parts : ['', ...parts];
  return rest.length === 2 ? { group: group!, kind: kind!, namespace: rest[0]!, name: rest[1]! } : { group: group!, kind: kind!, namespace: '', name: rest[0] ?? '' };
}

function versionOf(apiVersion: unknown): string {
  const text = typeof apiVersion === 'string' ? apiVersion : '';
  return text.slice(text.indexOf('/') + 1);
}

function nodeOf(object: JsonObject, extra: Partial<ResourceNode>): ResourceNode {
  const key = keyOf(object);
  const metadata = isJsonObject(object['metadata']) ? object['metadata'] : {};
  const created = metadata['creationTimestamp'];
  return { key: keyString(key), ...key, version: versionOf(object['apiVersion']), ...(typeof created === 'string' ? { createdAt: created } : {}), ...extra };
}

/** The controlling owner's `kind/namespace/name`, if any. */
function controllerOf(object: JsonObject): string | undefined {
  const metadata = isJsonObject(object['metadata']) ? object['metadata'] : {};
  const refs = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'] : [];
  const owner = refs.find((r) => isJsonObject(r) && r['controller'] === true) ?? refs[0];
  return isJsonObject(owner) ? `${String(owner['kind'])}/${String(metadata['namespace'] ?? '')}/${String(owner['name'])}` : undefined;
}

/**
 * Pure: the managed objects (stored states, and the watch cache's copies for their
 * apiVersion) and, below them, the owned objects that descend from one of them.
 */
export function buildResourceTree(managed: readonly ResourceState[], live: readonly JsonObject[], owned: readonly JsonObject[]): ResourceNode[] {
  const liveByKey = new Map(live.map((o) => [keyString(keyOf(o)), o]));
  const nodes: ResourceNode[] = managed.map((r) => {
    const object = liveByKey.get(r.key);
    const parts = parseKey(r.key);
    return { key: r.key, ...parts, version: object === undefined ? '' : versionOf(object['apiVersion']), status: r.status, health: { status: r.health } };
  });
  // owner `kind/namespace/name` → its node key; children join as their owner is found (parents before children)
  const byOwnerRef = new Map(nodes.filter((n) => OWNERS.has(n.kind)).map((n) => [`${n.kind}/${n.namespace}/${n.name}`, n.key]));
  for (const level of OWNED_KINDS) {
    for (const object of owned) {
      if (object['kind'] !== level.kind) continue;
      const parent = byOwnerRef.get(controllerOf(object) ?? '');
      if (parent === undefined) continue;
      const health = assessHealth(object);
      const node = nodeOf(object, { parent, health: { status: health.status, ...(health.message === undefined ? {} : { message: health.message }) } });
      nodes.push(node);
      byOwnerRef.set(`${node.kind}/${node.namespace}/${node.name}`, node.key);
    }
  }
  return nodes;
}

/** The namespaces where the app has objects that own ReplicaSets, Jobs or Pods. */
export function ownerNamespaces(managed: readonly ResourceState[]): string[] {
  return [...new Set(managed.map((r) => parseKey(r.key)).filter((k) => OWNERS.has(k.kind) && k.namespace !== '').map((k) => k.namespace))];
}
