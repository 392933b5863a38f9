import { jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { matchesLabels } from '../selectors.ts';
import { isValidPercent } from './content.ts';
import { child, forbidden, IMMUTABLE, invalid, NEGATIVE, nonNegative, notSupported, obj, required, str, stringMap, Stringer, type FieldCause } from './field.ts';
import {
  isEmptySelector,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  selectorRequirements,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type NameFn,
} from './meta.ts';
import { templateRestartPolicy, validatePodTemplate } from './pod.ts';

/** apps/v1 workloads: selector/template agreement, replica counts, rollout strategies, immutable selectors. */

type Workload = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';

const NAME_FNS: Record<Workload, NameFn> = {
  Deployment: nameIsDNSSubdomain,
  ReplicaSet: nameIsDNSSubdomain,
  DaemonSet: nameIsDNSSubdomain,
  // pods of a StatefulSet are named <name>-<ordinal> and need it as their hostname
  StatefulSet: nameIsDNSLabel,
};

/** An IntOrString as Go prints it in errors (Stringer: no quotes). */
function intOrString(v: JsonValue | undefined): Stringer {
  return new Stringer(typeof v === 'string' ? v : String(v ?? 0));
}

function intOrPercentValue(v: JsonValue | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && isValidPercent(v).length === 0) return Number(v.slice(0, -1));
  return 0;
}

function validatePositiveIntOrPercent(v: JsonValue | undefined, path: string): FieldCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, intOrString(v), m));
  if (typeof v === 'number') return v < 0 ? [invalid(path, v, NEGATIVE)] : [];
  return [invalid(path, intOrString(v), "must be an integer or percentage (e.g '5%')")];
}

function notMoreThan100Percent(v: JsonValue | undefined, path: string): FieldCause[] {
  return typeof v === 'string' && isValidPercent(v).length === 0 && intOrPercentValue(v) > 100 ? [invalid(path, intOrString(v), 'must not be greater than 100%')] : [];
}

function validateDeploymentStrategy(strategy: JsonValue | undefined, path: string): FieldCause[] {
  const s = obj(strategy);
  const type = str(s.type) || 'RollingUpdate';
  if (type === 'Recreate') {
    return s.rollingUpdate !== undefined && s.rollingUpdate !== null ? [forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (type !== 'RollingUpdate') return [notSupported(path, s, ['Recreate', 'RollingUpdate'])];
  const ru = obj(s.rollingUpdate);
  const ruPath = child(path, 'rollingUpdate');
  // absent values are the defaulted 25%
  const [maxUnavailable, maxSurge] = [ru.maxUnavailable ?? '25%', ru.maxSurge ?? '25%'];
  const causes = [
    ...validatePositiveIntOrPercent(maxUnavailable, child(ruPath, 'maxUnavailable')),
    ...validatePositiveIntOrPercent(maxSurge, child(ruPath, 'maxSurge')),
  ];
  if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
    causes.push(invalid(child(ruPath, 'maxUnavailable'), intOrString(maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
  }
  return [...causes, ...notMoreThan100Percent(maxUnavailable, child(ruPath, 'maxUnavailable'))];
}

function validateDaemonSetStrategy(strategy: JsonValue | undefined, path: string): FieldCause[] {
  const s = obj(strategy);
  const type = str(s.type) || 'RollingUpdate';
  if (type === 'OnDelete') return [];
  if (type !== 'RollingUpdate') return [notSupported(path, s, ['RollingUpdate', 'OnDelete'])];
  const ru = obj(s.rollingUpdate);
  const ruPath = child(path, 'rollingUpdate');
  const [maxUnavailable, maxSurge] = [ru.maxUnavailable ?? 1, ru.maxSurge ?? 0];
  const causes = [
    ...validatePositiveIntOrPercent(maxUnavailable, child(ruPath, 'maxUnavailable')),
    ...validatePositiveIntOrPercent(maxSurge, child(ruPath, 'maxSurge')),
    ...notMoreThan100Percent(maxUnavailable, child(ruPath, 'maxUnavailable')),
    ...notMoreThan100Percent(maxSurge, child(ruPath, 'maxSurge')),
  ];
  const [hasUnavailable, hasSurge] = [intOrPercentValue(maxUnavailable) !== 0, intOrPercentValue(maxSurge) !== 0];
  if (hasUnavailable && hasSurge) causes.push(invalid(child(ruPath, 'maxSurge'), intOrString(maxSurge), 'may not be set when maxUnavailable is non-zero'));
  if (!hasUnavailable && !hasSurge) causes.push(required(child(ruPath, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  return causes;
}

/** Selector present, valid, non-empty, and matching the template's labels. */
function validateSelectorAndTemplate(kind: Workload, spec: JsonObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const selector = spec.selector;
  const noun = kind === 'StatefulSet' ? 'statefulset' : kind === 'DaemonSet' ? 'daemonset' : 'deployment';
  const absent = selector === undefined || selector === null;
  // a DaemonSet without a selector only fails on the template mismatch below, as in the apiserver
  if (absent && kind !== 'DaemonSet') causes.push(required('spec.selector'));
  if (!absent) {
    causes.push(...validateLabelSelector(selector, 'spec.selector'));
    if (isEmptySelector(selector)) causes.push(invalid('spec.selector', selector, `empty selector is invalid for ${noun}`));
  }
  const reqs = selectorRequirements(selector);
  const templateLabels = obj(obj(obj(spec.template).metadata).labels);
  const mismatch = reqs === undefined ? absent : reqs.length > 0 && !matchesLabels(reqs, stringMap(templateLabels));
  if (reqs === undefined && !absent) causes.push(invalid('spec.selector', selector, 'invalid label selector'));
  else if (mismatch) causes.push(invalid('spec.template.metadata.labels', templateLabels, '`selector` does not match template `labels`'));
  return causes;
}

function validateTemplateFor(kind: Workload, spec: JsonObject): FieldCause[] {
  const causes = validatePodTemplate(spec.template, 'spec.template');
  const policy = templateRestartPolicy(spec.template);
  if (policy !== 'Always') causes.push(notSupported('spec.template.spec.restartPolicy', policy, ['Always']));
  if (obj(obj(spec.template).spec).activeDeadlineSeconds !== undefined) {
    causes.push(forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return causes;
}

function validateWorkloadSpec(kind: Workload, spec: JsonObject): FieldCause[] {
  const causes = [...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds)];
  causes.push(...validateSelectorAndTemplate(kind, spec), ...validateTemplateFor(kind, spec));
  causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (kind === 'Deployment') {
    causes.push(...validateDeploymentStrategy(spec.strategy, 'spec.strategy'));
    const progress = spec.progressDeadlineSeconds;
    if (typeof progress === 'number') {
      causes.push(...nonNegative('spec.progressDeadlineSeconds', progress));
      if (progress <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
        causes.push(invalid('spec.progressDeadlineSeconds', progress, 'must be greater than minReadySeconds'));
      }
    }
  }
  if (kind === 'DaemonSet') causes.push(...validateDaemonSetStrategy(spec.updateStrategy, 'spec.updateStrategy'));
  if (kind === 'StatefulSet') {
    const policy = spec.podManagementPolicy;
    if (policy !== undefined && policy !== 'OrderedReady' && policy !== 'Parallel') {
      causes.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
    }
  }
  return causes;
}

const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateWorkloadUpdate(kind: Workload, spec: JsonObject, oldSpec: JsonObject): FieldCause[] {
  if (kind !== 'StatefulSet') {
    // apps/v1 strategies: the selector is fixed once created
    return jsonEqual(spec.selector, oldSpec.selector) ? [] : [invalid('spec.selector', spec.selector, IMMUTABLE)];
  }
  const strip = (s: JsonObject): JsonObject => Object.fromEntries(Object.entries(s).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  if (jsonEqual(strip(spec), strip(oldSpec))) return [];
  return [
    forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

export function validateWorkload(kind: Workload, o: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const spec = obj(o.spec);
  const meta = old ? validateObjectMetaUpdate(o, old) : validateObjectMeta(o, true, NAME_FNS[kind]);
  const update = old ? validateWorkloadUpdate(kind, spec, obj(old.spec)) : [];
  return [...meta, ...validateWorkloadSpec(kind, spec), ...update];
}
