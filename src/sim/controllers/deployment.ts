import { isJsonObject, jsonEqual, type JsonObject } from '../../json.ts';
import { StatusError } from '../errors.ts';
import { metadataOf, nameOf, namespaceOf, uidOf } from '../object-meta.ts';
import type { StoreEvent } from '../store.ts';
import {
  calculateStatus, deploymentComplete, deploymentLimits, DESIRED_REPLICAS_ANNOTATION, getDeploymentCondition, isScalingEvent,
  MAX_REPLICAS_ANNOTATION, newDeploymentCondition, newReplicaSetConditions, newReplicasToScaleUp, nextRevision, oldReplicasToScaleDown,
  podTemplateHash, POD_TEMPLATE_HASH_LABEL, progressRecheckAfter, proportionalScale, replicasAnnotations, replicaSetSummary,
  REVISION_ANNOTATION, revisionOf, rolloutStatus, setDeploymentCondition, templatesEqualIgnoringHash,
  type DeploymentCondition, type DeploymentStatus, type DeploymentStrategyType,
} from './deployment-math.ts';
import { claim, selectorOf, selects } from './ownership.ts';
import { controllerRef, isPodActive, ownerReferenceTo } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'deployment-controller';
/** Deployment annotations that are not copied to its ReplicaSets (the controller's own, and kubectl's). */
const NOT_COPIED = new Set([REVISION_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, 'deployment.kubernetes.io/revision-history', 'kubectl.kubernetes.io/last-applied-configuration']);

interface Split {
  readonly newRS: JsonObject | undefined;
  readonly oldRSs: JsonObject[];
}

interface Rollout {
  readonly d: JsonObject;
  readonly spec: JsonObject;
  readonly replicas: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  readonly strategy: DeploymentStrategyType;
  readonly previous: DeploymentStatus;
}

/**
 * The Deployment controller (pkg/controller/deployment): rolling updates within
 * maxSurge/maxUnavailable (one step per sync: scale the new ReplicaSet up or old ones down),
 * Recreate, proportional scaling, pause, rollback by template, revision history, and the
 * Progressing/Available conditions with the progress deadline.
 */
export function createDeploymentController(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const deployments = api.registry.lookup('apps', 'v1', 'deployments')!;
  const replicaSets = api.registry.lookup('apps', 'v1', 'replicasets')!;

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'apps/deployments') return [keyOf(e.namespace, nameOf(e.object))];
    if (e.resource === 'apps/replicasets') {
      const refs = [e.object, ...(e.previous ? [e.previous] : [])].map(controllerRef).filter((r) => r?.kind === 'Deployment');
      if (refs.length > 0) return [...new Set(refs.map((r) => keyOf(e.namespace, r!.name)))];
      return api.store.list('apps/deployments', e.namespace).filter((d) => selects(selectorOf(d), e.object)).map((d) => keyOf(e.namespace, nameOf(d)));
    }
    // Recreate waits for old pods to be gone, which only pod deletions tell
    if (e.resource === '/pods' && e.type === 'DELETED') {
      const rsRef = controllerRef(e.object);
      const rs = rsRef?.kind === 'ReplicaSet' ? api.store.get('apps/replicasets', e.namespace, rsRef.name) : undefined;
      const dRef = rs ? controllerRef(rs) : undefined;
      return dRef?.kind === 'Deployment' ? [keyOf(e.namespace, dRef.name)] : [];
    }
    return [];
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const d = api.store.get('apps/deployments', namespace, name);
    if (!d || metadataOf(d).deletionTimestamp) return;
    const spec = isJsonObject(d.spec) ? d.spec : {};
    const strategySpec = isJsonObject(spec.strategy) ? spec.strategy : {};
    const strategy: DeploymentStrategyType = strategySpec.type === 'Recreate' ? 'Recreate' : 'RollingUpdate';
    const replicas = Number(spec.replicas ?? 1);
    const ru = isJsonObject(strategySpec.rollingUpdate) ? strategySpec.rollingUpdate : {};
    const intOrPercent = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? v : undefined);
    const limits = deploymentLimits({ type: strategy, rollingUpdate: { maxSurge: intOrPercent(ru.maxSurge), maxUnavailable: intOrPercent(ru.maxUnavailable) } }, replicas);
    const r: Rollout = { d, spec, replicas, strategy, maxSurge: limits.maxSurge, maxUnavailable: limits.maxUnavailable, previous: statusOf(d) };
    const owned = claim({ api, type: replicaSets, owner: d, candidates: api.store.list('apps/replicasets', namespace), selector: selectorOf(d), manager: NAME });

    if (spec.paused === true || isScalingEvent(replicas, owned.map(replicaSetSummary))) return sync(r, owned);
    return strategy === 'Recreate' ? rolloutRecreate(r, owned) : rolloutRolling(r, owned);
  }

  /** A scaling event or a paused Deployment: sizes change, the template does not roll. */
  function sync(r: Rollout, owned: JsonObject[]): ReconcileResult | void {
    const { newRS, oldRSs } = splitReplicaSets(r, owned);
    const sizes = proportionalScale({
      replicas: r.replicas,
      maxSurge: r.maxSurge,
      strategy: r.strategy,
      statusReplicas: r.previous.replicas,
      ...(newRS ? { newReplicaSet: replicaSetSummary(newRS) } : {}),
      oldReplicaSets: oldRSs.map(replicaSetSummary),
    });
    for (const rs of [...(newRS ? [newRS] : []), ...oldRSs]) {
      const size = sizes[nameOf(rs)];
      if (size !== undefined) scale(r, rs, size);
    }
    if (r.spec.paused === true) cleanup(r, oldRSs);
    return writeStatus(r, newRS, refreshed(owned), false);
  }

  function rolloutRolling(r: Rollout, owned: JsonObject[]): ReconcileResult | void {
    const split = withNewReplicaSet(r, splitReplicaSets(r, owned));
    if ('retry' in split) return split.retry;
    const { newRS, oldRSs } = split;
    const all = [newRS, ...oldRSs];
    const newSpec = replicaSetSummary(newRS).specReplicas;
    const target = newReplicasToScaleUp({ replicas: r.replicas, maxSurge: r.maxSurge, allSpecReplicas: all.map((rs) => replicaSetSummary(rs).specReplicas), newSpecReplicas: newSpec });
    if (target !== newSpec) {
      scale(r, newRS, target);
      return writeStatus(r, newRS, refreshed(all), true);
    }
    const down = oldReplicasToScaleDown({ replicas: r.replicas, maxUnavailable: r.maxUnavailable, newReplicaSet: replicaSetSummary(newRS), oldReplicaSets: oldRSs.map(replicaSetSummary) });
    if (down.cleanedUp + down.scaledDown > 0) {
      for (const rs of oldRSs) {
        const size = down.sizes[nameOf(rs)];
        if (size !== undefined) scale(r, rs, size);
      }
      return writeStatus(r, newRS, refreshed(all), true);
    }
    const result = writeStatus(r, newRS, all, true);
    if (isComplete(r)) cleanup(r, oldRSs);
    return result;
  }

  function rolloutRecreate(r: Rollout, owned: JsonObject[]): ReconcileResult | void {
    const split = splitReplicaSets(r, owned);
    const activeOld = split.oldRSs.filter((rs) => replicaSetSummary(rs).specReplicas > 0);
    if (activeOld.length > 0) {
      for (const rs of activeOld) scale(r, rs, 0);
      return writeStatus(r, split.newRS, refreshed(owned), true);
    }
    const oldUids = new Set(split.oldRSs.map(uidOf));
    const oldPodsLeft = api.store.list('/pods', namespaceOf(r.d)).some((p) => oldUids.has(controllerRef(p)?.uid ?? '') && isPodActive(p));
    if (oldPodsLeft) return writeStatus(r, split.newRS, owned, true);
    const ready = withNewReplicaSet(r, split);
    if ('retry' in ready) return ready.retry;
    if (replicaSetSummary(ready.newRS).specReplicas !== r.replicas) scale(r, ready.newRS, r.replicas);
    const result = writeStatus(r, ready.newRS, refreshed([ready.newRS, ...ready.oldRSs]), true);
    if (isComplete(r)) cleanup(r, ready.oldRSs);
    return result;
  }

  /**
   * getAllReplicaSetsAndSyncRevision: the new ReplicaSet (template equal but for the hash; the
   * oldest such) and the old ones. A new one that was old (a rollback) gets the next revision.
   */
  function splitReplicaSets(r: Rollout, owned: JsonObject[]): Split {
    const template = isJsonObject(r.spec.template) ? r.spec.template : {};
    const byAge = [...owned].sort((a, b) => Date.parse(String(metadataOf(a).creationTimestamp)) - Date.parse(String(metadataOf(b).creationTimestamp)) || nameOf(a).localeCompare(nameOf(b)));
    const found = byAge.find((rs) => isJsonObject(rs.spec) && isJsonObject(rs.spec.template) && templatesEqualIgnoringHash(rs.spec.template, template));
    const oldRSs = byAge.filter((rs) => rs !== found);
    const revision = nextRevision(oldRSs.map(replicaSetSummary));
    if (found && (revisionOf(replicaSetSummary(found)) ?? 0) < Number(revision)) {
      return { newRS: api.update(replicaSets, namespaceOf(found), nameOf(found), withAnnotations(found, { [REVISION_ANNOTATION]: revision }), { fieldManager: NAME }), oldRSs };
    }
    return { newRS: found, oldRSs };
  }

  /** The split with a new ReplicaSet, created if missing; or a retry after a hash collision. */
  function withNewReplicaSet(r: Rollout, split: Split): { newRS: JsonObject; oldRSs: JsonObject[] } | { retry: ReconcileResult } {
    if (split.newRS) return { newRS: split.newRS, oldRSs: split.oldRSs };
    const template = isJsonObject(r.spec.template) ? r.spec.template : {};
    const created = createReplicaSet(r, template, split.oldRSs, nextRevision(split.oldRSs.map(replicaSetSummary)));
    return 'retry' in created ? created : { newRS: created.rs, oldRSs: split.oldRSs };
  }

  function createReplicaSet(r: Rollout, template: JsonObject, oldRSs: JsonObject[], revision: string): { rs: JsonObject } | { retry: ReconcileResult } {
    const collisionCount = r.previous.collisionCount;
    const hash = podTemplateHash(template, collisionCount);
    const newTemplate = structuredClone(template);
    const templateMeta = isJsonObject(newTemplate.metadata) ? newTemplate.metadata : (newTemplate.metadata = {});
    templateMeta.labels = { ...(isJsonObject(templateMeta.labels) ? templateMeta.labels : {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const selector = structuredClone(isJsonObject(r.spec.selector) ? r.spec.selector : {});
    selector.matchLabels = { ...(isJsonObject(selector.matchLabels) ? selector.matchLabels : {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const size = r.strategy === 'Recreate'
      ? r.replicas
      : newReplicasToScaleUp({ replicas: r.replicas, maxSurge: r.maxSurge, allSpecReplicas: oldRSs.map((rs) => replicaSetSummary(rs).specReplicas), newSpecReplicas: 0 });
    const annotations = Object.fromEntries(Object.entries((metadataOf(r.d).annotations as Record<string, string> | undefined) ?? {}).filter(([k]) => !NOT_COPIED.has(k)));
    const body: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${nameOf(r.d)}-${hash}`,
        namespace: namespaceOf(r.d),
        labels: templateMeta.labels,
        annotations: { ...annotations, [REVISION_ANNOTATION]: revision, ...replicasAnnotations(r.replicas, r.maxSurge) },
        ownerReferences: [ownerReferenceTo(r.d)],
      },
      spec: { replicas: size, minReadySeconds: Number(r.spec.minReadySeconds ?? 0), selector, template: newTemplate },
    };
    try {
      const rs = api.create(replicaSets, namespaceOf(r.d), body, { fieldManager: NAME });
      if (size > 0) events.record(r.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${nameOf(rs)} to ${size}`, NAME);
      const conditions = newReplicaSetConditions({ conditions: r.previous.conditions, replicaSetName: nameOf(rs), created: true, ...progressDeadline(r) }, clock.now());
      writeRaw(r.d, { ...r.previous, conditions }, revision);
      return { rs };
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'AlreadyExists') throw e;
      // a ReplicaSet of that name with another template: a hash collision, retried with a new hash
      writeRaw(r.d, { ...r.previous, collisionCount: (collisionCount ?? 0) + 1 }, undefined);
      return { retry: { requeueAfterMs: 0 } };
    }
  }

  function scale(r: Rollout, rs: JsonObject, size: number): void {
    const current = replicaSetSummary(rs).specReplicas;
    const annotations = replicasAnnotations(r.replicas, r.maxSurge);
    const live = api.store.get('apps/replicasets', namespaceOf(rs), nameOf(rs)) ?? rs;
    const liveAnnotations = (metadataOf(live).annotations as Record<string, string> | undefined) ?? {};
    if (current === size && Object.entries(annotations).every(([k, v]) => liveAnnotations[k] === v)) return;
    const next = withAnnotations({ ...live, spec: { ...(isJsonObject(live.spec) ? live.spec : {}), replicas: size } }, annotations);
    api.update(replicaSets, namespaceOf(rs), nameOf(rs), next, { fieldManager: NAME });
    if (current !== size) {
      events.record(r.d, 'Normal', 'ScalingReplicaSet', `Scaled ${size > current ? 'up' : 'down'} replica set ${nameOf(rs)} to ${size} from ${current}`, NAME);
    }
  }

  /** Old ReplicaSets beyond revisionHistoryLimit go, oldest revision first, once they are empty. */
  function cleanup(r: Rollout, oldRSs: JsonObject[]): void {
    const limit = Number(r.spec.revisionHistoryLimit ?? 10);
    const empty = oldRSs
      .map((rs) => api.store.get('apps/replicasets', namespaceOf(rs), nameOf(rs)))
      .filter((rs): rs is JsonObject => rs !== undefined && !metadataOf(rs).deletionTimestamp)
      .filter((rs) => {
        const s = replicaSetSummary(rs);
        return s.specReplicas === 0 && s.statusReplicas === 0;
      })
      .sort((a, b) => (revisionOf(replicaSetSummary(a)) ?? 0) - (revisionOf(replicaSetSummary(b)) ?? 0));
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) api.delete(replicaSets, namespaceOf(rs), nameOf(rs), { propagationPolicy: 'Background' });
  }

  function isComplete(r: Rollout): boolean {
    const d = api.store.get('apps/deployments', namespaceOf(r.d), nameOf(r.d));
    return d !== undefined && deploymentComplete({ replicas: r.replicas, generation: Number(metadataOf(d).generation ?? 0) }, statusOf(d));
  }

  /** syncRolloutStatus (or syncDeploymentStatus when not rolling): counts, conditions, the revision annotation. */
  function writeStatus(r: Rollout, newRS: JsonObject | undefined, all: JsonObject[], rolling: boolean): ReconcileResult | void {
    const now = clock.now();
    const d = api.store.get('apps/deployments', namespaceOf(r.d), nameOf(r.d)) ?? r.d;
    const previous = statusOf(d);
    const generation = Number(metadataOf(d).generation ?? 0);
    const calculated = calculateStatus({
      generation,
      replicas: r.replicas,
      maxUnavailable: r.maxUnavailable,
      previous,
      ...(newRS ? { newReplicaSet: replicaSetSummary(newRS) } : {}),
      allReplicaSets: all.map(replicaSetSummary),
    }, now);
    const input = { deploymentName: nameOf(d), ...(newRS ? { newReplicaSetName: nameOf(newRS) } : {}), replicas: r.replicas, generation, ...progressDeadline(r), previous, calculated };
    let status = rolling ? rolloutStatus(input, now) : calculated;
    status = { ...status, conditions: pausedConditions(status.conditions, r.spec.paused === true, now) };
    writeRaw(d, status, newRS ? String(revisionOf(replicaSetSummary(newRS)) ?? '') : undefined);
    if (!rolling) return;
    const after = progressRecheckAfter({ ...input, previous: status }, now);
    return after === undefined ? undefined : { requeueAfterMs: after };
  }

  function writeRaw(d: JsonObject, status: DeploymentStatus, revision: string | undefined): void {
    const live = api.store.get('apps/deployments', namespaceOf(d), nameOf(d));
    if (!live) return;
    const annotations = (metadataOf(live).annotations as Record<string, string> | undefined) ?? {};
    const withRevision = revision && annotations[REVISION_ANNOTATION] !== revision ? withAnnotations(live, { [REVISION_ANNOTATION]: revision }) : live;
    const next = { ...withRevision, status: status as unknown as JsonObject };
    if (jsonEqual(next.status, live.status) && withRevision === live) return;
    api.update(deployments, namespaceOf(d), nameOf(d), next, { fieldManager: NAME }, 'status');
  }

  /** refreshes ReplicaSets from the store after this sync scaled some of them */
  function refreshed(list: JsonObject[]): JsonObject[] {
    return list.map((rs) => api.store.get('apps/replicasets', namespaceOf(rs), nameOf(rs)) ?? rs);
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('apps/deployments')),
  };
}


function progressDeadline(r: Rollout): { progressDeadlineSeconds?: number } {
  const v = r.spec.progressDeadlineSeconds;
  return typeof v === 'number' ? { progressDeadlineSeconds: v } : {};
}

function statusOf(d: JsonObject): DeploymentStatus {
  const s = isJsonObject(d.status) ? d.status : {};
  const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  return {
    observedGeneration: n('observedGeneration'),
    replicas: n('replicas'),
    updatedReplicas: n('updatedReplicas'),
    readyReplicas: n('readyReplicas'),
    availableReplicas: n('availableReplicas'),
    unavailableReplicas: n('unavailableReplicas'),
    conditions: (Array.isArray(s.conditions) ? s.conditions.filter(isJsonObject) : []) as unknown as DeploymentCondition[],
    ...(typeof s.collisionCount === 'number' ? { collisionCount: s.collisionCount } : {}),
  };
}

/** checkPausedConditions: Progressing Unknown while paused, and once when resumed. */
function pausedConditions(conditions: readonly DeploymentCondition[], paused: boolean, now: Date): DeploymentCondition[] {
  const progressing = getDeploymentCondition(conditions, 'Progressing');
  if (!progressing) return [...conditions];
  const pausedNow = progressing.reason === 'DeploymentPaused';
  if (paused && !pausedNow) return setDeploymentCondition(conditions, newDeploymentCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now));
  if (!paused && pausedNow) return setDeploymentCondition(conditions, newDeploymentCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now));
  return [...conditions];
}

function withAnnotations(obj: JsonObject, annotations: Record<string, string>): JsonObject {
  const meta = metadataOf(obj);
  return { ...obj, metadata: { ...meta, annotations: { ...(isJsonObject(meta.annotations) ? meta.annotations : {}), ...annotations } } };
}
