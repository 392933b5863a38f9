import { jsonEqual, type JsonObject } from '../../json.ts';
import { matchesLabels } from '../selectors.ts';
import { cronScheduleError } from './cron.ts';
import { child, IMMUTABLE, invalid, nonNegative, notSupported, obj, required, str, stringMap, type FieldCause } from './field.ts';
import { nameIsDNSSubdomain, selectorRequirements, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validatePodTemplate } from './pod.ts';

/** batch/v1 Job and CronJob. */

const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
const CRONJOB_NAME_MAX = 52; // the controller appends "-<minutes since epoch>" to make Job names of at most 63

/** validateJobSpec: what a Job and a CronJob's jobTemplate share. */
function validateJobSpec(spec: JsonObject, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    causes.push(...nonNegative(child(path, f), spec[f]));
  }
  if (spec.completionMode !== undefined && !COMPLETION_MODES.includes(str(spec.completionMode))) {
    causes.push(notSupported(child(path, 'completionMode'), spec.completionMode, COMPLETION_MODES));
  }
  const templatePath = child(path, 'template');
  causes.push(...validatePodTemplate(spec.template, templatePath));
  // restartPolicy defaults to Always, which a Job cannot use
  const policy = str(obj(obj(spec.template).spec).restartPolicy);
  const policyPath = child(child(templatePath, 'spec'), 'restartPolicy');
  if (policy === '' || policy === 'Always') causes.push(required(policyPath, 'valid values: "OnFailure", "Never"'));
  else if (policy !== 'OnFailure' && policy !== 'Never') causes.push(notSupported(policyPath, policy, ['OnFailure', 'Never']));
  return causes;
}

function validateJobSelector(spec: JsonObject): FieldCause[] {
  if (spec.selector === undefined || spec.selector === null) return [required('spec.selector')];
  const causes = validateLabelSelector(spec.selector, 'spec.selector');
  const reqs = selectorRequirements(spec.selector);
  const labels = obj(obj(obj(spec.template).metadata).labels);
  if (reqs && !matchesLabels(reqs, stringMap(labels))) {
    causes.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  return causes;
}

export function validateJob(job: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const spec = obj(job.spec);
  const causes = old ? validateObjectMetaUpdate(job, old) : validateObjectMeta(job, true, nameIsDNSSubdomain);
  causes.push(...validateJobSpec(spec, 'spec'), ...validateJobSelector(spec));
  if (!old) return causes;
  const oldSpec = obj(old.spec);
  // a Job's pods are fixed by what it was created with
  for (const f of ['completions', 'selector', 'template', 'completionMode']) {
    if (!jsonEqual(spec[f], oldSpec[f])) causes.push(invalid(child('spec', f), spec[f], IMMUTABLE));
  }
  return causes;
}

function validateTimeZone(tz: unknown): FieldCause[] {
  if (tz === undefined || tz === null) return [];
  const zone = String(tz);
  if (zone === '') return [invalid('spec.timeZone', zone, 'timeZone must be nil or non-empty string')];
  if (zone.toLowerCase() === 'local') return [invalid('spec.timeZone', zone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return [];
  } catch {
    return [invalid('spec.timeZone', zone, `unknown time zone ${zone}`)];
  }
}

function validateSchedule(schedule: string, oldSchedule: string | undefined): FieldCause[] {
  if (!schedule) return [required('spec.schedule')];
  const causes: FieldCause[] = [];
  const err = cronScheduleError(schedule);
  if (err) causes.push(invalid('spec.schedule', schedule, err));
  // TZ= stays legal only on CronJobs that already used it
  if (schedule.includes('TZ') && !oldSchedule?.includes('TZ')) {
    causes.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return causes;
}

export function validateCronJob(cronJob: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const spec = obj(cronJob.spec);
  const name = str(obj(cronJob.metadata).name);
  const causes = old ? validateObjectMetaUpdate(cronJob, old) : validateObjectMeta(cronJob, true, nameIsDNSSubdomain);
  // on update the limit is skipped so that older, longer-named CronJobs stay editable
  if (!old && name.length > CRONJOB_NAME_MAX) causes.push(invalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  causes.push(...validateSchedule(str(spec.schedule), old ? str(obj(old.spec).schedule) : undefined));
  causes.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  if (!old || !jsonEqual(spec.timeZone, obj(old.spec).timeZone)) causes.push(...validateTimeZone(spec.timeZone));
  if (spec.concurrencyPolicy === '') causes.push(required('spec.concurrencyPolicy'));
  else if (spec.concurrencyPolicy !== undefined && !CONCURRENCY_POLICIES.includes(str(spec.concurrencyPolicy))) {
    causes.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, CONCURRENCY_POLICIES));
  }
  const jobSpec = obj(obj(spec.jobTemplate).spec);
  causes.push(...validateJobSpec(jobSpec, 'spec.jobTemplate.spec'));
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    causes.push(invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'));
  }
  if (jobSpec.manualSelector === true) causes.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  causes.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  causes.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  return causes;
}
