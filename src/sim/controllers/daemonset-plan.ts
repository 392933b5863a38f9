/**
 * The DaemonSet controller's decisions, pure: what kubernetes/kubernetes pkg/controller/daemon
 * (daemon_controller.go podsShouldBeOnNode / updateDaemonSetStatus, update.go rollingUpdate)
 * computes for one sync — pods to create on nodes, pods to delete, and the status counts —
 * minus the API calls. Nodes are visited by name, where the real controller walks a Go map.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { deletionTimestampOf, labelsOf, metadataOf, nameOf } from '../object-meta.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from './controller-history.ts';
import { scaledValue, type IntOrPercent } from './deployment-math.ts';
import { TEMPLATE_GENERATION_LABEL, targetNodeName, type NodeFit } from './daemonset-scheduling.ts';
import { isPodAvailable, isPodReady, podPhase } from './pods.ts';

/** The apiserver keeps the template generation here for apps/v1 DaemonSets. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

export type DaemonSetStrategy =
  | { readonly type: 'RollingUpdate'; readonly maxUnavailable: IntOrPercent; readonly maxSurge: IntOrPercent }
  | { readonly type: 'OnDelete' };

export interface DaemonSetView {
  readonly name: string;
  readonly namespace: string;
  readonly generation: number;
  /** the template generation pods are labelled with (see daemonSetView) */
  readonly templateGeneration: number | undefined;
  readonly minReadySeconds: number;
  readonly strategy: DaemonSetStrategy;
  readonly revisionHistoryLimit: number;
  readonly deleting: boolean;
  readonly collisionCount: number | undefined;
}

const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {});
const intOrPercent = (v: JsonValue | undefined, fallback: IntOrPercent): IntOrPercent => (typeof v === 'number' || typeof v === 'string' ? v : fallback);

/**
 * The DaemonSet with defaults applied. templateGeneration comes from the annotation a real
 * apiserver maintains; absent that (the embedded server does not), metadata.generation stands in.
 */
export function daemonSetView(ds: JsonObject): DaemonSetView {
  const meta = metadataOf(ds);
  const spec = obj(ds.spec);
  const strategy = obj(spec.updateStrategy);
  const ru = obj(strategy.rollingUpdate);
  const annotated = Number(obj(meta.annotations)[TEMPLATE_GENERATION_ANNOTATION]);
  const generation = typeof meta.generation === 'number' ? meta.generation : 0;
  const status = obj(ds.status);
  return {
    name: nameOf(ds),
    namespace: String(meta.namespace ?? ''),
    generation,
    templateGeneration: Number.isInteger(annotated) ? annotated : meta.generation === undefined ? undefined : generation,
    minReadySeconds: typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0,
    strategy:
      strategy.type === 'OnDelete'
        ? { type: 'OnDelete' }
        : { type: 'RollingUpdate', maxUnavailable: intOrPercent(ru.maxUnavailable, 1), maxSurge: intOrPercent(ru.maxSurge, 0) },
    revisionHistoryLimit: typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10,
    deleting: deletionTimestampOf(ds) !== undefined,
    collisionCount: typeof status.collisionCount === 'number' ? status.collisionCount : undefined,
  };
}

/** A daemon pod as the algorithm sees it. */
export interface DaemonPod {
  readonly name: string;
  readonly node: string | undefined;
  /** spec.nodeName is set (podByCreationTimestampAndPhase puts these first) */
  readonly scheduled: boolean;
  readonly phase: string;
  readonly terminating: boolean;
  readonly ready: boolean;
  readonly available: boolean;
  readonly hash: string;
  /** IsPodUpdated: the current hash, or the current template generation */
  readonly updated: boolean;
  readonly created: string;
}

export interface PodContext {
  readonly hash: string;
  readonly templateGeneration: number | undefined;
  readonly minReadySeconds: number;
  readonly now: Date;
}

export function daemonPod(pod: JsonObject, ctx: PodContext): DaemonPod {
  const labels = labelsOf(pod);
  const hash = labels[CONTROLLER_REVISION_HASH_LABEL] ?? '';
  const byGeneration = ctx.templateGeneration !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(ctx.templateGeneration);
  return {
    name: nameOf(pod),
    node: targetNodeName(pod),
    scheduled: isJsonObject(pod.spec) && typeof pod.spec.nodeName === 'string' && pod.spec.nodeName !== '',
    phase: podPhase(pod),
    terminating: deletionTimestampOf(pod) !== undefined,
    ready: isPodReady(pod),
    available: isPodAvailable(pod, ctx.minReadySeconds, ctx.now),
    hash,
    updated: (ctx.hash !== '' && hash === ctx.hash) || byGeneration,
    created: String(metadataOf(pod).creationTimestamp ?? ''),
  };
}

const terminal = (p: DaemonPod): boolean => p.phase === 'Succeeded' || p.phase === 'Failed';

/** podByCreationTimestampAndPhase: scheduled first, then oldest, then by name. */
export function byAge(a: DaemonPod, b: DaemonPod): number {
  return Number(b.scheduled) - Number(a.scheduled) || a.created.localeCompare(b.created) || a.name.localeCompare(b.name);
}

/** getNodesToDaemonPods(ds, false): pods by target node, without finished pods already being deleted. */
export function podsByNode(pods: readonly DaemonPod[]): Map<string, DaemonPod[]> {
  const byNode = new Map<string, DaemonPod[]>();
  for (const pod of pods) {
    if ((terminal(pod) && pod.terminating) || pod.node === undefined) continue;
    byNode.set(pod.node, [...(byNode.get(pod.node) ?? []), pod]);
  }
  return byNode;
}

// ---- manage ----

export type DeleteReason = 'succeeded' | 'excess' | 'misscheduled' | 'unscheduled';

export interface ManagePlan {
  readonly createOn: string[];
  readonly deletions: { readonly pod: string; readonly reason: DeleteReason }[];
  /** failed pods to delete, subject to the controller's per-node backoff */
  readonly failed: { readonly pod: string; readonly node: string }[];
}

export interface ManageInput {
  readonly fits: readonly NodeFit[];
  readonly pods: readonly DaemonPod[];
  readonly surge: boolean;
  readonly hash: string;
}

/**
 * manage: a pod for every node that should run one, none on nodes that must not keep one,
 * failed and succeeded pods replaced, and at most one pod per node — or, while surging, the
 * oldest new pod plus the oldest old one until the new one is available.
 */
export function planManage(input: ManageInput): ManagePlan {
  const plan: ManagePlan = { createOn: [], deletions: [], failed: [] };
  const byNode = podsByNode(input.pods);
  for (const fit of input.fits) {
    const pods = byNode.get(fit.node);
    if (fit.shouldRun && !pods) plan.createOn.push(fit.node);
    else if (fit.shouldContinueRunning) keepOnNode(plan, fit, pods ?? [], input);
    else if (pods) for (const p of pods) if (!p.terminating) plan.deletions.push({ pod: p.name, reason: 'misscheduled' });
  }
  // getUnscheduledPodsWithoutNode: unbound pods aimed at nodes that no longer exist
  const nodes = new Set(input.fits.map((f) => f.node));
  for (const [node, pods] of byNode) {
    if (!nodes.has(node)) for (const p of pods) if (!p.scheduled) plan.deletions.push({ pod: p.name, reason: 'unscheduled' });
  }
  return plan;
}

function keepOnNode(plan: ManagePlan, fit: NodeFit, pods: readonly DaemonPod[], input: ManageInput): void {
  const running: DaemonPod[] = [];
  for (const p of pods) {
    if (p.terminating) continue;
    if (p.phase === 'Failed') plan.failed.push({ pod: p.name, node: fit.node });
    else if (p.phase === 'Succeeded') plan.deletions.push({ pod: p.name, reason: 'succeeded' });
    else running.push(p);
  }
  running.sort(byAge);
  if (!input.surge) {
    for (const p of running.slice(1)) plan.deletions.push({ pod: p.name, reason: 'excess' });
    return;
  }
  if (running.length === 0 && fit.shouldRun) plan.createOn.push(fit.node);
  if (running.length <= 1) return;
  const oldestNew = running.find((p) => p.hash === input.hash);
  const oldestOld = running.find((p) => p.hash !== input.hash);
  for (const p of running) if (p !== oldestNew && p !== oldestOld) plan.deletions.push({ pod: p.name, reason: 'excess' });
  // two pods stay only while the new one is not yet available and the old one still serves
  if (oldestNew && oldestOld && (!oldestOld.ready || oldestNew.available)) plan.deletions.push({ pod: oldestOld.name, reason: 'excess' });
}

// ---- rolling update ----

export interface RolloutLimits {
  readonly desired: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/** updatedDesiredNodeCounts: both limits are of desiredNumberScheduled, rounded up; both 0 means unavailable 1. */
export function rolloutLimits(strategy: DaemonSetStrategy, fits: readonly NodeFit[]): RolloutLimits {
  const desired = fits.filter((f) => f.shouldRun).length;
  if (strategy.type !== 'RollingUpdate') return { desired, maxSurge: 0, maxUnavailable: 0 };
  const maxUnavailable = scaledValue(strategy.maxUnavailable, desired, true);
  const maxSurge = scaledValue(strategy.maxSurge, desired, true);
  return { desired, maxSurge, maxUnavailable: desired > 0 && maxUnavailable === 0 && maxSurge === 0 ? 1 : maxUnavailable };
}

/** AllowsSurge: maxSurge of a one-node cluster is not 0. */
export function allowsSurge(strategy: DaemonSetStrategy): boolean {
  return strategy.type === 'RollingUpdate' && scaledValue(strategy.maxSurge, 1, true) !== 0;
}

export interface UpdatePlan {
  readonly deletePods: string[];
  readonly createOn: string[];
}

interface NodePods {
  readonly node: string;
  /** findUpdatedPodsOnNode: false when a node has two new or two old pods (manage cleans up) */
  readonly ok: boolean;
  readonly newPod?: DaemonPod;
  readonly oldPod?: DaemonPod;
}

function nodePods(input: { fits: readonly NodeFit[]; pods: readonly DaemonPod[] }): NodePods[] {
  const byNode = podsByNode(input.pods);
  for (const f of input.fits) if (f.shouldRun && !byNode.has(f.node)) byNode.set(f.node, []);
  return [...byNode.keys()].sort().map((node) => {
    const live = (byNode.get(node) ?? []).filter((p) => !p.terminating);
    const fresh = live.filter((p) => p.updated);
    const stale = live.filter((p) => !p.updated);
    if (fresh.length > 1 || stale.length > 1) return { node, ok: false };
    return { node, ok: true, ...(fresh[0] ? { newPod: fresh[0] } : {}), ...(stale[0] ? { oldPod: stale[0] } : {}) };
  });
}

export interface UpdateInput {
  readonly fits: readonly NodeFit[];
  readonly pods: readonly DaemonPod[];
  readonly limits: RolloutLimits;
}

/** rollingUpdate: the maxUnavailable path, or the maxSurge path when surging is allowed. */
export function planRollingUpdate(input: UpdateInput): UpdatePlan {
  return input.limits.maxSurge === 0 ? planUnavailable(input) : planSurge(input);
}

/** Delete old pods while at most maxUnavailable nodes lack an available pod; manage recreates them. */
function planUnavailable(input: UpdateInput): UpdatePlan {
  let unavailable = 0;
  const replacements: string[] = [];
  const candidates: string[] = [];
  for (const n of nodePods(input)) {
    if (!n.ok || (n.newPod === undefined) === (n.oldPod === undefined)) unavailable++;
    else if (n.newPod) unavailable += n.newPod.available ? 0 : 1;
    else if (n.oldPod && !n.oldPod.available) {
      // an old pod that is down anyway is replaced without waiting for budget
      replacements.push(n.oldPod.name);
      unavailable++;
    } else if (n.oldPod && unavailable < input.limits.maxUnavailable) candidates.push(n.oldPod.name);
  }
  const budget = Math.min(Math.max(0, input.limits.maxUnavailable - unavailable), candidates.length);
  return { deletePods: [...replacements, ...candidates.slice(0, budget)], createOn: [] };
}

/** Start a new pod beside up to maxSurge available old ones; delete each old pod once its replacement is available. */
function planSurge(input: UpdateInput): UpdatePlan {
  const fits = new Map(input.fits.map((f) => [f.node, f]));
  const deletePods: string[] = [];
  const misplaced: string[] = [];
  const allowed: string[] = [];
  const candidates: string[] = [];
  let surging = 0;
  let available = 0;
  for (const n of nodePods(input)) {
    if (!n.ok) {
      surging++;
      continue;
    }
    if (n.oldPod ? n.oldPod.available : n.newPod?.available) available++;
    const shouldRun = fits.get(n.node)?.shouldRun ?? false;
    if (!n.oldPod) continue;
    if (!n.newPod) {
      if (!shouldRun) (n.oldPod.available ? misplaced : deletePods).push(n.oldPod.name);
      else if (!n.oldPod.available) allowed.push(n.node);
      else if (surging < input.limits.maxSurge) candidates.push(n.node);
    } else if (!n.newPod.available) surging++;
    else deletePods.push(n.oldPod.name);
  }
  // old pods on nodes that no longer qualify go only while more pods are available than desired
  const deletable = Math.min(Math.max(0, available - input.limits.desired), misplaced.length);
  const room = Math.min(Math.max(0, input.limits.maxSurge - surging), candidates.length);
  return { deletePods: [...deletePods, ...misplaced.slice(0, deletable)], createOn: [...allowed, ...candidates.slice(0, room)] };
}

// ---- status ----

export interface DaemonSetCounts {
  readonly desiredNumberScheduled: number;
  readonly currentNumberScheduled: number;
  readonly numberMisscheduled: number;
  readonly numberReady: number;
  readonly numberAvailable: number;
  readonly numberUnavailable: number;
  readonly updatedNumberScheduled: number;
}

/** updateDaemonSetStatus: per node that should run a pod, its oldest pod decides ready/available/updated. */
export function daemonSetCounts(fits: readonly NodeFit[], pods: readonly DaemonPod[]): DaemonSetCounts {
  const byNode = podsByNode(pods);
  let [desired, current, misscheduled, ready, available, updated] = [0, 0, 0, 0, 0, 0];
  for (const fit of fits) {
    const oldest = [...(byNode.get(fit.node) ?? [])].sort(byAge)[0];
    if (!fit.shouldRun) {
      if (oldest) misscheduled++;
      continue;
    }
    desired++;
    if (!oldest) continue;
    current++;
    if (oldest.ready) ready++;
    if (oldest.ready && oldest.available) available++;
    if (oldest.updated) updated++;
  }
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: desired - available,
    updatedNumberScheduled: updated,
  };
}
