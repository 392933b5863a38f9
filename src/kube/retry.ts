import { KubeError } from './errors.ts';

export interface RetryPolicy {
  /** attempts for 429/5xx/network failures, the first included (default 5) */
  readonly attempts?: number;
  /** re-read-and-retry rounds after a 409 Conflict (default 0: a conflict fails at once) */
  readonly conflicts?: number;
  /** first backoff (default 100 ms), doubled each attempt */
  readonly baseDelayMs?: number;
  /** cap on one backoff and on an honoured Retry-After (default 10 s) */
  readonly maxDelayMs?: number;
  /** [0, 1); injectable so tests are deterministic */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Attempt {
  /** 1-based */
  readonly number: number;
  /** the previous attempt ended in 409 Conflict: re-read the object before writing again */
  readonly afterConflict: boolean;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Backoff before retry n (1-based): exponential with "equal jitter" (half fixed, half random)
 * so a fleet of reconcilers hit by the same 429 does not come back in lockstep; a server's
 * Retry-After is a floor, since retrying earlier only earns another 429.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, retryAfterSeconds?: number): number {
  const base = policy.baseDelayMs ?? 100;
  const max = policy.maxDelayMs ?? 10_000;
  const exponential = Math.min(max, base * 2 ** (retry - 1));
  const jittered = exponential / 2 + (exponential / 2) * (policy.random ?? Math.random)();
  const floor = retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : 0;
  return Math.min(max, Math.max(jittered, floor));
}

/**
 * Runs op until it succeeds or fails for good. 429/5xx/no-response: backoff and retry, up to
 * `attempts`. 409 Conflict: retry at once with `afterConflict` set, up to `conflicts` times, so
 * the caller re-reads and rebuilds its write (only the caller knows how). Anything else
 * (400, 403, 404, 422, ...) is a fault in the request and fails at once.
 */
export async function withRetry<T>(op: (attempt: Attempt) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const maxTransient = policy.attempts ?? 5;
  const maxConflicts = policy.conflicts ?? 0;
  const sleep = policy.sleep ?? defaultSleep;
  let transientFailures = 0;
  let conflicts = 0;
  let afterConflict = false;
  for (let number = 1; ; number++) {
    try {
      return await op({ number, afterConflict });
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      if (e.status === 409 && e.reason === 'Conflict' && conflicts < maxConflicts) {
        conflicts++;
        afterConflict = true;
        continue;
      }
      if (!e.transient || ++transientFailures >= maxTransient) throw e;
      afterConflict = false;
      await sleep(backoffDelay(transientFailures, policy, e.retryAfterSeconds));
    }
  }
}
