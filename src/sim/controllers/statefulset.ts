import { isJsonObject, jsonEqual, type JsonObject } from '../../json.ts';
import { StatusError } from '../errors.ts';
import { deletionTimestampOf, labelsOf, nameOf, namespaceOf, uidOf, withMetadata } from '../object-meta.ts';
import type { ResourceType } from '../resources.ts';
import type { LabelRequirement } from '../selectors.ts';
import type { StoreEvent } from '../store.ts';
import {
  controllerRevisionBody, controllerRevisionName, hashRevisionData, HISTORY_HASH_LABEL, nextRevisionNumber,
  revisionsToPrune, sameRevisionData, sortByRevision, templateLabels, templateOfRevision, templateRevisionData,
  CONTROLLER_REVISION_HASH_LABEL,
} from './controller-history.ts';
import { claim, selectorOf, selects } from './ownership.ts';
import { controllerRef, nextAvailableIn } from './pods.ts';
import { claimIsStale, claimOwnersFor, claimsFor, labelsWithIdentity, newStatefulSetPod } from './statefulset-objects.ts';
import {
  isMemberOf, memberPod, parentAndOrdinal, planStatefulSet, podName, statefulSetStatus, statefulSetView,
  type StatefulSetAction, type StatefulSetView,
} from './statefulset-plan.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'statefulset-controller';
/** how soon to look again when a pod waits for a stale claim to go (the controller does not watch claims) */
const STALE_CLAIM_RECHECK_MS = 1000;

interface Revisions {
  readonly current: JsonObject;
  readonly update: JsonObject;
  readonly collisionCount: number;
}

/** What one sync works on: the set as read at its start and the revisions it resolved. */
interface Sync {
  readonly set: JsonObject;
  readonly view: StatefulSetView;
  readonly revisions: Revisions;
  staleClaims: boolean;
}

/**
 * The StatefulSet controller (pkg/controller/statefulset): pods `<set>-<ordinal>` with stable
 * names and claims, created in order (OrderedReady) or all at once (Parallel), removed from the
 * highest ordinal down, and rolled to a new ControllerRevision from the top down to the partition.
 * The decisions are statefulset-plan.ts; this file reads the cluster and applies them.
 */
export function createStatefulSetController(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const lookup = (group: string, plural: string): ResourceType => api.registry.lookup(group, 'v1', plural)!;
  const rt = {
    pods: lookup('', 'pods'),
    claims: lookup('', 'persistentvolumeclaims'),
    sets: lookup('apps', 'statefulsets'),
    revisions: lookup('apps', 'controllerrevisions'),
  };

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'apps/statefulsets') return [keyOf(e.namespace, nameOf(e.object))];
    if (e.resource !== '/pods') return [];
    const refs = [e.object, e.previous].flatMap((p) => (p && controllerRef(p)) || []);
    if (refs.length > 0) return [...new Set(refs.filter((r) => r.kind === 'StatefulSet').map((r) => keyOf(e.namespace, r.name)))];
    // an orphan may be adopted by the set its name and labels say it belongs to
    return api.store
      .list('apps/statefulsets', e.namespace)
      .filter((set) => isMemberOf(nameOf(set), e.object) && selects(selectorOf(set), e.object))
      .map((set) => keyOf(e.namespace, nameOf(set)));
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const set = api.store.get('apps/statefulsets', namespace, name);
    if (!set) return;
    const selector = selectorOf(set);
    if (selector.length === 0) return; // validation forbids it; selecting everything would adopt every pod
    const view = statefulSetView(set);
    const pods = claimPods(set, selector);
    const candidates = api.store.list('apps/controllerrevisions', namespace);
    const history = sortByRevision(claim({ api, type: rt.revisions, owner: set, candidates, selector, manager: NAME }));
    const sync: Sync = { set, view, revisions: resolveRevisions(set, view, history), staleClaims: false };
    const now = clock.now();
    if (!view.deleting) for (const pod of pods) syncClaimOwners(sync, pod);
    const actions = planStatefulSet({ set: view, pods: pods.map((p) => memberPod(p, view, now)), updateRevision: nameOf(sync.revisions.update) });
    for (const action of actions) apply(sync, action);
    const after = claimPods(set, selector);
    writeStatus(sync, after, now);
    truncateHistory(sync, history, pods);
    return recheck(sync, after, now);
  }

  // ---- reading ----

  function claimPods(set: JsonObject, selector: readonly LabelRequirement[]): JsonObject[] {
    // getPodsForStatefulSet: only pods whose name makes them members
    const candidates = api.store.list('/pods', namespaceOf(set)).filter((p) => isMemberOf(nameOf(set), p));
    return claim({ api, type: rt.pods, owner: set, candidates, selector, manager: NAME });
  }

  /**
   * getStatefulSetRevisions: the update revision is the one whose data equals the template
   * (created, or re-numbered to the top on a rollback); the current one is named in status.
   */
  function resolveRevisions(set: JsonObject, view: StatefulSetView, history: readonly JsonObject[]): Revisions {
    const data = templateRevisionData(isJsonObject(set.spec) ? set.spec.template : undefined);
    const next = nextRevisionNumber(history);
    const equal = history.filter((r) => sameRevisionData(r, data)).at(-1);
    const latest = history.at(-1);
    let collisionCount = view.status.collisionCount ?? 0;
    let update: JsonObject;
    if (equal && latest && nameOf(equal) === nameOf(latest)) update = latest;
    else if (equal) update = api.update(rt.revisions, view.namespace, nameOf(equal), { ...equal, revision: next }, { fieldManager: NAME });
    else ({ update, collisionCount } = createRevision(set, view, data, next, collisionCount));
    const current = history.find((r) => nameOf(r) === view.status.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** CreateControllerRevision: on a name taken by different data, count the collision and rehash. */
  function createRevision(set: JsonObject, view: StatefulSetView, data: JsonObject, revision: number, collisions: number): { update: JsonObject; collisionCount: number } {
    const labels = templateLabels(isJsonObject(set.spec) ? set.spec.template : undefined);
    for (let collisionCount = collisions; ; collisionCount++) {
      const hash = hashRevisionData(data, collisionCount);
      const name = controllerRevisionName(view.name, hash);
      const body = controllerRevisionBody({ owner: set, data, revision, name, labels: { ...labels, [HISTORY_HASH_LABEL]: hash } });
      try {
        return { update: api.create(rt.revisions, view.namespace, body, { fieldManager: NAME }), collisionCount };
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
        const existing = api.get(rt.revisions, view.namespace, name);
        if (sameRevisionData(existing, data)) return { update: existing, collisionCount };
      }
    }
  }

  // ---- applying the plan ----

  function apply(sync: Sync, action: StatefulSetAction): void {
    switch (action.type) {
      case 'createPod':
        return createPod(sync, action.ordinal, action.revision === 'current' ? sync.revisions.current : sync.revisions.update);
      case 'deletePod':
        return deletePod(sync, action.pod);
      case 'createMissingClaims':
        return createClaims(sync, parentAndOrdinal(action.pod).ordinal, action.pod);
      case 'fixIdentity':
        return fixIdentity(sync, action.pod);
    }
  }

  function createPod(sync: Sync, ordinal: number, revision: JsonObject): void {
    const { set, view } = sync;
    const name = podName(view.name, ordinal);
    if (sync.view.retention.whenScaled === 'Delete' && claimsOf(sync, ordinal).some((c) => claimIsStale(c, name))) {
      sync.staleClaims = true;
      return;
    }
    createClaims(sync, ordinal, name);
    const pod = newStatefulSetPod(set, view, templateOfRevision(revision), ordinal, nameOf(revision));
    try {
      api.create(rt.pods, view.namespace, pod, { fieldManager: NAME });
    } catch (e) {
      if (e instanceof StatusError) events.record(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${view.name} failed error: ${e.message}`, NAME);
      throw e;
    }
    events.record(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${view.name} successful`, NAME);
  }

  function deletePod(sync: Sync, name: string): void {
    try {
      api.delete(rt.pods, sync.view.namespace, name);
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound') return;
      throw e;
    }
    events.record(sync.set, 'Normal', 'SuccessfulDelete', `delete Pod ${name} in StatefulSet ${sync.view.name} successful`, NAME);
  }

  function fixIdentity(sync: Sync, name: string): void {
    const pod = api.store.get('/pods', sync.view.namespace, name);
    const ordinal = parentAndOrdinal(name).ordinal;
    const labels = pod ? labelsWithIdentity(pod, sync.view, ordinal) : undefined;
    if (!pod || !labels) return;
    createClaims(sync, ordinal, name);
    api.update(rt.pods, sync.view.namespace, name, withMetadata(pod, { labels }), { fieldManager: NAME });
    events.record(sync.set, 'Normal', 'SuccessfulUpdate', `update Pod ${name} in StatefulSet ${sync.view.name} successful`, NAME);
  }

  function claimsOf(sync: Sync, ordinal: number): JsonObject[] {
    return claimsFor(sync.view, selectorLabels(sync.set), ordinal).flatMap((c) => {
      const claim = api.store.get('/persistentvolumeclaims', sync.view.namespace, nameOf(c));
      return claim ? [claim] : [];
    });
  }

  /** createPersistentVolumeClaims: the pod's claims before the pod; a claim being deleted fails the sync. */
  function createClaims(sync: Sync, ordinal: number, pod: string): void {
    const { set, view } = sync;
    for (const claim of claimsFor(view, selectorLabels(set), ordinal)) {
      const existing = api.store.get('/persistentvolumeclaims', view.namespace, nameOf(claim));
      if (existing && deletionTimestampOf(existing)) throw new Error(`pvc ${nameOf(claim)} is being deleted`);
      if (existing) continue;
      const owners = claimOwnersFor(claim, set, view, undefined, false);
      api.create(rt.claims, view.namespace, owners ? withMetadata(claim, { ownerReferences: owners }) : claim, { fieldManager: NAME });
      events.record(set, 'Normal', 'SuccessfulCreate', `create Claim ${nameOf(claim)} Pod ${pod} in StatefulSet ${view.name} success`, NAME);
    }
  }

  /** ClaimsMatchRetentionPolicy / UpdatePodClaimForRetentionPolicy for one pod's claims. */
  function syncClaimOwners(sync: Sync, pod: JsonObject): void {
    const { ordinal } = parentAndOrdinal(nameOf(pod));
    const condemned = ordinal < sync.view.startOrdinal || ordinal >= sync.view.startOrdinal + sync.view.replicas;
    for (const claim of claimsOf(sync, ordinal)) {
      if (deletionTimestampOf(claim)) continue;
      const owners = claimOwnersFor(claim, sync.set, sync.view, pod, condemned);
      if (!owners) continue;
      api.update(rt.claims, namespaceOf(claim), nameOf(claim), withMetadata(claim, { ownerReferences: owners.length ? owners : undefined }), { fieldManager: NAME });
    }
  }

  // ---- status and history ----

  function writeStatus(sync: Sync, pods: readonly JsonObject[], now: Date): void {
    const status = statefulSetStatus({
      set: sync.view,
      pods: pods.map((p) => memberPod(p, sync.view, now)),
      currentRevision: nameOf(sync.revisions.current),
      updateRevision: nameOf(sync.revisions.update),
      collisionCount: sync.revisions.collisionCount,
    });
    const latest = api.store.get('apps/statefulsets', sync.view.namespace, sync.view.name);
    if (!latest || uidOf(latest) !== uidOf(sync.set) || jsonEqual({ ...status }, latest.status)) return;
    api.update(rt.sets, sync.view.namespace, sync.view.name, { ...latest, status: { ...status } }, { fieldManager: NAME }, 'status');
  }

  /** truncateHistory: keep the current and update revisions, those pods use, and revisionHistoryLimit more. */
  function truncateHistory(sync: Sync, history: readonly JsonObject[], pods: readonly JsonObject[]): void {
    const spec = isJsonObject(sync.set.spec) ? sync.set.spec : {};
    const live = new Set([nameOf(sync.revisions.current), nameOf(sync.revisions.update), ...pods.map((p) => labelsOf(p)[CONTROLLER_REVISION_HASH_LABEL] ?? '')]);
    const limit = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
    for (const name of revisionsToPrune({ revisions: history, isLive: (r) => live.has(nameOf(r)), limit, mode: 'statefulset' })) {
      try {
        api.delete(rt.revisions, sync.view.namespace, name);
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      }
    }
  }

  /** Nothing announces "ready long enough": look again when the next pod becomes available. */
  function recheck(sync: Sync, pods: readonly JsonObject[], now: Date): ReconcileResult | void {
    const available = nextAvailableIn(pods, sync.view.minReadySeconds, now);
    const waits = [...(available === undefined ? [] : [available]), ...(sync.staleClaims ? [STALE_CLAIM_RECHECK_MS] : [])];
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('apps/statefulsets')),
  };
}


function selectorLabels(set: JsonObject): Record<string, string> {
  const selector = isJsonObject(set.spec) && isJsonObject(set.spec.selector) ? set.spec.selector : {};
  return isJsonObject(selector.matchLabels) ? (selector.matchLabels as Record<string, string>) : {};
}
