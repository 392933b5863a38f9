import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { simConfigOf, type PodSimConfig } from './faults.ts';
import {
  KUBELET_TIMING, livenessKillAfterMs, probeOf, readyAfterMs, startedAfterMs, unreadyAfterMs, type Probe,
} from './kubelet-timing.ts';

/**
 * What the simulated kubelet will make of each container of a pod: a plain description
 * derived from the spec, the pod's sim annotations and the fault in effect. Rebuilt on every
 * sync, so annotation and fault changes apply from then on.
 */

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type ExitReason = 'Completed' | 'Error' | 'OOMKilled';

export interface ExitPlan {
  /** after the container starts */
  readonly afterMs: number;
  readonly exitCode: number;
  readonly reason: ExitReason;
  /** set when a failing liveness probe gets the container killed (Events Unhealthy, Killing) */
  readonly livenessFailure?: string;
}

/** A failing readiness probe (the never-ready fault). */
export interface NeverReady {
  /** when the fault began; -Infinity when the pod had it from the start */
  readonly since: number;
  /** a container that was ready before `since` turns unready this long after it */
  readonly afterMs: number;
  readonly failure: string;
}

export interface ContainerPlan {
  readonly name: string;
  readonly image: string;
  /** an init container with restartPolicy Always: it starts in turn, then runs beside the others */
  readonly sidecar: boolean;
  readonly restartPolicy: RestartPolicy;
  readonly pullFails: boolean;
  readonly exit?: ExitPlan;
  readonly startedAfterMs: number;
  readonly readyAfterMs: number;
  readonly readiness?: Probe;
  readonly neverReady?: NeverReady;
}

export interface PodPlan {
  readonly restartPolicy: RestartPolicy;
  readonly init: readonly ContainerPlan[];
  readonly main: readonly ContainerPlan[];
}

function containersOf(spec: JsonObject, key: string): JsonObject[] {
  const v: JsonValue | undefined = spec[key];
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

export function restartPolicyOf(pod: JsonObject): RestartPolicy {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  return spec.restartPolicy === 'Never' || spec.restartPolicy === 'OnFailure' ? spec.restartPolicy : 'Always';
}

/** Whether a container that exited with this code is started again. */
export function restarts(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

function basePlan(c: JsonObject): Pick<ContainerPlan, 'name' | 'image' | 'startedAfterMs' | 'readyAfterMs' | 'readiness'> {
  const readiness = probeOf(c, 'readinessProbe');
  const started = startedAfterMs(probeOf(c, 'startupProbe'));
  return {
    name: String(c.name ?? ''),
    image: String(c.image ?? ''),
    startedAfterMs: started,
    readyAfterMs: readyAfterMs(readiness, started),
    ...(readiness ? { readiness } : {}),
  };
}

function initPlan(c: JsonObject, podPolicy: RestartPolicy): ContainerPlan {
  const sidecar = c.restartPolicy === 'Always';
  return {
    ...basePlan(c),
    sidecar,
    restartPolicy: sidecar ? 'Always' : podPolicy === 'Never' ? 'Never' : 'OnFailure',
    pullFails: false,
    ...(sidecar ? {} : { exit: { afterMs: KUBELET_TIMING.initRunMs, exitCode: 0, reason: 'Completed' as const } }),
  };
}

function exitPlan(c: JsonObject, config: PodSimConfig, startedMs: number): ExitPlan | undefined {
  const { crashRunMs } = KUBELET_TIMING;
  switch (config.fault) {
    case 'crash-loop': {
      const liveness = probeOf(c, 'livenessProbe');
      if (liveness) return { afterMs: livenessKillAfterMs(liveness, startedMs), exitCode: 137, reason: 'Error', livenessFailure: liveness.failure };
      return { afterMs: crashRunMs, exitCode: 1, reason: 'Error' };
    }
    case 'oom':
      return { afterMs: crashRunMs, exitCode: 137, reason: 'OOMKilled' };
    case 'fail':
      return { afterMs: config.runForMs ?? crashRunMs, exitCode: 1, reason: 'Error' };
    default:
      return config.runForMs === undefined ? undefined : { afterMs: config.runForMs, exitCode: 0, reason: 'Completed' };
  }
}

function mainPlan(c: JsonObject, podPolicy: RestartPolicy, config: PodSimConfig, faultSince: number): ContainerPlan {
  const base = basePlan(c);
  const exit = exitPlan(c, config, base.startedAfterMs);
  // ready-after replaces the readiness probe's timing, but a container is never ready before it has started
  const ready = config.readyAfterMs === undefined ? base.readyAfterMs : Math.max(config.readyAfterMs, base.startedAfterMs);
  return {
    ...base,
    readyAfterMs: ready,
    sidecar: false,
    restartPolicy: podPolicy,
    pullFails: config.fault === 'image-pull',
    ...(exit ? { exit } : {}),
    ...(config.fault === 'never-ready'
      ? { neverReady: { since: faultSince, afterMs: unreadyAfterMs(base.readiness), failure: base.readiness?.failure ?? 'HTTP probe failed with statuscode: 503' } }
      : {}),
  };
}

/** The plan of every container; faultSince is when the fault in effect was set (-Infinity: from the start). */
export function planPod(pod: JsonObject, faultSince: number): PodPlan {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const policy = restartPolicyOf(pod);
  const config = simConfigOf(pod);
  return {
    restartPolicy: policy,
    init: containersOf(spec, 'initContainers').map((c) => initPlan(c, policy)),
    main: containersOf(spec, 'containers').map((c) => mainPlan(c, policy, config, faultSince)),
  };
}
