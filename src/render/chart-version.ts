/**
 * Chart versions and version constraints in Helm's dialect (Masterminds semver v3, which Helm
 * uses to pick a chart from a repository index): `1.2.3`, `v1.2`, `>= 1.2, < 3.0 || 4.x`,
 * `~1.2`, `^0.2.3`, `1.2 - 1.4.5`, `!=1.3.0`, wildcards `x`/`X`/`*`. Comma or space joins
 * comparisons (AND), `||` joins groups (OR). A prerelease version matches a group only when
 * one of the group's comparisons names a prerelease (`>=1.2.3-0`), as in Masterminds.
 * npm's `semver` (present through bullmq) speaks another dialect (no commas, no `!=`,
 * prereleases per tuple), hence this small module. Pure.
 */

export interface ChartVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated identifiers; empty for a release. */
  readonly prerelease: readonly string[];
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A version as Masterminds reads it loosely (`v` prefix, missing minor/patch are 0), or undefined. */
export function parseChartVersion(text: string): ChartVersion | undefined {
  const m = VERSION.exec(text.trim());
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), prerelease: m[4] === undefined ? [] : m[4].split('.') };
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semantic-version precedence (build metadata ignored). */
export function compareChartVersions(a: ChartVersion, b: ChartVersion): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  // a release ranks above its prereleases
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const c = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

type Test = (v: ChartVersion) => boolean;
interface Group {
  readonly tests: readonly Test[];
  readonly allowsPrerelease: boolean;
}

export type Constraint = { ok: true; matches: (v: ChartVersion) => boolean } | { ok: false; message: string };

const TOKEN = /^(!=|>=|=>|<=|=<|~>|[=><~^])?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(-[0-9A-Za-z-.]+)?(\+[0-9A-Za-z-.]+)?$/;
const HYPHEN = /(\S+)\s+-\s+(\S+)/g;

const isX = (part: string | undefined): boolean => part === 'x' || part === 'X' || part === '*';

/** Parses a Helm version constraint; '' is `*` (the newest release). */
export function parseConstraint(text: string): Constraint {
  const source = text.trim() === '' ? '*' : text;
  const groups: Group[] = [];
  for (const raw of source.split('||')) {
    const rewritten = raw.replace(HYPHEN, '>=$1,<=$2');
    const tokens = rewritten.replace(/(!=|>=|=>|<=|=<|~>|[=><~^])\s+/g, '$1').split(/[\s,]+/).filter((t) => t !== '');
    if (tokens.length === 0) return { ok: false, message: `${JSON.stringify(text)} has an empty group` };
    const tests: Test[] = [];
    let allowsPrerelease = false;
    for (const token of tokens) {
      const test = comparison(token);
      if (test === undefined) return { ok: false, message: `${JSON.stringify(text)} is not a version constraint (at ${JSON.stringify(token)})` };
      tests.push(test.test);
      allowsPrerelease ||= test.prerelease;
    }
    groups.push({ tests, allowsPrerelease });
  }
  return {
    ok: true,
    matches: (v) => groups.some((g) => (v.prerelease.length === 0 || g.allowsPrerelease) && g.tests.every((t) => t(v))),
  };
}

function comparison(token: string): { test: Test; prerelease: boolean } | undefined {
  const m = TOKEN.exec(token);
  if (m === null) return undefined;
  const op = m[1] ?? '=';
  const [majorText, minorText, patchText, pre] = [m[2]!, m[3], m[4], m[5]];
  const prerelease = pre === undefined ? [] : pre.slice(1).split('.');
  const cmp = (v: ChartVersion, c: ChartVersion): number => compareChartVersions(v, c);
  if (isX(majorText)) {
    // `*`, `>=*`: every version; `<*`, `!=*`: none (Masterminds treats the wildcard as 0.0.0 with "any")
    const any = op !== '<' && op !== '!=';
    return { test: () => any, prerelease: false };
  }
  const major = Number(majorText);
  const minorWild = minorText === undefined || isX(minorText);
  const patchWild = !minorWild && (patchText === undefined || isX(patchText));
  const base: ChartVersion = { major, minor: minorWild ? 0 : Number(minorText), patch: minorWild || patchWild ? 0 : Number(patchText), prerelease };
  // the first version past the range a partial version names: 1.x → 2.0.0, 1.2.x → 1.3.0
  const next: ChartVersion | undefined = minorWild ? { major: major + 1, minor: 0, patch: 0, prerelease: [] } : patchWild ? { major, minor: base.minor + 1, patch: 0, prerelease: [] } : undefined;
  const inRange = (v: ChartVersion, upper: ChartVersion): boolean => cmp(v, base) >= 0 && cmp(v, upper) < 0;
  const explicitWild = isX(minorText) || isX(patchText);
  let test: Test;
  switch (op) {
    case '=':
    case '!=': {
      const equal: Test = explicitWild && next !== undefined ? (v) => inRange(v, next) : (v) => cmp(v, base) === 0;
      test = op === '=' ? equal : (v) => !equal(v);
      break;
    }
    case '>':
      test = explicitWild && next !== undefined ? (v) => cmp(v, next) >= 0 : (v) => cmp(v, base) > 0;
      break;
    case '>=':
    case '=>':
      test = (v) => cmp(v, base) >= 0;
      break;
    case '<':
      test = (v) => cmp(v, base) < 0;
      break;
    case '<=':
    case '=<':
      test = explicitWild && next !== undefined ? (v) => cmp(v, next) < 0 : (v) => cmp(v, base) <= 0;
      break;
    case '~':
    case '~>': {
      const upper = minorText === undefined || isX(minorText) ? { major: major + 1, minor: 0, patch: 0, prerelease: [] } : { major, minor: base.minor + 1, patch: 0, prerelease: [] };
      test = (v) => inRange(v, upper);
      break;
    }
    default: {
      // ^: up to the next change of the first non-zero part the constraint names
      const upper: ChartVersion =
        major > 0 || minorText === undefined || isX(minorText)
          ? { major: major + 1, minor: 0, patch: 0, prerelease: [] }
          : base.minor > 0 || patchText === undefined || isX(patchText)
            ? { major, minor: base.minor + 1, patch: 0, prerelease: [] }
            : { major, minor: base.minor, patch: base.patch + 1, prerelease: [] };
      test = (v) => inRange(v, upper);
    }
  }
  return { test, prerelease: prerelease.length > 0 };
}

/**
 * The version Helm picks from a repository's versions of a chart for `constraint`: the one
 * spelled exactly as asked if there is one, else the highest that satisfies it; undefined
 * when none does. Versions that are not semver are skipped, as Helm skips them.
 */
export function pickVersion(versions: readonly string[], constraint: string): { ok: true; version: string | undefined } | { ok: false; message: string } {
  if (constraint !== '' && versions.includes(constraint)) return { ok: true, version: constraint };
  const parsed = parseConstraint(constraint);
  if (!parsed.ok) return parsed;
  let best: { text: string; version: ChartVersion } | undefined;
  for (const text of versions) {
    const version = parseChartVersion(text);
    if (version === undefined || !parsed.matches(version)) continue;
    if (best === undefined || compareChartVersions(version, best.version) > 0) best = { text, version };
  }
  return { ok: true, version: best?.text };
}
