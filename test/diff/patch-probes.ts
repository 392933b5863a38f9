/**
 * Probe cases built from the schema table: for each built-in kind, one object and one
 * patch that touch every field the table knows (and some it must not know), so kubectl's
 * answer shows whether each list really merges by the key we say, as a set, or not at all.
 */
import type { JsonObject, JsonValue } from '../../src/json.ts';
import { patchMetaFor, type PatchMeta } from '../../src/diff/patch-meta.ts';
import { BUILTIN_KINDS, BUILTIN_TYPES, type TypeName } from '../../src/diff/patch-meta-builtin.ts';
import type { PatchCase } from './patch-goldens.ts';

type Side = 'original' | 'patch';

const other = (side: Side): string => (side === 'original' ? 'only-original' : 'only-patch');

/** Every tagged field of a type, with values that tell merge, set, atomic and replace apart. */
function probeObject(type: TypeName, side: Side): JsonObject {
  const out: JsonObject = {};
  for (const [field, spec] of Object.entries(BUILTIN_TYPES[type])) {
    if (spec.list === 'merge' && spec.key !== undefined) {
      // a shared item (merged, with its own tagged fields) and one item only this side has
      const shared: JsonObject = { [spec.key]: 'shared', probe: side };
      if (spec.type !== undefined) Object.assign(shared, probeObject(spec.type, side));
      out[field] = [shared, { [spec.key]: other(side), probe: side }];
    } else if (spec.list === 'merge') {
      out[field] = ['shared', other(side)];
    } else if (spec.list === 'atomic') {
      out[field] = [side];
    } else if (spec.replace === true) {
      out[field] = { [side]: side };
    } else if (spec.type !== undefined) {
      out[field] = probeObject(spec.type, side);
    } else {
      out[field] = { probe: side, [other(side)]: side };
    }
  }
  return out;
}

const POD_SPEC_ATOMIC = [
  'tolerations',
  'readinessGates',
  'dnsConfig.nameservers',
  'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
  'containers[].command',
  'containers[].args',
  'containers[].envFrom',
  'containers[].resizePolicy',
  'initContainers[].args',
];
const underPodSpec = (prefix: string): string[] => POD_SPEC_ATOMIC.map((p) => `${prefix}.${p}`);

/** Real fields of each kind that have no patch tag: the probe checks they are replaced whole. */
const ATOMIC_PROBES: Readonly<Record<string, readonly string[]>> = {
  'v1/Pod': underPodSpec('spec'),
  'v1/PodTemplate': underPodSpec('template.spec'),
  'v1/ReplicationController': underPodSpec('spec.template.spec'),
  'apps/v1/Deployment': underPodSpec('spec.template.spec'),
  'apps/v1/ReplicaSet': underPodSpec('spec.template.spec'),
  'apps/v1/StatefulSet': underPodSpec('spec.template.spec'),
  'apps/v1/DaemonSet': underPodSpec('spec.template.spec'),
  'batch/v1/Job': underPodSpec('spec.template.spec'),
  'batch/v1/CronJob': [...underPodSpec('spec.jobTemplate.spec.template.spec'), 'status.active'],
  'v1/Service': ['spec.externalIPs', 'spec.ipFamilies', 'status.loadBalancer.ingress'],
  'v1/Node': ['spec.taints', 'status.images'],
  'v1/Namespace': ['spec.finalizers'],
  'v1/PersistentVolumeClaim': ['spec.accessModes'],
  'v1/PersistentVolume': ['spec.accessModes', 'spec.mountOptions'],
  'v1/Endpoints': ['subsets'],
  'v1/ServiceAccount': ['imagePullSecrets'],
  'v1/LimitRange': ['spec.limits'],
  'v1/ResourceQuota': ['spec.scopes'],
  'networking.k8s.io/v1/Ingress': ['spec.rules', 'spec.tls'],
  'networking.k8s.io/v1/NetworkPolicy': ['spec.ingress', 'spec.policyTypes'],
  'autoscaling/v2/HorizontalPodAutoscaler': ['spec.metrics'],
  'rbac.authorization.k8s.io/v1/Role': ['rules'],
  'rbac.authorization.k8s.io/v1/ClusterRole': ['rules', 'aggregationRule.clusterRoleSelectors'],
  'rbac.authorization.k8s.io/v1/RoleBinding': ['subjects'],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ['subjects'],
  'discovery.k8s.io/v1/EndpointSlice': ['endpoints', 'ports'],
  'storage.k8s.io/v1/StorageClass': ['mountOptions', 'allowedTopologies'],
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ['webhooks[].rules', 'webhooks[].admissionReviewVersions'],
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': ['webhooks[].rules'],
};

/** Sets `value` at a dotted path; `name[]` steps into the list item whose merge key is "shared". */
function setPath(root: JsonObject, path: string, value: JsonValue, meta: PatchMeta): void {
  const parts = path.split('.');
  const last = parts.pop();
  if (last === undefined) throw new Error('empty path');
  let node = root;
  let m = meta;
  for (const part of parts) {
    const isList = part.endsWith('[]');
    const name = isList ? part.slice(0, -2) : part;
    m = m.field(name);
    if (isList) {
      const key = m.mergeKey;
      if (key === undefined) throw new Error(`${path}: ${name} is not a keyed list in the table`);
      const list = Array.isArray(node[name]) ? (node[name] as JsonValue[]) : (node[name] = []);
      let item = list.find((i): i is JsonObject => typeof i === 'object' && i !== null && !Array.isArray(i) && i[key] === 'shared');
      if (item === undefined) {
        item = { [key]: 'shared' };
        list.push(item);
      }
      node = item;
    } else {
      const next = node[name];
      node = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[name] = {});
    }
  }
  node[last] = value;
}

function probeCase(apiVersion: string, kind: string, type: TypeName): PatchCase {
  const meta = patchMetaFor(apiVersion, kind);
  if (meta === undefined) throw new Error(`${apiVersion}/${kind} has no meta`);
  const original: JsonObject = { apiVersion, kind, ...probeObject(type, 'original') };
  const patch = probeObject(type, 'patch');
  original['metadata'] = { ...(original['metadata'] as JsonObject), name: 'probe' };
  for (const path of ATOMIC_PROBES[`${apiVersion}/${kind}`] ?? []) {
    setPath(original, path, ['original'], meta);
    setPath(patch, path, ['patch'], meta);
  }
  const slug = `${apiVersion.replace(/[./]/g, '-')}-${kind}`.toLowerCase();
  return {
    name: `probe-${slug}`,
    type: 'strategic',
    note: `table probe: every tagged field of ${apiVersion} ${kind}, plus untagged lists that must stay atomic`,
    original,
    patch,
  };
}

/** One probe per built-in kind kubectl knows (CRDs are not in kubectl's scheme: no probe). */
export function probeCases(): PatchCase[] {
  return Object.entries(BUILTIN_KINDS).flatMap(([apiVersion, kinds]) =>
    Object.entries(kinds)
      .filter(() => apiVersion !== 'apiextensions.k8s.io/v1')
      .map(([kind, type]) => probeCase(apiVersion, kind, type)),
  );
}
