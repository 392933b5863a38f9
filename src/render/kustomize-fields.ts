/**
 * Kustomize's field specs, as data: where names, namespaces, labels, annotations and images
 * live in each kind (a first slice of kustomize v5's builtin fieldspecs, checked against
 * `kubectl kustomize`). Paths are lists of keys; '[]' walks every item of a sequence.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

export interface FieldSpec {
  /** Kinds the spec applies to; undefined means every kind. */
  readonly kinds?: readonly string[];
  readonly path: readonly string[];
  /** Create the mapping when it is missing (kustomize's `create: true`). */
  readonly create: boolean;
}

const WORKLOADS = ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'];

/** Cluster-scoped kinds of the core API groups: the namespace transformer leaves them alone. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService', 'PriorityClass',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'IngressClass', 'RuntimeClass', 'PodSecurityPolicy',
  'CertificateSigningRequest', 'ComponentStatus', 'FlowSchema', 'PriorityLevelConfiguration',
]);

/** commonLabels / labels(includeSelectors): selectors as well as templates. */
export const SELECTOR_LABEL_SPECS: readonly FieldSpec[] = [
  { kinds: ['Service'], path: ['spec', 'selector'], create: true },
  { kinds: ['ReplicationController'], path: ['spec', 'selector'], create: true },
  { kinds: WORKLOADS, path: ['spec', 'selector', 'matchLabels'], create: true },
  ...['podAffinity', 'podAntiAffinity'].flatMap((affinity): FieldSpec[] => [
    { kinds: ['Deployment', 'StatefulSet'], path: ['spec', 'template', 'spec', 'affinity', affinity, 'preferredDuringSchedulingIgnoredDuringExecution', '[]', 'podAffinityTerm', 'labelSelector', 'matchLabels'], create: false },
    { kinds: ['Deployment', 'StatefulSet'], path: ['spec', 'template', 'spec', 'affinity', affinity, 'requiredDuringSchedulingIgnoredDuringExecution', '[]', 'labelSelector', 'matchLabels'], create: false },
  ]),
  { kinds: ['Deployment', 'StatefulSet'], path: ['spec', 'template', 'spec', 'topologySpreadConstraints', '[]', 'labelSelector', 'matchLabels'], create: false },
  { kinds: ['Job'], path: ['spec', 'selector', 'matchLabels'], create: false },
  { kinds: ['CronJob'], path: ['spec', 'jobTemplate', 'spec', 'selector', 'matchLabels'], create: false },
  { kinds: ['PodDisruptionBudget'], path: ['spec', 'selector', 'matchLabels'], create: false },
  { kinds: ['NetworkPolicy'], path: ['spec', 'podSelector', 'matchLabels'], create: false },
  { kinds: ['NetworkPolicy'], path: ['spec', 'ingress', '[]', 'from', '[]', 'podSelector', 'matchLabels'], create: false },
  { kinds: ['NetworkPolicy'], path: ['spec', 'egress', '[]', 'to', '[]', 'podSelector', 'matchLabels'], create: false },
];

/** Pod (and job) templates: labels(includeTemplates) and commonLabels. */
export const TEMPLATE_LABEL_SPECS: readonly FieldSpec[] = [
  { kinds: [...WORKLOADS, 'ReplicationController', 'Job'], path: ['spec', 'template', 'metadata', 'labels'], create: true },
  { kinds: ['CronJob'], path: ['spec', 'jobTemplate', 'metadata', 'labels'], create: true },
  { kinds: ['CronJob'], path: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'], create: true },
  { kinds: ['StatefulSet'], path: ['spec', 'volumeClaimTemplates', '[]', 'metadata', 'labels'], create: true },
];

export const METADATA_LABELS: FieldSpec = { path: ['metadata', 'labels'], create: true };

export const ANNOTATION_SPECS: readonly FieldSpec[] = [
  { path: ['metadata', 'annotations'], create: true },
  { kinds: [...WORKLOADS, 'ReplicationController', 'Job'], path: ['spec', 'template', 'metadata', 'annotations'], create: true },
  { kinds: ['CronJob'], path: ['spec', 'jobTemplate', 'metadata', 'annotations'], create: true },
  { kinds: ['CronJob'], path: ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'annotations'], create: true },
];

/** Where a pod spec sits in each workload kind. */
export const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export const REPLICA_KINDS: ReadonlySet<string> = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController']);

/** Every mapping a spec reaches in `object` (creating the last ones when `create`). Mutates `object`. */
export function reachMappings(object: JsonObject, spec: FieldSpec): JsonObject[] {
  const kind = object['kind'];
  if (spec.kinds !== undefined && (typeof kind !== 'string' || !spec.kinds.includes(kind))) return [];
  let level: JsonObject[] = [object];
  spec.path.forEach((key, i) => {
    const next: JsonObject[] = [];
    const last = i === spec.path.length - 1;
    for (const node of level) {
      if (key === '[]') continue;
      const following = spec.path[i + 1];
      const value: JsonValue | undefined = node[key];
      if (following === '[]') {
        if (Array.isArray(value)) for (const item of value) if (isJsonObject(item)) next.push(item);
        continue;
      }
      if (isJsonObject(value)) next.push(value);
      else if ((value === undefined || value === null) && spec.create && (last || spec.path.slice(i + 1).every((k) => k !== '[]'))) {
        const created: JsonObject = {};
        node[key] = created;
        next.push(created);
      }
    }
    if (key !== '[]') level = next;
  });
  return level;
}

/** The mapping at a fixed path, or undefined. */
export function getPath(object: JsonObject, path: readonly string[]): JsonObject | undefined {
  let node: JsonValue | undefined = object;
  for (const key of path) {
    if (!isJsonObject(node)) return undefined;
    node = node[key];
  }
  return isJsonObject(node) ? node : undefined;
}
