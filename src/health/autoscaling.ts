import type { JsonObject } from '../json.ts';
import { conditionsOf, describe, isJsonObjectArray, stringAt, toCondition, type Condition } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/** autoscaling/v1 keeps the v2 conditions as JSON in this annotation. */
const V1_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

function hpaConditions(live: JsonObject): readonly Condition[] {
  const fromStatus = conditionsOf(live);
  if (fromStatus.length > 0) return fromStatus;
  const raw = stringAt(live, 'metadata', 'annotations', V1_CONDITIONS_ANNOTATION);
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return isJsonObjectArray(parsed) ? parsed.map(toCondition) : [];
  } catch {
    return [];
  }
}

/**
 * autoscaling HorizontalPodAutoscaler (v1 annotation or v2 status). AbleToScale=False (cannot
 * read or update the target's scale) or ScalingActive=False (metrics unavailable, bad selector)
 * is Degraded — except ScalingActive=False with reason ScalingDisabled, which is how the HPA
 * reports a target scaled to zero on purpose: Suspended. Argo CD degrades on a fixed list of
 * reasons only; a False on either condition always means the HPA is not doing its job, so we take
 * every reason. Without conditions (not yet reconciled, or no HPA controller) it is Healthy.
 */
export function hpaHealth(live: JsonObject): HealthAssessment {
  const conditions = hpaConditions(live);
  const ableToScale = conditions.find((c) => c.type === 'AbleToScale');
  if (ableToScale?.status === 'False') return assessment('Degraded', describe(ableToScale));
  const active = conditions.find((c) => c.type === 'ScalingActive');
  if (active?.status === 'False') {
    if (active.reason === 'ScalingDisabled') return assessment('Suspended', describe(active));
    return assessment('Degraded', describe(active));
  }
  return assessment('Healthy', active?.message);
}
