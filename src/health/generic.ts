import type { JsonObject } from '../json.ts';
import { conditionsOf, describe, findCondition, numberAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * Kinds without a dedicated check (ConfigMaps, RBAC, custom resources …), by the common
 * `Ready` condition convention (Flux, cert-manager, Crossplane, Knative): Ready=True → Healthy,
 * Ready=False → Degraded, Ready=Unknown → Progressing. A status.observedGeneration behind
 * metadata.generation means the conditions describe an older spec → Progressing. Objects without
 * any of that are Healthy: existing is all they can do.
 */
export function genericHealth(live: JsonObject): HealthAssessment {
  const generation = numberAt(live, 'metadata', 'generation');
  const observed = numberAt(live, 'status', 'observedGeneration');
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return assessment('Progressing', 'waiting for the latest spec to be observed');
  }
  const ready = findCondition(conditionsOf(live), 'Ready');
  if (ready?.status === 'False') return assessment('Degraded', describe(ready) || 'Ready is False');
  if (ready?.status === 'Unknown') return assessment('Progressing', describe(ready) || 'Ready is Unknown');
  return assessment('Healthy', ready ? describe(ready) : undefined);
}
