import type { JsonObject } from '../json.ts';
import { conditionsOf, describe, findCondition } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition. NamesAccepted=False (a name clash) and
 * NonStructuralSchema=True are Degraded; Terminating=True is Progressing; Established=True is
 * Healthy. Argo CD calls a not-yet-Established CRD Degraded; we call it Progressing, because
 * every CRD passes through that state for a moment after creation (reason Installing) and the
 * real failure, a name conflict, is caught by NamesAccepted.
 */
export function crdHealth(live: JsonObject): HealthAssessment {
  const conditions = conditionsOf(live);
  if (conditions.length === 0) return assessment('Progressing', 'waiting for the CRD to be accepted');
  const terminating = findCondition(conditions, 'Terminating');
  if (terminating?.status === 'True') return assessment('Progressing', `CRD is terminating: ${describe(terminating)}`);
  const names = findCondition(conditions, 'NamesAccepted');
  if (names?.status === 'False') return assessment('Degraded', `CRD names not accepted: ${describe(names)}`);
  const nonStructural = findCondition(conditions, 'NonStructuralSchema');
  if (nonStructural?.status === 'True') return assessment('Degraded', `CRD schema is not structural: ${describe(nonStructural)}`);
  const established = findCondition(conditions, 'Established');
  if (established?.status === 'True') return assessment('Healthy', 'CRD is established');
  return assessment('Progressing', established ? `CRD not established yet: ${describe(established)}` : 'CRD not established yet');
}

/**
 * apiregistration.k8s.io/v1 APIService: Healthy once Available=True; otherwise Progressing with
 * the aggregator's reason (e.g. MissingEndpoints, FailedDiscoveryCheck), as Argo CD does — a
 * backing service that is still starting looks exactly like one that is broken.
 */
export function apiServiceHealth(live: JsonObject): HealthAssessment {
  const available = findCondition(conditionsOf(live), 'Available');
  if (available?.status === 'True') return assessment('Healthy', describe(available));
  return assessment('Progressing', available ? describe(available) : 'waiting for the APIService to become available');
}
