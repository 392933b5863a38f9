import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import type { PatchMeta } from '../diff/patch-meta.ts';

/**
 * Field ownership (metadata.managedFields) and server-side apply.
 *
 * A field set is kept as a set of paths, each path a list of fieldsV1 elements joined by
 * NUL: `f:<field>` for map keys, `k:<json>` for items of keyed lists (merge key), `v:<json>`
 * for items of set-like lists, and a final `.` meaning "the list item itself".
 * Conflicts follow server-side apply: a field another manager owns, applied with a
 * different value, conflicts unless forced.
 */
export type FieldPath = string;
export type FieldSet = ReadonlySet<FieldPath>;

const SEP = '\u0000';

// a type alias (not an interface) so entries are plain JSON objects to the type checker
export type ManagedFieldsEntry = {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
};

export interface FieldConflict {
  readonly manager: string;
  readonly apiVersion: string;
  /** the field as apply-conflict messages print it, e.g. `.spec.replicas` */
  readonly field: string;
}

/** Fields that belong to the server, never to a manager. */
const SERVER_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName',
]);

/** How a write is scoped: the main resource owns all but status when the kind has a status subresource. */
export type FieldScope = 'all' | 'main' | 'status';

/**
 * The fields an object sets (leaves, keyed list items, set items), as seen by field
 * management, each with its value (for a `.` path: the whole list item).
 */
export function fieldSetOf(obj: JsonObject, meta: PatchMeta | undefined, scope: FieldScope): Map<FieldPath, JsonValue> {
  const out = new Map<FieldPath, JsonValue>();
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (scope === 'main' && key === 'status') continue;
    if (scope === 'status' && key !== 'status') continue;
    if (key === 'metadata' && isJsonObject(value)) {
      for (const [mk, mv] of Object.entries(value)) {
        if (!SERVER_METADATA.has(mk)) collect(mv, meta?.field('metadata').field(mk), [`f:metadata`, `f:${mk}`], out);
      }
      continue;
    }
    collect(value, meta?.field(key), [`f:${key}`], out);
  }
  return out;
}

function collect(value: JsonValue, meta: PatchMeta | undefined, path: string[], out: Map<FieldPath, JsonValue>): void {
  if (value === null) return;
  if (isJsonObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(path.join(SEP), value);
    for (const [k, v] of entries) collect(v, meta?.field(k), [...path, `f:${k}`], out);
    return;
  }
  if (Array.isArray(value) && meta?.listStrategy === 'merge') {
    for (const item of value) {
      if (isJsonObject(item) && meta.mergeKey !== undefined) {
        const elementPath = [...path, `k:${JSON.stringify({ [meta.mergeKey]: item[meta.mergeKey] ?? null })}`];
        out.set([...elementPath, '.'].join(SEP), item);
        for (const [k, v] of Object.entries(item)) collect(v, meta.field(k), [...elementPath, `f:${k}`], out);
      } else if (!isJsonObject(item)) {
        out.set([...path, `v:${JSON.stringify(item)}`].join(SEP), item);
      }
    }
    return;
  }
  out.set(path.join(SEP), value);
}

/** The value at a field path, or undefined when absent. For a `.` path: the list item. */
export function valueAt(obj: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let current: JsonValue | undefined = obj;
  for (const element of path.split(SEP)) {
    if (current === undefined) return undefined;
    if (element === '.') return current;
    const kind = element.slice(0, 2);
    const rest = element.slice(2);
    if (kind === 'f:') {
      current = isJsonObject(current) ? current[rest] : undefined;
    } else if (kind === 'k:') {
      const key = JSON.parse(rest) as JsonObject;
      current = Array.isArray(current)
        ? current.find((item) => isJsonObject(item) && Object.entries(key).every(([k, v]) => jsonEqual(item[k] ?? null, v)))
        : undefined;
    } else if (kind === 'v:') {
      const wanted = JSON.parse(rest) as JsonValue;
      current = Array.isArray(current) ? current.find((item) => jsonEqual(item, wanted)) : undefined;
    } else {
      return undefined;
    }
  }
  return current;
}

/** Removes the field at path from obj (in place). Removing a `.` or `v:` path removes the list item. */
function removeAt(obj: JsonObject, path: FieldPath): void {
  const elements = path.split(SEP);
  if (elements[elements.length - 1] === '.') elements.pop();
  const last = elements.pop();
  if (last === undefined) return;
  const parent = valueAt(obj, elements.join(SEP));
  if (last.startsWith('f:')) {
    if (isJsonObject(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  const item = valueAt(parent, last);
  const index = parent.indexOf(item as JsonValue);
  if (index >= 0) parent.splice(index, 1);
}

/** fieldsV1 JSON (as stored in managedFields) from a field set. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const path of set) {
    let node = root;
    for (const element of path.split(SEP)) {
      const next = node[element];
      if (isJsonObject(next)) node = next;
      else {
        const created: JsonObject = {};
        node[element] = created;
        node = created;
      }
    }
  }
  return root;
}

/** A field set from fieldsV1 JSON. */
export function fromFieldsV1(fields: JsonValue | undefined): Set<FieldPath> {
  const out = new Set<FieldPath>();
  const walk = (node: JsonObject, prefix: string[]) => {
    const entries = Object.entries(node);
    for (const [element, child] of entries) {
      if (element === '.') {
        out.add([...prefix, '.'].join(SEP));
        continue;
      }
      const path = [...prefix, element];
      if (isJsonObject(child) && Object.keys(child).length > 0) walk(child, path);
      else out.add(path.join(SEP));
    }
  };
  if (isJsonObject(fields)) walk(fields, []);
  return out;
}

/** `.spec.template.spec.containers[name="app"].image`, as Kubernetes prints field paths in conflicts. */
export function describePath(path: FieldPath): string {
  return path
    .split(SEP)
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`;
      if (e.startsWith('k:')) {
        const key = JSON.parse(e.slice(2)) as JsonObject;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      if (e.startsWith('v:')) return `[=${e.slice(2)}]`;
      return '';
    })
    .join('');
}

function readEntries(obj: JsonObject): ManagedFieldsEntry[] {
  const meta = obj.metadata;
  if (!isJsonObject(meta) || !Array.isArray(meta.managedFields)) return [];
  return meta.managedFields.filter(isJsonObject) as unknown as ManagedFieldsEntry[];
}

interface TrackedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  fields: Set<FieldPath>;
  /** the stored fieldsV1, reused as long as the entry's fields do not change */
  fieldsV1?: JsonObject;
  changed: boolean;
}

/** Parsed fieldsV1 of stored entries: stored objects never change, so each is parsed once. */
const parsedFields = new WeakMap<JsonObject, ReadonlySet<FieldPath>>();

function parseStored(fieldsV1: JsonObject): Set<FieldPath> {
  let parsed = parsedFields.get(fieldsV1);
  if (!parsed) {
    parsed = fromFieldsV1(fieldsV1);
    parsedFields.set(fieldsV1, parsed);
  }
  return new Set(parsed);
}

function track(entries: readonly ManagedFieldsEntry[]): TrackedEntry[] {
  return entries.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    time: e.time,
    ...(e.subresource ? { subresource: e.subresource } : {}),
    fields: isJsonObject(e.fieldsV1) ? parseStored(e.fieldsV1) : new Set<FieldPath>(),
    ...(isJsonObject(e.fieldsV1) ? { fieldsV1: e.fieldsV1 } : {}),
    changed: false,
  }));
}

function untrack(entries: readonly TrackedEntry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.fields.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      time: e.time,
      fieldsType: 'FieldsV1' as const,
      fieldsV1: !e.changed && e.fieldsV1 ? e.fieldsV1 : toFieldsV1(e.fields),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
}

function entryFor(entries: TrackedEntry[], manager: string, operation: 'Apply' | 'Update', subresource: string | undefined, apiVersion: string, time: string): TrackedEntry {
  let entry = entries.find((e) => e.manager === manager && e.operation === operation && e.subresource === subresource);
  if (!entry) {
    entry = { manager, operation, apiVersion, time, ...(subresource ? { subresource } : {}), fields: new Set(), changed: true };
    entries.push(entry);
  }
  entry.apiVersion = apiVersion;
  entry.time = time;
  return entry;
}

export interface WriteContext {
  readonly manager: string;
  readonly apiVersion: string;
  /** RFC 3339 time of the write, from the server's clock */
  readonly time: string;
  readonly meta: PatchMeta | undefined;
  readonly scope: FieldScope;
  readonly subresource?: string;
}

/**
 * managedFields after a create/update/patch (operation Update): the writer takes ownership
 * of every field it added or changed; fields that disappeared leave every owner.
 */
export function managedFieldsAfterUpdate(oldObj: JsonObject | undefined, newObj: JsonObject, ctx: WriteContext): ManagedFieldsEntry[] {
  const entries = track(oldObj ? readEntries(oldObj) : []);
  const newFields = fieldSetOf(newObj, ctx.meta, ctx.scope);
  const oldFields = oldObj ? fieldSetOf(oldObj, ctx.meta, ctx.scope) : new Map<FieldPath, JsonValue>();
  const changed = new Set<FieldPath>();
  for (const [path, value] of newFields) {
    if (!oldFields.has(path) || !jsonEqual(oldFields.get(path), value)) changed.add(path);
  }
  for (const e of entries) {
    for (const path of e.fields) {
      if (changed.has(path) || (!newFields.has(path) && oldFields.has(path))) {
        e.fields.delete(path);
        e.changed = true;
      }
    }
  }
  if (changed.size > 0) {
    const mine = entryFor(entries, ctx.manager, 'Update', ctx.subresource, ctx.apiVersion, ctx.time);
    for (const path of changed) mine.fields.add(path);
    mine.changed = true;
  }
  return untrack(entries);
}

export type ApplyResult =
  | { readonly ok: true; readonly object: JsonObject; readonly managedFields: ManagedFieldsEntry[] }
  | { readonly ok: false; readonly conflicts: readonly FieldConflict[] };

export interface ApplyRequest extends WriteContext {
  /** the live object, or undefined when apply creates it */
  readonly live: JsonObject | undefined;
  readonly config: JsonObject;
  readonly force: boolean;
  /** merges the applied configuration into the live object (strategic merge for built-ins, JSON merge otherwise) */
  readonly merge: (live: JsonObject, config: JsonObject) => JsonObject;
}

/** Server-side apply: merge the applier's configuration, detect conflicts, drop fields it stopped applying. */
export function serverSideApply(req: ApplyRequest): ApplyResult {
  const entries = track(req.live ? readEntries(req.live) : []);
  const applied = fieldSetOf(req.config, req.meta, req.scope);
  const conflicts: FieldConflict[] = [];
  for (const e of entries) {
    if (e.manager === req.manager && e.operation === 'Apply') continue;
    for (const [path, value] of applied) {
      if (!e.fields.has(path) || path.endsWith('.')) continue;
      if (jsonEqual(valueAt(req.live, path), value)) continue;
      if (req.force) {
        e.fields.delete(path);
        e.changed = true;
      } else {
        conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, field: describePath(path) });
      }
    }
  }
  if (conflicts.length > 0) return { ok: false, conflicts };

  const mine = entryFor(entries, req.manager, 'Apply', req.subresource, req.apiVersion, req.time);
  const previouslyApplied = mine.fields;
  const merged = req.merge(req.live ?? {}, req.config);
  const ownedByOthers = (path: FieldPath) => entries.some((e) => e !== mine && e.fields.has(path));
  const dropped = [...previouslyApplied].filter((p) => !applied.has(p) && !ownedByOthers(p));
  // deepest first, so removing a list item never shifts a path still to be removed
  dropped.sort((a, b) => b.length - a.length);
  for (const path of dropped) removeAt(merged, path);
  mine.fields = new Set(applied.keys());
  mine.changed = true;
  return { ok: true, object: merged, managedFields: untrack(entries) };
}
