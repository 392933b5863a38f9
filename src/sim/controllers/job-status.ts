import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { deletionTimestampOf, metadataOf } from '../object-meta.ts';
import { podCondition, podPhase } from './pods.ts';

/**
 * The Job controller's arithmetic, without API calls: reading spec and status, the status
 * JSON it writes, conditions, pod failure back-off and completion indexes.
 */

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const POD_FAILURE_BACKOFF_MS = 10_000;
const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export type JobConditionType = 'Complete' | 'Failed' | 'SuccessCriteriaMet' | 'FailureTarget' | 'Suspended';

export interface JobCondition {
  readonly type: JobConditionType;
  readonly status: 'True' | 'False';
  readonly lastProbeTime: string;
  readonly lastTransitionTime: string;
  readonly reason?: string;
  readonly message?: string;
}

/** The parts of JobStatus the controller computes; written back with the API's omitempty rules. */
export interface WorkingStatus {
  startTime?: string;
  completionTime?: string;
  active: number;
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  completedIndexes: string;
  uncounted: { succeeded: string[]; failed: string[] };
  conditions: JobCondition[];
}

export interface JobSpecView {
  readonly completions: number | undefined;
  readonly parallelism: number;
  readonly backoffLimit: number;
  readonly activeDeadlineSeconds: number | undefined;
  readonly suspended: boolean;
  readonly indexed: boolean;
  readonly restartPolicy: string;
  /** podReplacementPolicy Failed: a terminating pod is replaced only once it has failed */
  readonly replaceOnlyFailed: boolean;
}

export interface BackoffRecord {
  readonly failuresAfterLastSuccess: number;
  readonly lastFailureTime: number | undefined;
}

export function jobSpecView(job: JsonObject): JobSpecView {
  const spec = isJsonObject(job.spec) ? job.spec : {};
  const template = isJsonObject(spec.template) && isJsonObject(spec.template.spec) ? spec.template.spec : {};
  const num = (v: JsonValue | undefined) => (typeof v === 'number' ? v : undefined);
  return {
    completions: num(spec.completions),
    parallelism: num(spec.parallelism) ?? 1,
    backoffLimit: num(spec.backoffLimit) ?? 6,
    activeDeadlineSeconds: num(spec.activeDeadlineSeconds),
    suspended: spec.suspend === true,
    indexed: spec.completionMode === 'Indexed',
    restartPolicy: typeof template.restartPolicy === 'string' ? template.restartPolicy : 'Never',
    replaceOnlyFailed: spec.podReplacementPolicy === 'Failed' || (spec.podReplacementPolicy === undefined && spec.podFailurePolicy !== undefined),
  };
}

/** Complete or Failed, True: the Job is done and never synced again. */
export function terminalCondition(job: JsonObject): JobCondition | undefined {
  return readStatus(job).conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function readStatus(job: JsonObject): WorkingStatus {
  const s = isJsonObject(job.status) ? job.status : {};
  const num = (v: JsonValue | undefined) => (typeof v === 'number' ? v : 0);
  const str = (v: JsonValue | undefined) => (typeof v === 'string' ? v : undefined);
  const uncounted = isJsonObject(s.uncountedTerminatedPods) ? s.uncountedTerminatedPods : {};
  const uids = (v: JsonValue | undefined) => (Array.isArray(v) ? v.filter((u): u is string => typeof u === 'string') : []);
  const status: WorkingStatus = {
    active: num(s.active), ready: num(s.ready), terminating: num(s.terminating), succeeded: num(s.succeeded), failed: num(s.failed),
    completedIndexes: str(s.completedIndexes) ?? '',
    uncounted: { succeeded: uids(uncounted.succeeded), failed: uids(uncounted.failed) },
    conditions: (Array.isArray(s.conditions) ? s.conditions.filter(isJsonObject) : []) as unknown as JobCondition[],
  };
  if (str(s.startTime)) status.startTime = str(s.startTime);
  if (str(s.completionTime)) status.completionTime = str(s.completionTime);
  return status;
}

/** JobStatus JSON: zero counters are omitted (omitempty), ready and terminating are pointers and always shown. */
export function statusJson(s: WorkingStatus, base: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  const set = (k: string, v: JsonValue | undefined, keep: boolean) => {
    if (keep && v !== undefined) out[k] = v;
    else delete out[k];
  };
  set('startTime', s.startTime, true);
  set('completionTime', s.completionTime, true);
  set('active', s.active, s.active !== 0);
  set('ready', s.ready, true);
  set('terminating', s.terminating, true);
  set('succeeded', s.succeeded, s.succeeded !== 0);
  set('failed', s.failed, s.failed !== 0);
  set('completedIndexes', s.completedIndexes, s.completedIndexes !== '');
  const uncounted: JsonObject = {};
  if (s.uncounted.succeeded.length) uncounted.succeeded = [...s.uncounted.succeeded];
  if (s.uncounted.failed.length) uncounted.failed = [...s.uncounted.failed];
  out.uncountedTerminatedPods = uncounted;
  set('conditions', s.conditions as unknown as JsonObject[], s.conditions.length > 0);
  return out;
}

/** cleanUncountedPodsWithoutFinalizers: uids whose pod lost its finalizer (or is gone) become counts. */
export function countUncounted(status: WorkingStatus, stillTracked: ReadonlySet<string>): void {
  const keep = (uids: string[]) => uids.filter((u) => stillTracked.has(u));
  const succeeded = keep(status.uncounted.succeeded);
  const failed = keep(status.uncounted.failed);
  status.succeeded += status.uncounted.succeeded.length - succeeded.length;
  status.failed += status.uncounted.failed.length - failed.length;
  status.uncounted = { succeeded, failed };
}

export function condition(type: JobConditionType, reason: string, message: string, at: string, status: 'True' | 'False' = 'True'): JobCondition {
  return { type, status, lastProbeTime: at, lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/**
 * ensureJobConditionStatus: set a condition's status, reason and message; the transition time
 * moves only with the status, and a False condition is never added where there was none.
 */
export function ensureCondition(conditions: readonly JobCondition[], wanted: JobCondition): { conditions: JobCondition[]; changed: boolean } {
  const i = conditions.findIndex((c) => c.type === wanted.type);
  const existing = conditions[i];
  if (!existing) return wanted.status === 'True' ? { conditions: [...conditions, wanted], changed: true } : { conditions: [...conditions], changed: false };
  if (existing.status === wanted.status && existing.reason === wanted.reason && existing.message === wanted.message) return { conditions: [...conditions], changed: false };
  const next = [...conditions];
  next[i] = { ...wanted, lastTransitionTime: existing.status === wanted.status ? existing.lastTransitionTime : wanted.lastTransitionTime };
  return { conditions: next, changed: true };
}

export function isPodTerminating(pod: JsonObject): boolean {
  const phase = podPhase(pod);
  return deletionTimestampOf(pod) !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

/** isPodFailed: Failed, or deleted before it could finish (unless only failed pods count). */
export function isPodFailed(pod: JsonObject, spec: JobSpecView): boolean {
  if (podPhase(pod) === 'Failed') return true;
  if (spec.replaceOnlyFailed) return false;
  return deletionTimestampOf(pod) !== undefined && podPhase(pod) !== 'Succeeded';
}

/** With restartPolicy OnFailure, container restarts of running pods count towards backoffLimit. */
export function pastBackoffLimitOnFailure(spec: JobSpecView, pods: readonly JsonObject[]): boolean {
  if (spec.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of pods) {
    if (podPhase(pod) !== 'Running' && podPhase(pod) !== 'Pending') continue;
    const status = isJsonObject(pod.status) ? pod.status : {};
    for (const list of [status.initContainerStatuses, status.containerStatuses]) {
      for (const c of Array.isArray(list) ? list.filter(isJsonObject) : []) restarts += typeof c.restartCount === 'number' ? c.restartCount : 0;
    }
  }
  return spec.backoffLimit === 0 ? restarts > 0 : restarts >= spec.backoffLimit;
}

export function wantedActive(spec: JobSpecView, succeeded: number, active: number): number {
  // without completions the Job is done once any pod succeeded: keep what runs, start no more
  if (spec.completions === undefined) return succeeded > 0 ? active : spec.parallelism;
  return Math.max(0, Math.min(spec.completions - succeeded, spec.parallelism));
}

export function completionIndexOf(pod: JsonObject): number | undefined {
  const annotations = metadataOf(pod).annotations;
  const raw = isJsonObject(annotations) ? annotations[JOB_COMPLETION_INDEX] : undefined;
  return typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

export function validIndex(spec: JobSpecView, pod: JsonObject): boolean {
  if (!spec.indexed) return true;
  const ix = completionIndexOf(pod);
  return ix !== undefined && ix < (spec.completions ?? 0);
}

/** When a pod finished: its last container's exit, else when it stopped being ready, else now. */
export function finishedAt(pod: JsonObject, now: Date): number {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const exits = (Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isJsonObject) : []).map((c) => {
    const terminated = isJsonObject(c.state) && isJsonObject(c.state.terminated) ? c.state.terminated : undefined;
    return typeof terminated?.finishedAt === 'string' ? Date.parse(terminated.finishedAt) : NaN;
  });
  if (exits.length > 0 && exits.every(Number.isFinite)) return Math.max(...exits);
  const ready = podCondition(pod, 'Ready');
  if (ready?.status === 'False' && ready.lastTransitionTime) return Date.parse(ready.lastTransitionTime);
  return now.getTime();
}

/** newBackoffRecord: consecutive failures since the last success, and when the latest one happened. */
export function nextBackoffRecord(prev: BackoffRecord | undefined, succeededAt: readonly number[], failedAt: readonly number[]): BackoffRecord {
  const base = prev ?? { failuresAfterLastSuccess: 0, lastFailureTime: undefined };
  if (succeededAt.length === 0 && failedAt.length === 0) return base;
  if (succeededAt.length === 0) {
    return { failuresAfterLastSuccess: base.failuresAfterLastSuccess + failedAt.length, lastFailureTime: Math.max(...failedAt, base.lastFailureTime ?? -Infinity) };
  }
  const lastSuccess = Math.max(...succeededAt);
  const after = failedAt.filter((t) => t > lastSuccess);
  return { failuresAfterLastSuccess: after.length, lastFailureTime: after.length ? Math.max(...after) : undefined };
}

/** How long pod creation still waits: 10 s after the first failure, doubling per failure, at most 10 min. */
export function remainingBackoffMs(record: BackoffRecord | undefined, nowMs: number): number {
  if (!record || record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  const delay = Math.min(MAX_POD_FAILURE_BACKOFF_MS, POD_FAILURE_BACKOFF_MS * 2 ** (record.failuresAfterLastSuccess - 1));
  return Math.max(0, record.lastFailureTime + delay - nowMs);
}

/**
 * status.completedIndexes ("1,3-5") to a set; malformed parts are skipped, and so are indexes
 * from `completions` up (parseIndexesFromString), which also bounds the work a written status can cause.
 */
export function parseIndexes(text: string, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const [from, to] = [Number(m[1]), Math.min(Number(m[2] ?? m[1]), completions - 1)];
    for (let i = from; i <= to; i++) out.add(i);
  }
  return out;
}

/** A set of indexes as the API writes it: sorted, runs of consecutive indexes as "a-b". */
export function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The lowest `count` indexes below `completions` that are neither running nor done. */
export function firstPendingIndexes(taken: ReadonlySet<number | undefined>, count: number, completions: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) if (!taken.has(i)) out.push(i);
  return out;
}
