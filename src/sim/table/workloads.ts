import type { JsonObject } from '../../json.ts';
import { formatLabelRequirements, labelSelectorFromJson, SelectorError } from '../selectors.ts';
import { humanDuration } from './duration.ts';
import {
  AGE_COLUMN,
  ageOf,
  at,
  col,
  containerCells,
  CONTAINERS_COLUMN,
  formatLabels,
  formatSelector,
  IMAGES_COLUMN,
  int,
  list,
  NAME_COLUMN,
  nameOf,
  objOf,
  since,
  str,
  timeOf,
  type Printer,
} from './cells.ts';

/** apps/v1 and batch/v1 workloads. Absent replicas read as the server default, 1. */

const replicasOf = (o: JsonObject): number => int(at(o, 'spec.replicas'), 1);
const templateSpec = (o: JsonObject): JsonObject => objOf(at(o, 'spec.template.spec'));
const READY = 'Number of the pod with ready state';

/** Deployments print selector.String() directly, "<invalid>" when it does not parse. */
function selectorString(o: JsonObject): string {
  const selector = at(o, 'spec.selector');
  if (selector === undefined || selector === null) return '';
  try {
    return formatLabelRequirements(labelSelectorFromJson(selector));
  } catch (e) {
    if (e instanceof SelectorError) return '<invalid>';
    throw e;
  }
}

const deployment: Printer = {
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', READY),
    col('Up-to-date', 'string', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', 'Label selector for pods.', 1),
  ],
  row: (o, now) => ({
    cells: [
      nameOf(o),
      `${int(at(o, 'status.readyReplicas'))}/${replicasOf(o)}`,
      int(at(o, 'status.updatedReplicas')),
      int(at(o, 'status.availableReplicas')),
      ageOf(o, now),
      ...containerCells(templateSpec(o)),
      selectorString(o),
    ],
  }),
};

const replicaSet: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'Replicas is the number of desired pods.'),
    col('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods.'),
    col('Ready', 'integer', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1),
  ],
  row: (o, now) => ({
    cells: [
      nameOf(o),
      replicasOf(o),
      int(at(o, 'status.replicas')),
      int(at(o, 'status.readyReplicas')),
      ageOf(o, now),
      ...containerCells(templateSpec(o)),
      formatSelector(at(o, 'spec.selector')),
    ],
  }),
};

const statefulSet: Printer = {
  columns: [NAME_COLUMN, col('Ready', 'string', READY), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  row: (o, now) => ({
    cells: [nameOf(o), `${int(at(o, 'status.readyReplicas'))}/${replicasOf(o)}`, ageOf(o, now), ...containerCells(templateSpec(o))],
  }),
};

const daemonSet: Printer = {
  columns: [
    NAME_COLUMN,
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
    col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    col('Ready', 'integer', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.'),
    col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)'),
    col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  row: (o, now) => ({
    cells: [
      nameOf(o),
      int(at(o, 'status.desiredNumberScheduled')),
      int(at(o, 'status.currentNumberScheduled')),
      int(at(o, 'status.numberReady')),
      int(at(o, 'status.updatedNumberScheduled')),
      int(at(o, 'status.numberAvailable')),
      formatLabels(templateSpec(o).nodeSelector),
      ageOf(o, now),
      ...containerCells(templateSpec(o)),
      formatSelector(at(o, 'spec.selector')),
    ],
  }),
};

function jobConditionTrue(o: JsonObject, type: string): boolean {
  // the first condition of a type decides, as hasJobCondition does
  return list(at(o, 'status.conditions')).find((c) => c.type === type)?.status === 'True';
}

function jobStatus(o: JsonObject): string {
  if (jobConditionTrue(o, 'Complete')) return 'Complete';
  if (jobConditionTrue(o, 'Failed')) return 'Failed';
  if (at(o, 'metadata.deletionTimestamp') !== undefined) return 'Terminating';
  if (jobConditionTrue(o, 'Suspended')) return 'Suspended';
  if (jobConditionTrue(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(o: JsonObject): string {
  const succeeded = int(at(o, 'status.succeeded'));
  const completions = at(o, 'spec.completions');
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  const parallelism = int(at(o, 'spec.parallelism'));
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: JsonObject, now: Date): string {
  const start = timeOf(at(o, 'status.startTime'));
  if (start === undefined) return '';
  const end = timeOf(at(o, 'status.completionTime')) ?? now.getTime();
  return humanDuration(end - start);
}

const JOB_SELECTOR = col('Selector', 'string', 'A label query over pods that should match the pod count.', 1);

const job: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    JOB_SELECTOR,
  ],
  row: (o, now) => ({
    cells: [nameOf(o), jobStatus(o), jobCompletions(o), jobDuration(o, now), ageOf(o, now), ...containerCells(templateSpec(o)), formatSelector(at(o, 'spec.selector'))],
  }),
};

/** printBoolPtr */
function boolPtr(v: unknown): string {
  return v === true ? 'True' : v === false ? 'False' : '<unset>';
}

const cronJob: Printer = {
  columns: [
    NAME_COLUMN,
    col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
    col('Active', 'integer', 'A list of pointers to currently running jobs.'),
    col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    JOB_SELECTOR,
  ],
  row: (o, now) => {
    const lastSchedule = at(o, 'status.lastScheduleTime');
    return {
      cells: [
        nameOf(o),
        str(at(o, 'spec.schedule')),
        str(at(o, 'spec.timeZone')) || '<none>',
        boolPtr(at(o, 'spec.suspend')),
        list(at(o, 'status.active')).length,
        lastSchedule === undefined || lastSchedule === null ? '<none>' : since(lastSchedule, now),
        ageOf(o, now),
        ...containerCells(objOf(at(o, 'spec.jobTemplate.spec.template.spec'))),
        formatSelector(at(o, 'spec.jobTemplate.spec.selector')),
      ],
    };
  },
};

export const PRINTERS: Record<string, Printer> = {
  Deployment: deployment,
  ReplicaSet: replicaSet,
  StatefulSet: statefulSet,
  DaemonSet: daemonSet,
  Job: job,
  CronJob: cronJob,
};
