/**
 * JSON as Go's encoding/json writes a map[string]interface{}: what kubectl stores in the
 * last-applied annotation, and what kustomize hashes to name generated ConfigMaps/Secrets.
 */
import type { JsonObject, JsonValue } from '../json.ts';

const GO_HTML_ESCAPES: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

const HTML_CHARS = /[<>&\u2028\u2029]/g;
const escapeHtml = (text: string): string => text.replace(HTML_CHARS, (c) => GO_HTML_ESCAPES[c] ?? c);
/** Keys JS objects enumerate before all others (array indices), which would break sorted order. */
const INDEX_KEY = /^(?:0|[1-9]\d{0,8})$/;
const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** INDEX_KEY, without running the regular expression on every key that starts with a letter. */
const isIndexKey = (key: string): boolean => {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && INDEX_KEY.test(key);
};

/**
 * `value` with every object's keys in sorted order; undefined if an index-like key or an own
 * "__proto__" prevents that. Objects whose keys already are in order, and lists, are returned as they are when
 * nothing inside them needed a copy: most of a manifest is, and copying it costs more than
 * serializing it.
 */
function sortedCopy(value: JsonValue): JsonValue | undefined {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as JsonValue;
      const sorted = sortedCopy(item);
      if (sorted === undefined) return undefined;
      if (sorted !== item) (out ??= value.slice())[i] = sorted;
    }
    return out ?? value;
  }
  const keys = Object.keys(value);
  let inOrder = true;
  let copied = false;
  const items: JsonValue[] = new Array<JsonValue>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // an index-like key would enumerate first; an own "__proto__" cannot be set on a copy by assignment
    if (isIndexKey(k) || k === '__proto__') return undefined;
    if (i > 0 && byBytes(keys[i - 1]!, k) > 0) inOrder = false;
    const item = value[k] as JsonValue;
    const sorted = sortedCopy(item);
    if (sorted === undefined) return undefined;
    if (sorted !== item) copied = true;
    items[i] = sorted;
  }
  if (inOrder && !copied) return value;
  const order = keys.map((_, i) => i);
  if (!inOrder) order.sort((a, b) => byBytes(keys[a]!, keys[b]!));
  const out: JsonObject = {};
  for (const i of order) out[keys[i]!] = items[i]!;
  return out;
}

function goJsonSlow(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return typeof value === 'string' ? escapeHtml(text) : text;
  }
  if (Array.isArray(value)) return `[${value.map(goJsonSlow).join(',')}]`;
  const keys = Object.keys(value).sort(byBytes);
  return `{${keys.map((k) => `${goJsonSlow(k)}:${goJsonSlow(value[k] as JsonValue)}`).join(',')}}`;
}

/**
 * JSON as Go's encoding/json writes a map[string]interface{}: keys sorted bytewise, `<>&`
 * and U+2028/9 escaped. Fast path: one native JSON.stringify of a key-sorted copy (those
 * characters only ever occur inside strings, so escaping the whole text is safe).
 */
export function goJson(value: JsonValue): string {
  const sorted = sortedCopy(value);
  if (sorted === undefined) return goJsonSlow(value);
  return escapeHtml(JSON.stringify(sorted));
}
