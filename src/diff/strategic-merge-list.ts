/**
 * Lists in a strategic merge patch: merge by key or as a set, `$patch` items, and the
 * element order apimachinery produces (patch order first, server-only items slotted in by
 * their live position). Internal to strategic-merge.ts.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { badPatchType, noMergeKey, PatchError } from './patch-error.ts';
import type { PatchMeta } from './patch-meta.ts';

export const DIRECTIVE = '$patch';

/** Merges two maps of the list's item type (strategic-merge.ts's mergeMap). */
export type MergeItem = (original: JsonObject, patch: JsonObject, meta: PatchMeta) => JsonObject;

/**
 * Whose list semantics: apimachinery's (kubectl apply, the API server), or kustomize's kyaml
 * merge2 (patches in a kustomization): there the patch's items come first, in the patch's
 * order, then the live items it does not name, and a new item is merged into nothing, so its
 * nulls and directives are processed (a `null` field is simply absent); every map merged into
 * loses its null fields (strategic-merge.ts).
 */
export type ListStyle = 'apimachinery' | 'kyaml';

/** Go compares reflect types: int64 and float64 differ; lists and nulls are not elements. */
type ElementKind = 'map' | 'string' | 'int' | 'float' | 'bool';

function kindOf(value: JsonValue): ElementKind | 'list' | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value === 'string' ? 'string' : 'bool';
}

function elementKind(...lists: readonly (readonly JsonValue[])[]): ElementKind {
  let kind: ElementKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      const k = kindOf(item);
      if (k === 'list') throw new PatchError('lists of lists are not supported');
      if (k === 'null' || (kind !== undefined && k !== kind)) {
        throw new PatchError(`list element types are not identical: ${JSON.stringify(lists)}`);
      }
      kind = k;
    }
  }
  if (kind === undefined) throw new PatchError('no elements in any of the given slices');
  return kind;
}

function hasKey(item: JsonObject, key: string, value: JsonValue | undefined): boolean {
  return Object.hasOwn(item, key) && item[key] === value;
}

function asMaps(list: readonly JsonValue[]): JsonObject[] {
  return list.map((item) => {
    if (!isJsonObject(item)) throw new PatchError(`expected a map, but received ${JSON.stringify(item)}`);
    return item;
  });
}

/** What identifies an item when ordering: its merge key value for maps, itself otherwise. */
function identity(item: JsonValue, key: string | undefined): JsonValue | undefined {
  if (key === undefined) return item;
  return isJsonObject(item) ? item[key] : undefined;
}

function indexIn(order: readonly JsonValue[], item: JsonValue, key: string | undefined): number {
  const id = identity(item, key);
  return order.findIndex((o) => identity(o, key) === id);
}

/**
 * Splits `merged` into items named in `by` and the rest. A merge key, when declared,
 * is required on every item (apimachinery refuses live items without one).
 */
function partition(
  merged: readonly JsonValue[],
  by: readonly JsonValue[],
  mergeKey: string | undefined,
): [JsonValue[], JsonValue[]] {
  const named: JsonValue[] = [];
  const rest: JsonValue[] = [];
  for (const item of merged) {
    if (mergeKey !== undefined) {
      if (!isJsonObject(item)) throw new PatchError(`expected a map, but received ${JSON.stringify(item)}`);
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const found = asMaps(by).some((b) => hasKey(b, mergeKey, item[mergeKey]));
      (found ? named : rest).push(item);
    } else {
      (by.includes(item) ? named : rest).push(item);
    }
  }
  return [named, rest];
}

/**
 * Stable sort by position in `order`. The comparator is Go's, including its "not found
 * sorts first" answer, run as the insertion sort Go's SliceStable uses for short lists.
 */
function sortByOrder(toSort: readonly JsonValue[], order: readonly JsonValue[], key: string | undefined): JsonValue[] {
  const out = [...toSort];
  const less = (a: JsonValue, b: JsonValue): boolean => {
    const ia = indexIn(order, a, key);
    const ib = indexIn(order, b, key);
    return ia >= 0 && ib >= 0 ? ia < ib : true;
  };
  for (let i = 1; i < out.length; i++) {
    for (let j = i; j > 0; j--) {
      const cur = out[j] as JsonValue;
      const prev = out[j - 1] as JsonValue;
      if (!less(cur, prev)) break;
      out[j] = prev;
      out[j - 1] = cur;
    }
  }
  return out;
}

function normalizeSliceOrder(
  toSort: readonly JsonValue[],
  order: readonly JsonValue[],
  kind: ElementKind,
  mergeKey: string | undefined,
): JsonValue[] {
  if (kind !== 'map') return sortByOrder(toSort, order, undefined);
  const key = mergeKey ?? '';
  for (const item of [...toSort, ...order]) {
    if (!isJsonObject(item)) throw new PatchError(`expected a map, but received ${JSON.stringify(item)}`);
    if (!Object.hasOwn(item, key)) throw noMergeKey(item, key);
  }
  const isDelete = (item: JsonValue): boolean => isJsonObject(item) && item[DIRECTIVE] === 'delete';
  const sorted = sortByOrder(toSort.filter((i) => !isDelete(i)), order, key);
  return [...sorted, ...toSort.filter(isDelete)];
}

/**
 * Patch items keep the patch's order; each server-only item goes in front of the first
 * patch item that follows it in the live list (both must be live to compare).
 */
function normalizeElementOrder(
  patchItems: readonly JsonValue[],
  serverOnly: readonly JsonValue[],
  patchOrder: readonly JsonValue[],
  serverOrder: readonly JsonValue[],
  kind: ElementKind,
  mergeKey: string | undefined,
): JsonValue[] {
  const right = normalizeSliceOrder(patchItems, patchOrder, kind, mergeKey);
  const left = normalizeSliceOrder(serverOnly, serverOrder, kind, mergeKey);
  const key = kind === 'map' ? (mergeKey ?? '') : undefined;
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const l = left[i];
    const r = right[j];
    if (l === undefined) {
      out.push(r as JsonValue);
      j++;
    } else if (r === undefined) {
      out.push(l);
      i++;
    } else {
      const li = indexIn(serverOrder, l, key);
      const ri = indexIn(serverOrder, r, key);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push(l);
        i++;
      } else {
        out.push(r);
        j++;
      }
    }
  }
  return out;
}

/** `{$patch: delete, key: v}` items drop live items; a `{$patch: replace}` item makes the rest the whole list. */
function applySpecialItems(
  original: readonly JsonObject[],
  patch: readonly JsonObject[],
  mergeKey: string,
): { base: JsonObject[]; items: JsonObject[] } {
  let base = [...original];
  const items: JsonObject[] = [];
  let replace = false;
  for (const item of patch) {
    if (!Object.hasOwn(item, DIRECTIVE)) {
      items.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      base = base.filter((o) => !hasKey(o, mergeKey, item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, item);
    }
  }
  return replace ? { base: items, items: [] } : { base, items };
}

function mergeByKey(
  base: readonly JsonObject[],
  items: readonly JsonObject[],
  mergeKey: string,
  meta: PatchMeta,
  mergeItem: MergeItem,
  style: ListStyle,
): JsonObject[] {
  const out = [...base];
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const i = out.findIndex((o) => hasKey(o, mergeKey, item[mergeKey]));
    const live = out[i];
    // a new item goes in as sent: apimachinery does not process nulls or directives inside it (kyaml does)
    if (live === undefined) out.push(style === 'kyaml' ? mergeItem({}, item, meta) : item);
    else out[i] = mergeItem(live, item, meta);
  }
  return out;
}

/**
 * Merges a patch list into a live list whose field has patchStrategy merge (or is the
 * target of `$deleteFromPrimitiveList`, which apimachinery honours on any list).
 */
export function mergeList(
  original: readonly JsonValue[],
  patch: readonly JsonValue[],
  meta: PatchMeta,
  options: { readonly isDeleteList: boolean; readonly mergeItem: MergeItem; readonly style?: ListStyle },
): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return [];
  const style = options.style ?? 'apimachinery';
  const kind = elementKind(original, patch);
  if (kind !== 'map') {
    if (options.isDeleteList) return original.filter((v) => !patch.includes(v));
    if (style === 'kyaml') return [...new Set([...patch, ...original])];
    const merged = [...new Set([...original, ...patch])];
    const [inPatch, serverOnly] = partition(merged, patch, meta.mergeKey);
    return normalizeElementOrder(inPatch, serverOnly, patch, original, kind, meta.mergeKey);
  }
  const mergeKey = meta.mergeKey;
  if (mergeKey === undefined) throw new PatchError('cannot merge lists without merge key');
  const { base, items } = applySpecialItems(asMaps(original), asMaps(patch), mergeKey);
  const merged = mergeByKey(base, items, mergeKey, meta, options.mergeItem, style);
  const [inPatch, serverOnly] = partition(merged, items, mergeKey);
  if (style === 'kyaml') {
    const position = (item: JsonValue) => items.findIndex((p) => isJsonObject(item) && hasKey(p, mergeKey, item[mergeKey]));
    return [...[...inPatch].sort((a, b) => position(a) - position(b)), ...serverOnly];
  }
  return normalizeElementOrder(inPatch, serverOnly, items, base, kind, mergeKey);
}

/**
 * Drops maps carrying `$patch` (and list items that are such maps), at any depth: what
 * apimachinery does to a patch value copied in where the live object has nothing to merge with.
 */
export function removeDirectives(value: JsonValue): JsonValue | undefined {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const kept = removeDirectives(item);
      return kept === undefined ? [] : [kept];
    });
  }
  if (!isJsonObject(value)) return value;
  if (Object.hasOwn(value, DIRECTIVE)) return undefined;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const kept = removeDirectives(v);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/** Checks that the patch list names its items in the same relative order as `$setElementOrder`. */
function validateOrder(patchList: readonly JsonValue[], order: readonly JsonValue[], mergeKey: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items =
    mergeKey === undefined ? patchList : asMaps(patchList).filter((item) => item[DIRECTIVE] !== 'delete');
  const same = (a: JsonValue, b: JsonValue): boolean => {
    if (mergeKey === undefined) return a === b;
    if (!isJsonObject(a) || !isJsonObject(b)) throw new PatchError(`expected a map, but received ${JSON.stringify(b)}`);
    if (!Object.hasOwn(a, mergeKey)) throw noMergeKey(a, mergeKey);
    if (!Object.hasOwn(b, mergeKey)) throw noMergeKey(b, mergeKey);
    return a[mergeKey] === b[mergeKey];
  };
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    const item = items[p] as JsonValue;
    if (isJsonObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (same(item, order[s] as JsonValue)) p++;
    s++;
  }
  if (p < items.length) {
    throw new PatchError(
      `the order in patch list: ${JSON.stringify(patchList)} doesn't match $setElementOrder list: ${JSON.stringify(order)}`,
    );
  }
}

/**
 * `$setElementOrder/<field>`: merges the field's live and patch lists (either may be
 * absent) and orders the result as the directive says. Undefined when both are absent.
 */
export function mergeWithElementOrder(
  live: readonly JsonValue[] | undefined,
  patch: readonly JsonValue[] | undefined,
  order: readonly JsonValue[],
  meta: PatchMeta,
  mergeItem: MergeItem,
): JsonValue[] | undefined {
  const mergeKey = meta.mergeKey;
  validateOrder(patch ?? [], order, mergeKey);
  let merged: JsonValue[];
  if (live === undefined && patch === undefined) return undefined;
  if (patch === undefined) merged = [...(live ?? [])];
  else if (live === undefined) merged = removeDirectives([...patch]) as JsonValue[];
  else if (meta.listStrategy === 'merge') merged = mergeList(live, patch, meta, { isDeleteList: false, mergeItem });
  else merged = [...patch];

  // Go keys a hash map by the items here: maps without a merge key cannot be partitioned
  if (mergeKey === undefined && merged.some(isJsonObject)) {
    throw new PatchError('cannot order a list of maps without a merge key');
  }
  const [inOrder, serverOnly] = partition(merged, order, mergeKey);
  const kind = elementKind(live ?? [], patch ?? []);
  return normalizeElementOrder(inOrder, serverOnly, order, live ?? [], kind, mergeKey);
}
