import { isJsonObject, jsonEqual, type JsonObject } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { deletionTimestampOf, finalizersOf, labelsOf, metadataOf, nameOf, namespaceOf, uidOf, withMetadata } from '../object-meta.ts';
import type { StoreEvent } from '../store.ts';
import {
  completionIndexOf, condition, countUncounted, ensureCondition, finishedAt, firstPendingIndexes, formatIndexes, isPodFailed,
  isPodTerminating, JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, jobSpecView, nextBackoffRecord, parseIndexes,
  pastBackoffLimitOnFailure, readStatus, remainingBackoffMs, statusJson, terminalCondition, validIndex, wantedActive,
  type BackoffRecord, type JobCondition, type JobSpecView, type WorkingStatus,
} from './job-status.ts';
import { claim, selectorOf, selects } from './ownership.ts';
import { controllerRef, isPodActive, isPodReady, podFromTemplate, podPhase } from './pods.ts';
import { podsToDelete } from './replicaset.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'job-controller';
/** MaxPodCreateDeletePerSync: pods created per sync; the rest come in the syncs their creation events cause */
const MAX_POD_CREATES_PER_SYNC = 500;
/** What one sync works with: the Job as read at its start, its pods, and the status being built. */
interface Sync {
  readonly job: JsonObject;
  readonly spec: JobSpecView;
  readonly now: Date;
  readonly pods: JsonObject[];
  readonly status: WorkingStatus;
  active: JsonObject[];
  ready: number;
  terminating: number;
  succeededIndexes: Set<number>;
  /** the condition the Job is heading to (FailureTarget / SuccessCriteriaMet first, then Failed / Complete) */
  finished: JobCondition | undefined;
  requeueMs: number | undefined;
}

/**
 * The Job controller (pkg/controller/job) as of Kubernetes 1.31+: pods up to `parallelism`
 * until `completions` succeed (NonIndexed or Indexed), each finished pod counted exactly once
 * through the `batch.kubernetes.io/job-tracking` finalizer and status.uncountedTerminatedPods,
 * pod failure back-off (10 s doubling to 10 min), backoffLimit, activeDeadlineSeconds and
 * suspend. Terminal conditions are delayed until no pod is terminating: FailureTarget then
 * Failed, SuccessCriteriaMet then Complete (reason CompletionsReached).
 */
export function createJobController(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const podsType = api.registry.lookup('', 'v1', 'pods')!;
  const jobsType = api.registry.lookup('batch', 'v1', 'jobs')!;
  const backoffs = new Map<string, BackoffRecord>();

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'batch/jobs') return [keyOf(e.namespace, nameOf(e.object))];
    if (e.resource !== '/pods') return [];
    const owners = [e.object, e.previous].flatMap((p) => {
      const ref = p ? controllerRef(p) : undefined;
      return ref?.kind === 'Job' ? [ref.name] : [];
    });
    if (owners.length > 0) return [...new Set(owners)].map((n) => keyOf(e.namespace, n));
    if (controllerRef(e.object)) return []; // controlled by something else: never adopted
    return api.store.list('batch/jobs', e.namespace).filter((j) => selects(selectorOf(j), e.object)).map((j) => keyOf(e.namespace, nameOf(j)));
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const job = api.store.get('batch/jobs', namespace, name);
    if (!job) {
      backoffs.delete(key);
      return releaseOrphans(namespace, name);
    }
    if (terminalCondition(job)) {
      backoffs.delete(key);
      return;
    }
    const selector = selectorOf(job);
    if (selector.length === 0) return;
    const pods = claim({ api, type: podsType, owner: job, candidates: api.store.list('/pods', namespace), selector, manager: NAME });
    const sync = startSync(job, pods, clock.now());
    countAndDecide(key, sync);
    if (sync.finished) deleteActivePods(sync);
    else if (!deletionTimestampOf(job)) manageJob(key, sync);
    trackAndRemoveFinalizers(sync);
    return sync.requeueMs === undefined ? undefined : { requeueAfterMs: sync.requeueMs };
  }

  // ---- steps ----

  function startSync(job: JsonObject, pods: JsonObject[], now: Date): Sync {
    const spec = jobSpecView(job);
    const status = readStatus(job);
    const active = pods.filter(isPodActive);
    const succeededIndexes = parseIndexes(status.completedIndexes, spec.completions ?? 0);
    return {
      job, spec, now, pods, status, active, ready: active.filter(isPodReady).length,
      terminating: pods.filter(isPodTerminating).length, succeededIndexes, finished: undefined, requeueMs: undefined,
    };
  }

  /** Counts newly finished pods, records back-off, and decides whether the Job has failed. */
  function countAndDecide(key: string, sync: Sync): void {
    const { spec, status, now } = sync;
    const tracked = (p: JsonObject) => finalizersOf(p).includes(JOB_TRACKING_FINALIZER) && validIndex(spec, p);
    const newSucceeded = sync.pods.filter((p) => tracked(p) && !status.uncounted.succeeded.includes(uidOf(p)) && podPhase(p) === 'Succeeded');
    const newFailed = sync.pods.filter((p) => tracked(p) && !status.uncounted.failed.includes(uidOf(p)) && isPodFailed(p, spec));
    const failed = status.failed + newFailed.length + status.uncounted.failed.length;
    if (!status.startTime && !spec.suspended) status.startTime = rfc3339(now);
    const record = nextBackoffRecord(backoffs.get(key), newSucceeded.map((p) => finishedAt(p, now)), newFailed.map((p) => finishedAt(p, now)));
    backoffs.set(key, record);
    if (spec.indexed) for (const p of sync.pods) if (podPhase(p) === 'Succeeded' && validIndex(spec, p)) sync.succeededIndexes.add(completionIndexOf(p)!);

    const existing = status.conditions.find((c) => (c.type === 'SuccessCriteriaMet' || c.type === 'FailureTarget') && c.status === 'True');
    const at = rfc3339(now);
    if (existing) sync.finished = existing;
    else if (failed > spec.backoffLimit || pastBackoffLimitOnFailure(spec, sync.pods)) {
      sync.finished = condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', at);
    } else if (spec.activeDeadlineSeconds !== undefined && status.startTime && !spec.suspended) {
      const left = Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now.getTime();
      if (left <= 0) sync.finished = condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', at);
      else requeue(sync, left);
    }
  }

  /** manageJob: suspend removes every active pod; otherwise create or remove pods towards the wanted count. */
  function manageJob(key: string, sync: Sync): void {
    const { spec, status } = sync;
    if (spec.suspended) {
      deleteJobPods(sync, sync.active);
      updateSuspendCondition(sync, 'True', 'JobSuspended', 'Job suspended', 'Suspended');
      return;
    }
    const succeeded = spec.indexed ? sync.succeededIndexes.size : status.succeeded + status.uncounted.succeeded.length + newlySucceeded(sync);
    const want = wantedActive(spec, succeeded, sync.active.length);
    const excess = spec.indexed ? redundantIndexedPods(sync) : [];
    const removeCount = Math.max(0, sync.active.length - want);
    if (excess.length < removeCount) excess.push(...podsToDelete(sync.active.filter((p) => !excess.includes(p)), removeCount - excess.length));
    if (excess.length > 0) deleteJobPods(sync, excess);
    else {
      const missing = want - sync.active.length - (spec.replaceOnlyFailed ? sync.terminating : 0);
      if (missing > 0) createPods(key, sync, Math.min(missing, MAX_POD_CREATES_PER_SYNC));
    }
    const complete = spec.completions === undefined ? succeeded > 0 && sync.active.length === 0 : succeeded >= spec.completions && sync.active.length === 0;
    if (complete) sync.finished = condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', rfc3339(sync.now));
    // a resumed Job restarts its activeDeadlineSeconds clock
    else if (updateSuspendCondition(sync, 'False', 'JobResumed', 'Job resumed', 'Resumed')) status.startTime = rfc3339(sync.now);
  }

  function createPods(key: string, sync: Sync, count: number): void {
    const remaining = remainingBackoffMs(backoffs.get(key), sync.now.getTime());
    if (remaining > 0) return requeue(sync, remaining);
    const { job, spec } = sync;
    const taken = new Set([...sync.succeededIndexes, ...sync.active.map(completionIndexOf), ...(spec.replaceOnlyFailed ? sync.pods.filter(isPodTerminating).map(completionIndexOf) : [])]);
    const indexes = spec.indexed ? firstPendingIndexes(taken, count, spec.completions ?? 0) : Array.from({ length: count }, () => undefined);
    for (const index of indexes) {
      const pod = api.create(podsType, namespaceOf(job), newJobPod(job, index), { fieldManager: NAME });
      events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${nameOf(pod)}`, NAME);
      sync.active.push(pod);
    }
  }

  /** On failure or deadline: delete active pods keeping their finalizers, so they are counted as failed. */
  function deleteActivePods(sync: Sync): void {
    for (const pod of sync.active) {
      api.delete(podsType, namespaceOf(pod), nameOf(pod));
      events.record(sync.job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${nameOf(pod)}`, NAME);
      if (isPodReady(pod)) sync.ready--;
      sync.terminating++;
    }
    sync.active = [];
  }

  /** Suspend and scale-down: the finalizer goes first, so removed pods are not counted as failures. */
  function deleteJobPods(sync: Sync, pods: readonly JsonObject[]): void {
    for (const pod of pods) {
      removeFinalizer(pod);
      const live = api.store.get('/pods', namespaceOf(pod), nameOf(pod));
      if (live && !deletionTimestampOf(live)) api.delete(podsType, namespaceOf(pod), nameOf(pod));
      events.record(sync.job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${nameOf(pod)}`, NAME);
      if (isPodReady(pod)) sync.ready--;
      const after = api.store.get('/pods', namespaceOf(pod), nameOf(pod));
      if (after && isPodTerminating(after)) sync.terminating++;
    }
    sync.active = sync.active.filter((p) => !pods.includes(p));
  }

  /**
   * trackJobStatusAndRemoveFinalizers: finished pods go to uncountedTerminatedPods (flushed),
   * lose their finalizer, then move to the counters; the terminal condition is set once
   * nothing is uncounted or terminating.
   */
  function trackAndRemoveFinalizers(sync: Sync): void {
    const { status, spec, finished } = sync;
    const deleting = deletionTimestampOf(sync.job) !== undefined;
    const release: JsonObject[] = [];
    for (const pod of sync.pods) {
      if (!finalizersOf(pod).includes(JOB_TRACKING_FINALIZER)) continue;
      const failed = isPodFailed(pod, spec);
      if (!deleting && !finished && podPhase(pod) !== 'Succeeded' && !failed) continue;
      release.push(pod);
      const uid = uidOf(pod);
      if (podPhase(pod) === 'Succeeded' && !status.uncounted.failed.includes(uid)) {
        if (!spec.indexed && !status.uncounted.succeeded.includes(uid)) status.uncounted.succeeded.push(uid);
      } else if ((failed || (finished && finished.type !== 'SuccessCriteriaMet')) && validIndex(spec, pod) && !status.uncounted.failed.includes(uid)) {
        status.uncounted.failed.push(uid);
      }
    }
    if (spec.indexed) {
      status.completedIndexes = formatIndexes(sync.succeededIndexes);
      status.succeeded = sync.succeededIndexes.size;
    }
    status.active = sync.active.length;
    status.ready = Math.max(0, sync.ready);
    status.terminating = sync.terminating;
    let target = finished;
    if (finished?.type === 'FailureTarget' || finished?.type === 'SuccessCriteriaMet') {
      if (!status.conditions.some((c) => c.type === finished.type)) status.conditions.push(finished);
      target = condition(finished.type === 'FailureTarget' ? 'Failed' : 'Complete', finished.reason ?? '', finished.message ?? '', rfc3339(sync.now));
    }
    flush(sync.job, status);
    for (const pod of release) removeFinalizer(pod);
    const stillTracked = new Set(sync.pods.filter((p) => !release.includes(p) && finalizersOf(p).includes(JOB_TRACKING_FINALIZER)).map(uidOf));
    countUncounted(status, stillTracked);
    const done = status.uncounted.succeeded.length + status.uncounted.failed.length === 0 && sync.terminating === 0 ? target : undefined;
    if (done) {
      status.conditions = ensureCondition(status.conditions, done).conditions;
      if (done.type === 'Complete') status.completionTime = rfc3339(sync.now);
    }
    flush(sync.job, status);
    if (!done) return;
    if (done.type === 'Complete') events.record(sync.job, 'Normal', 'Completed', 'Job completed', NAME);
    else events.record(sync.job, 'Warning', done.reason ?? 'Failed', done.message ?? '', NAME);
  }

  // ---- helpers with API calls ----

  function updateSuspendCondition(sync: Sync, state: 'True' | 'False', reason: string, message: string, event: string): boolean {
    const result = ensureCondition(sync.status.conditions, condition('Suspended', reason, message, rfc3339(sync.now), state));
    sync.status.conditions = result.conditions;
    if (result.changed) events.record(sync.job, 'Normal', event, message, NAME);
    return result.changed;
  }

  function newJobPod(job: JsonObject, index: number | undefined): JsonObject {
    const name = nameOf(job);
    const pod = podFromTemplate(isJsonObject(job.spec) ? job.spec.template : undefined, job, { generateName: index === undefined ? `${name}-` : `${name}-${index}-` });
    const meta = metadataOf(pod);
    meta.finalizers = [...finalizersOf(pod), JOB_TRACKING_FINALIZER];
    if (index === undefined) return pod;
    meta.annotations = { ...(isJsonObject(meta.annotations) ? meta.annotations : {}), [JOB_COMPLETION_INDEX]: String(index) };
    meta.labels = { ...labelsOf(pod), [JOB_COMPLETION_INDEX]: String(index) };
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    spec.hostname = `${name}-${index}`;
    const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } };
    for (const list of [spec.containers, spec.initContainers]) {
      for (const c of Array.isArray(list) ? list.filter(isJsonObject) : []) c.env = [...(Array.isArray(c.env) ? c.env : []), env];
    }
    return pod;
  }

  function removeFinalizer(pod: JsonObject): void {
    const live = api.store.get('/pods', namespaceOf(pod), nameOf(pod));
    if (!live || !finalizersOf(live).includes(JOB_TRACKING_FINALIZER)) return;
    const rest = finalizersOf(live).filter((f) => f !== JOB_TRACKING_FINALIZER);
    api.update(podsType, namespaceOf(live), nameOf(live), withMetadata(live, { finalizers: rest.length ? rest : undefined }), { fieldManager: NAME });
  }

  /** Pods whose Job is gone keep nothing alive: drop their tracking finalizer. */
  function releaseOrphans(namespace: string, jobName: string): void {
    for (const pod of api.store.list('/pods', namespace)) {
      const ref = controllerRef(pod);
      if (ref?.kind === 'Job' && ref.name === jobName) removeFinalizer(pod);
    }
  }

  function flush(job: JsonObject, status: WorkingStatus): void {
    const latest = api.store.get('batch/jobs', namespaceOf(job), nameOf(job));
    if (!latest) return;
    const next = statusJson(status, isJsonObject(latest.status) ? latest.status : {});
    if (jsonEqual(next, latest.status)) return;
    api.update(jobsType, namespaceOf(job), nameOf(job), { ...latest, status: next }, { fieldManager: NAME }, 'status');
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('batch/jobs')),
  };
}

// ---- pure helpers ----


function newlySucceeded(sync: Sync): number {
  return sync.pods.filter((p) => finalizersOf(p).includes(JOB_TRACKING_FINALIZER) && podPhase(p) === 'Succeeded' && !sync.status.uncounted.succeeded.includes(uidOf(p))).length;
}

/** Indexed pods that must go whatever the counts: bad index, index already succeeded, or a duplicate. */
function redundantIndexedPods(sync: Sync): JsonObject[] {
  const seen = new Set<number>();
  const out: JsonObject[] = [];
  for (const pod of sync.active) {
    const ix = completionIndexOf(pod);
    if (!validIndex(sync.spec, pod) || ix === undefined || sync.succeededIndexes.has(ix) || seen.has(ix)) out.push(pod);
    else seen.add(ix);
  }
  return out;
}

function requeue(sync: Sync, ms: number): void {
  sync.requeueMs = sync.requeueMs === undefined ? ms : Math.min(sync.requeueMs, ms);
}
