/**
 * Applying a Kubernetes strategic merge patch: the semantics of apimachinery's
 * strategicpatch.StrategicMergePatch (mergeMap with MergeParallelList and
 * IgnoreUnmatchedNulls), driven by a PatchMeta instead of Go struct tags.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { badPatchType, PatchError } from './patch-error.ts';
import type { PatchMeta } from './patch-meta.ts';
import { DIRECTIVE, mergeList, mergeWithElementOrder, removeDirectives, type ListStyle } from './strategic-merge-list.ts';

export { PatchError } from './patch-error.ts';

const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_FROM_LIST = '$deleteFromPrimitiveList';

/** `$setElementOrder/containers` -> `containers`; apimachinery refuses a prefix without the slash. */
function directiveTarget(key: string, prefix: string, error: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) throw new PatchError(error);
  return key.slice(slash + 1);
}

/** Null map values in a patch value copied in whole mean "absent", at any depth (list items stay). */
function discardNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(discardNulls);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = discardNulls(v);
  return out;
}

function mapDirective(directive: JsonValue | undefined, patch: JsonObject): JsonObject {
  if (directive === 'replace') {
    const { [DIRECTIVE]: _, ...rest } = patch;
    return rest;
  }
  if (directive === 'delete') return {};
  // `$patch: merge` is refused on maps too: apimachinery only knows replace and delete here
  throw badPatchType(directive, patch);
}

/** `$retainKeys`: live keys not listed are cleared; a patch key not listed is an error. */
function applyRetainKeys(live: JsonObject, patch: JsonObject): void {
  const list = patch[RETAIN_KEYS];
  if (list === undefined) return;
  delete patch[RETAIN_KEYS];
  const error = 'invalid patch format of retainKeys';
  if (!Array.isArray(list)) throw new PatchError(error);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_LIST) || k.startsWith(SET_ORDER)) continue;
    if (!list.includes(k)) throw new PatchError(error);
  }
  for (const k of Object.keys(live)) if (!list.includes(k)) delete live[k];
}

function listOrUndefined(holder: JsonObject, key: string): JsonValue[] | undefined {
  if (!Object.hasOwn(holder, key)) return undefined;
  const value = holder[key];
  if (!Array.isArray(value)) throw new PatchError(`expected a list for ${key}, but received ${JSON.stringify(value)}`);
  return value;
}

/** Every `$setElementOrder/<field>` first: it merges and orders the field, which then leaves the patch. */
function applyElementOrders(live: JsonObject, patch: JsonObject, meta: PatchMeta, style: ListStyle): void {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    delete patch[key];
    if (!Array.isArray(order)) throw new PatchError(`expected a list for ${key}, but received ${JSON.stringify(order)}`);
    const field = directiveTarget(key, SET_ORDER, 'invalid patch format of setElementOrder list');
    const merged = mergeWithElementOrder(
      listOrUndefined(live, field),
      listOrUndefined(patch, field),
      order,
      meta.field(field),
      (o, p, m) => mergeMap(o, p, m, style),
    );
    if (merged === undefined) continue;
    live[field] = merged;
    delete patch[field];
  }
}

/** Where the live object has nothing to merge with, the patch value goes in cleaned. */
function setCleaned(live: JsonObject, key: string, value: JsonValue): void {
  const cleaned = removeDirectives(discardNulls(value));
  if (cleaned === undefined) delete live[key];
  else live[key] = cleaned;
}

function sameShape(a: JsonValue | undefined, b: JsonValue): boolean {
  if (a === undefined || a === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b);
  if (isJsonObject(a) || isJsonObject(b)) return isJsonObject(a) && isJsonObject(b);
  return typeof a === typeof b;
}

function mergeMap(original: JsonObject, patchIn: JsonObject, meta: PatchMeta, style: ListStyle): JsonObject {
  if (Object.hasOwn(patchIn, DIRECTIVE)) return mapDirective(patchIn[DIRECTIVE], patchIn);
  const live: JsonObject = { ...original };
  const patch: JsonObject = { ...patchIn };
  const mergeItem = (o: JsonObject, p: JsonObject, m: PatchMeta) => mergeMap(o, p, m, style);
  applyRetainKeys(live, patch);
  applyElementOrders(live, patch, meta, style);

  // Go walks the patch map in random order; ours is the patch's own key order
  for (const [rawKey, value] of Object.entries(patch)) {
    const isDeleteList = rawKey.startsWith(DELETE_FROM_LIST);
    const key = isDeleteList
      ? directiveTarget(rawKey, DELETE_FROM_LIST, 'invalid patch format of primitive list')
      : rawKey;
    if (value === null) {
      delete live[key];
      continue;
    }
    const current = live[key];
    if (!Object.hasOwn(live, key) || !sameShape(current, value)) {
      if (!isDeleteList) setCleaned(live, key, value);
      continue;
    }
    const fieldMeta = meta.field(key);
    if (Array.isArray(current) && Array.isArray(value)) {
      live[key] =
        fieldMeta.listStrategy === 'merge' || isDeleteList
          ? mergeList(current, value, fieldMeta, { isDeleteList, mergeItem, style })
          : value;
    } else if (isJsonObject(current) && isJsonObject(value)) {
      live[key] = fieldMeta.mapStrategy === 'replace' ? value : mergeMap(current, value, fieldMeta, style);
    } else {
      live[key] = value;
    }
  }
  return live;
}

function isDirectiveKey(key: string): boolean {
  return (
    key === DIRECTIVE ||
    key === RETAIN_KEYS ||
    key.startsWith(`${SET_ORDER}/`) ||
    key.startsWith(`${DELETE_FROM_LIST}/`)
  );
}

/**
 * apimachinery copies some patch values in raw (new list items, replaced lists), directives
 * and all; kube-apiserver then drops those keys when it decodes into the typed object.
 * We drop them here so a stored object never holds one. Nulls are left as they are.
 */
function withoutDirectiveKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutDirectiveKeys);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!isDirectiveKey(k)) out[k] = withoutDirectiveKeys(v);
  return out;
}

/**
 * Applies a strategic merge patch to a live object. Never mutates its inputs; the result
 * shares no structure with them unless `share` is set, where parts the patch left alone are
 * the live object's own (for a caller that only reads the result, such as a diff).
 * Throws PatchError on a malformed patch. `listStyle: 'kyaml'` merges lists as kustomize does
 * (strategic-merge-list.ts's ListStyle).
 */
export function applyStrategicMergePatch(original: JsonObject, patch: JsonObject, meta: PatchMeta, options: { share?: boolean; listStyle?: ListStyle } = {}): JsonObject {
  // untrusted request bodies reach this: check the shape the types promise
  if (!isJsonObject(original)) throw new PatchError('the original document must be a JSON object');
  if (!isJsonObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  // mergeMap copies each map and list it changes and never writes into its inputs; the final
  // pass drops leftover directive keys, copying everything or only what it changes
  const merged = mergeMap(original, patch, meta, options.listStyle ?? 'apimachinery');
  return (options.share ? withoutDirectiveKeysShared(merged) : withoutDirectiveKeys(merged)) as JsonObject;
}

/** withoutDirectiveKeys, returning each value itself when nothing in it is a directive. */
function withoutDirectiveKeysShared(value: JsonValue): JsonValue {
  if (Array.isArray(value)) {
    let out: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as JsonValue;
      const kept = withoutDirectiveKeysShared(item);
      if (kept !== item) (out ??= value.slice())[i] = kept;
    }
    return out ?? value;
  }
  if (!isJsonObject(value)) return value;
  let out: JsonObject | undefined;
  for (const k of Object.keys(value)) {
    const item = value[k] as JsonValue;
    if (isDirectiveKey(k)) {
      out ??= { ...value };
      delete out[k];
      continue;
    }
    const kept = withoutDirectiveKeysShared(item);
    if (kept !== item) (out ??= { ...value })[k] = kept;
  }
  return out ?? value;
}
