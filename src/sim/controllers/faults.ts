import { isJsonObject, type JsonObject } from '../../json.ts';
import { metadataOf } from '../object-meta.ts';

/**
 * Fault injection and timing of simulated pods, read by the simulated kubelet from the pod's
 * annotations (put them on a workload's pod template). Durations are Go-style: `500ms`, `5s`,
 * `2m`, `1m30s`. Invalid values are ignored. Faults act on regular containers, never on init
 * containers. Times are clock time after the container starts (image pull: 500 ms per pod).
 *
 * | annotation                      | value                       | effect |
 * |---------------------------------|-----------------------------|--------|
 * | `sim.sluice.dev/ready-after`    | duration                    | Ready exactly this long after the container starts, instead of the readinessProbe timing |
 * | `sim.sluice.dev/run-for`        | duration                    | the container exits 0 (Completed) after this long: a Job pod (restartPolicy Never/OnFailure) then Succeeds; with Always it restarts (CrashLoopBackOff) |
 * | `sim.sluice.dev/fault`          | `crash-loop`                | exits 1 (Error) 1 s after each start — or, with a livenessProbe, is killed (137, Error) after failureThreshold×periodSeconds — and restarts with the kubelet back-off: at once, then 10 s, 20 s, 40 s … 300 s (waiting CrashLoopBackOff) |
 * |                                 | `oom`                       | as crash-loop, but exit code 137, reason OOMKilled |
 * |                                 | `never-ready`               | Running, but the readiness probe fails: Ready stays False, an Unhealthy Event every periodSeconds |
 * |                                 | `image-pull`                | the pull fails: waiting ErrImagePull, 1 s later ImagePullBackOff; retried 10 s, 20 s … 300 s after each failure; never starts |
 * |                                 | `fail`                      | the run ends with exit 1 (Error): at run-for, else 1 s after the start; Never → Failed, OnFailure/Always → restarts |
 * | `sim.sluice.dev/fault-override` | a fault or `none`           | set by SimControl.setFault at run time; beats `sim.sluice.dev/fault` for this pod |
 */
export const ANNOTATION_READY_AFTER = 'sim.sluice.dev/ready-after';
export const ANNOTATION_RUN_FOR = 'sim.sluice.dev/run-for';
export const ANNOTATION_FAULT = 'sim.sluice.dev/fault';
export const ANNOTATION_FAULT_OVERRIDE = 'sim.sluice.dev/fault-override';

export const FAULTS = ['crash-loop', 'oom', 'never-ready', 'image-pull', 'fail'] as const;
export type Fault = (typeof FAULTS)[number];
/** What SimControl.setFault takes: a fault, `none` (healthy whatever the annotation says), or undefined (back to the annotation). */
export type FaultSetting = Fault | 'none';

export function isFault(value: unknown): value is Fault {
  return typeof value === 'string' && (FAULTS as readonly string[]).includes(value);
}

/** The simulation settings of one pod, from its annotations. */
export interface PodSimConfig {
  readonly fault: Fault | undefined;
  readonly readyAfterMs: number | undefined;
  readonly runForMs: number | undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** A Go-style duration ("1m30s", "500ms", "2.5s") in milliseconds, or undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  return Math.round(total);
}

function annotationsOf(pod: JsonObject): Readonly<Record<string, unknown>> {
  const a = metadataOf(pod).annotations;
  return isJsonObject(a) ? a : {};
}

function durationAnnotation(annotations: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const v = annotations[key];
  return typeof v === 'string' ? parseDuration(v) : undefined;
}

/** The fault in effect: the run-time override when set (`none` clears it), else the annotation. */
export function faultOf(pod: JsonObject): Fault | undefined {
  const annotations = annotationsOf(pod);
  const override = annotations[ANNOTATION_FAULT_OVERRIDE];
  if (override === 'none') return undefined;
  if (isFault(override)) return override;
  const fault = annotations[ANNOTATION_FAULT];
  return isFault(fault) ? fault : undefined;
}

export function simConfigOf(pod: JsonObject): PodSimConfig {
  const annotations = annotationsOf(pod);
  return {
    fault: faultOf(pod),
    readyAfterMs: durationAnnotation(annotations, ANNOTATION_READY_AFTER),
    runForMs: durationAnnotation(annotations, ANNOTATION_RUN_FOR),
  };
}
