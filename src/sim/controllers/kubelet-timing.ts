import { isJsonObject, type JsonObject } from '../../json.ts';

/**
 * The simulated kubelet's clock arithmetic, in milliseconds after the container starts unless
 * said otherwise. Probes are taken to succeed (a fault says when they fail); the rules follow
 * pkg/kubelet/prober: a worker per probe ticks every periodSeconds, a probe result counts only
 * once initialDelaySeconds have passed since the container started, and successThreshold /
 * failureThreshold results in a row flip it. Readiness is also probed at once when the
 * container starts (the prober manager triggers the readiness worker while a running container
 * is not ready); startup and liveness wait for their first tick, one period after the start.
 */
export const KUBELET_TIMING = {
  /** pulling a pod's image, once per container and pod */
  pullMs: 500,
  /** an init container's run before it exits 0 */
  initRunMs: 500,
  /** how long a crash-loop / oom / fail container runs before it exits */
  crashRunMs: 1_000,
  /** longest a graceful stop takes (the containers exit on SIGTERM) */
  stopMs: 1_000,
  /** after a failed pull, the kubelet's next sync reports ImagePullBackOff */
  pullBackOffReportMs: 1_000,
  /** kubelet container restart and image pull back-off (flowcontrol.Backoff 10 s, doubling, max 300 s) */
  backOffInitialMs: 10_000,
  backOffMaxMs: 300_000,
} as const;

/** A duration as Go's time.Duration prints it in kubelet messages: "500ms", "10s", "1m20s", "5m0s". */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

export interface Probe {
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
  /** what a failing probe of this kind reports (HTTP, TCP or exec) */
  readonly failure: string;
}

export type ProbeKind = 'readinessProbe' | 'livenessProbe' | 'startupProbe';

function positive(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

function failureOf(probe: JsonObject): string {
  if (isJsonObject(probe.tcpSocket)) return `dial tcp: connect: connection refused (port ${String(probe.tcpSocket.port ?? '')})`;
  if (isJsonObject(probe.exec)) return 'command exited with non-zero exit code 1';
  if (isJsonObject(probe.grpc)) return 'service unhealthy (responded with "NOT_SERVING")';
  return 'HTTP probe failed with statuscode: 503';
}

/** A container's probe with the API defaults (period 10 s, thresholds 1 and 3), or undefined. */
export function probeOf(container: JsonObject, kind: ProbeKind): Probe | undefined {
  const probe = container[kind];
  if (!isJsonObject(probe)) return undefined;
  return {
    initialDelayMs: Math.max(0, Number(probe.initialDelaySeconds ?? 0) || 0) * 1000,
    periodMs: positive(probe.periodSeconds, 10) * 1000,
    successThreshold: positive(probe.successThreshold, 1),
    failureThreshold: positive(probe.failureThreshold, 3),
    failure: failureOf(probe),
  };
}

/** The first periodic tick (k ≥ 1 periods after the start) at or after `from`. */
function firstTickAtOrAfter(probe: Probe, from: number): number {
  return Math.max(1, Math.ceil(from / probe.periodMs)) * probe.periodMs;
}

/** When the startup probe first succeeds: the container counts as started (0 without one). */
export function startedAfterMs(startup: Probe | undefined): number {
  if (!startup) return 0;
  return firstTickAtOrAfter(startup, startup.initialDelayMs) + (startup.successThreshold - 1) * startup.periodMs;
}

/**
 * When the readiness probe has succeeded successThreshold times: the immediate probe at the
 * start (or when the startup probe passes) counts if initialDelaySeconds are already over,
 * else the first periodic tick after them. No probe: ready once started.
 */
export function readyAfterMs(readiness: Probe | undefined, startedMs: number): number {
  if (!readiness) return startedMs;
  const first = startedMs >= readiness.initialDelayMs ? startedMs : firstTickAtOrAfter(readiness, Math.max(readiness.initialDelayMs, startedMs));
  return first + (readiness.successThreshold - 1) * readiness.periodMs;
}

/**
 * The readiness probe's times after the start — its first counted probe, then every period
 * (10 s without a probe) — the first of them at or after `from`.
 */
export function readinessTickAtOrAfter(readiness: Probe | undefined, startedMs: number, from: number): number {
  const periodMs = readiness?.periodMs ?? 10_000;
  const first = readyAfterMs(readiness ? { ...readiness, successThreshold: 1 } : undefined, startedMs);
  if (from <= first) return first;
  return first + Math.ceil((from - first) / periodMs) * periodMs;
}

/** When a failing liveness probe gets the container killed: at the failureThreshold-th failing tick. */
export function livenessKillAfterMs(liveness: Probe, startedMs: number): number {
  const first = firstTickAtOrAfter(liveness, Math.max(liveness.initialDelayMs, startedMs));
  return first + (liveness.failureThreshold - 1) * liveness.periodMs;
}

/** How long a readiness probe takes to notice a fault set while the container was ready. */
export function unreadyAfterMs(readiness: Probe | undefined): number {
  return readiness ? readiness.failureThreshold * readiness.periodMs : 0;
}

/** The image pull back-off after the nth failed pull (n ≥ 1): 10 s, 20 s, 40 s … 300 s. */
export function pullBackOffMs(failures: number): number {
  const { backOffInitialMs, backOffMaxMs } = KUBELET_TIMING;
  return Math.min(backOffMaxMs, backOffInitialMs * 2 ** Math.max(0, failures - 1));
}

/** The kubelet's per-container restart back-off entry (flowcontrol.Backoff). */
export interface BackOff {
  readonly ms: number;
  readonly updatedAt: number;
}

/** An entry not updated for 2× the maximum is forgotten: a container that ran ten minutes restarts at once. */
export function backOffExpired(entry: BackOff | undefined, at: number): boolean {
  return entry === undefined || at - entry.updatedAt > 2 * KUBELET_TIMING.backOffMaxMs;
}

/** Backoff.Next: a fresh entry at the initial delay, or the current one doubled up to the maximum. */
export function nextBackOff(entry: BackOff | undefined, eventAt: number, now: number): BackOff {
  const { backOffInitialMs, backOffMaxMs } = KUBELET_TIMING;
  if (entry === undefined || backOffExpired(entry, eventAt)) return { ms: backOffInitialMs, updatedAt: now };
  return { ms: Math.min(backOffMaxMs, entry.ms * 2), updatedAt: now };
}
