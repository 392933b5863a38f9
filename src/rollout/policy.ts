/**
 * The rollout policy: `spec.rollout` of an Application, defaulted, and the per-workload
 * annotations that override it. Pure.
 */
import type { JsonObject } from '../json.ts';
import type { RolloutPolicy } from '../app/types.ts';
import { annotationsOf } from '../sync/resource-key.ts';

/** `sluice.dev/rollout: skip` leaves a workload to its own controller (applied at once, not gated). */
export const ROLLOUT_ANNOTATION = 'sluice.dev/rollout';
/** `sluice.dev/rollout-steps: "20%,50%,100%"` replaces the app's steps for one workload. */
export const ROLLOUT_STEPS_ANNOTATION = 'sluice.dev/rollout-steps';

export const ROLLOUT_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

export function isRolloutKind(kind: unknown): kind is RolloutKind {
  return typeof kind === 'string' && (ROLLOUT_KINDS as readonly string[]).includes(kind);
}

/** What applies when an Application sets no `rollout`: one step, gated on readiness, rolled back on failure. */
export const DEFAULT_ROLLOUT: RolloutPolicy = {
  steps: [100],
  stepHoldMs: 0,
  progressDeadlineMs: 10 * 60_000,
  failure: { restarts: 3, notReadyForMs: 2 * 60_000 },
  autoRollback: true,
};

/**
 * Steps as written (`[20%, 50%, 100%]`, `[20, 50, 100]` or the annotation's `"20%,50%,100%"`):
 * percentages in (0, 100], strictly rising, the last 100. Each problem is an error message
 * for the step's index (-1: the list as a whole).
 */
export function parseSteps(value: readonly unknown[]): { steps: number[]; problems: { index: number; message: string }[] } {
  const steps: number[] = [];
  const problems: { index: number; message: string }[] = [];
  value.forEach((item, index) => {
    const text = typeof item === 'number' ? String(item) : typeof item === 'string' ? item.trim().replace(/%$/, '') : undefined;
    const n = text === undefined || !/^\d+(\.\d+)?$/.test(text) ? Number.NaN : Number(text);
    if (!(n > 0 && n <= 100)) {
      problems.push({ index, message: `must be a percentage above 0 and at most 100 (e.g. 20%), not ${JSON.stringify(item)}` });
      return;
    }
    if (steps.length > 0 && n <= steps[steps.length - 1]!) problems.push({ index, message: `must be larger than the step before it (${steps[steps.length - 1]}%)` });
    steps.push(n);
  });
  if (value.length === 0) problems.push({ index: -1, message: 'must list at least one step (e.g. [100%])' });
  else if (steps.length === value.length && steps[steps.length - 1] !== 100) problems.push({ index: -1, message: 'must end at 100%: a rollout finishes with every pod on the new revision' });
  return { steps, problems };
}

/** The policy for one workload: the app's, unless its annotations say otherwise. A bad annotation is a message. */
export function workloadPolicy(app: RolloutPolicy, workload: JsonObject): { policy: RolloutPolicy; skip: boolean } | { problem: string } {
  const annotations = annotationsOf(workload);
  const mode = annotations[ROLLOUT_ANNOTATION];
  if (mode !== undefined && mode !== 'skip') return { problem: `annotation ${ROLLOUT_ANNOTATION} must be "skip", not "${mode}"` };
  const stepsText = annotations[ROLLOUT_STEPS_ANNOTATION];
  if (stepsText === undefined) return { policy: app, skip: mode === 'skip' };
  const { steps, problems } = parseSteps(stepsText.split(','));
  if (problems.length > 0) return { problem: `annotation ${ROLLOUT_STEPS_ANNOTATION}: ${problems.map((p) => (p.index >= 0 ? `step ${p.index + 1} ${p.message}` : p.message)).join('; ')}` };
  return { policy: { ...app, steps }, skip: mode === 'skip' };
}

/**
 * A Deployment or DaemonSet whose manifest sets no strategy of its own gets the policy's
 * maxSurge/maxUnavailable (what the policy leaves out, Kubernetes defaults). A new object;
 * the input is not changed.
 */
export function withRolloutStrategy(object: JsonObject, policy: RolloutPolicy): JsonObject {
  const field = object['kind'] === 'Deployment' ? 'strategy' : object['kind'] === 'DaemonSet' ? 'updateStrategy' : undefined;
  if (field === undefined || (policy.maxSurge === undefined && policy.maxUnavailable === undefined)) return object;
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || spec[field] !== undefined) return object;
  const rollingUpdate: JsonObject = {
    ...(policy.maxSurge === undefined ? {} : { maxSurge: policy.maxSurge }),
    ...(policy.maxUnavailable === undefined ? {} : { maxUnavailable: policy.maxUnavailable }),
  };
  return { ...object, spec: { ...spec, [field]: { type: 'RollingUpdate', rollingUpdate } } };
}
