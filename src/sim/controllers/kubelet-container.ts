import { createHash } from 'node:crypto';
import { restarts, type ContainerPlan } from './kubelet-plan.ts';
import {
  backOffExpired, goDuration, KUBELET_TIMING, nextBackOff, pullBackOffMs, readinessTickAtOrAfter, type BackOff,
} from './kubelet-timing.ts';

/**
 * One simulated container as a state machine: a run (plain data) plus its plan give the next
 * thing due and when; applying it yields the next run and the Events the kubelet records.
 * Times are epoch milliseconds of the cluster clock. `floor` is the earliest time anything may
 * happen: while a node is down (or before a fault changed), nothing progresses, so whatever
 * fell due meanwhile happens at the floor.
 */

export type WaitingReason = 'PodInitializing' | 'ContainerCreating' | 'ErrImagePull' | 'ImagePullBackOff' | 'CrashLoopBackOff';

export interface Terminated {
  readonly exitCode: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt?: number;
  readonly finishedAt: number;
  readonly containerID?: string;
}

export type ContainerState =
  | { readonly kind: 'waiting'; readonly reason: WaitingReason; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAt: number; readonly containerID: string }
  | ({ readonly kind: 'terminated' } & Terminated);

export type PendingAction =
  | { readonly kind: 'pull'; readonly at: number }
  | { readonly kind: 'pull-done'; readonly at: number }
  | { readonly kind: 'report-pull-backoff'; readonly at: number; readonly retryAt: number }
  | { readonly kind: 'start'; readonly at: number };

export interface ContainerRun {
  readonly name: string;
  readonly state: ContainerState;
  readonly pending?: PendingAction;
  readonly lastTerminated?: Terminated;
  readonly restartCount: number;
  readonly imagePulled: boolean;
  readonly pullFailures: number;
  readonly backOff?: BackOff;
  /** when the last failing readiness probe was reported */
  readonly probedAt?: number;
}

export interface KubeletEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface StepContext {
  readonly podUid: string;
  /** "name_namespace(uid)", as kubelet messages name a pod */
  readonly podRef: string;
}

export interface Due {
  readonly kind: PendingAction['kind'] | 'exit' | 'probe-failed';
  readonly at: number;
}

export interface Step {
  readonly run: ContainerRun;
  readonly events: readonly KubeletEvent[];
}

export function newRun(name: string, reason: WaitingReason): ContainerRun {
  return { name, state: { kind: 'waiting', reason }, restartCount: 0, imagePulled: false, pullFailures: 0 };
}

/** Starts pulling at `at` (the container's turn has come). */
export function beginPull(run: ContainerRun, at: number, reason: WaitingReason): ContainerRun {
  return { ...run, state: { kind: 'waiting', reason }, pending: { kind: 'pull', at } };
}

function containerID(podUid: string, name: string, restartCount: number): string {
  return `containerd://${createHash('sha256').update(`${podUid}/${name}/${restartCount}`).digest('hex')}`;
}

/** The next failing readiness probe of a never-ready container, if it is running and has one to report. */
function nextFailedProbe(run: ContainerRun, plan: ContainerPlan, floor: number): number | undefined {
  if (run.state.kind !== 'running' || !plan.neverReady) return undefined;
  const started = run.state.startedAt;
  const from = Math.max(floor, plan.neverReady.since, run.probedAt === undefined ? started : run.probedAt + 1);
  return started + readinessTickAtOrAfter(plan.readiness, plan.startedAfterMs, from - started);
}

/** What happens next to this container and when, if anything. */
export function dueOf(run: ContainerRun, plan: ContainerPlan, floor: number): Due | undefined {
  const candidates: Due[] = [];
  if (run.pending) candidates.push({ kind: run.pending.kind, at: Math.max(run.pending.at, floor) });
  if (run.state.kind === 'running' && plan.exit) candidates.push({ kind: 'exit', at: Math.max(run.state.startedAt + plan.exit.afterMs, floor) });
  const probe = nextFailedProbe(run, plan, floor);
  if (probe !== undefined) candidates.push({ kind: 'probe-failed', at: probe });
  return candidates.reduce<Due | undefined>((soonest, d) => (soonest === undefined || d.at < soonest.at ? d : soonest), undefined);
}

export function applyDue(run: ContainerRun, plan: ContainerPlan, due: Due, ctx: StepContext): Step {
  const at = due.at;
  switch (due.kind) {
    case 'pull':
      return { run: { ...run, pending: { kind: 'pull-done', at: at + KUBELET_TIMING.pullMs } }, events: [normal('Pulling', `Pulling image "${plan.image}"`)] };
    case 'pull-done':
      return pullDone(run, plan, at, ctx);
    case 'report-pull-backoff': {
      const retryAt = run.pending?.kind === 'report-pull-backoff' ? run.pending.retryAt : at;
      const message = `Back-off pulling image "${plan.image}"`;
      return {
        run: { ...run, state: { kind: 'waiting', reason: 'ImagePullBackOff', message }, pending: { kind: 'pull', at: retryAt } },
        events: [normal('BackOff', message), warning('Failed', 'Error: ImagePullBackOff')],
      };
    }
    case 'start': {
      // a restart after CrashLoopBackOff moves the back-off on (Backoff.Next with the exit time)
      const backOff = run.lastTerminated ? nextBackOff(run.backOff, run.lastTerminated.finishedAt, at) : run.backOff;
      return start({ ...run, ...(backOff ? { backOff } : {}) }, plan, at, ctx, []);
    }
    case 'exit':
      return exit(run, plan, at, ctx);
    case 'probe-failed':
      return {
        run: { ...run, probedAt: at },
        events: [warning('Unhealthy', `Readiness probe failed: ${plan.neverReady?.failure ?? ''}`)],
      };
  }
}

function pullDone(run: ContainerRun, plan: ContainerPlan, at: number, ctx: StepContext): Step {
  if (!plan.pullFails) {
    const took = goDuration(KUBELET_TIMING.pullMs);
    return start({ ...run, imagePulled: true }, plan, at, ctx, [normal('Pulled', `Successfully pulled image "${plan.image}" in ${took} (${took} including waiting)`)]);
  }
  const failures = run.pullFailures + 1;
  const detail = `rpc error: code = NotFound desc = failed to pull and unpack image "${plan.image}": failed to resolve reference "${plan.image}": not found`;
  return {
    run: {
      ...run,
      pullFailures: failures,
      state: { kind: 'waiting', reason: 'ErrImagePull', message: detail },
      pending: { kind: 'report-pull-backoff', at: at + KUBELET_TIMING.pullBackOffReportMs, retryAt: at + pullBackOffMs(failures) },
    },
    events: [warning('Failed', `Failed to pull image "${plan.image}": ${detail}`), warning('Failed', 'Error: ErrImagePull')],
  };
}

/** Creates and starts the container; a restart finds its image already pulled. */
function start(run: ContainerRun, plan: ContainerPlan, at: number, ctx: StepContext, before: KubeletEvent[]): Step {
  const restart = run.lastTerminated !== undefined;
  const restartCount = restart ? run.restartCount + 1 : run.restartCount;
  const { pending: _pending, probedAt: _probedAt, ...rest } = run;
  return {
    run: { ...rest, restartCount, state: { kind: 'running', startedAt: at, containerID: containerID(ctx.podUid, run.name, restartCount) } },
    events: [
      ...before,
      ...(restart ? [normal('Pulled', `Container image "${plan.image}" already present on machine`)] : []),
      normal('Created', `Created container ${plan.name}`),
      normal('Started', `Started container ${plan.name}`),
    ],
  };
}

function exit(run: ContainerRun, plan: ContainerPlan, at: number, ctx: StepContext): Step {
  if (run.state.kind !== 'running' || !plan.exit) return { run, events: [] };
  const { exitCode, reason, livenessFailure } = plan.exit;
  const terminated: Terminated = { exitCode, reason, startedAt: run.state.startedAt, finishedAt: at, containerID: run.state.containerID };
  const events: KubeletEvent[] = livenessFailure
    ? [warning('Unhealthy', `Liveness probe failed: ${livenessFailure}`), normal('Killing', `Container ${plan.name} failed liveness probe, will be restarted`)]
    : [];
  if (!restarts(plan.restartPolicy, exitCode)) {
    const { pending: _pending, ...rest } = run;
    return { run: { ...rest, state: { kind: 'terminated', ...terminated } }, events };
  }
  if (backOffExpired(run.backOff, at)) {
    // the first failure (or one long after the last) is restarted at once: the back-off starts now
    return start({ ...run, lastTerminated: terminated, backOff: nextBackOff(undefined, at, at) }, plan, at, ctx, events);
  }
  const backOffMs = run.backOff?.ms ?? KUBELET_TIMING.backOffInitialMs;
  const message = `back-off ${goDuration(backOffMs)} restarting failed container=${plan.name} pod=${ctx.podRef}`;
  return {
    run: { ...run, lastTerminated: terminated, state: { kind: 'waiting', reason: 'CrashLoopBackOff', message }, pending: { kind: 'start', at: at + backOffMs } },
    events: [...events, warning('BackOff', `Back-off restarting failed container ${plan.name} in pod ${ctx.podRef}`)],
  };
}

/** Stops the container for pod termination at `at`: it exits cleanly on SIGTERM if running. */
export function stopContainer(run: ContainerRun, at: number): ContainerRun {
  const { pending: _pending, ...rest } = run;
  switch (run.state.kind) {
    case 'terminated':
      return rest;
    case 'running':
      return { ...rest, state: { kind: 'terminated', exitCode: 0, reason: 'Completed', startedAt: run.state.startedAt, finishedAt: at, containerID: run.state.containerID } };
    case 'waiting':
      // a container in back-off reports its last exit; one that never ran, what the kubelet says of a container it cannot find
      if (run.lastTerminated) return { ...rest, state: { kind: 'terminated', ...run.lastTerminated } };
      return { ...rest, state: { kind: 'terminated', exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: at } };
  }
}

/** When the container counts as ready: [from, until), or undefined when it is not running or never will be. */
export function readyWindow(run: ContainerRun, plan: ContainerPlan, floor: number): { from: number; until: number } | undefined {
  if (run.state.kind !== 'running') return undefined;
  const started = run.state.startedAt;
  const never = plan.neverReady;
  if (never && started >= never.since) return undefined;
  return { from: Math.max(started + plan.readyAfterMs, floor), until: never ? never.since + never.afterMs : Infinity };
}

export function isReady(run: ContainerRun, plan: ContainerPlan, now: number, floor: number): boolean {
  const w = readyWindow(run, plan, floor);
  return w !== undefined && now >= w.from && now < w.until;
}

export function startedAt(run: ContainerRun, plan: ContainerPlan, floor: number): number | undefined {
  return run.state.kind === 'running' ? Math.max(run.state.startedAt + plan.startedAfterMs, floor) : undefined;
}

/** Later times at which this container's reported status changes without a step (started, ready, unready). */
export function statusChangesAfter(run: ContainerRun, plan: ContainerPlan, now: number, floor: number): number[] {
  const w = readyWindow(run, plan, floor);
  const started = startedAt(run, plan, floor);
  return [w?.from, w?.until, started].filter((t): t is number => t !== undefined && t > now && Number.isFinite(t));
}

function normal(reason: string, message: string): KubeletEvent {
  return { type: 'Normal', reason, message };
}

function warning(reason: string, message: string): KubeletEvent {
  return { type: 'Warning', reason, message };
}
