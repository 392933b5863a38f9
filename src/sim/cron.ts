/**
 * CronJob schedules as kube-apiserver validates them and kube-controller-manager runs them
 * (robfig/cron/v3 ParseStandard, with its exact Go error texts): five fields (minute hour
 * day-of-month month day-of-week) with lists, ranges, steps and month/day names, the
 * @yearly … @hourly descriptors, @every <duration>, and an optional `TZ=`/`CRON_TZ=` prefix
 * or CronJob.spec.timeZone. Pure: parse once, then ask for times.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** the widest UTC offsets in use (Kiribati +14, Baker Island −12): an instant is within this of its wall time */
const MAX_OFFSET_MS = 14 * HOUR_MS;
/** robfig gives up on a schedule that does not fire within five years (Feb 30th, …) */
const SEARCH_YEARS = 5;

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: ReadonlyMap<string, number>;
}

const MONTHS = new Map(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i + 1]));
const DAYS = new Map(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d, i) => [d, i]));
const FIELD_BOUNDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS: ReadonlyMap<string, string> = new Map([
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
  ['@monthly', '0 0 1 * *'],
  ['@weekly', '0 0 * * 0'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@hourly', '0 * * * *'],
]);
const EVERY = '@every ';

/** One parsed field: the values it allows, and whether it was written as `*`/`?` (which changes day matching). */
interface Field {
  readonly values: readonly number[];
  readonly set: ReadonlySet<number>;
  readonly star: boolean;
}

export type CronSchedule =
  | {
      readonly kind: 'fields';
      readonly minute: Field;
      readonly hour: Field;
      readonly dayOfMonth: Field;
      readonly month: Field;
      readonly dayOfWeek: Field;
      /** IANA zone the fields are read in; undefined is UTC (the simulated controller-manager's local time) */
      readonly timeZone: string | undefined;
    }
  | { readonly kind: 'every'; readonly everyMs: number };

export type ParseResult = { readonly ok: true; readonly schedule: CronSchedule } | { readonly ok: false; readonly error: string };

const failed = (error: string): ParseResult => ({ ok: false, error });

/**
 * ParseStandard of spec, read in timeZone when given (the controller's formatSchedule, which
 * prefixes `TZ=<zone> `). Like robfig, nothing is trimmed but the text after a `TZ=` prefix.
 */
export function parseCronSchedule(spec: string, timeZone?: string): ParseResult {
  if (spec === '') return failed('empty spec string');
  let text = spec;
  let zone = timeZone;
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ=')) {
    const space = text.indexOf(' ');
    zone = text.slice(text.indexOf('=') + 1, space < 0 ? undefined : space);
    text = space < 0 ? '' : text.slice(space).trim();
  }
  // time.LoadLocation: "" and "UTC" are UTC, "Local" is the simulated controller-manager's zone (UTC too)
  if (zone === '' || zone === 'UTC' || zone === 'Local') zone = undefined;
  if (zone !== undefined && !isKnownTimeZone(zone)) return failed(`provided bad location ${zone}: unknown time zone ${zone}`);
  if (text.startsWith('@')) {
    if (text.startsWith(EVERY)) return parseEvery(text);
    const expanded = DESCRIPTORS.get(text);
    if (expanded === undefined) return failed(`unrecognized descriptor: ${text}`);
    text = expanded;
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== FIELD_BOUNDS.length) return failed(`expected exactly ${FIELD_BOUNDS.length} fields, found ${parts.length}: [${parts.join(' ')}]`);
  const fields: Field[] = [];
  for (const [i, part] of parts.entries()) {
    const field = parseField(part, FIELD_BOUNDS[i]!);
    if (typeof field === 'string') return failed(field);
    fields.push(field);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [Field, Field, Field, Field, Field];
  return { ok: true, schedule: { kind: 'fields', minute, hour, dayOfMonth, month, dayOfWeek, timeZone: zone } };
}

/** robfig getField: comma-separated ranges, empty ones skipped (strings.FieldsFunc). */
function parseField(text: string, bounds: Bounds): Field | string {
  const values = new Set<number>();
  let star = false;
  for (const expr of text.split(',').filter((e) => e !== '')) {
    const range = parseRange(expr, bounds);
    if (typeof range === 'string') return range;
    for (let v = range.start; v <= range.end; v += range.step) values.add(v);
    star ||= range.star;
  }
  return { values: [...values].sort((a, b) => a - b), set: values, star };
}

/** robfig getRange, checks in its order so that the first error is the same. */
function parseRange(expr: string, b: Bounds): { start: number; end: number; step: number; star: boolean } | string {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    [start, end, star] = [b.min, b.max, true];
  } else {
    const s = parseIntOrName(lowAndHigh[0] ?? '', b);
    if (typeof s === 'string') return s;
    if (lowAndHigh.length > 2) return `too many hyphens: ${expr}`;
    const e = lowAndHigh.length === 2 ? parseIntOrName(lowAndHigh[1] ?? '', b) : s;
    if (typeof e === 'string') return e;
    [start, end] = [s, e];
  }
  let step = 1;
  if (rangeAndStep.length > 2) return `too many slashes: ${expr}`;
  if (rangeAndStep.length === 2) {
    const s = parseUint(rangeAndStep[1] ?? '');
    if (typeof s === 'string') return s;
    step = s;
    if (lowAndHigh.length === 1) end = b.max; // "N/step" means "N-max/step"
    if (step > 1) star = false; // "*/2" in a day field is a real restriction, not "any day"
  }
  if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${expr}`;
  if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  return { start, end, step, star };
}

const INT64_MAX = 2n ** 63n - 1n;

/** robfig mustParseInt: strconv.Atoi, then a sign check. */
function parseUint(expr: string): number | string {
  const atoi = `failed to parse int from ${expr}: strconv.Atoi: parsing "${expr.replace(/["\\]/g, '\\$&')}"`;
  if (!/^[+-]?\d+$/.test(expr)) return `${atoi}: invalid syntax`;
  const big = BigInt(expr);
  if (big > INT64_MAX || big < -INT64_MAX - 1n) return `${atoi}: value out of range`;
  return big < 0n ? `negative number (${big}) not allowed: ${expr}` : Number(big);
}

function parseIntOrName(expr: string, b: Bounds): number | string {
  return b.names?.get(expr.toLowerCase()) ?? parseUint(expr);
}

/** @every <Go duration>: at least one second, whole seconds (cron.Every). */
function parseEvery(descriptor: string): ParseResult {
  const ms = parseGoDuration(descriptor.slice(EVERY.length));
  if (typeof ms === 'string') return failed(`failed to parse duration ${descriptor}: ${ms}`);
  return { ok: true, schedule: { kind: 'every', everyMs: Math.max(1000, ms - (ms % 1000)) } };
}

const DURATION_UNITS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6], ['us', 1e-3], ['µs', 1e-3], ['μs', 1e-3], ['ms', 1], ['s', 1000], ['m', MINUTE_MS], ['h', HOUR_MS],
]);
/** time.Duration is int64 nanoseconds */
const MAX_DURATION_MS = Number(INT64_MAX) / 1e6;

/** Go's time.ParseDuration, in milliseconds, with its error texts. */
function parseGoDuration(orig: string): number | string {
  const invalid = `time: invalid duration ${goQuote(orig)}`;
  const sign = orig.startsWith('-') ? -1 : 1;
  let rest = /^[+-]/.test(orig) ? orig.slice(1) : orig;
  if (rest === '0') return 0;
  if (rest === '') return invalid;
  let ms = 0;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?([^.\d]*)/.exec(rest);
    const [whole = '', int = '', frac, unit = ''] = m ?? [];
    if (!/^[.\d]/.test(rest) || (int === '' && !frac)) return invalid;
    if (unit === '') return `time: missing unit in duration ${goQuote(orig)}`;
    const size = DURATION_UNITS.get(unit);
    if (size === undefined) return `time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`;
    ms += Number(`${int || '0'}.${frac || '0'}`) * size;
    if (ms > MAX_DURATION_MS) return invalid;
    rest = rest.slice(whole.length);
  }
  return sign * ms;
}

/** The time package's quote: ASCII as is (with `"` and `\` escaped), anything else as \x bytes. */
function goQuote(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.codePointAt(0) ?? 0;
    if (code < 0x20 || code >= 0x80) out += [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    else out += c === '"' || c === '\\' ? `\\${c}` : c;
  }
  return `"${out}"`;
}

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isKnownTimeZone(zone: string): boolean {
  if (zone === '' || zone.toLowerCase() === 'local') return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** Offset (wall time − UTC, in ms) of `zone` at instant ms; undefined zone is UTC. */
export function zoneOffsetMs(zone: string | undefined, ms: number): number {
  if (zone === undefined) return 0;
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instants that show wall time `wallMs` (a wall clock reading encoded as if UTC) in zone:
 * none in a spring-forward gap, two in a fall-back overlap (earlier first). Assumes at most
 * one offset change within ±14 h, true of every real zone.
 */
function instantsAt(zone: string | undefined, wallMs: number): number[] {
  if (zone === undefined) return [wallMs];
  const offsets = new Set([zoneOffsetMs(zone, wallMs - MAX_OFFSET_MS), zoneOffsetMs(zone, wallMs + MAX_OFFSET_MS)]);
  return [...offsets]
    .map((o) => wallMs - o)
    .filter((t) => zoneOffsetMs(zone, t) === wallMs - t)
    .sort((a, b) => a - b);
}

/** Go's time.RFC3339 of an instant in zone: `2026-01-01T09:00:00+09:00`, or `…Z` at offset zero. */
export function rfc3339InZone(date: Date, zone: string | undefined): string {
  const ms = Math.floor(date.getTime() / 1000) * 1000;
  const offset = zoneOffsetMs(zone, ms);
  const wall = new Date(ms + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset) / MINUTE_MS;
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${wall}${offset < 0 ? '-' : '+'}${hh}:${mm}`;
}

// ---- next times ----

/** robfig dayMatches: a `*` in either day field means both must match; otherwise either may. */
function dayMatches(s: Extract<CronSchedule, { kind: 'fields' }>, day: Date): boolean {
  const dom = s.dayOfMonth.set.has(day.getUTCDate());
  const dow = s.dayOfWeek.set.has(day.getUTCDay());
  return s.dayOfMonth.star || s.dayOfWeek.star ? dom && dow : dom || dow;
}

/**
 * The first activation strictly after `after`, or undefined when none comes within five
 * years. Like robfig/cron, a wall time skipped by a DST change does not fire that day and a
 * repeated one fires at both instants.
 */
export function nextScheduleTime(schedule: CronSchedule, after: Date): Date | undefined {
  const afterMs = after.getTime();
  if (schedule.kind === 'every') return new Date(afterMs - (((afterMs % 1000) + 1000) % 1000) + schedule.everyMs);
  const zone = schedule.timeZone;
  const slack = zone === undefined ? 0 : MAX_OFFSET_MS;
  const wallAfter = afterMs + zoneOffsetMs(zone, afterMs);
  // a day earlier than the wall day of `after`, in case an offset change moves its times past `after`
  const firstDay = Math.floor(wallAfter / DAY_MS) * DAY_MS - DAY_MS;
  const lastDay = firstDay + (SEARCH_YEARS * 366 + 2) * DAY_MS;
  for (let dayMs = firstDay; dayMs <= lastDay; dayMs += DAY_MS) {
    const day = new Date(dayMs);
    if (!schedule.month.set.has(day.getUTCMonth() + 1) || !dayMatches(schedule, day)) continue;
    for (const h of schedule.hour.values) {
      const hourMs = dayMs + h * HOUR_MS;
      if (hourMs + HOUR_MS + slack <= afterMs) continue;
      for (const m of schedule.minute.values) {
        const wall = hourMs + m * MINUTE_MS;
        if (wall + slack <= afterMs) continue;
        const hit = instantsAt(zone, wall).find((t) => t > afterMs);
        if (hit !== undefined) return new Date(hit);
      }
    }
  }
  return undefined;
}

export type MissedSchedules = 'none' | 'few' | 'many';

export interface MostRecent {
  /** the latest activation in (earliest, now], if any */
  readonly time: Date | undefined;
  /** 'many' past 100, when the controller warns TooManyMissedTimes */
  readonly missed: MissedSchedules;
}

/**
 * The controller's mostRecentScheduleTime: the latest time a Job should have started after
 * `earliest` and no later than `now`, and roughly how many such times there were. Undefined
 * when the schedule never fires.
 */
export function mostRecentScheduleTime(schedule: CronSchedule, earliest: Date, now: Date): MostRecent | undefined {
  const t1 = nextScheduleTime(schedule, earliest);
  if (!t1) return undefined;
  const nowMs = now.getTime();
  if (nowMs < t1.getTime()) return { time: undefined, missed: 'none' };
  const t2 = nextScheduleTime(schedule, t1);
  if (!t2 || nowMs < t2.getTime()) return { time: t1, missed: 'none' };
  // jump close to now by the first interval, then walk: exact for regular schedules, and the
  // walk corrects irregular ones (the controller does the same)
  const interval = t2.getTime() - t1.getTime();
  const count = Math.floor((nowMs - t1.getTime()) / interval) + 1;
  const latestFrom = (from: number): Date | undefined => {
    let latest: Date | undefined;
    for (let t = nextScheduleTime(schedule, new Date(from)); t && t.getTime() <= nowMs; t = nextScheduleTime(schedule, t)) latest = t;
    return latest;
  };
  let latest = latestFrom(t1.getTime() + (count - 2) * interval);
  // an irregular schedule may leave no activation in the last interval: look further back
  for (let back = 2; !latest && back < 64; back *= 2) latest = latestFrom(Math.max(t1.getTime(), nowMs - back * interval));
  return { time: latest ?? t1, missed: count > 100 ? 'many' : 'few' };
}
