import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { DEFAULT_ROLLOUT, withRolloutStrategy, workloadPolicy } from '../../src/rollout/policy.ts';

const workload = (kind: string, spec: JsonObject = {}, annotations: Record<string, string> = {}): JsonObject => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'web', annotations }, spec });

describe('withRolloutStrategy', () => {
  const policy = { ...DEFAULT_ROLLOUT, maxSurge: 2, maxUnavailable: '0%' };
  it.each([
    { name: 'a Deployment without a strategy gets the bounds', input: workload('Deployment'), want: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: '0%' } }, field: 'strategy' },
    { name: 'a DaemonSet without one gets them as updateStrategy', input: workload('DaemonSet'), want: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: '0%' } }, field: 'updateStrategy' },
    { name: "a manifest's own strategy wins", input: workload('Deployment', { strategy: { type: 'Recreate' } }), want: { type: 'Recreate' }, field: 'strategy' },
    { name: 'a StatefulSet is left alone', input: workload('StatefulSet'), want: undefined, field: 'updateStrategy' },
  ])('$name', ({ input, want, field }) => {
    const before = JSON.stringify(input);
    expect((withRolloutStrategy(input, policy)['spec'] as JsonObject)[field]).toEqual(want);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('changes nothing when the policy sets no bounds', () => {
    const input = workload('Deployment');
    expect(withRolloutStrategy(input, DEFAULT_ROLLOUT)).toBe(input);
  });
});

describe('workloadPolicy', () => {
  it.each<{ name: string; annotations: Record<string, string>; want: unknown }>([
    { name: 'no annotations: the app policy', annotations: {}, want: { policy: DEFAULT_ROLLOUT, skip: false } },
    { name: 'skip', annotations: { 'sluice.dev/rollout': 'skip' }, want: { policy: DEFAULT_ROLLOUT, skip: true } },
    { name: 'steps of its own', annotations: { 'sluice.dev/rollout-steps': '25%, 100%' }, want: { policy: { ...DEFAULT_ROLLOUT, steps: [25, 100] }, skip: false } },
    { name: 'a bad mode', annotations: { 'sluice.dev/rollout': 'off' }, want: { problem: 'annotation sluice.dev/rollout must be "skip", not "off"' } },
    { name: 'bad steps', annotations: { 'sluice.dev/rollout-steps': '50,20' }, want: { problem: 'annotation sluice.dev/rollout-steps: step 2 must be larger than the step before it (50%); must end at 100%: a rollout finishes with every pod on the new revision' } },
  ])('$name', ({ annotations, want }) => {
    expect(workloadPolicy(DEFAULT_ROLLOUT, workload('Deployment', {}, annotations))).toEqual(want);
  });
});
