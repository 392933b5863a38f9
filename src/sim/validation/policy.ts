import { jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { isDNS1123Subdomain, isValidPercent } from './content.ts';
import { child, duplicate, forbidden, IMMUTABLE, index, invalid, NEGATIVE, notSupported, obj, objects, required, str, type FieldCause } from './field.ts';
import { nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';

/**
 * The kinds install manifests bring beside their workloads: PodDisruptionBudget,
 * PriorityClass, admission webhook configurations, StorageClass, IngressClass. Each
 * validator checks ObjectMeta like every kind, then its own rules (pkg/apis/<group>/validation).
 */

type Validator = (o: JsonObject, old: JsonObject | undefined) => FieldCause[];

function withMeta(namespaced: boolean, rules: Validator): Validator {
  return (o, old) => [...(old ? validateObjectMetaUpdate(o, old) : validateObjectMeta(o, namespaced, nameIsDNSSubdomain)), ...rules(o, old)];
}

function immutable(o: JsonObject, old: JsonObject | undefined, path: string, value: (x: JsonObject) => JsonValue | undefined): FieldCause[] {
  return old && !jsonEqual(value(o) ?? null, value(old) ?? null) ? [invalid(path, value(o), IMMUTABLE)] : [];
}

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent. */
function intOrPercent(v: JsonValue | undefined, path: string): FieldCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return v < 0 ? [invalid(path, v, NEGATIVE)] : [];
  if (typeof v !== 'string') return [invalid(path, v, 'must be an integer or percentage (e.g \'5%\')')];
  const msgs = isValidPercent(v);
  if (msgs.length > 0) return msgs.map((m) => invalid(path, v, m));
  const n = Number(v.slice(0, -1));
  return n > 100 ? [invalid(path, v, 'must not be greater than 100%')] : n < 0 ? [invalid(path, v, NEGATIVE)] : [];
}

const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

export const validatePodDisruptionBudget = withMeta(true, (o) => {
  const spec = obj(o.spec);
  const causes: FieldCause[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    causes.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  causes.push(...intOrPercent(spec.minAvailable, 'spec.minAvailable'), ...intOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(str(policy))) {
    causes.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
  return causes;
});

const HIGHEST_USER_PRIORITY = 1_000_000_000;
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

export const validatePriorityClass = withMeta(false, (o, old) => {
  const causes: FieldCause[] = [];
  const name = str(obj(o.metadata).name);
  if (!old && name.startsWith('system-')) causes.push(forbidden('metadata.name', "priority class names with 'system-' prefix are reserved"));
  if (typeof o.value === 'number' && o.value > HIGHEST_USER_PRIORITY && !name.startsWith('system-')) {
    causes.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (o.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(str(o.preemptionPolicy))) {
    causes.push(notSupported('preemptionPolicy', o.preemptionPolicy, PREEMPTION_POLICIES));
  }
  causes.push(...immutable(o, old, 'value', (x) => x.value), ...immutable(o, old, 'preemptionPolicy', (x) => x.preemptionPolicy));
  return causes;
});

const SIDE_EFFECTS = ['None', 'NoneOnDryRun'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const REVIEW_VERSIONS = ['v1', 'v1beta1'];

function validateWebhook(w: JsonObject, path: string, mutating: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = str(w.name);
  if (!name) causes.push(required(child(path, 'name')));
  else if (name.split('.').length < 3) causes.push(invalid(child(path, 'name'), name, 'should be a domain with at least three segments separated by dots'));
  else causes.push(...isDNS1123Subdomain(name).map((m) => invalid(child(path, 'name'), name, m)));
  const versions = Array.isArray(w.admissionReviewVersions) ? w.admissionReviewVersions.map(String) : [];
  if (!versions.some((v) => REVIEW_VERSIONS.includes(v))) {
    causes.push(required(child(path, 'admissionReviewVersions'), `must specify one of ${REVIEW_VERSIONS.join(', ')}`));
  }
  if (w.sideEffects === undefined) causes.push(required(child(path, 'sideEffects'), `must specify one of ${SIDE_EFFECTS.map((s) => `"${s}"`).join(', ')}`));
  else if (!SIDE_EFFECTS.includes(str(w.sideEffects))) causes.push(notSupported(child(path, 'sideEffects'), w.sideEffects, SIDE_EFFECTS));
  const enums: [string, readonly string[]][] = [['failurePolicy', FAILURE_POLICIES], ['matchPolicy', MATCH_POLICIES], ...(mutating ? [['reinvocationPolicy', REINVOCATION_POLICIES] as [string, readonly string[]]] : [])];
  for (const [field, valid] of enums) {
    if (w[field] !== undefined && !valid.includes(str(w[field]))) causes.push(notSupported(child(path, field), w[field], valid));
  }
  const timeout = w.timeoutSeconds;
  if (typeof timeout === 'number' && (timeout < 1 || timeout > 30)) {
    causes.push(invalid(child(path, 'timeoutSeconds'), timeout, 'the timeout value must be between 1 and 30 seconds'));
  }
  const clientConfig = obj(w.clientConfig);
  if ((clientConfig.url === undefined) === (clientConfig.service === undefined)) {
    causes.push(required(child(path, 'clientConfig'), 'exactly one of url or service is required'));
  }
  causes.push(...validateLabelSelector(w.namespaceSelector, child(path, 'namespaceSelector')), ...validateLabelSelector(w.objectSelector, child(path, 'objectSelector')));
  return causes;
}

export function webhookConfigurationValidator(mutating: boolean): Validator {
  return withMeta(false, (o) => {
    const causes: FieldCause[] = [];
    const seen = new Set<string>();
    objects(o.webhooks).forEach((w, i) => {
      const path = index('webhooks', i);
      causes.push(...validateWebhook(w, path, mutating));
      if (seen.has(str(w.name))) causes.push(duplicate(child(path, 'name'), str(w.name)));
      seen.add(str(w.name));
    });
    return causes;
  });
}

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

export const validateStorageClass = withMeta(false, (o, old) => {
  const causes: FieldCause[] = [];
  if (!str(o.provisioner)) causes.push(required('provisioner'));
  if (o.reclaimPolicy !== undefined && !RECLAIM_POLICIES.includes(str(o.reclaimPolicy))) causes.push(notSupported('reclaimPolicy', o.reclaimPolicy, RECLAIM_POLICIES));
  if (o.volumeBindingMode !== undefined && !BINDING_MODES.includes(str(o.volumeBindingMode))) causes.push(notSupported('volumeBindingMode', o.volumeBindingMode, BINDING_MODES));
  if (old) {
    for (const field of ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode']) {
      if (!jsonEqual(o[field] ?? null, old[field] ?? null)) causes.push(forbidden(field, `updates to ${field} are forbidden.`));
    }
  }
  return causes;
});

export const validateIngressClass = withMeta(false, (o, old) => {
  const controller = str(obj(o.spec).controller);
  const causes: FieldCause[] = controller ? [] : [required('spec.controller')];
  return [...causes, ...immutable(o, old, 'spec.controller', (x) => obj(x.spec).controller)];
});
