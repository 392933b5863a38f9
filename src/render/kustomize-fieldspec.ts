/**
 * Kustomize's fieldSpecs as users write them in transformer configurations and transformer
 * files (`{group, version, kind, path: spec/a/b, create}`), and the walk kustomize's
 * fieldspec filter makes over an object to reach the field a spec names.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

export interface GvkFieldSpec {
  readonly group?: string;
  readonly version?: string;
  readonly kind?: string;
  /** Path segments; a `[]` suffix only says the field is a sequence (sequences are walked either way). */
  readonly path: readonly string[];
  readonly create: boolean;
}

/** Thrown for a malformed spec; the caller names the file. */
export class FieldSpecError extends Error {}

/** group and version of an apiVersion (`apps/v1` → apps, v1; `v1` → '', v1). */
export function groupVersion(apiVersion: JsonValue | undefined): { group: string; version: string } {
  if (typeof apiVersion !== 'string') return { group: '', version: '' };
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Whether a spec's group/version/kind (each empty = any) selects the object. */
export function selects(spec: { readonly group?: string; readonly version?: string; readonly kind?: string }, object: JsonObject): boolean {
  const { group, version } = groupVersion(object['apiVersion']);
  if (spec.kind !== undefined && spec.kind !== '' && spec.kind !== object['kind']) return false;
  if (spec.group !== undefined && spec.group !== '' && spec.group !== group) return false;
  return spec.version === undefined || spec.version === '' || spec.version === version;
}

/** One fieldSpec entry of a configuration or transformer file, checked. */
export function parseFieldSpec(value: JsonValue | undefined, at: string): GvkFieldSpec {
  if (!isJsonObject(value)) throw new FieldSpecError(`${at} must be a mapping`);
  const text = (key: string): string | undefined => {
    const v = value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new FieldSpecError(`${at}.${key} must be a string`);
    return v;
  };
  const path = text('path');
  if (path === undefined || path === '') throw new FieldSpecError(`${at}.path is required`);
  const create = value['create'];
  if (create !== undefined && create !== null && typeof create !== 'boolean') throw new FieldSpecError(`${at}.create must be true or false`);
  const group = text('group');
  const version = text('version');
  const kind = text('kind');
  return {
    ...(group !== undefined ? { group } : {}), ...(version !== undefined ? { version } : {}), ...(kind !== undefined ? { kind } : {}),
    path: splitPath(path), create: create === true,
  };
}

export function parseFieldSpecs(value: JsonValue | undefined, at: string): GvkFieldSpec[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FieldSpecError(`${at} must be a list`);
  return value.map((v, i) => parseFieldSpec(v, `${at}[${i}]`));
}

/** `a/b\/c/d` → [a, 'b/c', d]: kustomize lets `\/` stand for a slash inside a key. */
function splitPath(path: string): string[] {
  return path.split(/(?<!\\)\//).map((s) => s.replace(/\\\//g, '/'));
}

export function sameSpec(a: GvkFieldSpec, b: GvkFieldSpec): boolean {
  return (a.group ?? '') === (b.group ?? '') && (a.version ?? '') === (b.version ?? '') && (a.kind ?? '') === (b.kind ?? '') && a.path.join('/') === b.path.join('/');
}

/** `specs` with `more` appended, skipping specs already present (kustomize's FsSlice.MergeAll). */
export function mergeSpecs(specs: readonly GvkFieldSpec[], more: readonly GvkFieldSpec[]): GvkFieldSpec[] {
  const out = [...specs];
  for (const spec of more) if (!out.some((s) => sameSpec(s, spec))) out.push(spec);
  return out;
}

/**
 * Calls `visit(holder, key)` for every field the spec reaches in `object` (a sequence met on
 * the way is walked element by element). A missing last field is created with `create()`
 * when the spec says create and a value is given; missing mappings on the way are created
 * when the spec says create; otherwise a missing field ends the walk. Mutates `object` only
 * by those creations (and whatever `visit` does).
 */
export function visitFieldSpec(object: JsonObject, spec: GvkFieldSpec, visit: (holder: JsonObject, key: string) => void, create?: () => JsonValue): void {
  if (!selects(spec, object)) return;
  const walk = (node: JsonValue | undefined, i: number): void => {
    if (Array.isArray(node)) {
      for (const element of node) walk(element, i);
      return;
    }
    // kustomize fails the build on a scalar met on the way ("expected sequence or mapping node"); this walk skips it (a known difference)
    if (!isJsonObject(node)) return;
    const segment = spec.path[i] ?? '';
    const isSeq = segment.endsWith('[]');
    const key = isSeq ? segment.slice(0, -2) : segment;
    const last = i === spec.path.length - 1;
    if (last) {
      const missing = node[key] === undefined || node[key] === null;
      if (missing && spec.create && !isSeq && create !== undefined) node[key] = create();
      if (node[key] !== undefined) visit(node, key);
      return;
    }
    if ((node[key] === undefined || node[key] === null) && spec.create && !isSeq) node[key] = {};
    walk(node[key], i + 1);
  };
  walk(object, 0);
}
