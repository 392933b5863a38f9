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
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import type { PatchMeta } from './patch-meta.ts';

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
