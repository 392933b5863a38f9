import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from '../../src/app/duration.ts';

describe('parseGoDuration (Go time.ParseDuration, unsigned)', () => {
  it.each([
    ['0', 0],
    ['3m', 180_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['5.s', 5000],
    ['250ms', 250],
    ['1500us', 2], // rounded to whole ms
    ['1500µs', 2],
    ['3000000ns', 3],
    ['1m1m', 120_000], // Go allows repeated units
  ])('%s → %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['', /must not be empty/],
    ['5', /missing unit after "5"/],
    ['1h5', /missing unit after "5"/],
    ['3min', /unknown unit "min"/],
    ['1d', /unknown unit "d"/],
    ['-1s', /must not be signed/],
    ['+1s', /must not be signed/],
    ['h', /unexpected "h"/],
    ['.s', /unexpected/],
    ['1..5s', /missing unit after "1."/], // as Go: "missing unit",
    [' 1s', /unexpected/],
  ])('rejects %j', (text, message) => {
    const r = parseGoDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('formatGoDuration (Go Duration.String)', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [1500, '1.5s'],
    [180_000, '3m0s'],
    [5_400_000, '1h30m0s'],
    [3_600_000, '1h0m0s'],
    [5_415_500, '1h30m15.5s'],
  ])('%d → %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
    expect(parseGoDuration(text)).toEqual({ ok: true, ms });
  });
});
