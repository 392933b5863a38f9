/**
 * Strategic-merge facts of the built-in Kubernetes types: the `patchStrategy` /
 * `patchMergeKey` struct tags of k8s.io/api, as a table of named shared types.
 *
 * Only fields that carry a tag (or lead to one) are listed; any other field is a plain
 * map that merges recursively, or a list that is replaced whole. The tags were read from
 * the Go sources and from the tag strings compiled into kubectl 1.32, and every entry is
 * checked against `kubectl patch --local` by the probe goldens (test/diff/gen-patch-goldens.ts).
 */

/** How one field patches. `list` absent means the table does not know it as a list. */
export interface FieldSpec {
  /** named type of the value, or of the items when the field is a list */
  readonly type?: TypeName;
  /** 'merge': keyed by `key` for lists of maps, a set for lists of primitives */
  readonly list?: 'merge' | 'atomic';
  readonly key?: string;
  /** patchStrategy retainKeys: on a struct field, or (with list) on each item */
  readonly retainKeys?: true;
  /** patchStrategy replace on a struct field: the patch value replaces it whole */
  readonly replace?: true;
}

export type TypeSpec = Readonly<Record<string, FieldSpec>>;

export const TYPE_NAMES = [
  'ObjectMeta',
  'MetaOnly',
  'ConditionsStatus',
  'WithConditions',
  'PodTemplateSpec',
  'PodSpec',
  'Container',
  'PodStatus',
  'ContainerStatus',
  'Pod',
  'PodTemplate',
  'TemplateSpec',
  'Workload',
  'DeploymentSpec',
  'Deployment',
  'StatefulSetSpec',
  'StatefulSet',
  'CronJobSpec',
  'JobTemplateSpec',
  'CronJob',
  'Service',
  'ServiceSpec',
  'Node',
  'NodeSpec',
  'NodeStatus',
  'ServiceAccount',
  'PodDisruptionBudget',
  'PodDisruptionBudgetSpec',
  'WebhookConfiguration',
  'Webhook',
  'CSINode',
  'CSINodeSpec',
] as const;

export type TypeName = (typeof TYPE_NAMES)[number];

const of = (type: TypeName): FieldSpec => ({ type });
const keyed = (key: string, type?: TypeName): FieldSpec =>
  type === undefined ? { list: 'merge', key } : { list: 'merge', key, type };
const atomicListOf = (type: TypeName): FieldSpec => ({ list: 'atomic', type });
const set: FieldSpec = { list: 'merge' };
const metadata = of('ObjectMeta');
const conditions = keyed('type');

export const BUILTIN_TYPES: Readonly<Record<TypeName, TypeSpec>> = {
  ObjectMeta: { finalizers: set, ownerReferences: keyed('uid') },
  // ConfigMap, Secret, RBAC, Ingress, ...: every list in them is atomic
  MetaOnly: { metadata },
  // metav1.Condition-style lists: +patchMergeKey=type on every status that has them
  ConditionsStatus: { conditions },
  WithConditions: { metadata, status: of('ConditionsStatus') },

  PodTemplateSpec: { metadata, spec: of('PodSpec') },
  PodSpec: {
    volumes: { list: 'merge', key: 'name', retainKeys: true },
    initContainers: keyed('name', 'Container'),
    containers: keyed('name', 'Container'),
    // EphemeralContainerCommon carries the same tags as Container
    ephemeralContainers: keyed('name', 'Container'),
    imagePullSecrets: keyed('name'),
    hostAliases: keyed('ip'),
    topologySpreadConstraints: keyed('topologyKey'),
    schedulingGates: keyed('name'),
    resourceClaims: { list: 'merge', key: 'name', retainKeys: true },
  },
  // resizePolicy, command, args, envFrom have no tag: atomic
  Container: {
    ports: keyed('containerPort'),
    env: keyed('name'),
    volumeMounts: keyed('mountPath'),
    volumeDevices: keyed('devicePath'),
  },
  PodStatus: {
    conditions,
    podIPs: keyed('ip'),
    hostIPs: keyed('ip'),
    resourceClaimStatuses: { list: 'merge', key: 'name', retainKeys: true },
    initContainerStatuses: atomicListOf('ContainerStatus'),
    containerStatuses: atomicListOf('ContainerStatus'),
    ephemeralContainerStatuses: atomicListOf('ContainerStatus'),
  },
  // only reachable through atomic lists, kept for server-side apply
  ContainerStatus: { volumeMounts: keyed('mountPath'), allocatedResourcesStatus: keyed('name') },
  Pod: { metadata, spec: of('PodSpec'), status: of('PodStatus') },
  PodTemplate: { metadata, template: of('PodTemplateSpec') },

  // ReplicaSet, DaemonSet, ReplicationController, Job: a pod template plus status conditions
  TemplateSpec: { template: of('PodTemplateSpec') },
  Workload: { metadata, spec: of('TemplateSpec'), status: of('ConditionsStatus') },
  DeploymentSpec: { template: of('PodTemplateSpec'), strategy: { retainKeys: true } },
  Deployment: { metadata, spec: of('DeploymentSpec'), status: of('ConditionsStatus') },
  StatefulSetSpec: {
    template: of('PodTemplateSpec'),
    volumeClaimTemplates: atomicListOf('WithConditions'),
  },
  StatefulSet: { metadata, spec: of('StatefulSetSpec'), status: of('ConditionsStatus') },
  CronJobSpec: { jobTemplate: of('JobTemplateSpec') },
  JobTemplateSpec: { metadata, spec: of('TemplateSpec') },
  CronJob: { metadata, spec: of('CronJobSpec') },

  Service: { metadata, spec: of('ServiceSpec'), status: of('ConditionsStatus') },
  ServiceSpec: { ports: keyed('port') },
  Node: { metadata, spec: of('NodeSpec'), status: of('NodeStatus') },
  NodeSpec: { podCIDRs: set },
  NodeStatus: { conditions, addresses: keyed('type') },
  // imagePullSecrets of a ServiceAccount has no tag (unlike PodSpec's): atomic
  ServiceAccount: { metadata, secrets: keyed('name') },
  PodDisruptionBudget: {
    metadata,
    spec: of('PodDisruptionBudgetSpec'),
    status: of('ConditionsStatus'),
  },
  PodDisruptionBudgetSpec: { selector: { replace: true } },
  WebhookConfiguration: { metadata, webhooks: keyed('name', 'Webhook') },
  Webhook: { matchConditions: keyed('name') },
  CSINode: { metadata, spec: of('CSINodeSpec') },
  CSINodeSpec: { drivers: keyed('name') },
};

/** apiVersion -> kind -> top-level type. Kinds not listed have no strategic-merge info. */
export const BUILTIN_KINDS: Readonly<Record<string, Readonly<Record<string, TypeName>>>> = {
  v1: {
    Pod: 'Pod',
    PodTemplate: 'PodTemplate',
    ReplicationController: 'Workload',
    Service: 'Service',
    Node: 'Node',
    Namespace: 'WithConditions',
    PersistentVolumeClaim: 'WithConditions',
    PersistentVolume: 'MetaOnly',
    ConfigMap: 'MetaOnly',
    Secret: 'MetaOnly',
    Endpoints: 'MetaOnly',
    ServiceAccount: 'ServiceAccount',
    Event: 'MetaOnly',
    LimitRange: 'MetaOnly',
    ResourceQuota: 'MetaOnly',
  },
  'apps/v1': {
    Deployment: 'Deployment',
    ReplicaSet: 'Workload',
    StatefulSet: 'StatefulSet',
    DaemonSet: 'Workload',
    ControllerRevision: 'MetaOnly',
  },
  'batch/v1': { Job: 'Workload', CronJob: 'CronJob' },
  'networking.k8s.io/v1': { Ingress: 'MetaOnly', IngressClass: 'MetaOnly', NetworkPolicy: 'MetaOnly' },
  // v2 status has a conditions list; v1 has none
  'autoscaling/v2': { HorizontalPodAutoscaler: 'WithConditions' },
  'autoscaling/v1': { HorizontalPodAutoscaler: 'MetaOnly' },
  'policy/v1': { PodDisruptionBudget: 'PodDisruptionBudget' },
  'rbac.authorization.k8s.io/v1': {
    Role: 'MetaOnly',
    ClusterRole: 'MetaOnly',
    RoleBinding: 'MetaOnly',
    ClusterRoleBinding: 'MetaOnly',
  },
  'coordination.k8s.io/v1': { Lease: 'MetaOnly' },
  'events.k8s.io/v1': { Event: 'MetaOnly' },
  'discovery.k8s.io/v1': { EndpointSlice: 'MetaOnly' },
  'storage.k8s.io/v1': { StorageClass: 'MetaOnly', CSINode: 'CSINode' },
  'scheduling.k8s.io/v1': { PriorityClass: 'MetaOnly' },
  'admissionregistration.k8s.io/v1': {
    ValidatingWebhookConfiguration: 'WebhookConfiguration',
    MutatingWebhookConfiguration: 'WebhookConfiguration',
  },
  // apiextensions types carry no patch tags (listType markers only): every list is atomic
  'apiextensions.k8s.io/v1': { CustomResourceDefinition: 'MetaOnly' },
};
