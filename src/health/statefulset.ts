import type { JsonObject } from '../json.ts';
import { numberAt, stringAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * apps/v1 StatefulSet, after kubectl's StatefulSetStatusViewer: with OnDelete the controller
 * never replaces pods itself, so once the spec is observed there is no rollout to wait for
 * (Argo CD also reports Healthy). With RollingUpdate only ordinals ≥ partition are updated, so a
 * partitioned rollout is complete once replicas − partition pods are updated.
 */
export function statefulSetHealth(live: JsonObject): HealthAssessment {
  const generation = numberAt(live, 'metadata', 'generation') ?? 0;
  const observed = numberAt(live, 'status', 'observedGeneration') ?? 0;
  if (observed === 0 || observed < generation) return assessment('Progressing', 'waiting for rollout to be observed');

  const strategy = stringAt(live, 'spec', 'updateStrategy', 'type') ?? 'RollingUpdate';
  if (strategy === 'OnDelete') return assessment('Healthy', 'update strategy OnDelete: rollout not tracked');

  const desired = numberAt(live, 'spec', 'replicas') ?? 1;
  const ready = numberAt(live, 'status', 'readyReplicas') ?? 0;
  if (ready < desired) return assessment('Progressing', `${ready} of ${desired} replicas ready`);

  const updated = numberAt(live, 'status', 'updatedReplicas') ?? 0;
  const partition = numberAt(live, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
  if (partition > 0) {
    const target = Math.max(0, desired - partition);
    if (updated < target) return assessment('Progressing', `partitioned rollout: ${updated} of ${target} new replicas updated`);
    return assessment('Healthy', `partitioned rollout complete: ${updated} new replicas updated`);
  }
  const updateRevision = stringAt(live, 'status', 'updateRevision');
  const currentRevision = stringAt(live, 'status', 'currentRevision');
  if (updateRevision !== undefined && currentRevision !== undefined && updateRevision !== currentRevision) {
    return assessment('Progressing', `rolling update: ${updated} of ${desired} replicas at revision ${updateRevision}`);
  }
  return assessment('Healthy', `${ready} of ${desired} replicas ready`);
}
