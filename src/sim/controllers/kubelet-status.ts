import { createHash } from 'node:crypto';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { isReady, startedAt, type ContainerRun, type ContainerState, type Terminated } from './kubelet-container.ts';
import type { ContainerPlan, PodPlan } from './kubelet-plan.ts';
import { isInitDone, type PodRuntime } from './kubelet-pod.ts';
import { containerRequests } from './nodes.ts';

/**
 * The pod status a kubelet reports for a runtime at `now` (generateAPIPodStatus): phase as
 * getPhase derives it, container statuses, and the kubelet's conditions, keeping
 * lastTransitionTime where a condition's status did not change. Pure.
 */

export interface StatusInput {
  readonly pod: JsonObject;
  readonly runtime: PodRuntime;
  readonly plan: PodPlan;
  readonly hostIP: string;
  readonly now: number;
  readonly floor: number;
}

/** Conditions the kubelet owns; others on the pod (DisruptionTarget, readiness gates) are kept. */
const KUBELET_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];

const time = (ms: number) => rfc3339(new Date(ms));

function terminatedJson(t: Terminated): JsonObject {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    ...(t.startedAt !== undefined ? { startedAt: time(t.startedAt) } : {}),
    finishedAt: time(t.finishedAt),
    ...(t.containerID ? { containerID: t.containerID } : {}),
  };
}

function stateJson(state: ContainerState): JsonObject {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } };
    case 'running':
      return { running: { startedAt: time(state.startedAt) } };
    case 'terminated':
      return { terminated: terminatedJson(state) };
  }
}

/** "docker.io/library/nginx@sha256:…": a stable digest per image name. */
function imageID(image: string): string {
  const repository = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  const qualified = repository.includes('/') ? (repository.split('/')[0]!.includes('.') ? repository : `docker.io/${repository}`) : `docker.io/library/${repository}`;
  return `${qualified}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function containerStatus(run: ContainerRun, plan: ContainerPlan, input: StatusInput, init: boolean): JsonObject {
  const id = run.state.kind === 'waiting' ? run.lastTerminated?.containerID : run.state.containerID;
  const started = startedAt(run, plan, input.floor);
  const ready = init && !plan.sidecar
    ? run.state.kind === 'terminated' && run.state.exitCode === 0
    : isReady(run, plan, input.now, input.floor);
  return {
    name: run.name,
    image: plan.image,
    imageID: run.imagePulled ? imageID(plan.image) : '',
    ...(id ? { containerID: id } : {}),
    ready,
    restartCount: run.restartCount,
    started: started !== undefined && input.now >= started,
    state: stateJson(run.state),
    lastState: run.lastTerminated ? { terminated: terminatedJson(run.lastTerminated) } : {},
  };
}

/** getPhase for the regular containers (init not finished: Pending). */
export function podPhaseOf(runtime: PodRuntime, plan: PodPlan): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const terminated = runtime.main.filter((r) => r.state.kind === 'terminated');
  const succeeded = terminated.filter((r) => r.state.kind === 'terminated' && r.state.exitCode === 0).length;
  if (runtime.stopped) return succeeded === runtime.main.length ? 'Succeeded' : 'Failed';
  if (runtime.initializedAt === undefined) return 'Pending';
  const waiting = runtime.main.filter((r) => r.state.kind === 'waiting' && !r.lastTerminated).length;
  const running = runtime.main.filter((r) => r.state.kind === 'running').length;
  const stopped = runtime.main.length - waiting - running;
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (plan.restartPolicy === 'Always') return 'Running';
  if (succeeded === stopped) return 'Succeeded';
  if (plan.restartPolicy === 'Never') return 'Failed';
  return 'Running';
}

/** The QoS class (qos.GetPodQOS): nothing asked for is BestEffort; cpu and memory limits everywhere, equal to the requests, Guaranteed. */
function qosClass(pod: JsonObject): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const containers = [spec.containers, spec.initContainers].flatMap((l) => (Array.isArray(l) ? l.filter(isJsonObject) : []));
  const section = (c: JsonObject, key: string): JsonObject => {
    const resources = isJsonObject(c.resources) ? c.resources : {};
    const v = resources[key];
    return isJsonObject(v) ? v : {};
  };
  if (containers.every((c) => Object.keys(section(c, 'requests')).length === 0 && Object.keys(section(c, 'limits')).length === 0)) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const limits = section(c, 'limits');
    const requested = containerRequests(c);
    const limited = containerRequests({ resources: { requests: limits } });
    return limits.cpu !== undefined && limits.memory !== undefined && requested.milliCpu === limited.milliCpu && requested.memory === limited.memory;
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

interface ConditionState {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason?: string;
  readonly message?: string;
}

function desiredConditions(input: StatusInput, phase: string): ConditionState[] {
  const { runtime, plan, pod } = input;
  const notReady = runtime.main.filter((r, i) => !plan.main[i] || !isReady(r, plan.main[i], input.now, input.floor)).map((r) => r.name);
  const incomplete = runtime.init.filter((r, i) => !isInitDone(r, plan.init[i])).map((r) => r.name);
  const completed = phase === 'Succeeded';
  const containersReady: ConditionState = completed
    ? { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' }
    : notReady.length === 0
      ? { type: 'ContainersReady', status: 'True' }
      : { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${notReady.join(' ')}]` };
  const gates = (isJsonObject(pod.spec) && Array.isArray(pod.spec.readinessGates) ? pod.spec.readinessGates : []).filter(isJsonObject).map((g) => String(g.conditionType ?? ''));
  const conditions = isJsonObject(pod.status) && Array.isArray(pod.status.conditions) ? pod.status.conditions.filter(isJsonObject) : [];
  const unmet = gates.map((g) => ({ gate: g, condition: conditions.find((c) => c.type === g) })).find((g) => g.condition?.status !== 'True');
  const ready: ConditionState = containersReady.status === 'True' && unmet
    ? {
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: unmet.condition
        ? `the status of pod readiness gate "${unmet.gate}" is not "True", but ${String(unmet.condition.status)}`
        : `corresponding condition of pod readiness gate "${unmet.gate}" does not exist.`,
    }
    : { ...containersReady, type: 'Ready' };
  return [
    { type: 'PodReadyToStartContainers', status: runtime.stopped ? 'False' : 'True' },
    runtime.initializedAt !== undefined
      ? { type: 'Initialized', status: 'True', ...(completed && plan.init.length === 0 ? { reason: 'PodCompleted' } : {}) }
      : { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${incomplete.join(' ')}]` },
    ready,
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];
}

/** Desired conditions merged into the pod's: a condition whose status stays keeps its lastTransitionTime. */
function mergeConditions(existing: readonly JsonObject[], desired: readonly ConditionState[], now: string): JsonObject[] {
  const merged = desired.map((d): JsonObject => {
    const old = existing.find((c) => c.type === d.type);
    const since = old?.status === d.status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : now;
    return {
      type: d.type,
      status: d.status,
      lastProbeTime: null,
      lastTransitionTime: since,
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.message ? { message: d.message } : {}),
    };
  });
  return [...merged, ...existing.filter((c) => !KUBELET_CONDITIONS.includes(String(c.type)))];
}

export function renderPodStatus(input: StatusInput): JsonObject {
  const { pod, runtime, plan } = input;
  const previous = isJsonObject(pod.status) ? pod.status : {};
  const existing = Array.isArray(previous.conditions) ? previous.conditions.filter(isJsonObject) : [];
  const phase = podPhaseOf(runtime, plan);
  const byName = (a: JsonObject, b: JsonObject) => String(a.name).localeCompare(String(b.name));
  const status: JsonObject = {
    ...keepOthers(previous),
    phase,
    conditions: mergeConditions(existing, desiredConditions(input, phase), time(input.now)),
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: runtime.podIP,
    podIPs: [{ ip: runtime.podIP }],
    startTime: time(runtime.admittedAt),
    containerStatuses: runtime.main.map((r, i) => containerStatus(r, plan.main[i]!, input, false)).sort(byName),
    qosClass: qosClass(pod),
  };
  if (runtime.init.length > 0) status.initContainerStatuses = runtime.init.map((r, i) => containerStatus(r, plan.init[i]!, input, true));
  return status;
}

/** Status fields the kubelet does not own (reason/message set by the node controller, nominatedNodeName…). */
function keepOthers(previous: JsonObject): JsonObject {
  const owned = ['phase', 'conditions', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'containerStatuses', 'initContainerStatuses', 'qosClass'];
  return Object.fromEntries(Object.entries(previous).filter(([k]) => !owned.includes(k))) as JsonObject;
}

export function statusChanged(pod: JsonObject, status: JsonValue): boolean {
  return !jsonEqual(pod.status, status);
}
