import { isJsonObject, type JsonObject } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { StatusError } from '../errors.ts';
import { nameOf, namespaceOf, uidOf } from '../object-meta.ts';
import { ANNOTATION_FAULT_OVERRIDE, isFault, type FaultSetting } from './faults.ts';
import {
  healthyConditions, isNodeReady, nodeConditions, requireNode, TAINT_NOT_READY, TAINT_UNREACHABLE, unknownConditions,
} from './nodes.ts';
import { podPhase } from './pods.ts';
import { tolerates, tolerationsOf } from './scheduler.ts';
import type { ControllerContext } from './types.ts';

export interface SimControlOptions {
  /** how long pods stay on an unreachable node before they are evicted, unless they tolerate longer (default 30 s) */
  readonly podEvictionTimeoutMs?: number;
}

const NODE_CONTROLLER = 'node-controller';
const TAINT_EVICTION = 'taint-eviction-controller';
const CONTROL = 'sim-control';

interface FailedNode {
  readonly since: number;
  cancel?: () => void;
}

function objectAt(obj: JsonObject, key: string): JsonObject {
  const v = obj[key];
  return isJsonObject(v) ? v : {};
}

function conditionsOf(pod: JsonObject): JsonObject[] {
  const c = objectAt(pod, 'status').conditions;
  return Array.isArray(c) ? c.filter(isJsonObject) : [];
}

/**
 * Fault injection at run time, for tests and demos. failNode plays a node whose kubelet
 * stopped posting status, with what the node lifecycle controller then does: conditions
 * Unknown (NodeStatusUnknown), unreachable taints, pods marked not Ready, and — after the
 * eviction timeout, or a pod's own tolerationSeconds for the unreachable NoExecute taint —
 * the pods deleted at once (grace 0: the kubelet that would confirm a graceful stop is gone).
 * Every delay is cluster-clock time.
 */
export class SimControl {
  readonly #ctx: ControllerContext;
  readonly #evictionTimeoutMs: number;
  readonly #failed = new Map<string, FailedNode>();

  constructor(ctx: ControllerContext, options: SimControlOptions = {}) {
    this.#ctx = ctx;
    this.#evictionTimeoutMs = options.podEvictionTimeoutMs ?? 30_000;
  }

  failNode(name: string): void {
    const node = requireNode(this.#ctx, name);
    if (this.#failed.has(name)) return;
    const { api, clock, events } = this.#ctx;
    const now = rfc3339(clock.now());
    const nodes = api.registry.lookup('', 'v1', 'nodes')!;
    const status = objectAt(node, 'status');
    const down = api.update(nodes, '', name, { ...node, status: { ...status, conditions: unknownConditions(nodeConditions(node), now) } }, { fieldManager: NODE_CONTROLLER }, 'status');
    const spec = objectAt(down, 'spec');
    const taints = Array.isArray(spec.taints) ? spec.taints.filter(isJsonObject).filter((t) => t.key !== TAINT_UNREACHABLE) : [];
    const added = ['NoSchedule', 'NoExecute'].map((effect) => ({ key: TAINT_UNREACHABLE, effect, timeAdded: now }));
    api.update(nodes, '', name, { ...down, spec: { ...spec, taints: [...taints, ...added] } }, { fieldManager: NODE_CONTROLLER });
    events.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, NODE_CONTROLLER);
    for (const pod of this.#podsOn(name)) this.#markNotReady(pod);
    this.#failed.set(name, { since: clock.now().getTime() });
    this.#evictDue(name);
  }

  recoverNode(name: string): void {
    const node = requireNode(this.#ctx, name);
    const failed = this.#failed.get(name);
    if (!failed && isNodeReady(node)) return;
    failed?.cancel?.();
    this.#failed.delete(name);
    const { api, clock, events } = this.#ctx;
    const nodes = api.registry.lookup('', 'v1', 'nodes')!;
    const up = api.update(nodes, '', name, { ...node, status: { ...objectAt(node, 'status'), conditions: healthyConditions(rfc3339(clock.now())) } }, { fieldManager: 'kubelet' }, 'status');
    const spec = objectAt(up, 'spec');
    const taints = Array.isArray(spec.taints) ? spec.taints.filter(isJsonObject) : [];
    const kept = taints.filter((t) => t.key !== TAINT_UNREACHABLE && t.key !== TAINT_NOT_READY);
    if (kept.length !== taints.length) {
      const { taints: _taints, ...rest } = spec;
      api.update(nodes, '', name, { ...up, spec: kept.length > 0 ? { ...rest, taints: kept } : rest }, { fieldManager: NODE_CONTROLLER });
    }
    events.record(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`, NODE_CONTROLLER);
  }

  /** Deletes a pod as `kubectl delete pod` does: gracefully, unless told otherwise. */
  deletePod(namespace: string, name: string, options: { gracePeriodSeconds?: number } = {}): void {
    const pods = this.#ctx.api.registry.lookup('', 'v1', 'pods')!;
    this.#ctx.api.delete(pods, namespace, name, options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds });
  }

  /**
   * Overrides the pod's `sim.sluice.dev/fault` from now on (`none`: healthy); undefined
   * removes the override. Recorded on the pod as `sim.sluice.dev/fault-override`.
   */
  setFault(namespace: string, podName: string, fault: FaultSetting | undefined): void {
    if (fault !== undefined && fault !== 'none' && !isFault(fault)) throw new RangeError(`unknown fault ${String(fault)}`);
    const pods = this.#ctx.api.registry.lookup('', 'v1', 'pods')!;
    const patch = { metadata: { annotations: { [ANNOTATION_FAULT_OVERRIDE]: fault ?? null } } };
    this.#ctx.api.patch(pods, namespace, podName, 'merge', patch, { fieldManager: CONTROL });
  }

  /** Cancels pending evictions. */
  stop(): void {
    for (const f of this.#failed.values()) f.cancel?.();
  }

  #podsOn(node: string): JsonObject[] {
    return this.#ctx.api.store.list('/pods').filter((p) => objectAt(p, 'spec').nodeName === node);
  }

  /** MarkPodsNotReady: Ready=False on every pod of the node, and a NodeNotReady Event. */
  #markNotReady(pod: JsonObject): void {
    const conditions = conditionsOf(pod);
    const ready = conditions.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') return;
    const { api, clock, events } = this.#ctx;
    const next = conditions.map((c) => (c === ready ? { ...c, status: 'False', lastTransitionTime: rfc3339(clock.now()) } : c));
    const pods = api.registry.lookup('', 'v1', 'pods')!;
    api.update(pods, namespaceOf(pod), nameOf(pod), { ...pod, status: { ...objectAt(pod, 'status'), conditions: next } }, { fieldManager: NODE_CONTROLLER }, 'status');
    events.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready', NODE_CONTROLLER);
  }

  /** When a pod on a node unreachable since `since` is evicted; undefined: it tolerates the taint for ever. */
  #evictionAt(pod: JsonObject, since: number): number | undefined {
    const taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
    const match = tolerationsOf(pod).find((t) => tolerates(t, taint));
    if (!match) return since + this.#evictionTimeoutMs;
    return typeof match.tolerationSeconds === 'number' ? since + Math.max(0, match.tolerationSeconds) * 1000 : undefined;
  }

  /** Evicts the pods whose time has come and waits for the next one. */
  #evictDue(node: string): void {
    const failed = this.#failed.get(node);
    if (!failed) return;
    const now = this.#ctx.clock.now().getTime();
    let next = Infinity;
    for (const pod of this.#podsOn(node)) {
      const phase = podPhase(pod);
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const at = this.#evictionAt(pod, failed.since);
      if (at === undefined) continue;
      if (at <= now) this.#evict(pod);
      else next = Math.min(next, at);
    }
    if (Number.isFinite(next)) failed.cancel = this.#ctx.clock.setTimer(next - now, () => this.#evictDue(node));
  }

  #evict(pod: JsonObject): void {
    const { api, clock, events } = this.#ctx;
    const pods = api.registry.lookup('', 'v1', 'pods')!;
    const condition = {
      type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(clock.now()),
      reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint',
    };
    try {
      const conditions = conditionsOf(pod).filter((c) => c.type !== 'DisruptionTarget');
      const marked = api.update(pods, namespaceOf(pod), nameOf(pod), { ...pod, status: { ...objectAt(pod, 'status'), conditions: [...conditions, condition] } }, { fieldManager: TAINT_EVICTION }, 'status');
      events.record(marked, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespaceOf(pod)}/${nameOf(pod)}`, TAINT_EVICTION);
      api.delete(pods, namespaceOf(pod), nameOf(pod), { gracePeriodSeconds: 0, preconditions: { uid: uidOf(pod) } });
    } catch (e) {
      // the pod went away or changed under us: the next pass (or nobody) deals with it
      if (!(e instanceof StatusError)) throw e;
    }
  }
}
