import type { JsonObject } from '../../json.ts';
import { AGE_COLUMN, ageOf, at, col, int, list, NAME_COLUMN, nameOf, objOf, since, str, timeOf, type Printer, type Row } from './cells.ts';

/** `kubectl get pods`: the READY/STATUS/RESTARTS logic of printPod. */

const COLUMNS = [
  NAME_COLUMN,
  col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  col('Status', 'string', 'The aggregate status of the containers in this pod.'),
  col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  AGE_COLUMN,
  col('IP', 'string', 'podIP address allocated to the pod.', 1),
  col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
  col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
  col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
];

const SUCCEEDED = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const FAILED = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

/** Restart counts and the latest restart time of a set of container statuses. */
interface Restarts {
  count: number;
  last: number | undefined;
}

function addRestarts(acc: Restarts, status: JsonObject): void {
  acc.count += int(status.restartCount);
  const finished = timeOf(at(status, 'lastState.terminated.finishedAt'));
  if (finished !== undefined && (acc.last === undefined || finished > acc.last)) acc.last = finished;
}

function hasCondition(pod: JsonObject, type: string, reason?: string): boolean {
  return list(at(pod, 'status.conditions')).some((c) => c.type === type && (reason ? c.reason === reason : c.status === 'True'));
}

/** A sidecar: an init container with restartPolicy Always. */
function isRestartable(initContainer: JsonObject | undefined): boolean {
  return initContainer?.restartPolicy === 'Always';
}

function terminatedReason(t: JsonObject, prefix: string): string {
  if (str(t.reason)) return `${prefix}${str(t.reason)}`;
  return int(t.signal) !== 0 ? `${prefix}Signal:${int(t.signal)}` : `${prefix}ExitCode:${int(t.exitCode)}`;
}

function podRow(pod: JsonObject, now: Date): Row {
  const spec = objOf(pod.spec);
  const status = objOf(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (hasCondition(pod, 'PodScheduled', 'SchedulingGated')) reason = 'SchedulingGated';

  const initSpecs = new Map(list(spec.initContainers).map((c) => [str(c.name), c]));
  const total = list(spec.containers).length + [...initSpecs.values()].filter(isRestartable).length;
  let ready = 0;
  const all: Restarts = { count: 0, last: undefined };
  const sidecars: Restarts = { count: 0, last: undefined };

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (const [i, c] of initStatuses.entries()) {
    const restartable = isRestartable(initSpecs.get(str(c.name)));
    addRestarts(all, c);
    if (restartable) addRestarts(sidecars, c);
    const terminated = objOf(at(c, 'state.terminated'));
    const waiting = objOf(at(c, 'state.waiting'));
    const isTerminated = at(c, 'state.terminated') !== undefined;
    if (isTerminated && int(terminated.exitCode) === 0) continue;
    if (restartable && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (isTerminated) reason = terminatedReason(terminated, 'Init:');
    else if (str(waiting.reason) && waiting.reason !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${list(spec.initContainers).length}`;
    initializing = true;
    break;
  }

  let restarts = all;
  if (!initializing || hasCondition(pod, 'Initialized')) {
    restarts = { ...sidecars };
    let hasRunning = false;
    // the first container in the spec has the last word on the reason
    for (const c of [...list(status.containerStatuses)].reverse()) {
      addRestarts(restarts, c);
      const waiting = objOf(at(c, 'state.waiting'));
      const terminated = at(c, 'state.terminated');
      if (str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated !== undefined) reason = terminatedReason(objOf(terminated), '');
      else if (c.ready === true && at(c, 'state.running') !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = at(pod, 'metadata.deletionTimestamp') !== undefined;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsCell =
    restarts.count !== 0 && restarts.last !== undefined ? `${restarts.count} (${since(new Date(restarts.last).toISOString(), now)} ago)` : String(restarts.count);
  // status.podIPs is authoritative; podIP is the legacy mirror of its first entry
  const podIP = str(at(list(status.podIPs)[0], 'ip')) || str(status.podIP);
  const gates = list(spec.readinessGates);
  const gatesCell =
    gates.length === 0
      ? '<none>'
      : `${gates.filter((g) => list(status.conditions).find((c) => c.type === g.conditionType)?.status === 'True').length}/${gates.length}`;
  return {
    cells: [
      nameOf(pod),
      `${ready}/${total}`,
      reason,
      restartsCell,
      ageOf(pod, now),
      podIP || '<none>',
      str(spec.nodeName) || '<none>',
      str(status.nominatedNodeName) || '<none>',
      gatesCell,
    ],
    ...(phase === 'Succeeded' ? { conditions: SUCCEEDED } : phase === 'Failed' ? { conditions: FAILED } : {}),
  };
}

export const PRINTERS: Record<string, Printer> = {
  Pod: { columns: COLUMNS, row: podRow },
};
