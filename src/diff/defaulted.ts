/**
 * Atomic lists and server defaulting. A list without a merge strategy (StatefulSet
 * volumeClaimTemplates, tolerations, CRD lists) is sent whole by `kubectl apply` whenever
 * it differs from live — and live items differ as soon as the API server has defaulted a
 * field in them (`volumeMode: Filesystem`, `status: {phase: Pending}`). The server then
 * defaults the sent items again, so the stored list does not change. Comparing the raw
 * prediction would report that as OutOfSync forever.
 *
 * The rule, in the spirit of the three-way diff: where the prediction replaced a list with
 * one whose every item is contained in the live item at the same index, and every field the
 * live items have beyond that was never in the last-applied configuration (so we did not
 * remove it: the server or another writer set it), the live list is what the server ends up
 * storing, and the prediction keeps it.
 */
import { deepCopy, isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { applyDefaults } from '../sim/defaults.ts';
import type { PatchMeta } from './patch-meta.ts';

/**
 * The prediction as the API server stores it: SetDefaults_* fill absent fields. A patch may
 * drop a defaulted field the manifest never had (a Deployment's `strategy: {type:
 * RollingUpdate}` carries `$retainKeys`, which removes rollingUpdate) and the server puts it
 * straight back, so without this the object would read OutOfSync for ever. The defaults are
 * the embedded cluster's own table (src/sim/defaults.ts). A default is put back only where
 * the live object has the field, i.e. where the server does set it: a server of another
 * version that does not is not credited with it. A live value someone changed is predicted
 * back at the default, as the apply really resets it.
 * Returns `predicted` itself when nothing changes; never mutates.
 */
export function keepServerDefaults(predicted: JsonObject, live: JsonObject): JsonObject {
  const defaulted = deepCopy(predicted);
  applyDefaults(defaulted);
  return restoreDefaults(predicted, defaulted, live) as JsonObject;
}

/** The default, when the live object shows the server sets this field (the live value itself when equal). */
function defaultIfServerSetsIt(live: JsonValue | undefined, value: JsonValue): JsonValue | undefined {
  if (live === undefined) return undefined;
  return jsonEqual(live, value) ? live : value;
}

function restoreDefaults(predicted: JsonValue, defaulted: JsonValue, live: JsonValue | undefined): JsonValue {
  if (Array.isArray(predicted) && Array.isArray(defaulted)) {
    let out: JsonValue[] | undefined;
    predicted.forEach((item, i) => {
      const next = restoreDefaults(item, defaulted[i] as JsonValue, Array.isArray(live) ? live[i] : undefined);
      if (next !== item) (out ??= [...predicted])[i] = next;
    });
    return out ?? predicted;
  }
  if (!isJsonObject(predicted) || !isJsonObject(defaulted)) return predicted;
  const liveObj = isJsonObject(live) ? live : undefined;
  let out: JsonObject | undefined;
  for (const [key, value] of Object.entries(defaulted)) {
    const had = predicted[key];
    const next = had === undefined ? defaultIfServerSetsIt(liveObj?.[key], value) : restoreDefaults(had, value, liveObj?.[key]);
    if (next !== undefined && next !== had) (out ??= { ...predicted })[key] = next;
  }
  return out ?? predicted;
}

/** `part` is `whole` minus some map fields (at any depth), none of which `original` has. */
function containedBesidesDefaults(part: JsonValue, whole: JsonValue, original: JsonValue | undefined): boolean {
  if (isJsonObject(part) && isJsonObject(whole)) {
    const orig = isJsonObject(original) ? original : undefined;
    for (const [k, v] of Object.entries(whole)) {
      if (Object.hasOwn(part, k)) {
        if (!containedBesidesDefaults(part[k] as JsonValue, v, orig?.[k])) return false;
      } else if (orig !== undefined && Object.hasOwn(orig, k)) {
        return false; // we set it before and dropped it now: a real removal
      }
    }
    return Object.keys(part).every((k) => Object.hasOwn(whole, k));
  }
  if (Array.isArray(part) && Array.isArray(whole)) {
    const orig = Array.isArray(original) ? original : undefined;
    return part.length === whole.length && part.every((p, i) => containedBesidesDefaults(p, whole[i] as JsonValue, orig?.[i]));
  }
  return jsonEqual(part, whole);
}

function keyedItem(list: JsonValue | undefined, key: string, value: JsonValue | undefined): JsonValue | undefined {
  return Array.isArray(list) ? list.find((i) => isJsonObject(i) && jsonEqual(i[key], value)) : undefined;
}

/**
 * The prediction with atomic lists the server would re-default to their live form put back
 * (see the file comment). `original` is the last-applied configuration, when there is one.
 * Returns `predicted` itself when nothing changes; never mutates.
 */
export function keepDefaultedLists(
  predicted: JsonObject,
  live: JsonObject,
  original: JsonObject | undefined,
  meta: PatchMeta | undefined,
): JsonObject {
  let out: JsonObject | undefined;
  for (const [key, value] of Object.entries(predicted)) {
    const before = live[key];
    if (before === undefined || before === value) continue;
    const field = meta?.field(key);
    const orig = original?.[key];
    let next: JsonValue = value;
    if (isJsonObject(value) && isJsonObject(before)) {
      next = keepDefaultedLists(value, before, isJsonObject(orig) ? orig : undefined, field);
    } else if (Array.isArray(value) && Array.isArray(before)) {
      const mergeKey = field?.listStrategy === 'merge' ? field.mergeKey : undefined;
      if (mergeKey !== undefined) {
        let changed = false;
        const items = value.map((item) => {
          if (!isJsonObject(item)) return item;
          const liveItem = keyedItem(before, mergeKey, item[mergeKey]);
          if (!isJsonObject(liveItem)) return item;
          const origItem = keyedItem(orig, mergeKey, item[mergeKey]);
          const kept = keepDefaultedLists(item, liveItem, isJsonObject(origItem) ? origItem : undefined, field);
          if (kept !== item) changed = true;
          return kept;
        });
        if (changed) next = items;
      } else if (field?.listStrategy !== 'merge' && value.some(isJsonObject) && containedBesidesDefaults(value, before, orig)) {
        next = before;
      }
    }
    if (next !== value) {
      out ??= { ...predicted };
      out[key] = next;
    }
  }
  return out ?? predicted;
}
