import { describe, expect, it } from 'vitest';
import { applicationEvent, MAX_EVENT_MESSAGE_BYTES } from '../../src/controller/app-events.ts';
import { afterFailure, retryDelayMs, retryWaitMs, type FailureRecord } from '../../src/controller/failures.ts';

describe('the retry back-off of a failed revision', () => {
  it.each([
    { count: 1, want: 10_000 },
    { count: 2, want: 20_000 },
    { count: 4, want: 80_000 },
    { count: 7, want: 600_000 },
    { count: 40, want: 600_000 },
  ])('waits $want ms after failure $count', ({ count, want }) => {
    expect(retryDelayMs(count)).toBe(want);
  });

  const record: FailureRecord = { stage: 'sync', revision: 'abc', count: 2, lastAt: 1_000, logged: ['sync'] };
  it.each([
    { name: 'the same revision, within its back-off', record, revision: 'abc', now: 6_000, want: 15_000 },
    { name: 'the same revision, after its back-off', record, revision: 'abc', now: 21_000, want: 0 },
    { name: 'a new commit', record, revision: 'def', now: 6_000, want: 0 },
    { name: 'a revision that failed to compare (nothing was tried)', record: { ...record, stage: 'comparison' as const }, revision: 'abc', now: 6_000, want: 0 },
    { name: 'no failure', record: undefined, revision: 'abc', now: 6_000, want: 0 },
  ])('$name: waits $want ms', ({ record, revision, now, want }) => {
    expect(retryWaitMs(record, revision, now)).toBe(want);
  });

  it('counts repeats of one failure, and is new (to be logged) once per revision and stage', () => {
    const first = afterFailure(undefined, 'sync', 'abc', 1);
    expect(first).toEqual({ record: { stage: 'sync', revision: 'abc', count: 1, lastAt: 1, logged: ['sync'] }, isNew: true });
    const second = afterFailure(first.record, 'sync', 'abc', 2);
    expect(second).toEqual({ record: { stage: 'sync', revision: 'abc', count: 2, lastAt: 2, logged: ['sync'] }, isNew: false });
    expect(afterFailure(second.record, 'sync', 'def', 3)).toMatchObject({ record: { count: 1, logged: ['sync'] }, isNew: true });
    const compared = afterFailure(second.record, 'comparison', 'abc', 3);
    expect(compared).toMatchObject({ record: { count: 1, logged: ['sync', 'comparison'] }, isNew: true });
    // the same error met by the comparison and the sync in turn: logged once each
    expect(afterFailure(compared.record, 'sync', 'abc', 4)).toMatchObject({ record: { count: 1 }, isNew: false });
  });
});

describe('the Events told about an app', () => {
  it.each([
    { name: 'a short message as it is', message: 'rendering failed', want: 'rendering failed' },
    { name: 'exactly 1 kB as it is', message: 'x'.repeat(1024), want: 'x'.repeat(1024) },
    { name: 'a longer one cut to 1 kB, marked', message: 'x'.repeat(5000), want: `${'x'.repeat(1020)} ...` },
    // 'é' is 2 bytes: 1020 bytes of them are 510 characters, none split
    { name: 'multi-byte text cut on a character boundary', message: 'é'.repeat(600), want: `${'é'.repeat(510)} ...` },
  ])('bounds the message: $name', ({ message, want }) => {
    const event = applicationEvent({ name: 'web', namespace: 'sluice-system' }, { type: 'Warning', reason: 'SyncError', message }, new Date('2026-12-05T10:00:00.123Z'));
    expect(event['message']).toBe(want);
    expect(Buffer.byteLength(String(event['message']))).toBeLessThanOrEqual(MAX_EVENT_MESSAGE_BYTES);
  });

  it('is a core/v1 Event about the Application, named <app>.<hex ns> as client-go names Events, timed to the second', () => {
    expect(applicationEvent({ name: 'web', namespace: 'apps' }, { type: 'Normal', reason: 'RolloutStarted', message: 'm' }, new Date('2026-12-05T10:00:00.123Z'), 7)).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `web.${(1_796_464_800_123n * 1_000_000n + 7n).toString(16)}`, namespace: 'apps' },
      involvedObject: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'apps', name: 'web' },
      reason: 'RolloutStarted',
      message: 'm',
      type: 'Normal',
      source: { component: 'sluice' },
      firstTimestamp: '2026-12-05T10:00:00Z',
      lastTimestamp: '2026-12-05T10:00:00Z',
      count: 1,
    });
  });
});
