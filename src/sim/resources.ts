/** What the API server knows about one resource type: the facts discovery publishes and routing needs. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: { readonly status: boolean; readonly scale?: ScaleSubresource };
  /** metadata.generation is tracked (kinds with a spec the controllers observe) */
  readonly hasGeneration: boolean;
  /** served from a CustomResourceDefinition (JSON merge patch only, no strategic merge) */
  readonly custom: boolean;
  /** CRD additionalPrinterColumns, kept for Table output */
  readonly printerColumns?: readonly PrinterColumn[];
  /** a review (SelfSubjectAccessReview, TokenReview…): create only, answered with a status and never stored */
  readonly review?: boolean;
}

export interface ScaleSubresource {
  readonly specReplicasPath: string;
  readonly statusReplicasPath: string;
  readonly labelSelectorPath?: string;
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
  readonly format?: string;
}

export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export const SUBRESOURCE_VERBS = ['get', 'patch', 'update'] as const;

export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Storage identity of a resource: all versions of one group/resource share their objects. */
export function storageKey(rt: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${rt.group}/${rt.plural}`;
}

interface BuiltinSpec {
  kind: string;
  plural?: string;
  singular?: string;
  namespaced?: boolean;
  shortNames?: string[];
  status?: boolean;
  scale?: boolean;
  all?: boolean;
  categories?: string[];
  generation?: boolean;
  review?: boolean;
}

function builtins(group: string, version: string, specs: BuiltinSpec[]): ResourceType[] {
  return specs.map((s) => ({
    group,
    version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural ?? `${s.kind.toLowerCase()}s`,
    singular: s.singular ?? s.kind.toLowerCase(),
    namespaced: s.namespaced ?? true,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? (s.all ? ['all'] : []),
    subresources: {
      status: s.status ?? false,
      ...(s.scale ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } : {}),
    },
    hasGeneration: s.generation ?? false,
    custom: false,
    ...(s.review ? { review: true } : {}),
  }));
}

/** Discovery's verbs for a review resource: it can only be created. */
export const REVIEW_VERBS = ['create'] as const;

const API_EXTENSIONS = ['api-extensions'];

/** The built-in kinds the embedded cluster serves, as a real 1.30-era API server lists them. */
export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  ...builtins('', 'v1', [
    { kind: 'Namespace', namespaced: false, shortNames: ['ns'], status: true },
    { kind: 'Pod', shortNames: ['po'], status: true, all: true },
    { kind: 'Service', shortNames: ['svc'], status: true, all: true },
    { kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'] },
    { kind: 'ConfigMap', shortNames: ['cm'] },
    { kind: 'Secret' },
    { kind: 'ServiceAccount', shortNames: ['sa'] },
    { kind: 'Event', shortNames: ['ev'] },
    { kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], status: true },
    { kind: 'PersistentVolumeClaim', shortNames: ['pvc'], status: true },
    { kind: 'Node', namespaced: false, shortNames: ['no'], status: true },
    { kind: 'ResourceQuota', shortNames: ['quota'], status: true },
    { kind: 'LimitRange', shortNames: ['limits'] },
  ]),
  ...builtins('apps', 'v1', [
    { kind: 'ReplicaSet', shortNames: ['rs'], status: true, scale: true, all: true, generation: true },
    { kind: 'Deployment', shortNames: ['deploy'], status: true, scale: true, all: true, generation: true },
    { kind: 'StatefulSet', shortNames: ['sts'], status: true, scale: true, all: true, generation: true },
    { kind: 'DaemonSet', shortNames: ['ds'], status: true, all: true, generation: true },
    { kind: 'ControllerRevision' },
  ]),
  ...builtins('batch', 'v1', [
    { kind: 'Job', status: true, all: true, generation: true },
    { kind: 'CronJob', shortNames: ['cj'], status: true, all: true, generation: true },
  ]),
  ...builtins('networking.k8s.io', 'v1', [
    { kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], status: true, generation: true },
    { kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], generation: true },
    { kind: 'IngressClass', plural: 'ingressclasses', namespaced: false, generation: true },
  ]),
  ...builtins('policy', 'v1', [{ kind: 'PodDisruptionBudget', shortNames: ['pdb'], status: true, generation: true }]),
  ...builtins('scheduling.k8s.io', 'v1', [{ kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] }]),
  ...builtins('storage.k8s.io', 'v1', [
    { kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
    { kind: 'CSIDriver', namespaced: false },
    { kind: 'CSINode', namespaced: false },
  ]),
  ...builtins('discovery.k8s.io', 'v1', [{ kind: 'EndpointSlice' }]),
  ...builtins('admissionregistration.k8s.io', 'v1', [
    { kind: 'MutatingWebhookConfiguration', namespaced: false, categories: API_EXTENSIONS, generation: true },
    { kind: 'ValidatingWebhookConfiguration', namespaced: false, categories: API_EXTENSIONS, generation: true },
  ]),
  ...builtins('apiregistration.k8s.io', 'v1', [{ kind: 'APIService', namespaced: false, status: true, categories: API_EXTENSIONS }]),
  ...builtins('authentication.k8s.io', 'v1', [
    { kind: 'TokenReview', namespaced: false, review: true },
    { kind: 'SelfSubjectReview', namespaced: false, review: true },
  ]),
  ...builtins('authorization.k8s.io', 'v1', [
    { kind: 'SelfSubjectAccessReview', namespaced: false, review: true },
    { kind: 'SelfSubjectRulesReview', namespaced: false, review: true },
    { kind: 'SubjectAccessReview', namespaced: false, review: true },
    { kind: 'LocalSubjectAccessReview', review: true },
  ]),
  ...builtins('certificates.k8s.io', 'v1', [{ kind: 'CertificateSigningRequest', shortNames: ['csr'], namespaced: false, status: true }]),
  ...builtins('autoscaling', 'v2', [{ kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'], status: true, all: true, generation: true }]),
  ...builtins('rbac.authorization.k8s.io', 'v1', [
    { kind: 'Role' },
    { kind: 'RoleBinding' },
    { kind: 'ClusterRole', namespaced: false },
    { kind: 'ClusterRoleBinding', namespaced: false },
  ]),
  ...builtins('coordination.k8s.io', 'v1', [{ kind: 'Lease' }]),
  ...builtins('apiextensions.k8s.io', 'v1', [
    { kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], status: true, generation: true },
  ]),
];
