import type { JsonObject } from '../json.ts';
import { validateWorkload } from './validation/apps.ts';
import { validateCronJob, validateJob } from './validation/batch.ts';
import { validateConfigMap, validateSecret, validateService } from './validation/core.ts';
import { validateCrd } from './validation/crd.ts';
import type { FieldCause } from './validation/field.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, validateObjectMeta, validateObjectMetaUpdate, type NameFn } from './validation/meta.ts';
import { validatePod } from './validation/pod.ts';
import {
  validateIngressClass, validatePodDisruptionBudget, validatePriorityClass, validateStorageClass, webhookConfigurationValidator,
} from './validation/policy.ts';

export type { CauseReason, FieldCause } from './validation/field.ts';

/**
 * The validation real clusters enforce on create and update, per kind, in the apiserver's
 * words: each cause is what metav1.Status.details.causes would carry (reason, field path,
 * ErrorBody message). Expects the server's own preparation done first — defaults applied,
 * namespace taken from the URL, generateName expanded, allocations (cluster IPs, Job
 * selectors) made — as kube-apiserver does before it validates.
 */

type KindValidator = (obj: JsonObject, old: JsonObject | undefined) => FieldCause[];

function metadataOnly(namespaced: boolean, nameFn: NameFn): KindValidator {
  return (obj, old) => (old ? validateObjectMetaUpdate(obj, old) : validateObjectMeta(obj, namespaced, nameFn));
}

const rbacName = metadataOnly; // RBAC names only need to be one URL path segment ("system:controller:x" is fine)

/** Keyed by "<group>/<kind>" ("" is the core group). */
const VALIDATORS: Record<string, KindValidator> = {
  '/Pod': validatePod,
  '/Service': validateService,
  '/ConfigMap': validateConfigMap,
  '/Secret': validateSecret,
  '/Namespace': metadataOnly(false, nameIsDNSLabel),
  'apps/Deployment': (o, old) => validateWorkload('Deployment', o, old),
  'apps/ReplicaSet': (o, old) => validateWorkload('ReplicaSet', o, old),
  'apps/StatefulSet': (o, old) => validateWorkload('StatefulSet', o, old),
  'apps/DaemonSet': (o, old) => validateWorkload('DaemonSet', o, old),
  'batch/Job': validateJob,
  'batch/CronJob': validateCronJob,
  'apiextensions.k8s.io/CustomResourceDefinition': validateCrd,
  'rbac.authorization.k8s.io/Role': rbacName(true, nameIsPathSegment),
  'rbac.authorization.k8s.io/RoleBinding': rbacName(true, nameIsPathSegment),
  'rbac.authorization.k8s.io/ClusterRole': rbacName(false, nameIsPathSegment),
  'rbac.authorization.k8s.io/ClusterRoleBinding': rbacName(false, nameIsPathSegment),
  'policy/PodDisruptionBudget': validatePodDisruptionBudget,
  'scheduling.k8s.io/PriorityClass': validatePriorityClass,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': webhookConfigurationValidator(true),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': webhookConfigurationValidator(false),
  'storage.k8s.io/StorageClass': validateStorageClass,
  'networking.k8s.io/IngressClass': validateIngressClass,
};

/** Validate an object about to be created (old undefined) or updated. Returns causes; empty = valid. */
export function validateObject(obj: JsonObject, old: JsonObject | undefined, resource: { kind: string; namespaced: boolean; group: string }): FieldCause[] {
  const validator = VALIDATORS[`${resource.group}/${resource.kind}`];
  if (validator) return validator(obj, old);
  // every other kind, custom resources included: ObjectMeta with DNS-subdomain names
  return metadataOnly(resource.namespaced, nameIsDNSSubdomain)(obj, old);
}
