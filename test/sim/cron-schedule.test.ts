import { describe, expect, it } from 'vitest';
import {
  mostRecentScheduleTime, nextScheduleTime, parseCronSchedule, rfc3339InZone, type CronSchedule,
} from '../../src/sim/cron.ts';

function parse(spec: string, timeZone?: string): CronSchedule {
  const result = parseCronSchedule(spec, timeZone);
  if (!result.ok) throw new Error(result.error);
  return result.schedule;
}

const iso = (d: Date | undefined) => d?.toISOString().replace('.000Z', 'Z');

/** The next `count` activations after `after`, as ISO strings. */
function upcoming(spec: string, after: string, count: number, timeZone?: string): (string | undefined)[] {
  const schedule = parse(spec, timeZone);
  const out: (string | undefined)[] = [];
  let t: Date | undefined = new Date(after);
  for (let i = 0; i < count && t; i++) {
    t = nextScheduleTime(schedule, t);
    out.push(iso(t));
  }
  return out;
}

describe('parseCronSchedule', () => {
  it.each([
    { spec: '', error: 'empty spec string' },
    { spec: '* * * *', error: 'expected exactly 5 fields, found 4: [* * * *]' },
    { spec: '60 * * * *', error: 'end of range (60) above maximum (59): 60' },
    { spec: '* * 0 * *', error: 'beginning of range (0) below minimum (1): 0' },
    { spec: '5-1 * * * *', error: 'beginning of range (5) beyond end of range (1): 5-1' },
    { spec: '*/0 * * * *', error: 'step of range should be a positive number: */0' },
    { spec: '1-2-3 * * * *', error: 'too many hyphens: 1-2-3' },
    { spec: '*/2/3 * * * *', error: 'too many slashes: */2/3' },
    { spec: 'x * * * *', error: 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax' },
    { spec: '* * * * 7', error: 'end of range (7) above maximum (6): 7' },
    { spec: '@fortnightly', error: 'unrecognized descriptor: @fortnightly' },
    { spec: '@every soon', error: 'failed to parse duration @every soon: time: invalid duration "soon"' },
    { spec: 'TZ=Mars/Olympus * * * * *', error: 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus' },
    { spec: '   ', error: 'expected exactly 5 fields, found 0: []' },
    { spec: '@daily ', error: 'unrecognized descriptor: @daily ' },
    { spec: 'x-1-2 * * * *', error: 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax' },
    { spec: '0 0 1 constructor *', error: 'failed to parse int from constructor: strconv.Atoi: parsing "constructor": invalid syntax' },
    { spec: '99999999999999999999 * * * *', error: 'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range' },
    { spec: '@every 5', error: 'failed to parse duration @every 5: time: missing unit in duration "5"' },
    { spec: '@every 5d', error: 'failed to parse duration @every 5d: time: unknown unit "d" in duration "5d"' },
  ])('rejects "$spec"', ({ spec, error }) => {
    expect(parseCronSchedule(spec)).toEqual({ ok: false, error });
  });

  it('rejects an unknown spec.timeZone', () => {
    expect(parseCronSchedule('* * * * *', 'Nowhere/Land')).toMatchObject({ ok: false });
  });
});

describe('nextScheduleTime', () => {
  it.each([
    { name: 'every 15 minutes', spec: '*/15 * * * *', after: '2026-01-01T00:07:00Z', want: ['2026-01-01T00:15:00Z', '2026-01-01T00:30:00Z', '2026-01-01T00:45:00Z', '2026-01-01T01:00:00Z'] },
    { name: 'strictly after an activation', spec: '*/15 * * * *', after: '2026-01-01T00:15:00Z', want: ['2026-01-01T00:30:00Z'] },
    { name: 'every minute, from mid-minute', spec: '* * * * *', after: '2026-01-01T00:00:30Z', want: ['2026-01-01T00:01:00Z', '2026-01-01T00:02:00Z'] },
    { name: 'N/step runs N to max', spec: '50/5 * * * *', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T00:50:00Z', '2026-01-01T00:55:00Z', '2026-01-01T01:50:00Z'] },
    { name: 'lists and ranges', spec: '0 9-10,17 * * *', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T09:00:00Z', '2026-01-01T10:00:00Z', '2026-01-01T17:00:00Z', '2026-01-02T09:00:00Z'] },
    { name: 'weekday names (2026-01-02 is a Friday)', spec: '0 9 * * MON-fri', after: '2026-01-02T12:00:00Z', want: ['2026-01-05T09:00:00Z', '2026-01-06T09:00:00Z'] },
    { name: 'month names', spec: '0 0 1 jun,DEC *', after: '2026-01-01T00:00:00Z', want: ['2026-06-01T00:00:00Z', '2026-12-01T00:00:00Z', '2027-06-01T00:00:00Z'] },
    { name: 'day-of-month OR day-of-week when both restricted', spec: '0 0 13 * 5', after: '2026-02-01T00:00:00Z', want: ['2026-02-06T00:00:00Z', '2026-02-13T00:00:00Z', '2026-02-20T00:00:00Z'] },
    { name: 'AND when day-of-week is *', spec: '0 0 13 * *', after: '2026-02-01T00:00:00Z', want: ['2026-02-13T00:00:00Z', '2026-03-13T00:00:00Z'] },
    { name: '*/2 in day-of-month is a restriction (OR with day-of-week)', spec: '0 0 */10 * 0', after: '2026-02-01T00:00:00Z', want: ['2026-02-08T00:00:00Z', '2026-02-11T00:00:00Z'] },
    { name: 'irregular hours', spec: '30 6-16/4 * * 1-5', after: '2026-01-05T00:00:00Z', want: ['2026-01-05T06:30:00Z', '2026-01-05T10:30:00Z', '2026-01-05T14:30:00Z', '2026-01-06T06:30:00Z'] },
    { name: 'leap day', spec: '0 0 29 2 *', after: '2026-01-01T00:00:00Z', want: ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z'] },
    { name: 'never (Feb 30th)', spec: '0 0 30 2 *', after: '2026-01-01T00:00:00Z', want: [undefined] },
    { name: '@hourly', spec: '@hourly', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T01:00:00Z'] },
    { name: '@daily', spec: '@daily', after: '2026-01-01T00:00:00Z', want: ['2026-01-02T00:00:00Z'] },
    { name: '@weekly (Sundays)', spec: '@weekly', after: '2026-01-01T00:00:00Z', want: ['2026-01-04T00:00:00Z'] },
    { name: '@monthly', spec: '@monthly', after: '2026-01-01T00:00:00Z', want: ['2026-02-01T00:00:00Z'] },
    { name: '@yearly', spec: '@yearly', after: '2026-01-01T00:00:00Z', want: ['2027-01-01T00:00:00Z'] },
    { name: '@annually', spec: '@annually', after: '2026-03-01T00:00:00Z', want: ['2027-01-01T00:00:00Z'] },
    { name: '@every 90m', spec: '@every 90m', after: '2026-01-01T00:00:00.500Z', want: ['2026-01-01T01:30:00Z', '2026-01-01T03:00:00Z'] },
    { name: 'TZ= prefix, winter', spec: 'TZ=America/New_York 0 9 * * *', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T14:00:00Z'] },
    { name: 'CRON_TZ= prefix, summer', spec: 'CRON_TZ=America/New_York 0 9 * * *', after: '2026-07-01T00:00:00Z', want: ['2026-07-01T13:00:00Z'] },
    { name: 'a wall time skipped by spring-forward does not fire that day', spec: 'TZ=America/New_York 30 2 * * *', after: '2026-03-07T08:00:00Z', want: ['2026-03-09T06:30:00Z'] },
    { name: 'a wall time repeated by fall-back fires twice', spec: 'TZ=America/New_York 30 1 * * *', after: '2026-11-01T00:00:00Z', want: ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', '2026-11-02T06:30:00Z'] },
    { name: 'Europe/Berlin midnight', spec: 'TZ=Europe/Berlin 0 0 * * *', after: '2026-01-01T00:00:00Z', want: ['2026-01-01T23:00:00Z'] },
  ])('$name: $spec', ({ spec, after, want }) => {
    expect(upcoming(spec, after, want.length)).toEqual(want);
  });

  it('reads the fields in spec.timeZone', () => {
    expect(upcoming('0 9 * * *', '2025-12-31T12:00:00Z', 2, 'Asia/Tokyo')).toEqual(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z']);
  });
});

describe('mostRecentScheduleTime', () => {
  const at = (s: string) => new Date(s);
  it.each([
    { name: 'nothing due yet', spec: '0 * * * *', earliest: '2026-01-01T00:00:00Z', now: '2026-01-01T00:59:59Z', time: undefined, missed: 'none' },
    { name: 'one due', spec: '0 * * * *', earliest: '2026-01-01T00:00:00Z', now: '2026-01-01T01:00:00Z', time: '2026-01-01T01:00:00Z', missed: 'none' },
    { name: 'a few missed: the latest wins', spec: '0 * * * *', earliest: '2026-01-01T00:00:00Z', now: '2026-01-01T05:30:00Z', time: '2026-01-01T05:00:00Z', missed: 'few' },
    { name: 'many missed', spec: '* * * * *', earliest: '2026-01-01T00:00:00Z', now: '2026-01-02T00:00:30Z', time: '2026-01-02T00:00:00Z', missed: 'many' },
    { name: 'irregular schedule', spec: '30 6-16/4 * * 1-5', earliest: '2026-01-05T00:00:00Z', now: '2026-01-07T08:00:00Z', time: '2026-01-07T06:30:00Z', missed: 'few' },
  ])('$name', ({ spec, earliest, now, time, missed }) => {
    const result = mostRecentScheduleTime(parse(spec), at(earliest), at(now));
    expect({ time: iso(result?.time), missed: result?.missed }).toEqual({ time, missed });
  });

  it('is undefined for a schedule that never fires', () => {
    expect(mostRecentScheduleTime(parse('0 0 31 2 *'), at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('rfc3339InZone', () => {
  it.each([
    { zone: undefined, want: '2026-01-01T00:00:00Z' },
    { zone: 'Asia/Tokyo', want: '2026-01-01T09:00:00+09:00' },
    { zone: 'America/New_York', want: '2025-12-31T19:00:00-05:00' },
    { zone: 'Asia/Kolkata', want: '2026-01-01T05:30:00+05:30' },
    { zone: 'Europe/London', want: '2026-01-01T00:00:00Z' },
  ])('$zone', ({ zone, want }) => {
    expect(rfc3339InZone(new Date('2026-01-01T00:00:00Z'), zone)).toBe(want);
  });
});
