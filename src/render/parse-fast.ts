/**
 * The fast path of parse.ts: ordinary manifest streams read with js-yaml (about ten times
 * faster than yaml's CST → AST → JS pipeline), giving exactly what the exact path gives, or
 * `null` so the caller falls back to it.
 *
 * Exactness rests on three things:
 * 1. The stream is split into documents on `---` / `...` lines at column 0 (a document marker
 *    cannot occur inside a block or flow scalar there), so document indexes and start lines
 *    come from the text itself.
 * 2. Each document is first scanned line by line and refused (→ fallback) if it holds anything
 *    where js-yaml and yaml may disagree, or which needs yaml's own handling: tags, anchors,
 *    aliases, directives, explicit `?` keys, merge keys (`<<`), collections as keys, keys over
 *    1000 characters, quoted scalars or flow collections spanning lines (yaml checks their
 *    indentation, js-yaml does not), block scalars with explicit indentation or misindented
 *    lines, tabs outside scalars, lone CRs, a BOM past the start, `*List` documents (their
 *    items need per-item lines), documents that are not mappings or not JSON.
 * 3. Plain scalars are typed by js-yaml types that copy parse.ts's schema (yaml's YAML 1.2 core
 *    schema with go-yaml v3's numbers: tests, order and construction), under private tag names so that any explicit tag is unknown
 *    to js-yaml and throws; any js-yaml error (duplicate keys included) means fallback, so
 *    every error message still comes from the exact path.
 */
import { load, Schema, Type } from 'js-yaml';
import { isJsonObject, type JsonObject } from '../json.ts';
import { resolveYamlNumber, YAML_NUMBER_CANDIDATE } from './yaml-numbers.ts';

export interface FastCandidate {
  readonly object: JsonObject;
  readonly line: number;
  readonly documentIndex: number;
}

/** Longest implicit key (yaml rejects keys over 1024 characters; js-yaml has no limit). */
const MAX_KEY_LENGTH = 1000;
const TAG_PREFIX = 'tag:sluice.invalid,2026:core-';

/** `starts`: every character a match can begin with (a cheap guard before the regex; '' matches only null's). */
function scalarType(name: string, starts: string, test: RegExp, construct: (source: string) => unknown): Type {
  const resolve = (data: string): boolean => (data === '' || starts.includes(data[0] as string)) && test.test(data);
  return new Type(TAG_PREFIX + name, { kind: 'scalar', resolve, construct });
}

const DIGITS = '0123456789';

/** parse.ts's schema (yaml's core schema with go-yaml v3 numbers), in its resolution order. */
const CORE_SCHEMA = new Schema({
  implicit: [
    scalarType('null', '~nN', /^(?:~|[Nn]ull|NULL)?$/, () => null),
    scalarType('bool', 'tTfF', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T'),
    scalarType('float-nan', '-+.', /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) =>
      s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY),
    scalarType('number', `-+.${DIGITS}`, YAML_NUMBER_CANDIDATE, (s) => resolveYamlNumber(s) ?? s),
  ],
});

const MARKER = /^(?:---|\.\.\.)(?=[ \t]|$)/;
const COMMENT_ONLY = /^[ ]*(?:#.*)?$/;

/** The file's objects, or null when the exact path must decide. */
export function parseFast(text: string): FastCandidate[] | null {
  if (text.includes('<<') || text.includes(TAG_PREFIX) || /\r(?!\n)/.test(text) || text.indexOf('\uFEFF', 1) !== -1) return null;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const documents = splitDocuments(body);
  if (documents === null) return null;
  const candidates: FastCandidate[] = [];
  for (const [documentIndex, doc] of documents.entries()) {
    if (doc.contentLine === undefined) continue; // empty or comment-only document
    let value: unknown;
    try {
      value = load(body.slice(doc.start, doc.end), { schema: CORE_SCHEMA });
    } catch {
      return null;
    }
    if (value === null || value === undefined) continue; // a bare `~` / `null` document
    if (!isJsonObject(value) || !isPlainJson(value)) return null;
    const kind = value['kind'];
    if (typeof kind === 'string' && kind.endsWith('List')) return null;
    candidates.push({ object: value, line: doc.contentLine, documentIndex });
  }
  return candidates;
}

interface DocumentSpan {
  readonly start: number;
  readonly end: number;
  /** 1-based line of the document's first content, undefined when it has none. */
  readonly contentLine: number | undefined;
}

/** Documents of a stream, each scanned for what the fast path cannot take (→ null). */
function splitDocuments(text: string): DocumentSpan[] | null {
  const documents: DocumentSpan[] = [];
  let open: { start: number; scan: DocumentScan } | undefined;
  let closed = false; // after `...`, until the next `---`
  let offset = 0;
  for (let lineNo = 1; ; lineNo++) {
    const newline = text.indexOf('\n', offset);
    const end = newline === -1 ? text.length : newline + 1;
    const lineEnd = newline === -1 ? text.length : text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
    const line = text.slice(offset, lineEnd);
    if (line.startsWith('---') || line.startsWith('...')) {
      const marker = MARKER.exec(line)?.[0];
      if (marker === undefined || !COMMENT_ONLY.test(line.slice(3))) return null;
      if (open) documents.push(finish(open.start, offset, open.scan));
      open = undefined;
      if (marker === '---') {
        open = { start: offset, scan: new DocumentScan() };
        closed = false;
      } else {
        if (closed || documents.length === 0) return null; // `...` with no document open
        closed = true;
      }
    } else if (open) {
      if (!open.scan.line(line, lineNo)) return null;
    } else if (!COMMENT_ONLY.test(line)) {
      if (closed) return null; // a bare document after `...`
      open = { start: offset, scan: new DocumentScan() };
      if (!open.scan.line(line, lineNo)) return null;
    }
    offset = end;
    if (newline === -1) break;
  }
  if (open) documents.push(finish(open.start, text.length, open.scan));
  return documents;
}

function finish(start: number, end: number, scan: DocumentScan): DocumentSpan {
  return { start, end, contentLine: scan.contentLine };
}

/**
 * A conservative line scanner: tracks block scalars (to skip their content) and refuses
 * every construct listed in the module comment. It never decides values, only "safe or not".
 */
class DocumentScan {
  contentLine: number | undefined;
  /** Open block scalar: its parent's column and its content indentation once known. */
  private block: { parent: number; indent: number | undefined; blankIndent: number } | undefined;

  line(line: string, lineNo: number): boolean {
    const indent = leadingSpaces(line);
    const blank = indent === line.length;
    if (this.block) {
      const block = this.block;
      if (blank) {
        block.blankIndent = Math.max(block.blankIndent, indent);
        return true;
      }
      if (indent > block.parent) {
        if (block.indent === undefined) {
          if (block.blankIndent > indent) return false;
          block.indent = indent;
        }
        return indent >= block.indent;
      }
      this.block = undefined;
    }
    if (blank || line[indent] === '#') return true;
    this.contentLine ??= lineNo;
    return this.nodes(line, indent);
  }

  /** One line outside block scalars, from column `start`. */
  private nodes(line: string, start: number): boolean {
    let p = start;
    let parent = -1; // column of the innermost `-` or key on this line
    let keyStart = -1;
    for (;;) {
      while (line[p] === ' ') p++;
      const c = line[p];
      if (c === undefined || c === '#') return true;
      if (c === '\t') return false;
      const next = line[p + 1];
      const separated = next === undefined || next === ' ';
      if (c === '-' && separated) {
        parent = p;
        p++;
        continue;
      }
      if (c === '|' || c === '>') {
        if (parent < 0 || !/^[|>][+-]?[ ]*(?:[ ]#.*)?$/.test(line.slice(p))) return false;
        this.block = { parent, indent: undefined, blankIndent: 0 };
        return true;
      }
      if (c === '[' || c === '{') {
        const after = flowEnd(line, p);
        if (after < 0) return false;
        p = skipSpaces(line, after);
        return p === line.length || (line[p] === '#' && line[p - 1] === ' ');
      }
      keyStart = p;
      if (c === '"' || c === "'") {
        const after = quotedEnd(line, p);
        if (after < 0) return false;
        p = after;
        if (p === line.length) return true;
        if (line[p] === ':' && (line[p + 1] === undefined || line[p + 1] === ' ')) {
          if (p - keyStart > MAX_KEY_LENGTH) return false;
          parent = keyStart;
          p++;
          continue;
        }
        p = skipSpaces(line, p);
        return p === line.length || (line[p] === '#' && line[p - 1] === ' ');
      }
      if (!isPlainStart(c, separated)) return false;
      const keyEnd = plainKeyEnd(line, p);
      if (keyEnd < 0) return true; // a plain scalar to the end of the line (or a comment)
      if (keyEnd - keyStart > MAX_KEY_LENGTH) return false;
      parent = keyStart;
      p = keyEnd + 1;
    }
  }
}

function leadingSpaces(line: string): number {
  let i = 0;
  while (line[i] === ' ') i++;
  return i;
}

function skipSpaces(line: string, p: number): number {
  while (line[p] === ' ') p++;
  return p;
}

/** Characters that may start a plain scalar here; indicators that need yaml's own handling refuse. */
function isPlainStart(c: string, separated: boolean): boolean {
  if ('!&*%@`,[]{}#|>\'"\t'.includes(c)) return false;
  if ((c === '?' || c === ':' || c === '-') && separated) return false;
  return true;
}

/** Index of the `:` ending a plain implicit key on this line, or -1 (value to end of line / comment). */
function plainKeyEnd(line: string, p: number): number {
  for (let i = p + 1; i < line.length; i++) {
    const c = line[i];
    if (c === ':' && (i + 1 === line.length || line[i + 1] === ' ')) return i;
    if (c === '#' && line[i - 1] === ' ') return -1;
  }
  return -1;
}

/** Index just past a quoted scalar that closes on this line, or -1. */
function quotedEnd(line: string, p: number): number {
  const quote = line[p];
  for (let i = p + 1; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === '\\') i++;
    else if (c === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return -1;
}

/**
 * Index just past a flow collection that closes on this line, or -1. Refuses collections as
 * keys, properties, `?`/`-` entries, `:` not followed by a space, and long scalars (possible keys).
 */
function flowEnd(line: string, p: number): number {
  const stack: string[] = [];
  let atStart = true;
  let i = p;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ') {
      i++;
    } else if (c === '[' || c === '{') {
      if (!atStart) return -1;
      stack.push(c === '[' ? ']' : '}');
      i++;
    } else if (c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      i = skipSpaces(line, i + 1);
      if (line[i] === ':') return -1;
      if (stack.length === 0) return i;
      atStart = false;
    } else if (c === ',') {
      atStart = true;
      i++;
    } else if (c === ':') {
      if (line[i + 1] !== ' ') return -1;
      atStart = true;
      i++;
    } else if (c === '"' || c === "'") {
      if (!atStart) return -1;
      const end = quotedEnd(line, i);
      if (end < 0 || end - i > MAX_KEY_LENGTH) return -1;
      i = end;
      atStart = false;
    } else {
      if (!atStart || !isPlainStart(c, line[i + 1] === undefined || line[i + 1] === ' ')) return -1;
      const start = i;
      while (i < line.length && !',[]{}'.includes(line[i] as string) && !(line[i] === ':' && line[i + 1] === ' ') && !(line[i] === '#' && line[i - 1] === ' ')) {
        if (line[i] === '\t') return -1;
        i++;
      }
      if (line[i] === '#' || i - start > MAX_KEY_LENGTH) return -1;
      atStart = false;
    }
  }
  return -1;
}

/**
 * True when js-yaml's value is what yaml's toJS → toJson would give: finite numbers only,
 * and no key js-yaml could have stringified differently (a null key is "null" there and ""
 * in yaml) or that toJson treats specially (`__proto__`).
 */
function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isPlainJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value)) {
    if (key === 'null' || key === '__proto__' || !isPlainJson((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}
