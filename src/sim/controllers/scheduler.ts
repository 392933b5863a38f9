import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { deletionTimestampOf, labelsOf, nameOf, namespaceOf } from '../object-meta.ts';
import type { StoreEvent } from '../store.ts';
import {
  addResources, isNodeReady, nodeAllocatable, NO_RESOURCES, podRequests, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE,
  taintsOf, type Resources, type Taint,
} from './nodes.ts';
import { controllerRef, podPhase } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext } from './types.ts';

const NAME = 'default-scheduler';

/**
 * kube-scheduler's default profile, reduced to what a GitOps rollout meets: filters
 * NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector and required node affinity)
 * and NodeResourcesFit, run in that order (a node fails on the first that rejects it), then
 * NodeResourcesLeastAllocated scoring. Pure: the controller below feeds it the store's contents.
 */

export type ScheduleResult =
  | { readonly node: string }
  | { readonly reasons: ReadonlyMap<string, number>; readonly message: string };

/** The scheduler's stand-in requests for a container that asks for nothing, used only to score. */
const NON_ZERO_DEFAULT: Resources = { milliCpu: 100, memory: 200 * 1024 * 1024 };

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

function objectAt(obj: JsonObject, key: string): JsonObject {
  const v = obj[key];
  return isJsonObject(v) ? v : {};
}

function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

export function tolerationsOf(pod: JsonObject): Toleration[] {
  return objects(objectAt(pod, 'spec').tolerations) as Toleration[];
}

/** v1.Toleration.ToleratesTaint: an empty key with Exists tolerates everything; an empty effect, every effect. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** Taints that keep pods off: the node's own, plus those the node lifecycle controller adds for an unready or cordoned node. */
function effectiveTaints(node: JsonObject): Taint[] {
  const taints = taintsOf(node);
  const has = (key: string) => taints.some((t) => t.key === key && t.effect === 'NoSchedule');
  if (!isNodeReady(node) && !has(TAINT_UNREACHABLE) && !has(TAINT_NOT_READY)) taints.push({ key: TAINT_NOT_READY, effect: 'NoSchedule' });
  if (objectAt(node, 'spec').unschedulable === true && !has(TAINT_UNSCHEDULABLE)) taints.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  return taints;
}

function matchesExpression(labels: Readonly<Record<string, string>>, e: JsonObject): boolean {
  const key = String(e.key ?? '');
  const values = Array.isArray(e.values) ? e.values.map(String) : [];
  const value = labels[key];
  switch (e.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(values[0]);
    default: return false;
  }
}

/** spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms ORed, expressions ANDed). */
function matchesNodeAffinity(pod: JsonObject, node: JsonObject): boolean {
  const spec = objectAt(pod, 'spec');
  const labels = labelsOf(node);
  const selector = objectAt(spec, 'nodeSelector');
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  const required = objectAt(objectAt(objectAt(spec, 'affinity'), 'nodeAffinity'), 'requiredDuringSchedulingIgnoredDuringExecution');
  const terms = objects(required.nodeSelectorTerms);
  if (terms.length === 0) return true;
  const fields = { 'metadata.name': nameOf(node) };
  return terms.some((t) => objects(t.matchExpressions).every((e) => matchesExpression(labels, e)) && objects(t.matchFields).every((f) => matchesExpression(fields, f)));
}

/** Pods that hold resources on a node: bound and not finished (terminating pods still count). */
function holdsResources(pod: JsonObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed';
}

interface NodeLoad {
  readonly requested: Resources;
  /** with the non-zero defaults, for scoring */
  readonly scored: Resources;
  readonly pods: number;
}

function loadOf(pods: readonly JsonObject[]): NodeLoad {
  let requested = NO_RESOURCES;
  let scored = NO_RESOURCES;
  for (const p of pods) {
    const r = podRequests(p);
    requested = addResources(requested, r);
    scored = addResources(scored, nonZero(r));
  }
  return { requested, scored, pods: pods.length };
}

function nonZero(r: Resources): Resources {
  return { milliCpu: r.milliCpu || NON_ZERO_DEFAULT.milliCpu, memory: r.memory || NON_ZERO_DEFAULT.memory };
}

/** The reasons a node cannot take the pod (empty: it can), as the filter plugins word them. */
function filterNode(pod: JsonObject, node: JsonObject, load: NodeLoad): string[] {
  const tolerations = tolerationsOf(pod);
  const taints = effectiveTaints(node);
  if (taints.some((t) => t.key === TAINT_UNSCHEDULABLE && !tolerations.some((tol) => tolerates(tol, t)))) return ['node(s) were unschedulable'];
  const untolerated = taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((tol) => tolerates(tol, t)));
  if (untolerated) return [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`];
  if (!matchesNodeAffinity(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  const allocatable = nodeAllocatable(node);
  const want = podRequests(pod);
  const reasons: string[] = [];
  if (load.pods + 1 > allocatable.pods) reasons.push('Too many pods');
  if (want.milliCpu > 0 && load.requested.milliCpu + want.milliCpu > allocatable.milliCpu) reasons.push('Insufficient cpu');
  if (want.memory > 0 && load.requested.memory + want.memory > allocatable.memory) reasons.push('Insufficient memory');
  return reasons;
}

/** NodeResourcesFit's LeastAllocated score (0–100): the share of cpu and memory left after placing the pod. */
function leastAllocatedScore(pod: JsonObject, node: JsonObject, load: NodeLoad): number {
  const allocatable = nodeAllocatable(node);
  const after = addResources(load.scored, nonZero(podRequests(pod)));
  const share = (used: number, total: number) => (total <= 0 || used > total ? 0 : ((total - used) * 100) / total);
  return (share(after.milliCpu, allocatable.milliCpu) + share(after.memory, allocatable.memory)) / 2;
}

/** "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu." (reasons sorted, as FitError prints them). */
export function unschedulableMessage(total: number, reasons: ReadonlyMap<string, number>): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/** The controller (ReplicaSet, StatefulSet …) a pod belongs to, for spreading its replicas. */
function ownerUid(pod: JsonObject): string | undefined {
  return controllerRef(pod)?.uid;
}

interface Candidate {
  readonly name: string;
  /** pods of the same owner already there (the default PodTopologySpread over hostnames) */
  readonly siblings: number;
  readonly score: number;
}

/** Fewest siblings first, then the least allocated node, then the node named first. */
function better(a: Candidate, b: Candidate): boolean {
  if (a.siblings !== b.siblings) return a.siblings < b.siblings;
  if (a.score !== b.score) return a.score > b.score;
  return a.name.localeCompare(b.name) < 0;
}

/** Picks the node for a pod among all nodes, given every pod in the cluster. */
export function schedulePod(pod: JsonObject, nodes: readonly JsonObject[], pods: readonly JsonObject[]): ScheduleResult {
  const byNode = new Map<string, JsonObject[]>();
  for (const p of pods) {
    const nodeName = objectAt(p, 'spec').nodeName;
    if (typeof nodeName !== 'string' || !nodeName || !holdsResources(p)) continue;
    const list = byNode.get(nodeName);
    if (list) list.push(p);
    else byNode.set(nodeName, [p]);
  }
  const owner = ownerUid(pod);
  const reasons = new Map<string, number>();
  let best: Candidate | undefined;
  for (const node of nodes) {
    const onNode = byNode.get(nameOf(node)) ?? [];
    const load = loadOf(onNode);
    const rejected = filterNode(pod, node, load);
    for (const r of rejected) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    if (rejected.length > 0) continue;
    const candidate: Candidate = {
      name: nameOf(node),
      siblings: owner === undefined ? 0 : onNode.filter((p) => ownerUid(p) === owner).length,
      // scores are whole numbers in kube-scheduler
      score: Math.floor(leastAllocatedScore(pod, node, load)),
    };
    if (!best || better(candidate, best)) best = candidate;
  }
  return best ? { node: best.name } : { reasons, message: unschedulableMessage(nodes.length, reasons) };
}

// ---- the controller ----

function isPending(pod: JsonObject): boolean {
  const spec = objectAt(pod, 'spec');
  const scheduler = spec.schedulerName ?? NAME;
  return !spec.nodeName && !deletionTimestampOf(pod) && scheduler === NAME;
}

function isTerminal(pod: JsonObject | undefined): boolean {
  return pod !== undefined && !holdsResources(pod);
}

/**
 * The scheduler as a controller: binds pending pods by setting spec.nodeName (the API allows
 * that once) plus PodScheduled=True, or reports PodScheduled=False/Unschedulable with a
 * FailedScheduling Event; unschedulable pods are tried again when nodes change or a bound pod
 * frees its resources.
 */
export function createScheduler(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const podsType = api.registry.lookup('', 'v1', 'pods')!;

  const pendingKeys = (): string[] => api.store.list('/pods').filter(isPending).map((p) => keyOf(namespaceOf(p), nameOf(p)));

  function keysFor(e: StoreEvent): readonly string[] {
    if (e.resource === '/nodes') return pendingKeys();
    if (e.resource !== '/pods') return [];
    if (isPending(e.object)) {
      // our own status writes leave the spec alone: no need to look again
      const changed = e.type === 'ADDED' || !e.previous || !jsonEqual(e.previous.spec, e.object.spec);
      return changed && e.type !== 'DELETED' ? [keyOf(e.namespace, nameOf(e.object))] : [];
    }
    const bound = Boolean(objectAt(e.object, 'spec').nodeName);
    const freed = e.type === 'DELETED' || (isTerminal(e.object) && !isTerminal(e.previous));
    return bound && freed ? pendingKeys() : [];
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const pod = api.store.get('/pods', namespace, name);
    if (!pod || !isPending(pod)) return;
    if (objects(objectAt(pod, 'spec').schedulingGates).length > 0) {
      writeCondition(pod, { status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' });
      return;
    }
    const result = schedulePod(pod, api.store.list('/nodes'), api.store.list('/pods'));
    if ('node' in result) {
      bind(pod, result.node);
      return;
    }
    writeCondition(pod, { status: 'False', reason: 'Unschedulable', message: result.message });
    events.record(pod, 'Warning', 'FailedScheduling', result.message, NAME);
  }

  function bind(pod: JsonObject, node: string): void {
    const spec = objectAt(pod, 'spec');
    const bound = api.update(podsType, namespaceOf(pod), nameOf(pod), { ...pod, spec: { ...spec, nodeName: node } }, { fieldManager: NAME });
    writeCondition(bound, { status: 'True' });
    events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${namespaceOf(pod)}/${nameOf(pod)} to ${node}`, NAME);
  }

  function writeCondition(pod: JsonObject, condition: { status: string; reason?: string; message?: string }): void {
    const status = objectAt(pod, 'status');
    const conditions = objects(status.conditions);
    const old = conditions.find((c) => c.type === 'PodScheduled');
    const next: JsonObject = {
      type: 'PodScheduled',
      status: condition.status,
      lastProbeTime: null,
      lastTransitionTime: old?.status === condition.status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : rfc3339(clock.now()),
      ...(condition.reason ? { reason: condition.reason } : {}),
      ...(condition.message ? { message: condition.message } : {}),
    };
    if (old && jsonEqual(old, next)) return;
    const others = conditions.filter((c) => c.type !== 'PodScheduled');
    const nextStatus: JsonObject = { ...status, phase: status.phase ?? 'Pending', conditions: [...others, next] };
    api.update(podsType, namespaceOf(pod), nameOf(pod), { ...pod, status: nextStatus }, { fieldManager: NAME }, 'status');
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: pendingKeys,
  };
}

