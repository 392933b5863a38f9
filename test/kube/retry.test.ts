import { describe, expect, it } from 'vitest';
import { KubeError } from '../../src/kube/errors.ts';
import { backoffDelay, withRetry, type Attempt, type RetryPolicy } from '../../src/kube/retry.ts';

const error = (status: number, reason: string, retryAfterSeconds?: number, message = 'm') =>
  new KubeError(status, reason, message, 'v1 ConfigMap default/x', retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
/** kube-apiserver 1.33's answer to a server-side apply whose body does not type (kubernetes/kubernetes#139253): 500, no reason. */
const untypedApply = (message: string) => error(500, 'InternalError', undefined, message);

/** Runs withRetry over a script of outcomes, recording attempts and sleeps. */
async function run(script: readonly (KubeError | 'ok')[], policy: RetryPolicy = {}) {
  const attempts: Attempt[] = [];
  const sleeps: number[] = [];
  let outcome: string;
  try {
    outcome = await withRetry(async (attempt) => {
      attempts.push(attempt);
      const step = script[attempts.length - 1] ?? 'ok';
      if (step !== 'ok') throw step;
      return 'ok';
    }, { random: () => 0.5, sleep: async (ms) => void sleeps.push(ms), ...policy });
  } catch (e) {
    outcome = e instanceof KubeError ? `${e.status} ${e.reason}` : String(e);
  }
  return { outcome, attempts: attempts.length, afterConflict: attempts.map((a) => a.afterConflict), sleeps };
}

describe('backoffDelay', () => {
  it.each([
    { name: 'first retry, no jitter draw', retry: 1, random: 0, want: 50 },
    { name: 'first retry, max jitter', retry: 1, random: 0.999999, want: 100 },
    { name: 'doubles', retry: 3, random: 0.5, want: 300 },
    { name: 'capped', retry: 20, random: 1, want: 1000 },
    { name: 'Retry-After is a floor', retry: 1, random: 0, retryAfter: 0.7, want: 700 },
    { name: 'Retry-After is itself capped', retry: 1, random: 0, retryAfter: 60, want: 1000 },
  ])('$name', ({ retry, random, retryAfter, want }) => {
    expect(backoffDelay(retry, { baseDelayMs: 100, maxDelayMs: 1000, random: () => random }, retryAfter)).toBeCloseTo(want, 3);
  });
});

describe('withRetry', () => {
  it.each([
    { name: '5xx then success', script: [error(500, 'InternalError'), 'ok' as const], want: { outcome: 'ok', attempts: 2, sleeps: [75] } },
    { name: '429 honours Retry-After', script: [error(429, 'TooManyRequests', 3), 'ok' as const], want: { outcome: 'ok', attempts: 2, sleeps: [3000] } },
    { name: 'no response (status 0) is transient', script: [error(0, 'ECONNRESET'), 'ok' as const], want: { outcome: 'ok', attempts: 2, sleeps: [75] } },
    { name: 'bounded attempts', script: [error(503, 'ServiceUnavailable'), error(503, 'ServiceUnavailable'), error(503, 'ServiceUnavailable')], policy: { attempts: 3 }, want: { outcome: '503 ServiceUnavailable', attempts: 3, sleeps: [75, 150] } },
    { name: '404 fails at once', script: [error(404, 'NotFound')], want: { outcome: '404 NotFound', attempts: 1, sleeps: [] } },
    { name: '422 fails at once', script: [error(422, 'Invalid')], want: { outcome: '422 Invalid', attempts: 1, sleeps: [] } },
    { name: 'conflict fails at once by default', script: [error(409, 'Conflict')], want: { outcome: '409 Conflict', attempts: 1, sleeps: [] } },
    {
      name: "an apply body that does not type fails at once (the same body gets the same 500)",
      script: [untypedApply('failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string')],
      want: { outcome: '500 InternalError', attempts: 1, sleeps: [] },
    },
    {
      name: 'an applied object that does not convert fails at once',
      script: [untypedApply('failed to convert new object (default/web; apps/v1, Kind=Deployment) to proper version: unrecognized type: int32')],
      want: { outcome: '500 InternalError', attempts: 1, sleeps: [] },
    },
    { name: 'any other 500 is retried', script: [untypedApply('etcdserver: request timed out'), 'ok' as const], want: { outcome: 'ok', attempts: 2, sleeps: [75] } },
    { name: 'AlreadyExists is not a retryable conflict', script: [error(409, 'AlreadyExists')], policy: { conflicts: 3 }, want: { outcome: '409 AlreadyExists', attempts: 1, sleeps: [] } },
  ])('$name', async ({ script, policy, want }) => {
    expect(await run(script, policy)).toMatchObject(want);
  });

  it('re-runs a conflicted write at once, telling the caller to re-read, up to the bound', async () => {
    const conflict = error(409, 'Conflict');
    expect(await run([conflict, conflict, 'ok'], { conflicts: 2 })).toEqual({ outcome: 'ok', attempts: 3, afterConflict: [false, true, true], sleeps: [] });
    expect(await run([conflict, conflict, conflict], { conflicts: 2 })).toMatchObject({ outcome: '409 Conflict', attempts: 3 });
  });

  it('passes non-Kubernetes errors straight through', async () => {
    await expect(withRetry(async () => { throw new TypeError('bug'); })).rejects.toThrow('bug');
  });
});
