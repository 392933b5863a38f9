import type { JsonObject } from '../json.ts';
import { booleanAt, conditionsOf, findCondition, generationPending, numberAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * apps/v1 (and extensions/v1beta1) Deployment. Follows kubectl's DeploymentStatusViewer
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go) and Argo CD's Deployment check:
 * a paused Deployment is Suspended; until the controller has observed the latest generation the
 * status says nothing about it; a Progressing condition with reason ProgressDeadlineExceeded is
 * the controller's own verdict that the rollout failed.
 */
export function deploymentHealth(live: JsonObject): HealthAssessment {
  if (booleanAt(live, 'spec', 'paused')) return assessment('Suspended', 'deployment is paused');
  if (generationPending(live)) return assessment('Progressing', 'waiting for rollout to be observed');

  const progressing = findCondition(conditionsOf(live), 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const deadline = numberAt(live, 'spec', 'progressDeadlineSeconds') ?? 600;
    const detail = progressing.message === '' ? '' : `: ${progressing.message}`;
    return assessment('Degraded', `deployment exceeded its progress deadline (${deadline}s)${detail}`);
  }

  const desired = numberAt(live, 'spec', 'replicas') ?? 1;
  const replicas = numberAt(live, 'status', 'replicas') ?? 0;
  const updated = numberAt(live, 'status', 'updatedReplicas') ?? 0;
  const available = numberAt(live, 'status', 'availableReplicas') ?? 0;
  if (updated < desired) return assessment('Progressing', `${updated} of ${desired} updated replicas`);
  if (replicas > updated) return assessment('Progressing', `${replicas - updated} old replicas are pending termination`);
  if (available < updated) return assessment('Progressing', `${available} of ${updated} updated replicas are available`);
  return assessment('Healthy', `${available} of ${desired} replicas available`);
}
