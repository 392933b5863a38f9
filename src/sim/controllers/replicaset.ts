import { isJsonObject, jsonEqual, type JsonObject } from '../../json.ts';
import { labelsOf, metadataOf, nameOf, namespaceOf } from '../object-meta.ts';
import { claim, selectorOf, selects } from './ownership.ts';
import type { ResourceType } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import { controllerRef, isPodActive, isPodAvailable, isPodReady, podCondition, nextAvailableIn, podFromTemplate, podPhase } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'replicaset-controller';
const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
/** burstReplicas: pods created or deleted per sync; the rest come in the syncs their events cause */
const BURST_REPLICAS = 500;

/**
 * The ReplicaSet controller (pkg/controller/replicaset): keeps `replicas` active pods,
 * adopting orphans that match the selector, deleting the least valuable pods first, and
 * reporting replicas / fullyLabeled / ready / available counts.
 */
export function createReplicaSetController(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const pods = api.registry.lookup('', 'v1', 'pods')!;
  const replicaSets = api.registry.lookup('apps', 'v1', 'replicasets')!;


  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'apps/replicasets') return [keyOf(e.namespace, nameOf(e.object))];
    if (e.resource !== '/pods') return [];
    const owners = [e.object, ...(e.previous ? [e.previous] : [])].map(controllerRef).filter((r) => r?.kind === 'ReplicaSet');
    if (owners.length > 0) return [...new Set(owners.map((r) => keyOf(e.namespace, r!.name)))];
    // an orphan may be adopted by any ReplicaSet whose selector matches it
    return api.store
      .list('apps/replicasets', e.namespace)
      .filter((rs) => selects(selectorOf(rs), e.object))
      .map((rs) => keyOf(e.namespace, nameOf(rs)));
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const rs = api.store.get('apps/replicasets', namespace, name);
    if (!rs) return;
    const spec = isJsonObject(rs.spec) ? rs.spec : {};
    const selector = selectorOf(rs);
    const owned = claim({ api, type: pods, owner: rs, candidates: api.store.list('/pods', namespace), selector, manager: NAME });
    const active = owned.filter(isPodActive);
    const now = clock.now();
    if (!metadataOf(rs).deletionTimestamp) manageReplicas(rs, active, Number(spec.replicas ?? 1));
    const minReadySeconds = Number(spec.minReadySeconds ?? 0);
    writeStatus(rs, active, minReadySeconds, now);
    const wait = nextAvailableIn(active, minReadySeconds, now);
    return wait === undefined ? undefined : { requeueAfterMs: wait };
  }

  function manageReplicas(rs: JsonObject, active: JsonObject[], replicas: number): void {
    const diff = Math.max(-BURST_REPLICAS, Math.min(BURST_REPLICAS, active.length - replicas));
    const spec = isJsonObject(rs.spec) ? rs.spec : {};
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) {
        const pod = api.create(pods, namespaceOf(rs), podFromTemplate(spec.template, rs), { fieldManager: NAME });
        events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${nameOf(pod)}`, NAME);
      }
    } else if (diff > 0) {
      for (const pod of podsToDelete(active, diff)) {
        api.delete(pods, namespaceOf(pod), nameOf(pod), { propagationPolicy: 'Background' });
        events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${nameOf(pod)}`, NAME);
      }
    }
  }

  function writeStatus(rs: JsonObject, active: JsonObject[], minReadySeconds: number, now: Date): void {
    const templateLabels = labelsOf((isJsonObject(rs.spec) && isJsonObject(rs.spec.template) ? rs.spec.template : {}) as JsonObject);
    const status: JsonObject = {
      ...(isJsonObject(rs.status) ? rs.status : {}),
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => labelsOf(p)[k] === v)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReadySeconds, now)).length,
      observedGeneration: Number(metadataOf(rs).generation ?? 0),
    };
    if (jsonEqual(status, rs.status)) return;
    const latest = api.store.get('apps/replicasets', namespaceOf(rs), nameOf(rs));
    if (!latest) return;
    api.update(replicaSets as ResourceType, namespaceOf(rs), nameOf(rs), { ...latest, status }, { fieldManager: NAME }, 'status');
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('apps/replicasets')),
  };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The pods to delete when scaling down, least valuable first, as the controller ranks them
 * (controller.ActivePodsWithRanks): unscheduled before scheduled, Pending before Running,
 * not ready before ready, lower deletion cost first, ready for less time first, more
 * restarts first, newer first.
 */
export function podsToDelete(active: readonly JsonObject[], count: number): JsonObject[] {
  return [...active].sort(comparePodsForDeletion).slice(0, count);
}

function comparePodsForDeletion(a: JsonObject, b: JsonObject): number {
  const scheduled = (p: JsonObject) => (isJsonObject(p.spec) && p.spec.nodeName ? 1 : 0);
  const phase = (p: JsonObject) => PHASE_RANK[podPhase(p)] ?? 1;
  const ready = (p: JsonObject) => (isPodReady(p) ? 1 : 0);
  const cost = (p: JsonObject) => Number((metadataOf(p).annotations as Record<string, string> | undefined)?.[POD_DELETION_COST] ?? 0) || 0;
  const readySince = (p: JsonObject) => Date.parse(podCondition(p, 'Ready')?.lastTransitionTime ?? '') || 0;
  const restarts = (p: JsonObject) => {
    const statuses = isJsonObject(p.status) && Array.isArray(p.status.containerStatuses) ? p.status.containerStatuses : [];
    return statuses.reduce<number>((max, s) => Math.max(max, isJsonObject(s) ? Number(s.restartCount ?? 0) : 0), 0);
  };
  const created = (p: JsonObject) => Date.parse(String(metadataOf(p).creationTimestamp ?? '')) || 0;
  return (
    scheduled(a) - scheduled(b) ||
    phase(a) - phase(b) ||
    ready(a) - ready(b) ||
    cost(a) - cost(b) ||
    (ready(a) && ready(b) ? readySince(b) - readySince(a) : 0) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}
