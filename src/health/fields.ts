import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/** Tolerant readers over live objects: a missing or mistyped field reads as absent, never throws. */

export function objectAt(obj: JsonObject | undefined, ...path: string[]): JsonObject | undefined {
  let cur: JsonValue | undefined = obj;
  for (const key of path) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[key];
  }
  return isJsonObject(cur) ? cur : undefined;
}

function valueAt(obj: JsonObject, path: readonly string[]): JsonValue | undefined {
  const last = path[path.length - 1];
  if (last === undefined) return undefined;
  return objectAt(obj, ...path.slice(0, -1))?.[last];
}

export function numberAt(obj: JsonObject, ...path: string[]): number | undefined {
  const v = valueAt(obj, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function stringAt(obj: JsonObject, ...path: string[]): string | undefined {
  const v = valueAt(obj, path);
  return typeof v === 'string' ? v : undefined;
}

export function booleanAt(obj: JsonObject, ...path: string[]): boolean {
  return valueAt(obj, path) === true;
}

export function arrayAt(obj: JsonObject, ...path: string[]): readonly JsonValue[] {
  const v = valueAt(obj, path);
  return Array.isArray(v) ? v : [];
}

export function objectsAt(obj: JsonObject, ...path: string[]): readonly JsonObject[] {
  return arrayAt(obj, ...path).filter(isJsonObject);
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

export function toCondition(c: JsonObject): Condition {
  const s = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : '');
  return { type: s('type'), status: s('status'), reason: s('reason'), message: s('message') };
}

export function conditionsOf(obj: JsonObject): readonly Condition[] {
  return objectsAt(obj, 'status', 'conditions').map(toCondition);
}

export function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

/** status.observedGeneration is behind metadata.generation: the controller has not seen the latest spec. */
export function generationPending(obj: JsonObject): boolean {
  const generation = numberAt(obj, 'metadata', 'generation');
  const observed = numberAt(obj, 'status', 'observedGeneration');
  if (generation === undefined) return false;
  return observed === undefined || observed < generation;
}

/** "reason: message", or whichever of the two is present. */
export function describe(c: { readonly reason: string; readonly message: string }): string {
  return [c.reason, c.message].filter((s) => s !== '').join(': ');
}

export function isJsonObjectArray(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every(isJsonObject);
}
