/**
 * The two glob dialects Argo CD's projects use, compiled to regular expressions. Pure.
 *
 * - `compileGlob`: github.com/gobwas/glob, which Argo CD's util/glob wraps, used for
 *   sourceRepos (with '/' as separator) and destinations (no separator). `*` is any run
 *   of non-separator characters, `**` any run at all, `?` one non-separator character,
 *   `[abc]` `[a-z]` `[!a-z]` classes, `{a,b}` alternatives, `\` escapes.
 * - `compileFilepathGlob`: Go's path/filepath.Match, used for the group, kind and name of
 *   resource allow and deny lists. `*` is any run of non-'/' characters, `?` one non-'/'
 *   character, `[abc]` `[a-z]` `[^a-z]` classes, `\` escapes.
 *
 * A pattern that does not compile matches nothing, as in Argo CD (which ignores the error);
 * project validation reports it at its field instead, so it never gets that far.
 */

export type GlobResult = { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly message: string };

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function literal(ch: string): string {
  return ch.replace(REGEX_SPECIAL, '\\$&');
}

/** Inside a class `-` is special too (and escaping it is allowed in unicode mode). */
function classLiteral(ch: string): string {
  return ch === '-' ? '\\-' : literal(ch);
}

/** What sets the two dialects apart. */
interface Dialect {
  /** One character that `*` and `?` may stand for (a regex class). */
  readonly one: string;
  /** `**` crosses separators (gobwas); in Go `**` is just two stars. */
  readonly doubleStar: boolean;
  /** `{a,b}` alternatives (gobwas only). */
  readonly braces: boolean;
  /** What negates a character class right after `[`. */
  readonly negation: '!' | '^';
}

/** gobwas/glob's pattern with the given separator characters ('' for none). */
export function compileGlob(pattern: string, separators = ''): GlobResult {
  return compile(pattern, { one: separators === '' ? '[\\s\\S]' : `[^${literal(separators)}]`, doubleStar: true, braces: true, negation: '!' });
}

/** Go's filepath.Match pattern (on a '/'-separated system). */
export function compileFilepathGlob(pattern: string): GlobResult {
  return compile(pattern, { one: '[^/]', doubleStar: false, braces: false, negation: '^' });
}

function compile(pattern: string, dialect: Dialect): GlobResult {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return { ok: false, message: 'ends with an unfinished escape "\\"' };
      out += literal(next);
      i++;
    } else if (ch === '*') {
      if (dialect.doubleStar && pattern[i + 1] === '*') {
        out += '[\\s\\S]*';
        i++;
      } else out += `${dialect.one}*`;
    } else if (ch === '?') out += dialect.one;
    else if (ch === '[') {
      const cls = readClass(pattern, i, dialect.negation);
      if (!cls.ok) return cls;
      out += cls.regex;
      i = cls.end;
    } else if (dialect.braces && ch === '{') {
      depth++;
      out += '(?:';
    } else if (dialect.braces && ch === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (dialect.braces && ch === ',' && depth > 0) out += '|';
    else out += literal(ch);
  }
  if (depth > 0) return { ok: false, message: 'has an unclosed "{"' };
  return { ok: true, regex: new RegExp(`^${out}$`, 'u') };
}

/**
 * The character class opening at `start`: `negation` right after `[` negates it; items are
 * characters (`\` escapes one), or ranges `lo-hi`. Empty classes and unescaped `-` or `]`
 * where a character is expected are errors, as in Go's filepath.Match.
 */
function readClass(pattern: string, start: number, negation: string): { ok: true; regex: string; end: number } | { ok: false; message: string } {
  let i = start + 1;
  let negated = false;
  if (pattern[i] === negation) {
    negated = true;
    i++;
  }
  const items: string[] = [];
  const char = (): string | undefined => {
    let ch = pattern[i];
    if (ch === undefined || ch === '-' || ch === ']') return undefined;
    if (ch === '\\') {
      i++;
      ch = pattern[i];
      if (ch === undefined) return undefined;
    }
    i++;
    return ch;
  };
  while (pattern[i] !== ']' || items.length === 0) {
    if (pattern[i] === undefined) return { ok: false, message: `has an unclosed "[" at position ${start + 1}` };
    const lo = char();
    if (lo === undefined) return { ok: false, message: `has a bad character class at position ${start + 1}` };
    if (pattern[i] === '-') {
      i++;
      const hi = char();
      if (hi === undefined || hi < lo) return { ok: false, message: `has a bad range in the character class at position ${start + 1}` };
      items.push(`${classLiteral(lo)}-${classLiteral(hi)}`);
    } else items.push(classLiteral(lo));
  }
  return { ok: true, regex: `[${negated ? '^' : ''}${items.join('')}]`, end: i };
}

const compiled = new Map<string, RegExp | null>();

function cached(key: string, compile: () => GlobResult): RegExp | null {
  let regex = compiled.get(key);
  if (regex === undefined) {
    const result = compile();
    regex = result.ok ? result.regex : null;
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(key, regex);
  }
  return regex;
}

/** gobwas/glob's Match: false for a pattern that does not compile. */
export function globMatch(pattern: string, value: string, separators = ''): boolean {
  return cached(`g${separators}\0${pattern}`, () => compileGlob(pattern, separators))?.test(value) ?? false;
}

/** filepath.Match: false for a bad pattern (Argo CD treats the error as no match). */
export function filepathMatch(pattern: string, value: string): boolean {
  return cached(`f\0${pattern}`, () => compileFilepathGlob(pattern))?.test(value) ?? false;
}
