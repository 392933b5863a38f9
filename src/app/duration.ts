/**
 * Go's time.ParseDuration, for durations written the way Kubernetes and Argo CD users write
 * them (`90s`, `3m`, `1h30m`, `1.5h`, `500ms`). Signs are not accepted: no Sluice duration
 * may be negative.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A number, then its unit: as in Go, the unit is every character up to the next digit or dot. */
const TERM = /^(\d+\.?\d*|\.\d+)([^\d.]*)/;

/** Milliseconds, or a message saying why `text` is not a Go duration. */
export function parseGoDuration(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  if (text === '0') return { ok: true, ms: 0 };
  if (text === '') return { ok: false, message: 'must not be empty (a duration such as "3m", "90s" or "1h30m")' };
  if (/^[+-]/.test(text)) return { ok: false, message: `must not be signed: "${text}"` };
  let rest = text;
  let ms = 0;
  while (rest.length > 0) {
    const m = TERM.exec(rest);
    const unit = m?.[2] ?? '';
    const factor = Object.hasOwn(UNIT_MS, unit) ? UNIT_MS[unit] : undefined;
    if (!m || factor === undefined) {
      const why = !m ? `unexpected "${rest}"` : unit === '' ? `missing unit after "${m[1]}"` : `unknown unit "${unit}"`;
      return { ok: false, message: `"${text}" is not a duration (${why}; use ns, us, ms, s, m or h, e.g. "3m", "90s", "1h30m")` };
    }
    ms += Number(m[1]) * factor;
    rest = rest.slice(m[0].length);
  }
  if (!Number.isFinite(ms)) return { ok: false, message: `"${text}" is out of range` };
  return { ok: true, ms: Math.round(ms) };
}

/** Whole milliseconds as Go's Duration.String() prints them: 180000 → "3m0s", 5400000 → "1h30m0s", 1500 → "1.5s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const restMs = ms % 60_000;
  if (ms < 1000) return `${ms}ms`;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${restMs / 1000}s`;
}
