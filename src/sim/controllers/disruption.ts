import { isJsonObject, type JsonObject } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { budgetSelects, DISRUPTED_POD_TIMEOUT_MS, budgetStatus, budgetStatusObject, liveDisruptedPods, sameBudgetStatus } from '../disruption.ts';
import { nameOf, namespaceOf } from '../object-meta.ts';
import type { StoreEvent } from '../store.ts';
import { controllerRef } from './pods.ts';
import { keyOf, keysOf, splitKey, type Controller, type ControllerContext } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'disruption-controller';
const WORKLOADS = new Set(['/pods', 'apps/replicasets', 'apps/deployments', 'apps/statefulsets']);

/**
 * The disruption controller (pkg/controller/disruption): keeps every PodDisruptionBudget's
 * status (expected, desired and current healthy pods, disruptions allowed, the
 * DisruptionAllowed condition) in step with its pods and their controllers' scale. The
 * eviction subresource reads that status to refuse evictions that would break the budget.
 */
export function createDisruptionController(ctx: ControllerContext): Controller {
  const { api, clock } = ctx;
  const budgets = api.registry.lookup('policy', 'v1', 'poddisruptionbudgets')!;

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'policy/poddisruptionbudgets') return [keyOf(e.namespace, nameOf(e.object))];
    if (!WORKLOADS.has(e.resource)) return [];
    // a pod counts for the budgets that select it; a controller's scale for every budget of its namespace
    const pods = e.resource === '/pods' ? [e.object, ...(e.previous ? [e.previous] : [])] : undefined;
    return api.store
      .list('policy/poddisruptionbudgets', e.namespace)
      .filter((pdb) => pods === undefined || pods.some((p) => budgetSelects(pdb, p)))
      .map((pdb) => keyOf(e.namespace, nameOf(pdb)));
  }

  /** The desired replicas of a pod's controller: a ReplicaSet's Deployment when it has one. */
  function scaleOf(pod: JsonObject): { key: string; replicas: number } | undefined {
    const ref = controllerRef(pod);
    if (!ref) return undefined;
    const ns = namespaceOf(pod);
    const lookup = (resource: string, name: string) => api.store.get(resource, ns, name);
    let owner = ref.kind === 'ReplicaSet' ? lookup('apps/replicasets', ref.name) : ref.kind === 'StatefulSet' ? lookup('apps/statefulsets', ref.name) : undefined;
    const ownerRef = owner ? controllerRef(owner) : undefined;
    if (owner && ownerRef?.kind === 'Deployment') owner = lookup('apps/deployments', ownerRef.name) ?? owner;
    if (!owner) return undefined;
    const replicas = isJsonObject(owner.spec) && typeof owner.spec.replicas === 'number' ? owner.spec.replicas : 1;
    return { key: `${String(owner.kind)}/${nameOf(owner)}`, replicas };
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const pdb = api.store.get('policy/poddisruptionbudgets', namespace, name);
    if (!pdb) return;
    const pods = api.store.list('/pods', namespace).filter((p) => budgetSelects(pdb, p));
    const now = clock.now();
    const disrupted = liveDisruptedPods(pdb, pods, now);
    const status = budgetStatusObject(pdb, budgetStatus(pdb, pods, disrupted, scaleOf), disrupted, rfc3339(now));
    if (!sameBudgetStatus(pdb.status, status)) api.update(budgets, namespace, name, { ...pdb, status }, { fieldManager: NAME }, 'status');
    // an eviction whose pod never starts terminating stops counting after the timeout
    if (Object.keys(disrupted).length > 0) return { requeueAfterMs: DISRUPTED_POD_TIMEOUT_MS };
  }

  return { name: NAME, keysFor, reconcile, initialKeys: () => keysOf(api.store.list('policy/poddisruptionbudgets')) };
}
