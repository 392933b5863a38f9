import type { JsonObject } from '../json.ts';
import { generationPending, numberAt, stringAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * apps/v1 DaemonSet, after kubectl's DaemonSetStatusViewer: every node that should run a pod
 * runs an updated one, and all of them are available. OnDelete as for StatefulSets.
 */
export function daemonSetHealth(live: JsonObject): HealthAssessment {
  if (generationPending(live)) return assessment('Progressing', 'waiting for rollout to be observed');
  const strategy = stringAt(live, 'spec', 'updateStrategy', 'type') ?? 'RollingUpdate';
  if (strategy === 'OnDelete') return assessment('Healthy', 'update strategy OnDelete: rollout not tracked');

  const desired = numberAt(live, 'status', 'desiredNumberScheduled') ?? 0;
  const updated = numberAt(live, 'status', 'updatedNumberScheduled') ?? 0;
  const available = numberAt(live, 'status', 'numberAvailable') ?? 0;
  if (updated < desired) return assessment('Progressing', `${updated} of ${desired} updated pods scheduled`);
  if (available < desired) return assessment('Progressing', `${available} of ${desired} updated pods available`);
  return assessment('Healthy', `${available} of ${desired} pods available`);
}
