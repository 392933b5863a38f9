import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import {
  isKnownTimeZone, mostRecentScheduleTime, nextScheduleTime, parseCronSchedule, rfc3339InZone, type CronSchedule,
} from '../cron.ts';
import { StatusError } from '../errors.ts';
import { deletionTimestampOf, metadataOf, nameOf, namespaceOf, resourceVersionOf, uidOf } from '../object-meta.ts';
import type { StoreEvent } from '../store.ts';
import type { EventType } from './events.ts';
import { terminalCondition } from './job-status.ts';
import { controllerRef, isControlledBy, ownerReferenceTo } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'cronjob-controller';
export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const MINUTE_MS = 60_000;

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** status.active entries: core/v1 ObjectReferences to Jobs. */
export interface JobRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion?: string;
}

/** What the plan reads of a CronJob. */
export interface CronJobView {
  readonly name: string;
  readonly createdAt: Date;
  readonly deleting: boolean;
  readonly schedule: string;
  readonly timeZone: string | undefined;
  readonly suspend: boolean;
  readonly concurrencyPolicy: ConcurrencyPolicy;
  readonly startingDeadlineSeconds: number | undefined;
  readonly successfulJobsHistoryLimit: number | undefined;
  readonly failedJobsHistoryLimit: number | undefined;
  readonly active: readonly JobRef[];
  readonly lastScheduleTime: Date | undefined;
  readonly lastSuccessfulTime: Date | undefined;
}

/** What the plan reads of a Job the CronJob controls. */
export interface ChildJob {
  readonly name: string;
  readonly uid: string;
  readonly finished: 'Complete' | 'Failed' | undefined;
  readonly startTime: Date | undefined;
  readonly completionTime: Date | undefined;
}

export type CronJobStep =
  | { readonly kind: 'event'; readonly type: EventType; readonly reason: string; readonly message: string }
  | { readonly kind: 'delete'; readonly job: string }
  | { readonly kind: 'create'; readonly scheduledTime: Date };

export interface CronJobPlan {
  readonly steps: CronJobStep[];
  /** the status to write, assuming a `create` step succeeds (its Job is then added to active) */
  readonly active: JobRef[];
  readonly lastScheduleTime: Date | undefined;
  readonly lastSuccessfulTime: Date | undefined;
  readonly requeueAfterMs: number | undefined;
}

/**
 * The CronJob controller (pkg/controller/cronjob, v2): on the cluster clock, creates the Job
 * `<cronjob>-<scheduled minutes since epoch>` for the most recent missed schedule time,
 * honouring suspend, startingDeadlineSeconds and concurrencyPolicy, tracks active Jobs,
 * records lastScheduleTime / lastSuccessfulTime, prunes finished Jobs beyond the history
 * limits, and asks to be woken at the next schedule time. The decisions are planCronJob.
 */
export function createCronJobController(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const jobsType = api.registry.lookup('batch', 'v1', 'jobs')!;
  const cronJobsType = api.registry.lookup('batch', 'v1', 'cronjobs')!;

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === 'batch/cronjobs') return [keyOf(e.namespace, nameOf(e.object))];
    if (e.resource !== 'batch/jobs') return [];
    const owners = [e.object, e.previous].flatMap((j) => {
      const ref = j ? controllerRef(j) : undefined;
      return ref?.kind === 'CronJob' ? [ref.name] : [];
    });
    return [...new Set(owners)].map((n) => keyOf(e.namespace, n));
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const cronJob = api.store.get('batch/cronjobs', namespace, name);
    if (!cronJob) return;
    const children = api.store.list('batch/jobs', namespace).filter((j) => isControlledBy(j, cronJob));
    const plan = planCronJob(cronJobView(cronJob), children.map(childJob), clock.now());
    let active = plan.active;
    let lastScheduleTime = plan.lastScheduleTime;
    for (const step of plan.steps) {
      if (step.kind === 'event') events.record(cronJob, step.type, step.reason, step.message, NAME);
      else if (step.kind === 'delete') deleteJob(cronJob, step.job);
      else {
        const created = createJob(cronJob, step.scheduledTime);
        if (created) active = [...active.filter((r) => r.uid !== uidOf(created)), jobRef(created)];
        else lastScheduleTime = cronJobView(cronJob).lastScheduleTime;
      }
    }
    writeStatus(cronJob, active, lastScheduleTime, plan.lastSuccessfulTime);
    return plan.requeueAfterMs === undefined ? undefined : { requeueAfterMs: plan.requeueAfterMs };
  }

  /** The Job for one scheduled time; an existing one of ours (created before a crash) is taken as created. */
  function createJob(cronJob: JsonObject, scheduledTime: Date): JsonObject | undefined {
    const body = jobFromTemplate(cronJob, scheduledTime);
    try {
      const job = api.create(jobsType, namespaceOf(cronJob), body, { fieldManager: NAME });
      events.record(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${nameOf(job)}`, NAME);
      return job;
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'AlreadyExists') throw e;
      const existing = api.store.get('batch/jobs', namespaceOf(cronJob), nameOf(body));
      return existing && isControlledBy(existing, cronJob) ? existing : undefined;
    }
  }

  function deleteJob(cronJob: JsonObject, job: string): void {
    try {
      api.delete(jobsType, namespaceOf(cronJob), job, { propagationPolicy: 'Background' });
      events.record(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job}`, NAME);
    } catch (e) {
      if (!(e instanceof StatusError) || e.reason !== 'NotFound') throw e;
    }
  }

  function writeStatus(cronJob: JsonObject, active: readonly JobRef[], lastScheduleTime: Date | undefined, lastSuccessfulTime: Date | undefined): void {
    const latest = api.store.get('batch/cronjobs', namespaceOf(cronJob), nameOf(cronJob));
    if (!latest) return;
    const status: JsonObject = { ...(isJsonObject(latest.status) ? latest.status : {}) };
    const set = (k: string, v: JsonValue | undefined) => (v === undefined ? delete status[k] : (status[k] = v));
    set('active', active.length ? active.map((r) => ({ ...r })) : undefined);
    set('lastScheduleTime', lastScheduleTime && rfc3339(lastScheduleTime));
    set('lastSuccessfulTime', lastSuccessfulTime && rfc3339(lastSuccessfulTime));
    if (jsonEqual(status, latest.status ?? {})) return;
    api.update(cronJobsType, namespaceOf(cronJob), nameOf(cronJob), { ...latest, status }, { fieldManager: NAME }, 'status');
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('batch/cronjobs')),
  };
}

// ---- the plan ----

/** syncCronJob + cleanupFinishedJobs, as data: what to record, delete and create, and the status after. */
export function planCronJob(cj: CronJobView, jobs: readonly ChildJob[], now: Date): CronJobPlan {
  const steps: CronJobStep[] = [];
  const event = (type: EventType, reason: string, message: string) => steps.push({ kind: 'event', type, reason, message });
  const observed = observeChildren(cj, jobs, event);
  let active = observed.active;
  const done = (requeueAfterMs: number | undefined, lastScheduleTime = cj.lastScheduleTime): CronJobPlan => {
    const history = cj.deleting ? [] : historyToDelete(cj, jobs);
    for (const name of history) steps.push({ kind: 'delete', job: name });
    return { steps, active: active.filter((r) => !history.includes(r.name)), lastScheduleTime, lastSuccessfulTime: observed.lastSuccessfulTime, requeueAfterMs };
  };
  if (cj.deleting) return done(undefined);
  const schedule = scheduleOf(cj, event);
  if (!schedule) return done(undefined);
  const recent = mostRecentScheduleTime(schedule, earliestTime(cj, now, true), now);
  if (!recent) {
    event('Warning', 'InvalidSchedule', `invalid schedule: ${cj.schedule} : time difference between two schedules is less than 1 second`);
    return done(undefined);
  }
  if (recent.missed === 'many') event('Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  const scheduled = recent.time;
  const wait = () => requeueAfter(schedule, cj, cj.lastScheduleTime, now);
  if (!scheduled) return done(wait());
  if (cj.startingDeadlineSeconds !== undefined && scheduled.getTime() + cj.startingDeadlineSeconds * 1000 < now.getTime()) {
    event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
    return done(wait());
  }
  if (active.some((r) => r.name === jobName(cj.name, scheduled)) || cj.lastScheduleTime?.getTime() === scheduled.getTime()) return done(wait());
  if (cj.concurrencyPolicy === 'Forbid' && active.length > 0) {
    event('Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return done(wait());
  }
  if (cj.concurrencyPolicy === 'Replace') {
    for (const ref of active) steps.push({ kind: 'delete', job: ref.name });
    active = [];
  }
  steps.push({ kind: 'create', scheduledTime: scheduled });
  return done(requeueAfter(schedule, cj, scheduled, now), scheduled);
}

type Emit = (type: EventType, reason: string, message: string) => void;

/** Finished Jobs leave the active list, vanished ones too; the latest success sets lastSuccessfulTime. */
function observeChildren(cj: CronJobView, jobs: readonly ChildJob[], event: Emit): { active: JobRef[]; lastSuccessfulTime: Date | undefined } {
  let active = [...cj.active];
  let lastSuccessfulTime = cj.lastSuccessfulTime;
  for (const job of jobs) {
    const listed = active.some((r) => r.uid === job.uid);
    if (!listed && !job.finished) event('Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.name}`);
    else if (listed && job.finished) {
      active = active.filter((r) => r.uid !== job.uid);
      event('Normal', 'SawCompletedJob', `Saw completed job: ${job.name}, condition: ${job.finished}`);
    }
    const completed = job.finished === 'Complete' ? job.completionTime : undefined;
    if (completed && (!lastSuccessfulTime || completed.getTime() > lastSuccessfulTime.getTime())) lastSuccessfulTime = completed;
  }
  for (const ref of active.filter((r) => !jobs.some((j) => j.uid === r.uid))) {
    active = active.filter((r) => r.uid !== ref.uid);
    event('Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
  }
  return { active, lastSuccessfulTime };
}

/** The schedule to run, or undefined (with a warning) when the zone or the schedule is unusable, or when suspended. */
function scheduleOf(cj: CronJobView, event: Emit): CronSchedule | undefined {
  if (cj.timeZone !== undefined && !isKnownTimeZone(cj.timeZone)) {
    event('Warning', 'UnknownTimeZone', `invalid timeZone: "${cj.timeZone}": unknown time zone ${cj.timeZone}`);
    return undefined;
  }
  if (cj.suspend) return undefined;
  const legacyZone = cj.schedule.includes('TZ');
  if (legacyZone) {
    event('Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule "${cj.schedule}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
  }
  const parsed = parseCronSchedule(cj.schedule, legacyZone ? undefined : cj.timeZone);
  if (parsed.ok) return parsed.schedule;
  event('Warning', 'UnparseableSchedule', `unparseable schedule: "${cj.schedule}" : ${parsed.error}`);
  return undefined;
}

/** Where missed times are looked for: after the last scheduled (or creation) time, and within startingDeadlineSeconds. */
function earliestTime(cj: CronJobView, now: Date, withDeadline: boolean, lastScheduleTime = cj.lastScheduleTime): Date {
  let earliest = lastScheduleTime ?? cj.createdAt;
  if (withDeadline && cj.startingDeadlineSeconds !== undefined) {
    const deadline = new Date(now.getTime() - cj.startingDeadlineSeconds * 1000);
    if (deadline.getTime() > earliest.getTime()) earliest = deadline;
  }
  return earliest;
}

/**
 * nextScheduleTimeDuration: wake up at the next schedule time following the last one handled.
 * Kubernetes adds 100 ms against NTP skew; the cluster clock has none, so Jobs start on the dot.
 */
function requeueAfter(schedule: CronSchedule, cj: CronJobView, lastScheduleTime: Date | undefined, now: Date): number | undefined {
  const earliest = earliestTime(cj, now, false, lastScheduleTime);
  const recent = mostRecentScheduleTime(schedule, earliest, now);
  const from = !recent ? now : (recent.time ?? (recent.missed === 'none' ? earliest : now));
  const next = nextScheduleTime(schedule, from);
  return next ? next.getTime() - now.getTime() : undefined;
}

/** Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest start first. */
function historyToDelete(cj: CronJobView, jobs: readonly ChildJob[]): string[] {
  const oldest = (finished: ChildJob['finished'], limit: number | undefined): string[] => {
    if (limit === undefined) return [];
    const done = jobs.filter((j) => j.finished === finished).sort(byStartTime);
    return done.slice(0, Math.max(0, done.length - limit)).map((j) => j.name);
  };
  return [...oldest('Complete', cj.successfulJobsHistoryLimit), ...oldest('Failed', cj.failedJobsHistoryLimit)];
}

/** byJobStartTime: started Jobs before unstarted ones, earlier first, names breaking ties. */
function byStartTime(a: ChildJob, b: ChildJob): number {
  if (!a.startTime || !b.startTime) return (a.startTime ? -1 : b.startTime ? 1 : 0) || a.name.localeCompare(b.name);
  return a.startTime.getTime() - b.startTime.getTime() || a.name.localeCompare(b.name);
}

/** `<cronjob>-<minutes since the epoch>`: one name per scheduled time, so a Job is never made twice. */
export function jobName(cronJob: string, scheduledTime: Date): string {
  return `${cronJob}-${Math.floor(scheduledTime.getTime() / MINUTE_MS)}`;
}

/** Go's time.RFC1123Z in UTC, as the MissSchedule event prints the time. */
function rfc1123z(date: Date): string {
  const [day, rest] = date.toUTCString().split(', ') as [string, string];
  return `${day}, ${rest.replace(' GMT', ' +0000')}`;
}

// ---- reading objects ----

const dateOf = (v: JsonValue | undefined): Date | undefined => (typeof v === 'string' && v ? new Date(v) : undefined);
const numberOf = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

export function cronJobView(cj: JsonObject): CronJobView {
  const spec = isJsonObject(cj.spec) ? cj.spec : {};
  const status = isJsonObject(cj.status) ? cj.status : {};
  const policy = spec.concurrencyPolicy === 'Forbid' || spec.concurrencyPolicy === 'Replace' ? spec.concurrencyPolicy : 'Allow';
  return {
    name: nameOf(cj),
    createdAt: dateOf(metadataOf(cj).creationTimestamp) ?? new Date(0),
    deleting: deletionTimestampOf(cj) !== undefined,
    schedule: typeof spec.schedule === 'string' ? spec.schedule : '',
    timeZone: typeof spec.timeZone === 'string' ? spec.timeZone : undefined,
    suspend: spec.suspend === true,
    concurrencyPolicy: policy,
    startingDeadlineSeconds: numberOf(spec.startingDeadlineSeconds),
    successfulJobsHistoryLimit: numberOf(spec.successfulJobsHistoryLimit),
    failedJobsHistoryLimit: numberOf(spec.failedJobsHistoryLimit),
    active: (Array.isArray(status.active) ? status.active.filter(isJsonObject) : []) as unknown as JobRef[],
    lastScheduleTime: dateOf(status.lastScheduleTime),
    lastSuccessfulTime: dateOf(status.lastSuccessfulTime),
  };
}

function childJob(job: JsonObject): ChildJob {
  const status = isJsonObject(job.status) ? job.status : {};
  const finished = terminalCondition(job)?.type;
  return {
    name: nameOf(job),
    uid: uidOf(job),
    finished: finished === 'Complete' || finished === 'Failed' ? finished : undefined,
    startTime: dateOf(status.startTime),
    completionTime: dateOf(status.completionTime),
  };
}

function jobRef(job: JsonObject): JobRef {
  return { apiVersion: 'batch/v1', kind: 'Job', namespace: namespaceOf(job), name: nameOf(job), uid: uidOf(job), resourceVersion: resourceVersionOf(job) ?? '' };
}

/** getJobFromTemplate2: the template's labels and annotations, the scheduled time (in spec.timeZone), owned by the CronJob. */
export function jobFromTemplate(cronJob: JsonObject, scheduledTime: Date): JsonObject {
  const spec = isJsonObject(cronJob.spec) ? cronJob.spec : {};
  const template = isJsonObject(spec.jobTemplate) ? spec.jobTemplate : {};
  const meta = isJsonObject(template.metadata) ? template.metadata : {};
  const zone = typeof spec.timeZone === 'string' ? spec.timeZone : undefined;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(nameOf(cronJob), scheduledTime),
      namespace: namespaceOf(cronJob),
      labels: structuredClone(isJsonObject(meta.labels) ? meta.labels : {}),
      annotations: { ...(isJsonObject(meta.annotations) ? meta.annotations : {}), [CRONJOB_SCHEDULED_TIMESTAMP]: rfc3339InZone(scheduledTime, zone) },
      ownerReferences: [ownerReferenceTo(cronJob)],
    },
    spec: structuredClone(isJsonObject(template.spec) ? template.spec : {}),
  };
}
