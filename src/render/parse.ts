/**
 * One manifest file's text → candidate objects (before identity checks), with lines.
 * YAML is read as YAML 1.2 (yaml's core schema, but plain numbers as go-yaml v3 reads them:
 * yaml-numbers.ts) with merge keys, duplicate keys rejected,
 * and at most MAX_ALIAS_COUNT alias expansions per document. JSON files go through the
 * same parser as a single document, so their errors carry lines too.
 *
 * Ordinary YAML streams take parse-fast.ts (js-yaml, with yaml's core-schema typing), which
 * returns exactly what this exact path would or declines; anything unusual and every error
 * come from here.
 */
import { isMap, isScalar, isSeq, LineCounter, Scalar, visit, parseAllDocuments, parseDocument, type Document, type Node, type ScalarTag, type Tags } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { parseFast } from './parse-fast.ts';
import { resolveYamlNumber, YAML_NUMBER_CANDIDATE } from './yaml-numbers.ts';
import { MAX_ALIAS_COUNT, type RenderError } from './types.ts';

export interface Candidate {
  readonly object: JsonObject;
  readonly line: number;
  readonly documentIndex: number;
}

export interface ParsedFile {
  readonly candidates: Candidate[];
  readonly errors: RenderError[];
}

/** Plain numbers as kustomize and kubectl read them (yaml-numbers.ts), in place of the core schema's int and float tags. */
const GO_YAML_NUMBER: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  identify: (value) => typeof value === 'number',
  test: YAML_NUMBER_CANDIDATE,
  resolve: (source) => resolveYamlNumber(source) ?? source,
};

function goYamlNumbers(tags: Tags): Tags {
  const numeric = (tag: Tags[number]) => typeof tag === 'object' && (tag.tag === 'tag:yaml.org,2002:int' || tag.tag === 'tag:yaml.org,2002:float');
  const isNaNTag = (tag: Tags[number]) => typeof tag === 'object' && 'test' in tag && tag.test instanceof RegExp && tag.test.test('.inf');
  return [...tags.filter((t) => !numeric(t) || isNaNTag(t)), GO_YAML_NUMBER];
}

const PARSE_OPTIONS = { merge: true, uniqueKeys: true, prettyErrors: true, customTags: goYamlNumbers } as const;

export interface ParseOptions {
  /** Try parse-fast.ts first (default true); false forces the exact path, for differential tests. */
  readonly fast?: boolean;
}

export function parseManifestFile(file: string, text: string, options: ParseOptions = {}): ParsedFile {
  const fast = options.fast === false || file.endsWith('.json') || endsInsideLine(text) ? null : parseFast(text);
  return fast === null ? parseExact(file, text) : { candidates: fast, errors: [] };
}

/** yaml's full pipeline: every document with its node ranges, errors with lines. */
function parseExact(file: string, text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const options = { ...PARSE_OPTIONS, lineCounter };
  const documents: Document[] = file.endsWith('.json') ? [parseDocument(text, options)] : parseAllDocuments(text, options);
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const candidates: Candidate[] = [];
  const errors: RenderError[] = [];
  if (endsInsideLine(text)) documents.forEach((doc) => clipFinalBlockScalar(doc, text.length));
  documents.forEach((doc, documentIndex) => {
    const syntax = doc.errors;
    if (syntax.length > 0) {
      for (const err of syntax) {
        const pos = err.linePos?.[0];
        errors.push({ file, code: 'YAML_SYNTAX', ...(pos ? { line: pos.line } : {}), message: firstLine(err.message) });
      }
      return;
    }
    const contents = doc.contents;
    const line = contents?.range ? lineOf(contents.range[0]) : lineOf(doc.range?.[0] ?? 0);
    if (contents === null) return; // empty or comment-only document
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const bomb = /excessive alias count/i.test(message);
      errors.push({
        file,
        line,
        code: bomb ? 'ALIAS_LIMIT' : 'YAML_SYNTAX',
        message: bomb ? `document ${documentIndex} expands more than ${MAX_ALIAS_COUNT} aliases (a "billion laughs" alias bomb?)` : message,
      });
      return;
    }
    if (value === null) return; // a bare `~` / `null` document, as kubectl skips it
    const json = toJson(value, '');
    if (!json.ok) {
      errors.push({ file, line, code: 'NOT_JSON', message: `document ${documentIndex}: ${json.message}` });
      return;
    }
    flatten(json.value, contents, line, { file, documentIndex, candidates, errors, lineOf });
  });
  return { candidates, errors };
}

/**
 * A YAML stream read as the manifests are (go-yaml numbers, merge keys, unique keys, alias
 * limit, a final block scalar without a line break clipped), for kustomize inputs that are
 * not manifests (patches, replacement files): its documents' values, empty ones included as
 * null, or the first error's message.
 */
export function parseYamlStream(text: string): { ok: true; values: JsonValue[] } | { ok: false; message: string } {
  const documents = parseAllDocuments(text, PARSE_OPTIONS);
  if (endsInsideLine(text)) documents.forEach((doc) => clipFinalBlockScalar(doc, text.length));
  const values: JsonValue[] = [];
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error !== undefined) return { ok: false, message: firstLine(error.message) };
    try {
      values.push(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as JsonValue);
    } catch (err) {
      return { ok: false, message: err instanceof Error ? err.message : String(err) };
    }
  }
  return { ok: true, values };
}

/** A text whose last line has no line break (the fast path leaves such files to the exact one). */
function endsInsideLine(text: string): boolean {
  return text.length > 0 && !text.endsWith('\n');
}

/**
 * A block scalar running to the end of a file that has no final line break has no line break
 * to keep: go-yaml (and so kustomize and kubectl) reads `k: |\n  text<EOF>` as "text", while
 * yaml (and js-yaml) add one "\n". Mutates `doc`'s node.
 */
function clipFinalBlockScalar(doc: Document, end: number): void {
  visit(doc, {
    Scalar(_key, node) {
      const blockType = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
      if (blockType && node.range?.[1] === end && typeof node.value === 'string' && node.value.endsWith('\n')) node.value = node.value.slice(0, -1);
    },
  });
}

interface FlattenContext {
  readonly file: string;
  readonly documentIndex: number;
  readonly candidates: Candidate[];
  readonly errors: RenderError[];
  readonly lineOf: (offset: number) => number;
}

/**
 * A List (`kind: List`, or any `*List` kind that has an `items` array, as kubectl's
 * flattening visitor does) becomes its items, recursively; anything else must be a mapping.
 * A CRD kind merely ending in "List" without `items` is kept as an object.
 */
function flatten(value: JsonValue, node: Node | null | undefined, line: number, ctx: FlattenContext): void {
  if (!isJsonObject(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'a sequence' : `a ${typeof value}`;
    ctx.errors.push({ file: ctx.file, line, code: 'NOT_A_MAPPING', message: `document ${ctx.documentIndex} is ${what}, not a mapping (a Kubernetes object)` });
    return;
  }
  const kind = value['kind'];
  const items = value['items'];
  const isList = kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items));
  if (!isList) {
    ctx.candidates.push({ object: value, line, documentIndex: ctx.documentIndex });
    return;
  }
  if (items === undefined || items === null) return; // an empty List
  if (!Array.isArray(items)) {
    ctx.errors.push({ file: ctx.file, line, code: 'INVALID_LIST', message: `document ${ctx.documentIndex} is a ${kind} whose items is not a sequence` });
    return;
  }
  const itemsNode = isMap(node) ? node.get('items', true) : undefined;
  items.forEach((item, i) => {
    const itemNode = isSeq(itemsNode) ? itemsNode.items[i] : undefined;
    const itemLine = isNodeWithRange(itemNode) ? ctx.lineOf(itemNode.range[0]) : line;
    flatten(item, isNodeWithRange(itemNode) ? itemNode : undefined, itemLine, ctx);
  });
}

function isNodeWithRange(node: unknown): node is Node & { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && 'range' in node && Array.isArray((node as { range?: unknown }).range);
}

type JsonCheck = { ok: true; value: JsonValue } | { ok: false; message: string };

/** toJS output → JSON, rejecting what JSON cannot carry (.inf/.nan, binary, Map/Set…). */
function toJson(value: unknown, at: string): JsonCheck {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { ok: true, value } : { ok: false, message: `${at || 'value'} is ${value}, which JSON cannot represent` };
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const [i, item] of value.entries()) {
      const r = toJson(item, `${at}[${i}]`);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const r = toJson(v, at === '' ? k : `${at}.${k}`);
      if (!r.ok) return r;
      out[k] = r.value;
    }
    return { ok: true, value: out };
  }
  const name = typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
  return { ok: false, message: `${at || 'value'} is a ${name}, which JSON cannot represent` };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * The 1-based line of `path` (keys and sequence indexes) in document `documentIndex` of
 * `text`: a mapping entry's key line, a sequence item's own line, or the deepest part of the
 * path that exists; undefined when the text does not parse. For error messages only: it
 * parses the text again.
 */
export function lineOfPath(text: string, path: readonly (string | number)[], documentIndex = 0): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseAllDocuments(text, { lineCounter })[documentIndex];
  if (doc === undefined || !('contents' in doc)) return undefined;
  return descend(doc.contents, path, lineCounter);
}

/** Finds the line of a field of an object by the object's document and start line (so List items work too). */
export type FieldLocator = (documentIndex: number, objectLine: number, path: readonly (string | number)[]) => number | undefined;

/** A FieldLocator over one file's text, which it parses once, on first use (errors only). */
export function fieldLocator(text: string): FieldLocator {
  let parsed: { roots: readonly unknown[]; lineCounter: LineCounter } | undefined;
  return (documentIndex, objectLine, path) => {
    if (parsed === undefined) {
      const lineCounter = new LineCounter();
      parsed = { roots: [...parseAllDocuments(text, { lineCounter })].map((d) => ('contents' in d ? d.contents : undefined)), lineCounter };
    }
    const { roots, lineCounter } = parsed;
    const root = objectNode(roots[documentIndex], objectLine, lineCounter);
    return root === undefined ? undefined : descend(root, path, lineCounter);
  };
}

/** The mapping starting on `line`: the document itself, or an item of a List (at any depth). */
function objectNode(node: unknown, line: number, lineCounter: LineCounter): unknown {
  if (isNodeWithRange(node) && lineCounter.linePos(node.range[0]).line === line) return node;
  if (!isMap(node)) return undefined;
  const items = node.get('items', true);
  if (!isSeq(items)) return undefined;
  for (const item of items.items) {
    const found = objectNode(item, line, lineCounter);
    if (found !== undefined) return found;
  }
  return undefined;
}

function descend(start: unknown, path: readonly (string | number)[], lineCounter: LineCounter): number | undefined {
  let node = start;
  let line = isNodeWithRange(node) ? lineCounter.linePos(node.range[0]).line : undefined;
  for (const segment of path) {
    let at: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      at = pair?.key;
      node = pair?.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      at = node;
    } else break;
    if (!isNodeWithRange(at)) break;
    line = lineCounter.linePos(at.range[0]).line;
  }
  return line;
}
