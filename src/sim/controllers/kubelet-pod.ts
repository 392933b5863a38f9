import {
  applyDue, beginPull, dueOf, newRun, statusChangesAfter, stopContainer, type ContainerRun, type Due, type KubeletEvent, type StepContext,
} from './kubelet-container.ts';
import type { ContainerPlan, PodPlan } from './kubelet-plan.ts';

/**
 * A pod on a simulated kubelet: its containers' runs, advanced together. Init containers go
 * one after the other (a sidecar — restartPolicy Always — counts as done once running); the
 * regular containers then start together. Pure: time comes in, Events come out.
 */

export interface PodRuntime {
  readonly uid: string;
  readonly podIP: string;
  readonly admittedAt: number;
  readonly initializedAt?: number;
  readonly init: readonly ContainerRun[];
  readonly main: readonly ContainerRun[];
  /** the fault in effect (or "" for none) and since when; -Infinity: from admission */
  readonly fault: string;
  readonly faultSince: number;
  /** graceful termination: when the containers will have stopped */
  readonly stopAt?: number;
  /** the containers were stopped for deletion */
  readonly stopped: boolean;
}

export interface TimedEvent extends KubeletEvent {
  readonly at: number;
}

export interface Advance {
  readonly runtime: PodRuntime;
  readonly events: readonly TimedEvent[];
  /** when something is due next, or undefined */
  readonly nextAt: number | undefined;
}

/** Safety net against a plan that keeps a container stepping at one instant. */
const MAX_STEPS = 10_000;

export function admitPod(plan: PodPlan, init: { uid: string; podIP: string; now: number; fault: string }): PodRuntime {
  const hasInit = plan.init.length > 0;
  const runtime: PodRuntime = {
    uid: init.uid,
    podIP: init.podIP,
    admittedAt: init.now,
    init: plan.init.map((c) => newRun(c.name, 'PodInitializing')),
    main: plan.main.map((c) => newRun(c.name, hasInit ? 'PodInitializing' : 'ContainerCreating')),
    fault: init.fault,
    faultSince: -Infinity,
    stopped: false,
  };
  return sequence(runtime, plan, init.now);
}

/** An init container is done once it exited 0 — a sidecar, once it runs. */
export function isInitDone(run: ContainerRun, plan: ContainerPlan | undefined): boolean {
  if (plan?.sidecar) return run.state.kind === 'running';
  return run.state.kind === 'terminated' && run.state.exitCode === 0;
}

/** Regular containers that finished for good (terminated, not restarting). */
function mainFinished(runtime: PodRuntime): boolean {
  return runtime.main.length > 0 && runtime.main.every((r) => r.state.kind === 'terminated' && !r.pending);
}

/** Moves the pod along after a step at `at`: the next init container's turn, the regular containers', sidecars' end. */
function sequence(runtime: PodRuntime, plan: PodPlan, at: number): PodRuntime {
  if (runtime.initializedAt === undefined) {
    const next = runtime.init.findIndex((r, i) => !isInitDone(r, plan.init[i]));
    if (next >= 0) {
      const run = runtime.init[next]!;
      if (run.pending || run.state.kind !== 'waiting' || run.lastTerminated) return runtime;
      return { ...runtime, init: runtime.init.map((r, i) => (i === next ? beginPull(r, at, 'PodInitializing') : r)) };
    }
    return { ...runtime, initializedAt: at, main: runtime.main.map((r) => beginPull(r, at, 'ContainerCreating')) };
  }
  // sidecars are stopped once the regular containers are done, so the pod can complete
  if (mainFinished(runtime) && runtime.init.some((r) => r.state.kind === 'running')) {
    return { ...runtime, init: runtime.init.map((r) => (r.state.kind === 'running' ? stopContainer(r, at) : r)) };
  }
  return runtime;
}

interface Candidate {
  readonly group: 'init' | 'main';
  readonly index: number;
  readonly due: Due;
}

function soonest(runtime: PodRuntime, plan: PodPlan, floor: number): Candidate | undefined {
  let best: Candidate | undefined;
  const consider = (group: 'init' | 'main', runs: readonly ContainerRun[], plans: readonly ContainerPlan[]) => {
    runs.forEach((run, index) => {
      const p = plans[index];
      const due = p ? dueOf(run, p, floor) : undefined;
      if (due && (!best || due.at < best.due.at)) best = { group, index, due };
    });
  };
  consider('init', runtime.init, plan.init);
  consider('main', runtime.main, plan.main);
  return best;
}

/** Applies everything due up to `now`, in time order; the runtime's containers must match the plan's. */
export function advancePod(runtime: PodRuntime, plan: PodPlan, now: number, floor: number, ctx: StepContext): Advance {
  const events: TimedEvent[] = [];
  let current = runtime;
  if (!current.stopped) {
    for (let i = 0; i < MAX_STEPS; i++) {
      const next = soonest(current, plan, floor);
      if (!next || next.due.at > now) break;
      const runs = current[next.group];
      const p = plan[next.group][next.index]!;
      const step = applyDue(runs[next.index]!, p, next.due, ctx);
      current = { ...current, [next.group]: runs.map((r, i) => (i === next.index ? step.run : r)) };
      current = sequence(current, plan, next.due.at);
      events.push(...step.events.map((e) => ({ ...e, at: next.due.at })));
    }
  }
  return { runtime: current, events, nextAt: nextChange(current, plan, now, floor) };
}

/** The next time anything about the pod changes: a due step, a readiness flip, or the end of a graceful stop. */
function nextChange(runtime: PodRuntime, plan: PodPlan, now: number, floor: number): number | undefined {
  if (runtime.stopped) return undefined;
  const times: number[] = [];
  if (runtime.stopAt !== undefined) times.push(runtime.stopAt);
  const due = soonest(runtime, plan, floor);
  if (due) times.push(due.due.at);
  runtime.init.forEach((r, i) => plan.init[i] && times.push(...statusChangesAfter(r, plan.init[i], now, floor)));
  runtime.main.forEach((r, i) => plan.main[i] && times.push(...statusChangesAfter(r, plan.main[i], now, floor)));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** Stops every container at `at` (pod deletion). */
export function stopPod(runtime: PodRuntime, at: number): PodRuntime {
  return {
    ...runtime,
    stopped: true,
    init: runtime.init.map((r) => stopContainer(r, at)),
    main: runtime.main.map((r) => stopContainer(r, at)),
  };
}

/** Whether the runtime still describes the pod's containers (a spec change the kubelet cannot follow means a fresh start). */
export function matchesPlan(runtime: PodRuntime, plan: PodPlan): boolean {
  const same = (runs: readonly ContainerRun[], plans: readonly ContainerPlan[]) => runs.length === plans.length && runs.every((r, i) => r.name === plans[i]?.name);
  return same(runtime.init, plan.init) && same(runtime.main, plan.main);
}
