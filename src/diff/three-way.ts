/**
 * The patch `kubectl apply` sends (client-side apply): a three-way diff of
 * original (the last-applied annotation), modified (the manifest, carrying its new
 * last-applied annotation) and current (the live object).
 *
 * - Built-in kinds: apimachinery's strategicpatch.CreateThreeWayMergePatch(overwrite=true):
 *   deletions are original -> modified, additions and changes are current -> modified, so
 *   fields only the live object has (set by controllers, defaulting, an HPA) stay.
 * - Other kinds (custom resources): jsonmergepatch.CreateThreeWayJSONMergePatch, with
 *   lists replaced whole.
 */
import { goJson } from './go-json.ts';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { LAST_APPLIED_ANNOTATION } from './normalize.ts';
import type { PatchMeta } from './patch-meta.ts';
import { TOTAL_ANNOTATION_SIZE_LIMIT } from '../sim/validation/meta.ts';
import { DELETE_FROM_LIST, diffMaps, RETAIN_KEYS, SET_ORDER } from './smp-diff.ts';

export { LAST_APPLIED_ANNOTATION } from './normalize.ts';

/**
 * The last-applied-configuration value kubectl stores for `desired`: the object without
 * that annotation (an empty `annotations` map when nothing is left, as kubectl writes it),
 * encoded by Go with a trailing newline.
 */
export function lastAppliedAnnotation(desired: JsonObject): string {
  const meta = isJsonObject(desired.metadata) ? desired.metadata : {};
  const annotations: JsonObject = {};
  // copied key by key rather than spread and deleted from: a delete turns the object into a slow dictionary
  if (isJsonObject(meta.annotations)) for (const [k, v] of Object.entries(meta.annotations)) if (k !== LAST_APPLIED_ANNOTATION) annotations[k] = v;
  return `${goJson({ ...desired, metadata: { ...meta, annotations } })}\n`;
}

/** `desired` carrying its last-applied annotation: kubectl's "modified" configuration. */
export function withLastApplied(desired: JsonObject, annotation = lastAppliedAnnotation(desired)): JsonObject {
  const meta = isJsonObject(desired.metadata) ? desired.metadata : {};
  const annotations = isJsonObject(meta.annotations) ? meta.annotations : {};
  return { ...desired, metadata: { ...meta, annotations: { ...annotations, [LAST_APPLIED_ANNOTATION]: annotation } } };
}

/**
 * What Sluice sends under ServerSideApply: `desired` with its last-applied annotation (kept
 * for the three-way diff), unless the annotation would break the API server's limit on
 * annotations — a large CRD (Argo CD's ApplicationSet) is why its projects tell users to
 * `kubectl apply --server-side`, which writes no annotation at all. Such an object is then
 * compared without an original, as an adopted one is.
 */
export function forServerSideApply(desired: JsonObject): JsonObject {
  const annotation = lastAppliedAnnotation(desired);
  const meta = isJsonObject(desired.metadata) ? desired.metadata : {};
  const others = isJsonObject(meta.annotations) ? Object.entries(meta.annotations).filter(([k]) => k !== LAST_APPLIED_ANNOTATION) : [];
  const size = others.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0) + Buffer.byteLength(LAST_APPLIED_ANNOTATION) + Buffer.byteLength(annotation);
  if (size <= TOTAL_ANNOTATION_SIZE_LIMIT) return withLastApplied(desired, annotation);
  return { ...desired, metadata: { ...meta, annotations: Object.fromEntries(others) } };
}

/** The object recorded in a live object's last-applied annotation, if it has a readable one. */
export function originalFromLive(live: JsonObject): JsonObject | undefined {
  const text = lastAppliedText(live);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isJsonObject(parsed as JsonValue) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

export function lastAppliedText(obj: JsonObject): string | undefined {
  const meta = obj.metadata;
  if (!isJsonObject(meta) || !isJsonObject(meta.annotations)) return undefined;
  const value = meta.annotations[LAST_APPLIED_ANNOTATION];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const NO_OPTIONS = { ignoreDeletions: false, ignoreChangesAndAdditions: false, buildRetainKeys: false };

/**
 * CreateThreeWayMergePatch(original, modified, current, meta, overwrite=true). `original`
 * undefined: the object was not created by apply (nothing is deleted, only added/changed).
 */
export function threeWayStrategicMergePatch(
  original: JsonObject | undefined,
  modified: JsonObject,
  current: JsonObject,
  meta: PatchMeta,
): JsonObject {
  const delta = diffMaps(current, modified, meta, { ...NO_OPTIONS, ignoreDeletions: true });
  if (original === undefined) return delta;
  const deletions = diffMaps(original, modified, meta, { ...NO_OPTIONS, ignoreChangesAndAdditions: true });
  return combinePatches(deletions, delta, meta);
}

/**
 * mergeMap(deletions, delta) with MergeOptions{} (parallel lists not merged): the delta is
 * laid over the deletions; both are derived from `modified`, so their `$setElementOrder`
 * and `$retainKeys` lists agree and keyed list items merge by key.
 */
function combinePatches(deletions: JsonObject, delta: JsonObject, meta: PatchMeta): JsonObject {
  const out: JsonObject = { ...deletions };
  for (const [key, value] of Object.entries(delta)) {
    const existing = out[key];
    if (existing === undefined || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM_LIST)) {
      out[key] = value;
    } else if (isJsonObject(existing) && isJsonObject(value)) {
      out[key] = combinePatches(existing, value, meta.field(key));
    } else if (Array.isArray(existing) && Array.isArray(value) && meta.field(key).listStrategy === 'merge') {
      out[key] = combineLists(existing, value, meta.field(key), out[`${SET_ORDER}/${key}`] ?? delta[`${SET_ORDER}/${key}`]);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function combineLists(
  deletions: readonly JsonValue[],
  delta: readonly JsonValue[],
  meta: PatchMeta,
  order: JsonValue | undefined,
): JsonValue[] {
  const mergeKey = meta.mergeKey;
  if (mergeKey === undefined) return [...new Set([...deletions, ...delta])];
  const isDelete = (v: JsonValue): boolean => isJsonObject(v) && v.$patch === 'delete';
  const items: JsonObject[] = [];
  for (const item of [...deletions.filter((d) => !isDelete(d)), ...delta]) {
    if (!isJsonObject(item)) continue;
    const i = items.findIndex((o) => jsonEqual(o[mergeKey], item[mergeKey]));
    const found = items[i];
    if (found === undefined) items.push(item);
    else items[i] = combinePatches(found, item, meta);
  }
  if (Array.isArray(order)) {
    const pos = (v: JsonObject): number => order.findIndex((o) => isJsonObject(o) && jsonEqual(o[mergeKey], v[mergeKey]));
    items.sort((a, b) => pos(a) - pos(b));
  }
  return [...items, ...deletions.filter(isDelete)];
}

/** evanphx/json-patch CreateMergePatch for two objects. */
function createMergePatch(from: JsonObject, to: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(to)) {
    const before = from[k];
    if (before === undefined) out[k] = v;
    else if (isJsonObject(before) && isJsonObject(v)) {
      const sub = createMergePatch(before, v);
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (!jsonEqual(before, v)) out[k] = v;
  }
  for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) out[k] = null;
  return out;
}

/** keepOrDeleteNullInObj: keep only the nulls (deletions) or only the rest (additions and changes). */
function keepOrDeleteNull(patch: JsonObject, keepNull: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      if (keepNull) out[k] = null;
    } else if (isJsonObject(v)) {
      if (Object.keys(v).length === 0) {
        if (!keepNull) out[k] = v;
        continue;
      }
      const sub = keepOrDeleteNull(v, keepNull);
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (!keepNull) {
      out[k] = v;
    }
  }
  return out;
}

function overlay(base: JsonObject, top: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(top)) {
    const b = out[k];
    out[k] = isJsonObject(b) && isJsonObject(v) ? overlay(b, v) : v;
  }
  return out;
}

/** CreateThreeWayJSONMergePatch(original, modified, current): lists are replaced whole. */
export function threeWayJsonMergePatch(original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  const additions = keepOrDeleteNull(createMergePatch(current, modified), false);
  const deletions = keepOrDeleteNull(createMergePatch(original ?? {}, modified), true);
  return overlay(deletions, additions);
}

export interface ApplyPatch {
  readonly patchType: 'strategic' | 'merge';
  /** empty when `kubectl apply` would change nothing */
  readonly patch: JsonObject;
  /**
   * The configuration last applied (the live object's annotation, read), when it has one:
   * `desired` itself when the annotation says exactly that, so it is not parsed for nothing.
   */
  readonly lastApplied: JsonObject | undefined;
}

/**
 * The patch `kubectl apply -f desired` sends when `live` exists: strategic for kinds with
 * patch metadata, JSON merge otherwise. The new last-applied annotation is part of it.
 */
export function applyPatch(desired: JsonObject, live: JsonObject, meta: PatchMeta | undefined): ApplyPatch {
  const annotation = lastAppliedAnnotation(desired);
  const modified = withLastApplied(desired, annotation);
  const unchanged = lastAppliedText(live) === annotation;
  // unchanged manifest: original equals modified (minus the annotation), so nothing is deleted
  const original = unchanged ? undefined : originalFromLive(live);
  const lastApplied = unchanged ? desired : original;
  if (meta === undefined) return { patchType: 'merge', patch: threeWayJsonMergePatch(original, modified, live), lastApplied };
  return { patchType: 'strategic', patch: threeWayStrategicMergePatch(original, modified, live, meta), lastApplied };
}
