import type { JsonObject } from '../json.ts';
import { booleanAt, conditionsOf, describe, numberAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * batch/v1 Job, as Argo CD: the terminal conditions decide (Failed, and since Kubernetes 1.31
 * FailureTarget, which precedes it while pods are still being terminated → Degraded; Complete →
 * Healthy); a suspended Job is Suspended; anything else is still running.
 */
export function jobHealth(live: JsonObject): HealthAssessment {
  const conditions = conditionsOf(live).filter((c) => c.status === 'True');
  const failed = conditions.find((c) => c.type === 'Failed' || c.type === 'FailureTarget');
  if (failed) return assessment('Degraded', describe(failed) || 'job failed');
  const complete = conditions.find((c) => c.type === 'Complete');
  if (complete) return assessment('Healthy', complete.message || 'job completed');
  if (booleanAt(live, 'spec', 'suspend')) return assessment('Suspended', 'job is suspended');
  const active = numberAt(live, 'status', 'active') ?? 0;
  const succeeded = numberAt(live, 'status', 'succeeded') ?? 0;
  return assessment('Progressing', `job running: ${active} active, ${succeeded} succeeded`);
}

/**
 * batch/v1 CronJob: Suspended when spec.suspend, else Healthy. The outcome of each run is the
 * health of its Job, which Sluice assesses as a resource of its own.
 */
export function cronJobHealth(live: JsonObject): HealthAssessment {
  if (booleanAt(live, 'spec', 'suspend')) return assessment('Suspended', 'cronjob is suspended');
  return assessment('Healthy');
}
