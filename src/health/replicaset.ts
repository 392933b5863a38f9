import type { JsonObject } from '../json.ts';
import { conditionsOf, describe, findCondition, generationPending, numberAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * apps/v1 ReplicaSet and v1 ReplicationController (same status shape). As Argo CD: a
 * ReplicaFailure condition (quota exceeded, pod creation forbidden …) is Degraded; otherwise
 * healthy once the desired replicas are available.
 */
export function replicaSetHealth(live: JsonObject): HealthAssessment {
  if (generationPending(live)) return assessment('Progressing', 'waiting for rollout to be observed');
  const failure = findCondition(conditionsOf(live), 'ReplicaFailure');
  if (failure?.status === 'True') return assessment('Degraded', describe(failure));

  const desired = numberAt(live, 'spec', 'replicas') ?? 1;
  const available = numberAt(live, 'status', 'availableReplicas') ?? 0;
  if (available < desired) return assessment('Progressing', `${available} of ${desired} replicas available`);
  return assessment('Healthy', `${available} of ${desired} replicas available`);
}
