/**
 * kyaml's field paths as replacements use them (kustomize v5.5): `spec.containers.[name=web].image`,
 * split on dots that are neither escaped (`\.`) nor inside `[…]`. Two walkers, because kustomize
 * has two: `lookup` (kyaml's PathGetter, for a replacement's source: one node; list filters
 * match exactly, `0` and `-` index, `*` is refused) and `matchAll` (its PathMatcher, for targets:
 * every node; `*` walks every item, `[k=v]` tests v as an unanchored regular expression, and with
 * `create` missing fields, list items and the last node are made).
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { resolveYamlNumber } from './yaml-numbers.ts';

/** kyaml's SmarterPathSplitter with `.`: escaped dots join, a `[…]` holding `=` stays whole. */
export function splitFieldPath(path: string): string[] {
  const raw = path.split('.');
  if (raw.length > 1 && raw[0] === '') raw.shift();
  const joined: string[] = [];
  for (const part of raw) {
    const last = joined.length - 1;
    if (last >= 0 && joined[last]!.endsWith('\\')) joined[last] = `${joined[last]!.slice(0, -1)}.${part}`;
    else joined.push(part);
  }
  const out: string[] = [];
  for (let i = 0; i < joined.length; i++) {
    const part = joined[i]!;
    if (!part.startsWith('[') || part.endsWith(']')) {
      out.push(part);
      continue;
    }
    const bracketed = [part];
    while (i < joined.length - 1) {
      i++;
      bracketed.push(joined[i]!);
      if (joined[i]!.endsWith(']')) break;
    }
    const whole = bracketed.join('.');
    out.push(whole.includes('=') ? whole : whole.replace(/^\[+|\]+$/g, ''));
  }
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

const isListFilter = (part: string): boolean => part.startsWith('[') && part.endsWith(']');
const isIndex = (part: string): boolean => /^\+?\d+$/.test(part);

function listFilter(part: string): { key: string; value: string } {
  const inner = part.slice(1, -1);
  const eq = inner.indexOf('=');
  if (eq < 0) throw new FieldPathError('list path element must contain fieldName=fieldValue for element to match');
  return { key: inner.slice(0, eq), value: inner.slice(eq + 1) };
}

export class FieldPathError extends Error {}

/** A scalar's text as kyaml holds it (the value a replacement copies); '' for mappings and lists. */
export function scalarText(value: JsonValue | undefined): string {
  if (value === null || value === undefined || typeof value === 'object') return '';
  return String(value);
}

/**
 * How go-yaml v3 reads an untagged plain scalar: what a node kustomize creates (it has no tag)
 * becomes once printed and read back.
 */
export function resolvePlain(text: string): JsonValue {
  if (['', '~', 'null', 'Null', 'NULL'].includes(text)) return null;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return resolveYamlNumber(text) ?? text;
}

/** PathGetter: the one node at `path`, undefined when it is missing. */
export function lookup(root: JsonValue, path: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const part of path) {
    if (node === undefined || node === null) return undefined;
    if (part === '*') throw new FieldPathError('wildcard is not supported in PathGetter');
    if (isIndex(part) || part === '-') {
      if (!Array.isArray(node)) throw new FieldPathError(`wrong node kind: expected a list at ${JSON.stringify(part)}`);
      node = part === '-' ? node[node.length - 1] : node[Number(part)];
    } else if (isListFilter(part)) {
      if (!Array.isArray(node)) throw new FieldPathError(`wrong node kind: expected a list at ${JSON.stringify(part)}`);
      const { key, value } = listFilter(part);
      node = node.find((item) => (key === '' ? scalarText(item) === value : isJsonObject(item) && item[key] !== undefined && scalarText(item[key]) === value));
    } else {
      if (!isJsonObject(node)) throw new FieldPathError(`wrong node kind: expected a mapping at ${JSON.stringify(part)}`);
      node = node[part];
    }
  }
  return node;
}

/** A node the target path reached: read and replace it where it sits. */
export interface Slot {
  get(): JsonValue;
  set(value: JsonValue): void;
  /** Made by `create`: kyaml gives a new scalar no tag, so it is read back as a plain scalar. */
  readonly created: boolean;
}

export type CreateKind = 'scalar' | 'mapping' | 'list' | undefined;

/** What kyaml creates for a missing field followed by `next` (its getPathPartKind). */
function newNode(next: string | undefined, last: CreateKind): JsonValue {
  if (next === undefined) return last === 'list' ? [] : last === 'mapping' ? {} : null;
  return isListFilter(next) || isIndex(next) ? [] : {};
}

function slotIn(holder: JsonObject | JsonValue[], key: string | number, created: boolean): Slot {
  return {
    get: () => (holder as Record<string | number, JsonValue>)[key] ?? null,
    set: (value) => {
      (holder as Record<string | number, JsonValue>)[key] = value;
    },
    created,
  };
}

/** PathMatcher: every node `path` reaches from `slot`, creating what is missing when `create` names the last node's kind. */
export function matchAll(slot: Slot, path: readonly string[], create: CreateKind): Slot[] {
  const [part, ...rest] = path;
  if (part === undefined) return [slot];
  const node = slot.get();
  const next = rest[0];
  if (isIndex(part)) {
    const items = elements(node, part);
    const index = Number(part);
    let created = false;
    if (items.length === index && create !== undefined) {
      items.push(newNode(next, create));
      created = true;
    }
    if (index >= items.length) throw new FieldPathError(`index ${index} specified but only ${items.length} elements found`);
    return matchAll(slotIn(items, index, created), rest, create);
  }
  if (isListFilter(part)) {
    const { key, value } = listFilter(part);
    const pattern = goRegExp(value);
    const items = elements(node, part);
    const hits = (): Slot[] => items.flatMap((item, i) => {
      const field = key === '' ? item : isJsonObject(item) ? item[key] : undefined;
      if (field === undefined || field === null || !pattern.test(scalarText(field))) return [];
      return matchAll(slotIn(items, i, false), rest, create);
    });
    const found = hits();
    if (found.length > 0 || create === undefined) return found;
    // kyaml appends the item the filter describes, then matches again.
    items.push(key === '' ? resolvePlain(value) : { [key]: resolvePlain(value) });
    return hits();
  }
  if (part === '*') return elements(node, part).flatMap((_, i, items) => matchAll(slotIn(items, i, false), rest, create));
  let holder: JsonObject;
  if (isJsonObject(node)) holder = node;
  else if (node === null && create !== undefined) {
    holder = {};
    slot.set(holder);
  } else if (node === null) return [];
  else throw new FieldPathError(`wrong node kind: expected a mapping at ${JSON.stringify(part)}`);
  let created = false;
  if (holder[part] === undefined) {
    if (create === undefined) return [];
    holder[part] = newNode(next, create);
    created = next === undefined;
  }
  return matchAll(slotIn(holder, part, created), rest, create);
}

/** The list at a list step (a missing or null node has no items); anything else is kyaml's wrong-kind error. */
function elements(node: JsonValue, part: string): JsonValue[] {
  if (Array.isArray(node)) return node;
  if (node === null) return [];
  throw new FieldPathError(`wrong node kind: expected a list at ${JSON.stringify(part)}`);
}

/** A Go RE2 pattern as a JavaScript one (the common subset; a pattern JavaScript rejects is an error, as Go's would be). */
function goRegExp(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch (err) {
    throw new FieldPathError(`invalid list filter pattern ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
