import { ensureObject, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/**
 * SetDefaults_* of the API groups beyond core/apps/batch (admissionregistration, networking,
 * policy, scheduling, storage, discovery) and of the core kinds that are configuration rather
 * than workloads (LimitRange, Endpoints). Like defaults.ts: absent fields only, in place.
 */
export type Defaulter = (obj: JsonObject) => void;

export function setDefault(target: JsonObject, key: string, value: JsonValue): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

export function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

function defaultWebhook(w: JsonObject, mutating: boolean): void {
  setDefault(w, 'failurePolicy', 'Fail');
  setDefault(w, 'matchPolicy', 'Equivalent');
  setDefault(w, 'namespaceSelector', {});
  setDefault(w, 'objectSelector', {});
  setDefault(w, 'timeoutSeconds', 10);
  if (mutating) setDefault(w, 'reinvocationPolicy', 'Never');
  for (const rule of objects(w.rules)) setDefault(rule, 'scope', '*');
  const clientConfig = w.clientConfig;
  if (isJsonObject(clientConfig) && isJsonObject(clientConfig.service)) setDefault(clientConfig.service, 'port', 443);
}

/** core/v1 LimitRangeItem: for containers, a max is the default limit, and the default limit the default request. */
function defaultLimitRangeItem(item: JsonObject): void {
  if (item.type !== 'Container') return;
  const max = isJsonObject(item.max) ? item.max : {};
  if (Object.keys(max).length > 0) {
    const limits = ensureObject(item, 'default');
    for (const [resource, q] of Object.entries(max)) setDefault(limits, resource, q);
  }
  const limits = isJsonObject(item.default) ? item.default : {};
  if (Object.keys(limits).length > 0) {
    const requests = ensureObject(item, 'defaultRequest');
    for (const [resource, q] of Object.entries(limits)) setDefault(requests, resource, q);
  }
}

export const GROUP_DEFAULTERS: Record<string, Defaulter> = {
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': (o) => {
    for (const w of objects(o.webhooks)) defaultWebhook(w, true);
  },
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': (o) => {
    for (const w of objects(o.webhooks)) defaultWebhook(w, false);
  },
  'networking.k8s.io/v1/NetworkPolicy': (o) => {
    const spec = ensureObject(o, 'spec');
    for (const rule of [...objects(spec.ingress), ...objects(spec.egress)]) {
      for (const port of objects(rule.ports)) setDefault(port, 'protocol', 'TCP');
    }
    if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
      spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    }
  },
  'networking.k8s.io/v1/IngressClass': (o) => {
    const parameters = isJsonObject(o.spec) ? o.spec.parameters : undefined;
    if (isJsonObject(parameters)) setDefault(parameters, 'scope', 'Cluster');
  },
  'scheduling.k8s.io/v1/PriorityClass': (o) => setDefault(o, 'preemptionPolicy', 'PreemptLowerPriority'),
  'storage.k8s.io/v1/StorageClass': (o) => {
    setDefault(o, 'reclaimPolicy', 'Delete');
    setDefault(o, 'volumeBindingMode', 'Immediate');
  },
  'storage.k8s.io/v1/CSIDriver': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'attachRequired', true);
    setDefault(spec, 'podInfoOnMount', false);
    setDefault(spec, 'storageCapacity', false);
    setDefault(spec, 'fsGroupPolicy', 'ReadWriteOnceWithFSType');
    setDefault(spec, 'volumeLifecycleModes', ['Persistent']);
    setDefault(spec, 'requiresRepublish', false);
    setDefault(spec, 'seLinuxMount', false);
  },
  'discovery.k8s.io/v1/EndpointSlice': (o) => {
    for (const port of objects(o.ports)) {
      setDefault(port, 'name', '');
      setDefault(port, 'protocol', 'TCP');
    }
  },
  'v1/Endpoints': (o) => {
    for (const subset of objects(o.subsets)) for (const port of objects(subset.ports)) setDefault(port, 'protocol', 'TCP');
  },
  'v1/LimitRange': (o) => {
    for (const item of objects(isJsonObject(o.spec) ? o.spec.limits : undefined)) defaultLimitRangeItem(item);
  },
};
