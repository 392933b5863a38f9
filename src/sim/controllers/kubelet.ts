import { isJsonObject, type JsonObject } from '../../json.ts';
import { deletionTimestampOf, metadataOf, nameOf, namespaceOf, uidOf } from '../object-meta.ts';
import type { StoreEvent } from '../store.ts';
import { faultOf } from './faults.ts';
import { KUBELET_TIMING } from './kubelet-timing.ts';
import { planPod, type PodPlan } from './kubelet-plan.ts';
import { admitPod, advancePod, matchesPlan, stopPod, type PodRuntime, type TimedEvent } from './kubelet-pod.ts';
import { podPhaseOf, renderPodStatus, statusChanged } from './kubelet-status.ts';
import { isNodeReady, nodeInternalIP, nodeReadySince, podNetworkPrefix } from './nodes.ts';
import { podPhase } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'kubelet';

/** A pod this kubelet runs, and on which node. */
interface Tracked {
  readonly node: string;
  readonly runtime: PodRuntime;
  /** finished (Succeeded/Failed): its IP may go to another pod */
  readonly finished: boolean;
}

function nodeNameOf(pod: JsonObject): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  return typeof spec.nodeName === 'string' ? spec.nodeName : '';
}

function isFinished(pod: JsonObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * The kubelets of every simulated node as one controller. A pod bound to a Ready node is
 * admitted (IP, startTime), its images pulled and containers started as the fault annotations
 * say (see faults.ts), and its status reported with the kubelet's conditions; every delay is
 * cluster-clock time through requeueAfterMs. A pod being deleted has its containers stopped
 * (at most KUBELET_TIMING.stopMs) and is then removed with gracePeriodSeconds 0. On a node
 * that is not Ready nothing moves: what fell due meanwhile happens when the node is back.
 */
export function createKubelet(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const podsType = api.registry.lookup('', 'v1', 'pods')!;
  const tracked = new Map<string, Tracked>();
  /** when each node last became Ready, to the millisecond (the condition keeps whole seconds) */
  const readySince = new Map<string, number>();
  // from now on a pod on a node is removed by its kubelet, after its containers stopped
  api.podsTerminateGracefully = true;

  const podsOn = (node: string): string[] =>
    api.store.list('/pods').filter((p) => nodeNameOf(p) === node).map((p) => keyOf(namespaceOf(p), nameOf(p)));

  function keysFor(e: StoreEvent): readonly string[] {
    if (e.resource === '/nodes') {
      const was = e.previous !== undefined && isNodeReady(e.previous);
      const is = e.type !== 'DELETED' && isNodeReady(e.object);
      if (is && !was) readySince.set(nameOf(e.object), clock.now().getTime());
      return is === was ? [] : podsOn(nameOf(e.object));
    }
    if (e.resource !== '/pods') return [];
    const key = keyOf(e.namespace, nameOf(e.object));
    if (e.type === 'DELETED') return tracked.has(key) ? [key] : [];
    return nodeNameOf(e.object) ? [key] : [];
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const pod = api.store.get('/pods', namespace, name);
    let entry = tracked.get(key);
    if (!pod || (entry && entry.runtime.uid !== uidOf(pod))) {
      tracked.delete(key);
      entry = undefined;
      if (!pod) return;
    }
    const node = api.store.get('/nodes', '', nodeNameOf(pod));
    // no kubelet there, or it stopped posting status: the pod makes no progress
    if (!node || !isNodeReady(node)) return;
    const now = clock.now().getTime();
    if (!entry) {
      if (isFinished(pod)) return;
      if (deletionTimestampOf(pod)) return removePod(pod);
      entry = { node: nameOf(node), runtime: admit(pod, node, now), finished: false };
    }
    let runtime = entry.runtime;
    const fault = faultOf(pod) ?? '';
    if (fault !== runtime.fault) runtime = { ...runtime, fault, faultSince: now };
    const plan = planPod(pod, runtime.faultSince);
    if (!matchesPlan(runtime, plan)) return;
    const floor = Math.max(readySince.get(nameOf(node)) ?? nodeReadySince(node) ?? -Infinity, runtime.faultSince);
    if (deletionTimestampOf(pod)) return terminate(key, pod, node, { ...entry, runtime }, plan, now, floor);
    const advanced = advancePod(runtime, plan, now, floor, { podUid: uidOf(pod), podRef: podRef(pod) });
    record(pod, advanced.events);
    const phase = podPhaseOf(advanced.runtime, plan);
    const finished = phase === 'Succeeded' || phase === 'Failed';
    tracked.set(key, { ...entry, runtime: advanced.runtime, finished });
    writeStatus(pod, renderPodStatus({ pod, runtime: advanced.runtime, plan, hostIP: nodeInternalIP(node), now, floor }));
    return advanced.nextAt === undefined ? undefined : { requeueAfterMs: advanced.nextAt - now };
  }

  function admit(pod: JsonObject, node: JsonObject, now: number): PodRuntime {
    return admitPod(planPod(pod, -Infinity), { uid: uidOf(pod), podIP: allocateIP(node), now, fault: faultOf(pod) ?? '' });
  }

  /** The lowest free host address in the node's pod CIDR (.1 is the bridge). */
  function allocateIP(node: JsonObject): string {
    const used = new Set([...tracked.values()].filter((t) => t.node === nameOf(node) && !t.finished).map((t) => t.runtime.podIP));
    const prefix = podNetworkPrefix(node);
    for (let host = 2; host < 255; host++) {
      if (!used.has(`${prefix}.${host}`)) return `${prefix}.${host}`;
    }
    throw new Error(`no pod IP left on node ${nameOf(node)}`);
  }

  /** Graceful deletion: containers get SIGTERM now and have stopped by stopAt; then the terminal status, then the removal. */
  function terminate(key: string, pod: JsonObject, node: JsonObject, entry: Tracked, plan: PodPlan, now: number, floor: number): ReconcileResult | void {
    let runtime = entry.runtime;
    if (runtime.stopAt === undefined) {
      const grace = Number(metadataOf(pod).deletionGracePeriodSeconds ?? 0);
      runtime = { ...runtime, stopAt: now + Math.min(Math.max(0, grace) * 1000, KUBELET_TIMING.stopMs) };
      const running = [...runtime.init, ...runtime.main].filter((r) => r.state.kind === 'running');
      record(pod, running.map((r) => ({ type: 'Normal', reason: 'Killing', message: `Stopping container ${r.name}`, at: now })));
    }
    const stopAt = runtime.stopAt ?? now;
    if (now < stopAt) {
      tracked.set(key, { ...entry, runtime });
      return { requeueAfterMs: stopAt - now };
    }
    runtime = stopPod(runtime, stopAt);
    tracked.set(key, { ...entry, runtime, finished: true });
    writeStatus(pod, renderPodStatus({ pod, runtime, plan, hostIP: nodeInternalIP(node), now, floor }));
    removePod(pod);
  }

  function removePod(pod: JsonObject): void {
    api.delete(podsType, namespaceOf(pod), nameOf(pod), { gracePeriodSeconds: 0, preconditions: { uid: uidOf(pod) } });
  }

  function writeStatus(pod: JsonObject, status: JsonObject): void {
    if (!statusChanged(pod, status)) return;
    api.update(podsType, namespaceOf(pod), nameOf(pod), { ...pod, status }, { fieldManager: NAME }, 'status');
  }

  function record(pod: JsonObject, list: readonly TimedEvent[]): void {
    for (const e of list) events.record(pod, e.type, e.reason, e.message, NAME);
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => api.store.list('/pods').filter((p) => nodeNameOf(p)).map((p) => keyOf(namespaceOf(p), nameOf(p))),
  };
}

/** "name_namespace(uid)", as kubelet messages name a pod (format.Pod). */
function podRef(pod: JsonObject): string {
  return `${nameOf(pod)}_${namespaceOf(pod)}(${uidOf(pod)})`;
}
