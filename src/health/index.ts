import type { JsonObject } from '../json.ts';
import { apiServiceHealth, crdHealth } from './apiextensions.ts';
import { hpaHealth } from './autoscaling.ts';
import { ingressHealth, namespaceHealth, pvcHealth, serviceHealth } from './core.ts';
import { daemonSetHealth } from './daemonset.ts';
import { deploymentHealth } from './deployment.ts';
import { stringAt } from './fields.ts';
import { genericHealth } from './generic.ts';
import { cronJobHealth, jobHealth } from './job.ts';
import { podHealth } from './pod.ts';
import { replicaSetHealth } from './replicaset.ts';
import { statefulSetHealth } from './statefulset.ts';
import { assessment, type HealthAssessment } from './types.ts';

export { aggregateHealth, HEALTH_STATUSES, isHealthStatus, isWorse, type HealthAssessment, type HealthStatus } from './types.ts';

type HealthCheck = (live: JsonObject) => HealthAssessment;

/** Built-in checks by `group/Kind` (core group: empty). Versions share a check: their status shapes agree. */
const CHECKS: ReadonlyMap<string, HealthCheck> = new Map([
  ['apps/Deployment', deploymentHealth],
  ['extensions/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['extensions/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['extensions/ReplicaSet', replicaSetHealth],
  ['/ReplicationController', replicaSetHealth],
  ['batch/Job', jobHealth],
  ['batch/CronJob', cronJobHealth],
  ['/Pod', podHealth],
  ['/PersistentVolumeClaim', pvcHealth],
  ['/Service', serviceHealth],
  ['/Namespace', namespaceHealth],
  ['networking.k8s.io/Ingress', ingressHealth],
  ['extensions/Ingress', ingressHealth],
  ['autoscaling/HorizontalPodAutoscaler', hpaHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
  ['apiregistration.k8s.io/APIService', apiServiceHealth],
]);

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * The health of one live object (undefined: not in the cluster). Pure: reads only the object.
 * An object being deleted is Progressing whatever its kind (Argo CD: "Pending deletion").
 */
export function assessHealth(live: JsonObject | undefined): HealthAssessment {
  if (live === undefined) return assessment('Missing', 'resource does not exist');
  const apiVersion = stringAt(live, 'apiVersion');
  const kind = stringAt(live, 'kind');
  if (apiVersion === undefined || kind === undefined) return assessment('Unknown', 'object has no apiVersion or kind');
  if (stringAt(live, 'metadata', 'deletionTimestamp') !== undefined) return assessment('Progressing', 'being deleted');
  const check = CHECKS.get(`${groupOf(apiVersion)}/${kind}`) ?? genericHealth;
  return check(live);
}
