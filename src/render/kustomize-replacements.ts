/**
 * The kustomization field `replacements` (kustomize v5.5's ReplacementTransformer): each
 * replacement reads one value from one source object and writes it into fields of the
 * objects its targets select, in order, each seeing the objects as the ones before left them.
 * Entries are inline or `path:` files holding one replacement or a list of them.
 *
 * Value rules, checked against `kubectl kustomize`: an existing scalar target keeps its type
 * (`replicas: 1` takes "3" as the number 3; a string stays a string; a value its type cannot
 * hold, or any value into an explicit null, is an error as in kustomize); a scalar the
 * replacement creates is read back as an untagged plain scalar ("3" becomes 3, "true" true);
 * a mapping or list target is replaced by a copy of the source node.
 */
import { deepCopy, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import {
  FieldPathError, lookup, matchAll, resolvePlain, scalarText, splitFieldPath, type CreateKind, type Slot,
} from './kustomize-fieldpath.ts';
import { fail, objectList, within } from './kustomize-input.ts';
import type { Item } from './kustomize-merge.ts';
import {
  ID_FIELDS, idSelected, isEmptySelector, matchesRequirements, metadataMap, parseSelector, resIds, type IdSelector,
} from './kustomize-selector.ts';
import { parseYamlStream } from './parse.ts';

interface FieldOptions {
  readonly delimiter: string;
  readonly index: number;
  readonly create: boolean;
}

interface Selector extends IdSelector {
  readonly labelSelector?: string;
  readonly annotationSelector?: string;
}

interface Target {
  readonly select: Selector;
  readonly reject: readonly Selector[];
  readonly fieldPaths: readonly string[];
  readonly options: FieldOptions;
}

interface Replacement {
  readonly source: IdSelector;
  readonly fieldPath: string;
  readonly options: FieldOptions;
  readonly targets: readonly Target[];
}

/** A malformed replacement (`unsupported`: kustomize has the field and Sluice does not), or one kustomize fails to apply. */
class ReplacementError extends Error {
  constructor(message: string, readonly unsupported = false) {
    super(message);
  }
}

const DEFAULT_FIELD_PATH = 'metadata.name';
const NO_OPTIONS: FieldOptions = { delimiter: '', index: 0, create: false };

function only(value: JsonValue | undefined, at: string, allowed: readonly string[]): JsonObject {
  if (!isJsonObject(value)) throw new ReplacementError(`${at} must be a mapping`);
  const unknown = Object.keys(value).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new ReplacementError(`kustomization field "${at}.${unknown}" is not supported`, true);
  return value;
}

function text(value: JsonValue | undefined, at: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ReplacementError(`${at} must be a string`);
  return value;
}

function idSelector(object: JsonObject, at: string): IdSelector {
  const out: Record<string, string> = {};
  for (const field of ID_FIELDS) {
    const value = text(object[field], `${at}.${field}`);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function selector(value: JsonValue | undefined, at: string): Selector {
  const object = only(value, at, [...ID_FIELDS, 'labelSelector', 'annotationSelector']);
  const labelSelector = text(object['labelSelector'], `${at}.labelSelector`);
  const annotationSelector = text(object['annotationSelector'], `${at}.annotationSelector`);
  return { ...idSelector(object, at), ...(labelSelector !== undefined ? { labelSelector } : {}), ...(annotationSelector !== undefined ? { annotationSelector } : {}) };
}

function fieldOptions(value: JsonValue | undefined, at: string): FieldOptions {
  if (value === undefined || value === null) return NO_OPTIONS;
  const object = only(value, at, ['delimiter', 'index', 'create']);
  const index = object['index'] ?? 0;
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new ReplacementError(`${at}.index must be an integer`);
  const create = object['create'] ?? false;
  if (typeof create !== 'boolean') throw new ReplacementError(`${at}.create must be true or false`);
  return { delimiter: text(object['delimiter'], `${at}.delimiter`) ?? '', index, create };
}

function stringList(value: JsonValue | undefined, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new ReplacementError(`${at} must be a list of strings`);
  return value;
}

/**
 * The kustomization's `replacements`, inline or read with `read` (a kustomization-relative
 * path, restricted like every other file the kustomization loads), validated.
 */
export function replacementsOf(k: JsonObject, file: string, read: (ref: string) => string): Replacement[] {
  const entries = objectList(k, 'replacements', file);
  return entries.flatMap((entry, i) => {
    const at = `replacements[${i}]`;
    return within(file, at, () => {
      try {
        const path = entry['path'];
        if (path === undefined) return [parseReplacement(entry, at)];
        if (typeof path !== 'string' || Object.keys(entry).length > 1) throw new ReplacementError(`${at}: cannot specify both path and inline replacement`);
        const loaded = parseYaml(read(path), path);
        if (Array.isArray(loaded)) return loaded.map((r, j) => parseReplacement(r, `${path}[${j}]`));
        if (isJsonObject(loaded)) return [parseReplacement(loaded, path)];
        throw new ReplacementError(`${path}: unsupported replacement type: neither a mapping nor a list`);
      } catch (err) {
        if (!(err instanceof ReplacementError)) throw err;
        return fail(file, err.unsupported ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'INVALID_KUSTOMIZATION', `${file}: ${err.message}`);
      }
    });
  });
}

function parseYaml(source: string, path: string): JsonValue {
  const parsed = parseYamlStream(source);
  if (!parsed.ok) throw new ReplacementError(`${path}: ${parsed.message}`);
  return parsed.values[0] ?? null;
}

/** One replacement (inline, or an item of a `path:` file), validated. */
function parseReplacement(value: JsonValue, at: string): Replacement {
  const object = only(value, at, ['source', 'targets']);
  if (object['source'] === undefined || object['source'] === null || !Array.isArray(object['targets'])) {
    throw new ReplacementError(`${at}: replacements must specify a source and at least one target`);
  }
  const source = only(object['source'], `${at}.source`, [...ID_FIELDS, 'fieldPath', 'options']);
  const targets = object['targets'].map((t, i) => {
    const tat = `${at}.targets[${i}]`;
    const target = only(t, tat, ['select', 'reject', 'fieldPaths', 'options']);
    if (target['select'] === undefined || target['select'] === null) throw new ReplacementError(`${tat}: target must specify resources to select`);
    const reject = target['reject'] ?? [];
    if (!Array.isArray(reject)) throw new ReplacementError(`${tat}.reject must be a list`);
    const fieldPaths = stringList(target['fieldPaths'], `${tat}.fieldPaths`);
    return {
      select: selector(target['select'], `${tat}.select`),
      reject: reject.map((r, j) => selector(r, `${tat}.reject[${j}]`)),
      fieldPaths: fieldPaths.length === 0 ? [DEFAULT_FIELD_PATH] : fieldPaths,
      options: fieldOptions(target['options'], `${tat}.options`),
    };
  });
  return {
    source: idSelector(source, `${at}.source`),
    fieldPath: text(source['fieldPath'], `${at}.source.fieldPath`) || DEFAULT_FIELD_PATH,
    options: fieldOptions(source['options'], `${at}.source.options`),
    targets,
  };
}

/** Applies the replacements of kustomization `file` in order; mutates the items' objects. */
export function applyReplacements(items: readonly Item[], replacements: readonly Replacement[], file: string): void {
  try {
    for (const replacement of replacements) applyOne(items, replacement);
  } catch (err) {
    if (!(err instanceof ReplacementError)) throw err;
    fail(file, 'PATCH_FAILED', `${file}: replacements: ${err.message}`, 'replacements');
  }
}

function applyOne(items: readonly Item[], replacement: Replacement): void {
  const value = sourceValue(items, replacement);
  for (const target of replacement.targets) {
    for (const item of items) {
      if (selectsTarget(item, target)) for (const path of target.fieldPaths) writeTarget(item.object, path, value, target.options);
    }
  }
}

function describe(selector: IdSelector): string {
  return ID_FIELDS.flatMap((f) => (selector[f] ? [`${f}=${selector[f]}`] : [])).join(', ') || 'an empty selector';
}

function sourceValue(items: readonly Item[], { source, fieldPath, options }: Replacement): JsonValue {
  const matches = items.filter((item) => resIds(item).some((id) => idSelected(id, source)));
  if (matches.length > 1) throw new ReplacementError(`multiple matches for source selector ${describe(source)}`);
  const object = matches[0]?.object;
  if (object === undefined) throw new ReplacementError(`nothing selected by source selector ${describe(source)}`);
  let node: JsonValue | undefined;
  try {
    node = lookup(object, splitFieldPath(fieldPath));
  } catch (err) {
    throw new ReplacementError(`error looking up replacement source: ${(err as Error).message}`);
  }
  if (node === undefined || node === null || (typeof node === 'object' && Object.keys(node).length === 0)) {
    throw new ReplacementError(`fieldPath \`${fieldPath}\` is missing for replacement source ${describe(source)}`);
  }
  if (options.delimiter === '') return node;
  if (typeof node === 'object') throw new ReplacementError('delimiter option can only be used with scalar nodes');
  const parts = scalarText(node).split(options.delimiter);
  const part = parts[options.index];
  if (part === undefined || options.index < 0) throw new ReplacementError(`options.index ${options.index} is out of bounds for value ${scalarText(node)}`);
  // kyaml copies the node and sets its text: a number's part keeps the number's type.
  return typeof node === 'string' ? part : retype(node, part, 'source');
}

function selectsTarget(item: Item, { select, reject }: Target): boolean {
  if (!matchesMaps(item, select)) return false;
  if (reject.some((r) => (r.labelSelector || r.annotationSelector) && matchesMaps(item, r))) return false;
  // Any id (current or from before a rename) can select the object, and any can reject it.
  const ids = resIds(item);
  if (ids.some((id) => reject.some((r) => !isEmptySelector(r) && idSelected(id, r)))) return false;
  return ids.some((id) => idSelected(id, select));
}

function matchesMaps(item: Item, selector: Selector): boolean {
  for (const [text, field] of [[selector.labelSelector, 'labels'], [selector.annotationSelector, 'annotations']] as const) {
    if (text === undefined || text === '') continue;
    const parsed = parseSelector(text);
    if (!parsed.ok) throw new ReplacementError(`${field} selector ${JSON.stringify(text)}: ${parsed.message}`);
    if (!matchesRequirements(metadataMap(item.object, field), parsed.requirements)) return false;
  }
  return true;
}

function kindOfValue(value: JsonValue): CreateKind {
  return Array.isArray(value) ? 'list' : isJsonObject(value) ? 'mapping' : 'scalar';
}

function writeTarget(object: JsonObject, fieldPath: string, value: JsonValue, options: FieldOptions): void {
  const root: Slot = { get: () => object, set: () => undefined, created: false };
  let slots: Slot[];
  try {
    slots = matchAll(root, splitFieldPath(fieldPath), options.create ? kindOfValue(value) : undefined);
  } catch (err) {
    if (!(err instanceof FieldPathError)) throw err;
    throw new ReplacementError(`${fieldRetrieval(fieldPath, options.create)}: ${err.message}`);
  }
  if (slots.length === 0) throw new ReplacementError(fieldRetrieval(fieldPath, options.create));
  for (const slot of slots) slot.set(newValue(slot, value, options));
}

function fieldRetrieval(fieldPath: string, create: boolean): string {
  return `unable to find${create ? ' or create' : ''} field ${JSON.stringify(fieldPath)} in replacement target`;
}

function newValue(slot: Slot, value: JsonValue, options: FieldOptions): JsonValue {
  const current = slot.get();
  const scalarTarget = current === null || typeof current !== 'object';
  let written = scalarText(value);
  if (options.delimiter !== '') {
    if (!scalarTarget) throw new ReplacementError('delimiter option can only be used with scalar nodes');
    const parts = scalarText(current).split(options.delimiter);
    if (options.index < 0) parts.unshift(written);
    else if (options.index >= parts.length) parts.push(written);
    else parts[options.index] = written;
    written = parts.join(options.delimiter);
  } else if (!scalarTarget) {
    // A mapping or list target takes the source node; kyaml sets only the text of a scalar one.
    return deepCopy(value);
  }
  if (slot.created) return resolvePlain(written);
  return retype(current, written, 'target');
}

/**
 * `text` under the type of `like` (kyaml keeps a scalar's tag and changes its text; go-yaml
 * then reads it back by that tag): an integer takes only integers, a float any number, a
 * boolean only true/false, a string anything; a null takes text as a string, except an
 * integer, which kustomize fails on. Checked case by case against `kubectl kustomize`.
 */
function retype(like: JsonValue, text: string, role: 'source' | 'target'): JsonValue {
  if (typeof like === 'string') return text;
  const read = resolvePlain(text);
  const isInteger = typeof read === 'number' && Number.isInteger(read);
  if (like === null && !isInteger) return text;
  const fits = typeof like === 'boolean' ? typeof read === 'boolean' : typeof like === 'number' ? (Number.isInteger(like) ? isInteger : typeof read === 'number') : false;
  if (!fits) throw new ReplacementError(`cannot decode ${JSON.stringify(text)} as the ${like === null ? 'null' : typeof like} the replacement ${role} holds`);
  return read;
}
