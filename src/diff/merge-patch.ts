/**
 * JSON merge patch (RFC 7386), as kube-apiserver applies it for
 * `application/merge-patch+json` (evanphx/json-patch MergePatch). Two details of that
 * implementation go beyond the RFC and are kept, since the server's answer is what counts:
 * - a value copied in where the target has nothing (or a non-object) loses the null
 *   members of objects inside its arrays too (RFC: arrays are taken verbatim);
 * - an explicit null in the target counts as absent.
 */
import { deepCopy, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/** Drops null object members at any depth, looking into arrays; null array items stay. */
function pruneNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(pruneNulls);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = pruneNulls(v);
  return out;
}

function mergeInto(target: JsonValue, patch: JsonValue): JsonValue {
  if (!isJsonObject(target)) return pruneNulls(patch);
  // an object replaced by a non-object: taken as sent, nulls and all
  if (!isJsonObject(patch)) return patch;
  return mergeObjects(target, patch);
}

function mergeObjects(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k];
      continue;
    }
    const current = out[k];
    out[k] = current === undefined || current === null ? pruneNulls(v) : mergeInto(current, v);
  }
  return out;
}

/**
 * Applies a JSON merge patch. `original` undefined means "no document yet". A non-object
 * patch replaces the document. Never mutates its inputs; the result shares nothing with them.
 */
export function applyMergePatch(original: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return deepCopy(pruneNulls(patch));
  if (original === undefined || !isJsonObject(original)) return deepCopy(pruneNulls(patch));
  return deepCopy(mergeObjects(original, patch));
}
