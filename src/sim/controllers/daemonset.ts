import { isJsonObject, type JsonObject } from '../../json.ts';
import { StatusError } from '../errors.ts';
import { labelsOf, metadataOf, nameOf, namespaceOf, uidOf, withMetadata } from '../object-meta.ts';
import type { ResourceType } from '../resources.ts';
import type { LabelRequirement } from '../selectors.ts';
import type { StoreEvent } from '../store.ts';
import {
  CONTROLLER_REVISION_HASH_LABEL, controllerRevisionBody, nextRevisionNumber, revisionNumber, revisionsToPrune,
  sameRevisionData, sortByRevision, templateLabels, templateRevisionData,
} from './controller-history.ts';
import {
  allowsSurge, daemonPod, daemonSetCounts, daemonSetView, planManage, planRollingUpdate, rolloutLimits,
  type DaemonPod, type DaemonSetView, type ManagePlan,
} from './daemonset-plan.ts';
import { newDaemonPod, nodeFit, type NodeFit } from './daemonset-scheduling.ts';
import { podTemplateHash } from './deployment-math.ts';
import { claim, selectorOf, selects } from './ownership.ts';
import { controllerRef, nextAvailableIn } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'daemonset-controller';
/** burstReplicas: creates and deletes per sync */
const BURST_REPLICAS = 250;
/** failedPodsBackoff: 1 s doubling up to 15 min, per DaemonSet generation and node */
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 15 * 60 * 1000;

/** What one sync works on. */
interface Sync {
  readonly ds: JsonObject;
  readonly view: DaemonSetView;
  readonly fits: readonly NodeFit[];
  readonly hash: string;
  readonly now: Date;
  /** requeue delays asked for along the way (failed-pod backoff) */
  readonly waits: number[];
}

/**
 * The DaemonSet controller (pkg/controller/daemon): one pod per node that should run it,
 * rolled to a new ControllerRevision within maxUnavailable, or with maxSurge by starting the
 * new pod beside the old one. The decisions are daemonset-plan.ts and daemonset-scheduling.ts;
 * this file reads the cluster and applies them.
 */
export function createDaemonSetController(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const rt = {
    pods: api.registry.lookup('', 'v1', 'pods')!,
    sets: api.registry.lookup('apps', 'v1', 'daemonsets')!,
    revisions: api.registry.lookup('apps', 'v1', 'controllerrevisions')!,
  } satisfies Record<string, ResourceType>;
  const backoff = new Map<string, { delayMs: number; at: number }>();

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'apps/daemonsets') return [keyOf(e.namespace, nameOf(e.object))];
    // any node change may change where daemon pods belong
    if (e.resource === '/nodes') return keysOf(api.store.list('apps/daemonsets'));
    if (e.resource !== '/pods' && e.resource !== 'apps/controllerrevisions') return [];
    const refs = [e.object, e.previous].flatMap((o) => (o && controllerRef(o)) || []);
    if (refs.length > 0) return [...new Set(refs.filter((r) => r.kind === 'DaemonSet').map((r) => keyOf(e.namespace, r.name)))];
    // an orphan may be adopted by any DaemonSet whose selector matches it
    return api.store
      .list('apps/daemonsets', e.namespace)
      .filter((ds) => selects(selectorOf(ds), e.object))
      .map((ds) => keyOf(e.namespace, nameOf(ds)));
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const ds = api.store.get('apps/daemonsets', namespace, name);
    if (!ds) return;
    const selector = selectorOf(ds);
    if (selector.length === 0) {
      events.record(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.', NAME);
      return;
    }
    const view = daemonSetView(ds);
    // a deleting DaemonSet's history may already be gone: its status cannot be trusted
    if (view.deleting) return;
    const template = isJsonObject(ds.spec) ? ds.spec.template : undefined;
    const fits = api.store.list('/nodes').map((n) => nodeFit(template, n));
    const { current, old } = constructHistory(ds, view, selector);
    const sync: Sync = { ds, view, fits, hash: labelsOf(current)[CONTROLLER_REVISION_HASH_LABEL] ?? '', now: clock.now(), waits: [] };
    const changed = manage(sync, claimPods(ds, selector));
    // the real controller waits for its own creates and deletes to be observed (expectations)
    if (!changed && view.strategy.type === 'RollingUpdate') rollingUpdate(sync, claimPods(ds, selector));
    const pods = claimPods(ds, selector);
    cleanupHistory(sync, old, pods);
    writeStatus(sync, pods);
    return recheck(sync, pods);
  }

  function claimPods(ds: JsonObject, selector: readonly LabelRequirement[]): JsonObject[] {
    return claim({ api, type: rt.pods, owner: ds, candidates: api.store.list('/pods', namespaceOf(ds)), selector, manager: NAME });
  }

  function viewPods(sync: Sync, pods: readonly JsonObject[]): DaemonPod[] {
    const ctx = { hash: sync.hash, templateGeneration: sync.view.templateGeneration, minReadySeconds: sync.view.minReadySeconds, now: sync.now };
    return pods.map((p) => daemonPod(p, ctx));
  }

  // ---- history ----

  /**
   * constructHistory: the revision whose data is the current template (created if missing,
   * de-duplicated, renumbered to the top) and the older ones.
   */
  function constructHistory(ds: JsonObject, view: DaemonSetView, selector: readonly LabelRequirement[]): { current: JsonObject; old: JsonObject[] } {
    const candidates = api.store.list('apps/controllerrevisions', view.namespace);
    const history = claim({ api, type: rt.revisions, owner: ds, candidates, selector, manager: NAME }).map(withHashLabel);
    const data = templateRevisionData(isJsonObject(ds.spec) ? ds.spec.template : undefined);
    const matching = sortByRevision(history.filter((r) => sameRevisionData(r, data)));
    const old = history.filter((r) => !sameRevisionData(r, data));
    const top = nextRevisionNumber(old);
    const kept = matching.at(-1);
    if (!kept) return { current: snapshot(ds, view, data, top), old };
    for (const duplicate of matching.slice(0, -1)) dropDuplicate(view, duplicate, kept);
    const current = revisionNumber(kept) < top ? api.update(rt.revisions, view.namespace, nameOf(kept), { ...kept, revision: top }, { fieldManager: NAME }) : kept;
    return { current, old };
  }

  /** Revisions made before the hash label existed get their name as the hash (constructHistory). */
  function withHashLabel(r: JsonObject): JsonObject {
    if (labelsOf(r)[CONTROLLER_REVISION_HASH_LABEL]) return r;
    const labels = { ...labelsOf(r), [CONTROLLER_REVISION_HASH_LABEL]: nameOf(r) };
    return api.update(rt.revisions, namespaceOf(r), nameOf(r), withMetadata(r, { labels }), { fieldManager: NAME });
  }

  /** snapshot: revision `<ds>-<ComputeHash(template, collisionCount)>`; a name taken by other data bumps collisionCount. */
  function snapshot(ds: JsonObject, view: DaemonSetView, data: JsonObject, revision: number): JsonObject {
    const template = isJsonObject(ds.spec) && isJsonObject(ds.spec.template) ? ds.spec.template : {};
    const hash = podTemplateHash(template, view.collisionCount);
    const name = `${view.name}-${hash}`;
    const labels = { ...templateLabels(template), [CONTROLLER_REVISION_HASH_LABEL]: hash };
    const body = controllerRevisionBody({ owner: ds, data, revision, name, labels, annotations: metadataOf(ds).annotations ?? null });
    try {
      return api.create(rt.revisions, view.namespace, body, { fieldManager: NAME });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
      const existing = api.get(rt.revisions, view.namespace, name);
      if (sameRevisionData(existing, data)) return existing;
      const latest = api.get(rt.sets, view.namespace, view.name);
      const status = isJsonObject(latest.status) ? latest.status : {};
      api.update(rt.sets, view.namespace, view.name, { ...latest, status: { ...status, collisionCount: (view.collisionCount ?? 0) + 1 } }, { fieldManager: NAME }, 'status');
      throw e; // retried with the new collisionCount
    }
  }

  /** dedupCurHistories: pods of a duplicate take the kept revision's hash, then the duplicate goes. */
  function dropDuplicate(view: DaemonSetView, duplicate: JsonObject, kept: JsonObject): void {
    const from = labelsOf(duplicate)[CONTROLLER_REVISION_HASH_LABEL];
    const to = labelsOf(kept)[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    for (const pod of api.store.list('/pods', view.namespace)) {
      if (from === undefined || labelsOf(pod)[CONTROLLER_REVISION_HASH_LABEL] !== from) continue;
      const labels = { ...labelsOf(pod), [CONTROLLER_REVISION_HASH_LABEL]: to };
      api.update(rt.pods, view.namespace, nameOf(pod), withMetadata(pod, { labels }), { fieldManager: NAME });
    }
    api.delete(rt.revisions, view.namespace, nameOf(duplicate));
  }

  /** cleanupHistory: old revisions beyond revisionHistoryLimit go, oldest first, unless a pod still uses their hash. */
  function cleanupHistory(sync: Sync, old: readonly JsonObject[], pods: readonly JsonObject[]): void {
    const live = new Set(pods.map((p) => labelsOf(p)[CONTROLLER_REVISION_HASH_LABEL] ?? '').filter(Boolean));
    const isLive = (r: JsonObject) => live.has(labelsOf(r)[CONTROLLER_REVISION_HASH_LABEL] ?? '');
    for (const name of revisionsToPrune({ revisions: old, isLive, limit: sync.view.revisionHistoryLimit, mode: 'daemonset' })) {
      api.delete(rt.revisions, sync.view.namespace, name);
    }
  }

  // ---- pods ----

  /** manage + syncNodes; true when it created or deleted anything. */
  function manage(sync: Sync, pods: readonly JsonObject[]): boolean {
    const plan = planManage({ fits: sync.fits, pods: viewPods(sync, pods), surge: allowsSurge(sync.view.strategy), hash: sync.hash });
    const deletions = [...plan.deletions.map((d) => d.pod), ...failedPodsToDelete(sync, plan)];
    for (const d of plan.deletions) {
      if (d.reason === 'succeeded') events.record(sync.ds, 'Normal', 'SucceededDaemonPod', `Found succeeded daemon pod ${sync.view.namespace}/${d.pod}, will try to delete it`, NAME);
    }
    return syncNodes(sync, deletions, plan.createOn);
  }

  /** Failed pods are deleted (and recreated) no faster than the per-node backoff allows. */
  function failedPodsToDelete(sync: Sync, plan: ManagePlan): string[] {
    const now = sync.now.getTime();
    return plan.failed.flatMap(({ pod, node }) => {
      const key = `${uidOf(sync.ds)}/${sync.view.generation}/${node}`;
      const entry = backoff.get(key);
      if (entry && now - entry.at < entry.delayMs) {
        sync.waits.push(entry.delayMs);
        return [];
      }
      const expired = !entry || now - entry.at > 2 * BACKOFF_MAX_MS;
      backoff.set(key, { delayMs: expired ? BACKOFF_INITIAL_MS : Math.min(entry.delayMs * 2, BACKOFF_MAX_MS), at: now });
      events.record(sync.ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${sync.view.namespace}/${pod} on node ${node}, will try to kill it`, NAME);
      return [pod];
    });
  }

  function rollingUpdate(sync: Sync, pods: readonly JsonObject[]): void {
    const limits = rolloutLimits(sync.view.strategy, sync.fits);
    const plan = planRollingUpdate({ fits: sync.fits, pods: viewPods(sync, pods), limits });
    syncNodes(sync, plan.deletePods, plan.createOn);
  }

  /** syncNodes: creates, then deletes, at most burstReplicas of each. */
  function syncNodes(sync: Sync, deletions: readonly string[], nodes: readonly string[]): boolean {
    for (const node of nodes.slice(0, BURST_REPLICAS)) {
      const body = newDaemonPod({ ds: sync.ds, node, hash: sync.hash, templateGeneration: sync.view.templateGeneration });
      let created: JsonObject;
      try {
        created = api.create(rt.pods, sync.view.namespace, body, { fieldManager: NAME });
      } catch (e) {
        if (e instanceof StatusError) events.record(sync.ds, 'Warning', 'FailedCreate', `Error creating: ${e.message}`, NAME);
        throw e;
      }
      events.record(sync.ds, 'Normal', 'SuccessfulCreate', `Created pod: ${nameOf(created)}`, NAME);
    }
    for (const pod of deletions.slice(0, BURST_REPLICAS)) {
      try {
        api.delete(rt.pods, sync.view.namespace, pod);
      } catch (e) {
        if (e instanceof StatusError && e.reason === 'NotFound') continue;
        throw e;
      }
      events.record(sync.ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod}`, NAME);
    }
    return deletions.length > 0 || nodes.length > 0;
  }

  // ---- status ----

  function writeStatus(sync: Sync, pods: readonly JsonObject[]): void {
    const counts = daemonSetCounts(sync.fits, viewPods(sync, pods));
    const latest = api.store.get('apps/daemonsets', sync.view.namespace, sync.view.name);
    if (!latest || uidOf(latest) !== uidOf(sync.ds)) return;
    const status = isJsonObject(latest.status) ? latest.status : {};
    const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : 0;
    const same = Object.entries(counts).every(([k, v]) => status[k] === v);
    if (same && observed >= sync.view.generation) return;
    const next = { ...status, ...counts, observedGeneration: sync.view.generation };
    api.update(rt.sets, sync.view.namespace, sync.view.name, { ...latest, status: next }, { fieldManager: NAME }, 'status');
  }

  /** Look again when a ready pod becomes available, or a failed pod's backoff ends. */
  function recheck(sync: Sync, pods: readonly JsonObject[]): ReconcileResult | void {
    const available = nextAvailableIn(pods, sync.view.minReadySeconds, sync.now);
    const waits = [...(available === undefined ? [] : [available]), ...sync.waits];
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('apps/daemonsets')),
  };
}

