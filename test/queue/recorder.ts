/**
 * Test helpers for the queue suites: a handler that records each run's start and end in
 * Redis (so runs in other processes are seen too), and checks over the recorded runs.
 */
import { Redis } from 'ioredis';
import type { Operation } from '../../src/queue/types.ts';

export interface Run {
  readonly app: string;
  readonly kind: Operation['kind'];
  readonly jobId: string;
  readonly attempt: number;
  readonly revision?: string;
  readonly trigger?: string;
  readonly worker: string;
  readonly pid: number;
  readonly start: number;
  end?: number;
}

export const eventsKey = (prefix: string): string => `${prefix}:test:runs`;

/** A handler that records a run, waits `holdMs` (or until aborted), then records its end. */
export function recordingHandler(redis: Redis, prefix: string, worker: string, holdMs: (op: Operation) => number) {
  return async (op: Operation, ctx: { signal: AbortSignal }): Promise<string> => {
    const run: Run = {
      app: op.app,
      kind: op.kind,
      jobId: op.jobId,
      attempt: op.attempt,
      ...(op.kind === 'sync' ? { revision: op.request.revision, trigger: op.request.trigger } : {}),
      worker,
      pid: process.pid,
      start: Date.now(),
    };
    await redis.rpush(eventsKey(prefix), JSON.stringify({ type: 'start', ...run }));
    try {
      await sleep(holdMs(op), ctx.signal);
    } catch (err) {
      await redis.rpush(eventsKey(prefix), JSON.stringify({ type: 'aborted', ...run }));
      throw err;
    }
    run.end = Date.now();
    await redis.rpush(eventsKey(prefix), JSON.stringify({ type: 'end', ...run }));
    return `${op.app}@${run.revision ?? '-'}`;
  };
}

/** Completed runs (those with an end), in start order. */
export async function completedRuns(redis: Redis, prefix: string): Promise<Run[]> {
  const events = (await redis.lrange(eventsKey(prefix), 0, -1)).map((t) => JSON.parse(t) as Run & { type: string });
  return events.filter((e) => e.type === 'end').sort((a, b) => a.start - b.start);
}

/** Runs that recorded the given event ('start', 'end' or 'aborted'), in record order. */
export async function runEvents(redis: Redis, prefix: string, type: 'start' | 'end' | 'aborted'): Promise<Run[]> {
  const events = (await redis.lrange(eventsKey(prefix), 0, -1)).map((t) => JSON.parse(t) as Run & { type: string });
  return events.filter((e) => e.type === type);
}

/** Pairs of runs of one app whose [start, end] intervals overlap. */
export function overlaps(runs: readonly Run[]): Array<[Run, Run]> {
  const found: Array<[Run, Run]> = [];
  const byApp = new Map<string, Run[]>();
  for (const r of runs) byApp.set(r.app, [...(byApp.get(r.app) ?? []), r]);
  for (const list of byApp.values()) {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (prev.end === undefined || cur.start < prev.end) found.push([prev, cur]);
    }
  }
  return found;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** True when the queue has nothing waiting, delayed or running. */
export async function queueIdle(queue: { getJobCounts(...types: string[]): Promise<Record<string, number>> }): Promise<boolean> {
  const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'paused');
  return Object.values(counts).every((n) => n === 0);
}
