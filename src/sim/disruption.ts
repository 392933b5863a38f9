import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { deletionTimestampOf, labelsOf, metadataOf, nameOf } from './object-meta.ts';
import { isPodReady } from './controllers/pods.ts';
import { scaledValue } from './controllers/deployment-math.ts';
import { matchesLabels, labelSelectorFromJson, SelectorError } from './selectors.ts';

/**
 * PodDisruptionBudget arithmetic, shared by the disruption controller (status) and the
 * eviction subresource (admission), as pkg/controller/disruption computes it:
 * - minAvailable as a number: the expected pods are the selected pods, the desired healthy
 *   count is that number;
 * - minAvailable as a percentage, or maxUnavailable: the expected pods are the scale of the
 *   selected pods' controllers (a Deployment's replicas, a StatefulSet's…), and the desired
 *   healthy count follows from it, percentages rounded up;
 * - healthy pods are Ready and not terminating, minus those just evicted (disruptedPods);
 * - disruptions allowed = healthy − desired, never below 0.
 */
export interface BudgetStatus {
  readonly expectedPods: number;
  readonly desiredHealthy: number;
  readonly currentHealthy: number;
  readonly disruptionsAllowed: number;
}

/** How long an eviction counts against a budget while its pod has not started terminating (DeletionTimeout). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

function spec(pdb: JsonObject): JsonObject {
  return isJsonObject(pdb.spec) ? pdb.spec : {};
}

/** Whether the budget covers the pod; a budget without a selector (or with a broken one) covers nothing. */
export function budgetSelects(pdb: JsonObject, pod: JsonObject): boolean {
  const selector = spec(pdb).selector;
  if (!isJsonObject(selector)) return false;
  try {
    return matchesLabels(labelSelectorFromJson(selector), labelsOf(pod));
  } catch (e) {
    if (e instanceof SelectorError) return false;
    throw e;
  }
}

export function isIntOrPercent(v: JsonValue | undefined): v is number | string {
  return typeof v === 'number' || typeof v === 'string';
}

/** Pods evicted less than DISRUPTED_POD_TIMEOUT_MS ago that still have not started terminating. */
export function liveDisruptedPods(pdb: JsonObject, pods: readonly JsonObject[], now: Date): JsonObject {
  const status = isJsonObject(pdb.status) ? pdb.status : {};
  const recorded = isJsonObject(status.disruptedPods) ? status.disruptedPods : {};
  const out: JsonObject = {};
  for (const [name, at] of Object.entries(recorded)) {
    const pod = pods.find((p) => nameOf(p) === name);
    if (!pod || deletionTimestampOf(pod) !== undefined || typeof at !== 'string') continue;
    if (Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS > now.getTime()) out[name] = at;
  }
  return out;
}

/**
 * The budget's numbers for the pods it selects. `scaleOf` answers a pod's controller's
 * desired replicas (deduplicated by the caller's key), or undefined for a pod without one.
 */
export function budgetStatus(
  pdb: JsonObject, pods: readonly JsonObject[], disrupted: JsonObject,
  scaleOf: (pod: JsonObject) => { key: string; replicas: number } | undefined,
): BudgetStatus {
  const { minAvailable, maxUnavailable } = spec(pdb);
  let expectedPods = pods.length;
  let desiredHealthy = 0;
  if (typeof minAvailable === 'number' && maxUnavailable === undefined) {
    desiredHealthy = minAvailable;
  } else {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const scale = scaleOf(pod);
      if (scale) scales.set(scale.key, scale.replicas);
    }
    expectedPods = [...scales.values()].reduce((a, b) => a + b, 0);
    if (isIntOrPercent(maxUnavailable)) desiredHealthy = Math.max(0, expectedPods - scaledValue(maxUnavailable, expectedPods, true));
    else if (isIntOrPercent(minAvailable)) desiredHealthy = scaledValue(minAvailable, expectedPods, true);
  }
  const currentHealthy = pods.filter((p) => deletionTimestampOf(p) === undefined && isPodReady(p) && !(nameOf(p) in disrupted)).length;
  const disruptionsAllowed = expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  return { expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed };
}

/** The status object the controller writes, keeping lastTransitionTime while the condition holds. */
export function budgetStatusObject(pdb: JsonObject, numbers: BudgetStatus, disrupted: JsonObject, now: string): JsonObject {
  const previous = isJsonObject(pdb.status) ? pdb.status : {};
  const allowed = numbers.disruptionsAllowed > 0;
  const generation = Number(metadataOf(pdb).generation ?? 0);
  const old = (Array.isArray(previous.conditions) ? previous.conditions : []).filter(isJsonObject).find((c) => c.type === 'DisruptionAllowed');
  const status = allowed ? 'True' : 'False';
  const condition: JsonObject = {
    type: 'DisruptionAllowed',
    status,
    observedGeneration: generation,
    lastTransitionTime: old && old.status === status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now,
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  };
  return {
    observedGeneration: generation,
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: numbers.disruptionsAllowed,
    currentHealthy: numbers.currentHealthy,
    desiredHealthy: numbers.desiredHealthy,
    expectedPods: numbers.expectedPods,
    conditions: [condition],
  };
}

export function sameBudgetStatus(a: JsonValue | undefined, b: JsonObject): boolean {
  return jsonEqual(a ?? {}, b);
}
