/**
 * Kustomize's transformer configuration (`configurations:` files): extra fieldSpecs for the
 * builtin transformers and extra name references. As in kustomize, a level's configuration is
 * its bases' configurations merged with its own files, and it flows up to the levels above;
 * the builtin transformers read their specs from kustomize-fields.ts and add these.
 */
import { isJsonObject, type JsonValue } from '../json.ts';
import { FieldSpecError, mergeSpecs, parseFieldSpecs, type GvkFieldSpec } from './kustomize-fieldspec.ts';

/** Referrer fields that hold the name of an object of one group/version/kind. */
export interface NameBackReference {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly fieldSpecs: readonly GvkFieldSpec[];
}

export interface TransformerConfig {
  readonly namespace: readonly GvkFieldSpec[];
  readonly commonLabels: readonly GvkFieldSpec[];
  readonly templateLabels: readonly GvkFieldSpec[];
  readonly commonAnnotations: readonly GvkFieldSpec[];
  readonly images: readonly GvkFieldSpec[];
  readonly replicas: readonly GvkFieldSpec[];
  readonly varReference: readonly GvkFieldSpec[];
  readonly nameReference: readonly NameBackReference[];
}

const SPEC_LISTS = ['namespace', 'commonLabels', 'templateLabels', 'commonAnnotations', 'images', 'replicas', 'varReference'] as const;

/** Keys kustomize reads whose effect Sluice does not reproduce natively yet. */
const UNSUPPORTED_KEYS = ['namePrefix', 'nameSuffix', 'labels', 'volumeClaimTemplateLabels'] as const;

/** The container fields kustomize substitutes $(VAR) in. */
const CONTAINER_VAR_FIELDS = ['args', 'command', 'env/value', 'volumeMounts/mountPath'];

function spec(kind: string | undefined, path: string): GvkFieldSpec {
  return { ...(kind !== undefined ? { kind } : {}), path: path.split('/'), create: false };
}

/** The $(VAR) fields of a pod spec at `podSpec` in `kind`, and its NFS server when `nfs` names where that sits. */
function podVarSpecs(kind: string, podSpec: string, nfs: string): GvkFieldSpec[] {
  const containers = ['containers', 'initContainers'].flatMap((list) => CONTAINER_VAR_FIELDS.map((field) => spec(kind, `${podSpec}/${list}/${field}`)));
  return [...containers, spec(kind, nfs)];
}

/**
 * kustomize's builtin varReference fieldSpecs (its builtinpluginconsts/varreference.go): where
 * `$(VAR)` is substituted with no configuration. kustomize's CronJob NFS path lacks the pod
 * template's `spec` segment, so it never matches a real CronJob; kept as kustomize has it.
 */
export const BUILTIN_VAR_REFERENCE: readonly GvkFieldSpec[] = [
  ...podVarSpecs('CronJob', 'spec/jobTemplate/spec/template/spec', 'spec/jobTemplate/spec/template/volumes/nfs/server'),
  ...podVarSpecs('DaemonSet', 'spec/template/spec', 'spec/template/spec/volumes/nfs/server'),
  ...podVarSpecs('Deployment', 'spec/template/spec', 'spec/template/spec/volumes/nfs/server'),
  spec('Deployment', 'spec/template/metadata/annotations'),
  spec('Ingress', 'spec/rules/host'),
  spec('Ingress', 'spec/tls/hosts'),
  spec('Ingress', 'spec/tls/secretName'),
  ...podVarSpecs('Job', 'spec/template/spec', 'spec/template/spec/volumes/nfs/server'),
  ...podVarSpecs('Pod', 'spec', 'spec/volumes/nfs/server'),
  ...podVarSpecs('ReplicaSet', 'spec/template/spec', 'spec/template/spec/volumes/nfs/server'),
  spec('Service', 'spec/ports/port'),
  spec('Service', 'spec/ports/targetPort'),
  ...podVarSpecs('StatefulSet', 'spec/template/spec', 'spec/volumeClaimTemplates/spec/nfs/server'),
  spec('PersistentVolume', 'spec/nfs/server'),
  spec(undefined, 'metadata/labels'),
  spec(undefined, 'metadata/annotations'),
];

const POD_TEMPLATE_KINDS = ['StatefulSet', 'Deployment', 'ReplicationController', 'Job', 'DaemonSet'];

/** `field` of the pod spec in every workload kind (Pod, templated kinds, CronJob). */
function inPodSpecs(field: string): GvkFieldSpec[] {
  return [spec('Pod', `spec/${field}`), ...POD_TEMPLATE_KINDS.map((kind) => spec(kind, `spec/template/spec/${field}`)), spec('CronJob', `spec/jobTemplate/spec/template/spec/${field}`)];
}

function backRef(kind: string, gv: { group?: string; version?: string }, fieldSpecs: GvkFieldSpec[]): NameBackReference {
  return { group: gv.group ?? '', version: gv.version ?? '', kind, fieldSpecs };
}

/**
 * kustomize's builtin name references (builtinpluginconsts/namereference.go) that
 * `fixNameReferences` does not hard-wire: the pod-spec references to ConfigMaps, Secrets and
 * ServiceAccounts and the binding ones to Roles and accounts are there. (kustomize's IngressClass
 * entry names the group `networking.k8s.io/v1`, which matches nothing, so it is left out.)
 */
const BUILTIN_NAME_REFERENCES: readonly NameBackReference[] = [
  ...['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map((kind) => backRef(kind, {}, [spec('HorizontalPodAutoscaler', 'spec/scaleTargetRef/name')])),
  backRef('ConfigMap', { version: 'v1' }, [spec('Role', 'rules/resourceNames'), spec('ClusterRole', 'rules/resourceNames')]),
  backRef('Secret', { version: 'v1' }, [
    spec('Ingress', 'spec/tls/secretName'), spec('ServiceAccount', 'imagePullSecrets/name'), spec('Role', 'rules/resourceNames'), spec('ClusterRole', 'rules/resourceNames'),
  ]),
  backRef('Service', { version: 'v1' }, [
    { group: 'apps', kind: 'StatefulSet', path: ['spec', 'serviceName'], create: false },
    spec('Ingress', 'spec/rules/http/paths/backend/serviceName'), spec('Ingress', 'spec/backend/serviceName'),
    spec('Ingress', 'spec/rules/http/paths/backend/service/name'), spec('Ingress', 'spec/defaultBackend/service/name'),
    { group: 'apiregistration.k8s.io', kind: 'APIService', path: ['spec', 'service', 'name'], create: false },
    ...['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].map((kind) => ({ group: 'admissionregistration.k8s.io', kind, path: ['webhooks', 'clientConfig', 'service'], create: false })),
  ]),
  backRef('PersistentVolumeClaim', { version: 'v1' }, inPodSpecs('volumes/persistentVolumeClaim/claimName')),
  backRef('PersistentVolume', { version: 'v1' }, [spec('PersistentVolumeClaim', 'spec/volumeName'), spec('ClusterRole', 'rules/resourceNames')]),
  backRef('StorageClass', { group: 'storage.k8s.io', version: 'v1' }, [
    spec('PersistentVolume', 'spec/storageClassName'), spec('PersistentVolumeClaim', 'spec/storageClassName'), spec('StatefulSet', 'spec/volumeClaimTemplates/spec/storageClassName'),
  ]),
  backRef('PriorityClass', { group: 'scheduling.k8s.io', version: 'v1' }, inPodSpecs('priorityClassName')),
  backRef('ValidatingAdmissionPolicy', { group: 'admissionregistration.k8s.io' }, [
    { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding', path: ['spec', 'policyName'], create: false },
  ]),
];

/** What every build starts from: kustomize's builtin specs that the transforms do not hard-wire. */
export const DEFAULT_CONFIG: TransformerConfig = {
  // kustomize's builtin namespace fieldSpecs beyond metadata (builtinpluginconsts/namespace.go); it
  // creates an APIService's spec.service even for a local APIService that has none
  namespace: [
    { group: 'apiregistration.k8s.io', kind: 'APIService', path: ['spec', 'service', 'namespace'], create: true },
    { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', path: ['spec', 'conversion', 'webhook', 'clientConfig', 'service', 'namespace'], create: false },
  ],
  commonLabels: [], templateLabels: [], commonAnnotations: [], images: [], replicas: [],
  varReference: BUILTIN_VAR_REFERENCE, nameReference: BUILTIN_NAME_REFERENCES,
};

export class ConfigError extends Error {
  constructor(message: string, readonly unsupported = false) {
    super(message);
  }
}

/** One configuration file's content (already parsed YAML). Unknown keys are ignored, as kustomize's non-strict reader does. */
export function parseTransformerConfig(doc: JsonValue, at: string): TransformerConfig {
  if (doc === null) return { ...emptyConfig() };
  if (!isJsonObject(doc)) throw new ConfigError(`${at} must be a mapping`);
  try {
    for (const key of UNSUPPORTED_KEYS) {
      if (Array.isArray(doc[key]) && doc[key].length > 0) throw new ConfigError(`${at}: configuration "${key}" is not supported by Sluice's native kustomize`, true);
    }
    const lists = Object.fromEntries(SPEC_LISTS.map((key) => [key, parseFieldSpecs(doc[key], `${at}.${key}`)])) as Record<(typeof SPEC_LISTS)[number], GvkFieldSpec[]>;
    const refs = doc['nameReference'];
    if (refs !== undefined && refs !== null && !Array.isArray(refs)) throw new ConfigError(`${at}.nameReference must be a list`);
    const nameReference = (refs ?? []).map((entry, i): NameBackReference => {
      const where = `${at}.nameReference[${i}]`;
      if (!isJsonObject(entry) || typeof entry['kind'] !== 'string') throw new ConfigError(`${where} needs a kind`);
      const str = (key: string): string => (typeof entry[key] === 'string' ? entry[key] : '');
      return { group: str('group'), version: str('version'), kind: entry['kind'], fieldSpecs: parseFieldSpecs(entry['fieldSpecs'], `${where}.fieldSpecs`) };
    });
    return { ...lists, nameReference };
  } catch (err) {
    if (err instanceof FieldSpecError) throw new ConfigError(err.message);
    throw err;
  }
}

function emptyConfig(): TransformerConfig {
  return { namespace: [], commonLabels: [], templateLabels: [], commonAnnotations: [], images: [], replicas: [], varReference: [], nameReference: [] };
}

/** kustomize's TransformerConfig.Merge: lists merged without duplicates, name references by group/version/kind. */
export function mergeConfigs(a: TransformerConfig, b: TransformerConfig): TransformerConfig {
  if (a === b) return a;
  const lists = Object.fromEntries(SPEC_LISTS.map((key) => [key, mergeSpecs(a[key], b[key])])) as Record<(typeof SPEC_LISTS)[number], GvkFieldSpec[]>;
  const nameReference = [...a.nameReference];
  for (const ref of b.nameReference) {
    const i = nameReference.findIndex((r) => r.group === ref.group && r.version === ref.version && r.kind === ref.kind);
    const existing = nameReference[i];
    if (existing === undefined) nameReference.push(ref);
    else nameReference[i] = { ...existing, fieldSpecs: mergeSpecs(existing.fieldSpecs, ref.fieldSpecs) };
  }
  return { ...lists, nameReference };
}
