import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { showsTrouble } from '../../src/rollout/pod-watch.ts';

/** A pod with one container in `state`, `restartCount` restarts and, optionally, the last termination. */
function pod(state: JsonObject, restartCount = 0, lastTerminated?: string): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'app' },
    status: {
      conditions: [{ type: 'Ready', status: 'running' in state ? 'True' : 'False' }],
      containerStatuses: [{ name: 'web', state, restartCount, ...(lastTerminated === undefined ? {} : { lastState: { terminated: { reason: lastTerminated, exitCode: 1 } } }) }],
    },
  };
}

describe('showsTrouble: what wakes a rollout at once', () => {
  it.each([
    { name: 'running, never restarted', pod: pod({ running: {} }), want: false },
    { name: 'being created', pod: pod({ waiting: { reason: 'ContainerCreating' } }), want: false },
    // the kubelet restarts a first crash at once: running again, no waiting reason, one restart
    { name: 'restarted once after a crash', pod: pod({ running: {} }, 1, 'Error'), want: true },
    { name: 'crash-looping', pod: pod({ waiting: { reason: 'CrashLoopBackOff' } }, 2, 'Error'), want: true },
    { name: 'image pull back-off', pod: pod({ waiting: { reason: 'ImagePullBackOff' } }), want: true },
    { name: 'bad config', pod: pod({ waiting: { reason: 'CreateContainerConfigError' } }), want: true },
  ])('$name → $want', ({ pod: p, want }) => {
    expect(showsTrouble(p)).toBe(want);
  });
});
