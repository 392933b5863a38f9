/**
 * Computing a strategic merge patch between two objects: apimachinery's
 * strategicpatch.diffMaps / diffLists / diffListsOfMaps / diffListsOfScalars with their
 * DiffOptions, driven by a PatchMeta. Internal to three-way.ts.
 */
import { isEmptyObject, isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { PatchError } from './patch-error.ts';
import type { PatchMeta } from './patch-meta.ts';

export const RETAIN_KEYS = '$retainKeys';
export const SET_ORDER = '$setElementOrder';
export const DELETE_FROM_LIST = '$deleteFromPrimitiveList';

export interface DiffOptions {
  /** no nulls, `$patch: delete` or deletion lists: the current -> modified half of a three-way patch */
  readonly ignoreDeletions: boolean;
  /** deletions only: the original -> modified half */
  readonly ignoreChangesAndAdditions: boolean;
  readonly buildRetainKeys: boolean;
}

/** Go's reflect.TypeOf as far as JSON goes (every number decodes to float64). */
function typeTag(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

/** fmt.Sprintf("%v") of a merge key or scalar, which is what apimachinery sorts and matches by. */
function keyString(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Strategic merge patch turning `original` into `modified`, as diffMaps does it. */
export function diffMaps(original: JsonObject, modified: JsonObject, meta: PatchMeta, opts: DiffOptions): JsonObject {
  const patch: JsonObject = {};
  const retainKeys: string[] = [];
  for (const key of Object.keys(modified)) {
    const mod = modified[key] as JsonValue;
    if (opts.buildRetainKeys && mod !== null) retainKeys.push(key);
    if (!Object.hasOwn(original, key)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = mod;
      continue;
    }
    const orig = original[key] as JsonValue;
    if (typeTag(orig) !== typeTag(mod)) {
      if (!opts.ignoreChangesAndAdditions) patch[key] = mod;
      continue;
    }
    if (isJsonObject(orig) && isJsonObject(mod)) {
      const field = meta.field(key);
      if (field.mapStrategy === 'replace') {
        if (!opts.ignoreChangesAndAdditions && !jsonEqual(orig, mod)) patch[key] = mod;
        continue;
      }
      const sub = diffMaps(orig, mod, field, withRetainKeys(opts, field.retainKeys));
      if (!isEmptyObject(sub)) patch[key] = sub;
    } else if (Array.isArray(orig) && Array.isArray(mod)) {
      const field = meta.field(key);
      if (field.listStrategy === 'merge') {
        diffMergeList(key, orig, mod, field, withRetainKeys(opts, field.retainKeys), patch);
      } else if (!opts.ignoreChangesAndAdditions && !jsonEqual(orig, mod)) {
        patch[key] = mod;
      }
    } else if (!opts.ignoreChangesAndAdditions && orig !== mod) {
      patch[key] = mod;
    }
  }
  if (!opts.ignoreDeletions) {
    for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) patch[key] = null;
  }
  if (retainKeys.length > 0 && (!isEmptyObject(patch) || hasAdditionalField(original, modified))) {
    patch[RETAIN_KEYS] = retainKeys.sort(byString);
  }
  return patch;
}

/** The options for a field's value; the same object when nothing changes (this runs for every field of every object). */
function withRetainKeys(opts: DiffOptions, buildRetainKeys: boolean): DiffOptions {
  return opts.buildRetainKeys === buildRetainKeys ? opts : { ...opts, buildRetainKeys };
}

function hasAdditionalField(original: JsonObject, modified: JsonObject): boolean {
  return Object.entries(original).some(([k, v]) => v !== null && !Object.hasOwn(modified, k));
}

/** handleSliceDiff for a list with patchStrategy merge: fills `patch[key]` and its parallel directive lists. */
function diffMergeList(
  key: string,
  original: readonly JsonValue[],
  modified: readonly JsonValue[],
  meta: PatchMeta,
  opts: DiffOptions,
  patch: JsonObject,
): void {
  if (original.length === 0) {
    if (modified.length > 0 && !opts.ignoreChangesAndAdditions) patch[key] = [...modified];
    return;
  }
  const first = original[0] as JsonValue;
  if (isJsonObject(first)) {
    const mergeKey = meta.mergeKey;
    if (mergeKey === undefined) throw new PatchError(`cannot merge lists without merge key for ${key}`);
    const { changes, deletions } = diffListsOfMaps(original, modified, meta, mergeKey, opts);
    const sorted = sortByOrder(changes, modified, mergeKey);
    const orderSame =
      original.length === modified.length && original.every((o, i) => mergeValue(o, mergeKey) === mergeValue(modified[i], mergeKey));
    const list = [...sorted, ...deletions];
    if (list.length > 0) patch[key] = list;
    if ((!opts.ignoreChangesAndAdditions && (list.length > 0 || !orderSame)) || (!opts.ignoreDeletions && list.length > 0)) {
      patch[`${SET_ORDER}/${key}`] = modified.map((m) => ({ [mergeKey]: mergeValue(m, mergeKey) ?? null }));
    }
    return;
  }
  const { additions, deletions } = diffListsOfScalars(original, modified, opts);
  const sorted = sortByOrder(additions, modified, undefined);
  if (sorted.length > 0) patch[key] = sorted;
  if (deletions.length > 0) patch[`${DELETE_FROM_LIST}/${key}`] = deletions;
  if ((!opts.ignoreDeletions && deletions.length > 0) || (!opts.ignoreChangesAndAdditions && !jsonEqual(original as JsonValue[], modified as JsonValue[]))) {
    patch[`${SET_ORDER}/${key}`] = [...modified];
  }
}

function mergeValue(item: JsonValue | undefined, mergeKey: string): JsonValue | undefined {
  if (!isJsonObject(item)) throw new PatchError(`expected a map, but received ${JSON.stringify(item)}`);
  if (!Object.hasOwn(item, mergeKey)) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  return item[mergeKey];
}

/** Stable sort by position in `order` (items not in it go first, as Go's comparator has it). */
function sortByOrder(items: JsonValue[], order: readonly JsonValue[], mergeKey: string | undefined): JsonValue[] {
  if (items.length < 2) return items;
  const index = new Map<string, number>();
  order.forEach((o, i) => {
    const id = keyString(mergeKey === undefined ? o : mergeValue(o, mergeKey));
    if (!index.has(id)) index.set(id, i);
  });
  return items
    .map((item, i) => ({ item, i, p: index.get(keyString(mergeKey === undefined ? item : mergeValue(item, mergeKey))) ?? -1 }))
    .sort((a, b) => (a.p >= 0 && b.p >= 0 ? a.p - b.p : a.p < 0 && b.p < 0 ? a.i - b.i : a.p < 0 ? -1 : 1))
    .map((e) => e.item);
}

/** The items with their merge key values, sorted by those values as %v strings. */
function keyedByMergeKey(list: readonly JsonValue[], mergeKey: string): { item: JsonObject; value: JsonValue | undefined; id: string }[] {
  return list
    .map((item) => {
      const value = mergeValue(item, mergeKey);
      return { item: item as JsonObject, value, id: keyString(value) };
    })
    .sort((a, b) => byString(a.id, b.id));
}

/** Both lists sorted by merge key (as %v strings) and walked in step, as diffListsOfMaps does. */
function diffListsOfMaps(
  original: readonly JsonValue[],
  modified: readonly JsonValue[],
  meta: PatchMeta,
  mergeKey: string,
  opts: DiffOptions,
): { changes: JsonValue[]; deletions: JsonValue[] } {
  const orig = keyedByMergeKey(original, mergeKey);
  const mod = keyedByMergeKey(modified, mergeKey);
  const changes: JsonValue[] = [];
  const deletions: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < orig.length || j < mod.length) {
    const o = orig[i];
    const m = mod[j];
    if (o !== undefined && m !== undefined && o.id === m.id) {
      const sub = diffMaps(o.item, m.item, meta, opts);
      if (!isEmptyObject(sub)) {
        sub[mergeKey] = m.value ?? null;
        changes.push(sub);
      }
      i++;
      j++;
    } else if (m !== undefined && (o === undefined || o.id > m.id)) {
      if (!opts.ignoreChangesAndAdditions) changes.push(m.item);
      j++;
    } else if (o !== undefined) {
      if (!opts.ignoreDeletions) deletions.push({ $patch: 'delete', [mergeKey]: o.value ?? null });
      i++;
    }
  }
  return { changes, deletions };
}

function sortedScalars(list: readonly JsonValue[]): JsonValue[] {
  return [...list].sort((a, b) => byString(keyString(a), keyString(b)));
}

function diffListsOfScalars(
  original: readonly JsonValue[],
  modified: readonly JsonValue[],
  opts: DiffOptions,
): { additions: JsonValue[]; deletions: JsonValue[] } {
  const origIds = new Set(original.map(keyString));
  const modIds = new Set(modified.map(keyString));
  const additions = opts.ignoreChangesAndAdditions ? [] : sortedScalars(modified).filter((v) => !origIds.has(keyString(v)));
  const deletions: JsonValue[] = [];
  if (!opts.ignoreDeletions) {
    const seen = new Set<string>();
    for (const v of sortedScalars(original)) {
      const id = keyString(v);
      if (!modIds.has(id) && !seen.has(id)) {
        seen.add(id);
        deletions.push(v);
      }
    }
  }
  return { additions, deletions };
}
