import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { DeleteOptions, SimApiServer } from './apiserver.ts';
import { rfc3339 } from './clock.ts';
import { budgetSelects } from './disruption.ts';
import { errors, StatusError } from './errors.ts';
import { deletionTimestampOf, metadataOf, nameOf } from './object-meta.ts';
import { isPodReady, podPhase } from './controllers/pods.ts';

/** kube-apiserver keeps at most this many evicted-but-not-yet-deleted pods in a budget's status (MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;

const REFUSED = "Cannot evict pod as it would violate the pod's disruption budget.";

function refused(why: string): StatusError {
  return new StatusError('TooManyRequests', REFUSED, { causes: [{ reason: 'DisruptionBudget', message: why, field: '' }] });
}

function num(status: JsonObject, field: string): number {
  return typeof status[field] === 'number' ? status[field] : 0;
}

function deleteOptionsOf(eviction: JsonObject, dryRun: boolean): DeleteOptions {
  const opts = isJsonObject(eviction.deleteOptions) ? eviction.deleteOptions : {};
  const pre = isJsonObject(opts.preconditions) ? opts.preconditions : undefined;
  return {
    dryRun: dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')),
    ...(typeof opts.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(pre ? { preconditions: { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) } } : {}),
  };
}

/**
 * POST pods/{name}/eviction (pkg/registry/core/pod/storage/eviction.go): deletes the pod
 * unless that would break the one PodDisruptionBudget selecting it, which answers 429 and
 * leaves the pod alone (`kubectl drain` retries). A pod that is not running, already
 * terminating, or unhealthy under a budget that is met, is deleted without asking the budget.
 * An allowed eviction takes one disruption from the budget at once (and notes the pod in
 * disruptedPods), so concurrent evictions cannot overdraw it before the controller recounts.
 */
export function evictPod(api: SimApiServer, namespace: string, name: string, body: JsonValue, dryRun: boolean): JsonObject {
  if (!isJsonObject(body)) throw errors.badRequest('the body must be an Eviction object');
  const pods = api.registry.lookup('', 'v1', 'pods')!;
  const pod = api.get(pods, namespace, name);
  const options = deleteOptionsOf(body, dryRun);
  const evicted: JsonObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  const phase = podPhase(pod);
  if (deletionTimestampOf(pod) !== undefined || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') {
    api.delete(pods, namespace, name, options);
    return evicted;
  }
  const budgets = api.store.list('policy/poddisruptionbudgets', namespace).filter((pdb) => budgetSelects(pdb, pod));
  if (budgets.length > 1) throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdb = budgets[0];
  if (pdb === undefined) {
    api.delete(pods, namespace, name, options);
    return evicted;
  }
  const status = isJsonObject(pdb.status) ? pdb.status : {};
  const pdbName = nameOf(pdb);
  if (num(status, 'observedGeneration') < Number(metadataOf(pdb).generation ?? 0)) {
    throw refused(`The disruption budget ${pdbName} is still being processed by the server.`);
  }
  const spec = isJsonObject(pdb.spec) ? pdb.spec : {};
  const budgetMet = num(status, 'currentHealthy') >= num(status, 'desiredHealthy') && num(status, 'desiredHealthy') > 0;
  if (!isPodReady(pod) && (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' || budgetMet)) {
    api.delete(pods, namespace, name, options);
    return evicted;
  }
  const allowed = num(status, 'disruptionsAllowed');
  if (allowed < 0) throw errors.forbidden('pdb disruptions allowed is negative');
  if (allowed === 0) {
    throw refused(`The disruption budget ${pdbName} needs ${num(status, 'desiredHealthy')} healthy pods and has ${num(status, 'currentHealthy')} currently`);
  }
  const disrupted = isJsonObject(status.disruptedPods) ? status.disruptedPods : {};
  if (Object.keys(disrupted).length >= MAX_DISRUPTED_PODS) throw refused('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  if (!options.dryRun) {
    const budgetsType = api.registry.lookup('policy', 'v1', 'poddisruptionbudgets')!;
    const next = { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...disrupted, [name]: rfc3339(api.clock.now()) } };
    // with the budget's resourceVersion, as the real eviction does: a concurrent change conflicts
    api.update(budgetsType, namespace, pdbName, { ...pdb, status: next }, { fieldManager: 'kube-apiserver' }, 'status');
  }
  api.delete(pods, namespace, name, options);
  return evicted;
}
