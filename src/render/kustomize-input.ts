/**
 * Reading a kustomization: the error it throws (caught once, in renderKustomization), file
 * text, kustomization-relative paths, and typed field readers that fail with
 * INVALID_KUSTOMIZATION naming the file and field.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { FileContents } from './directory.ts';
import type { ImageRule, ReplicaRule } from './kustomize-transforms.ts';
import { decodeText } from './text.ts';
import type { RenderError } from './types.ts';

export class KustomizeError extends Error {
  /** `at`: the field of the kustomization file it is about (`resources[2]`, `labels[0].pairs`), for the error's line. */
  constructor(
    readonly error: RenderError,
    readonly at?: string,
  ) {
    super(error.message);
  }
}

export function fail(file: string, code: RenderError['code'], message: string, at?: string): never {
  throw new KustomizeError({ file, code, message }, at);
}

/**
 * Runs `step` for the field `at` of `file`: an error it raises about that file and no
 * narrower field is said to be about `at` (errors of other files, e.g. a base's, keep theirs).
 */
export function within<T>(file: string, at: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof KustomizeError && err.at === undefined && err.error.file === file) throw new KustomizeError(err.error, at);
    throw err;
  }
}

/** `labels[0].pairs` → ['labels', 0, 'pairs']. */
export function fieldPath(at: string): (string | number)[] {
  return at.split(/\.|(?=\[)/).filter((s) => s !== '').map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s));
}

export function readText(files: ReadonlyMap<string, FileContents>, path: string): string {
  const contents = files.get(path);
  if (contents === undefined) fail(path, 'PATH_NOT_FOUND', `${path} does not exist`);
  const text = decodeText(path, contents);
  if (!text.ok) throw new KustomizeError(text.error);
  return text.value;
}

/** Joins a kustomization-relative reference onto `dir`; undefined when it leaves the repository root. */
export function resolve(dir: string, ref: string): string | undefined {
  if (ref.startsWith('/')) return undefined;
  const out = dir === '' ? [] : dir.split('/');
  for (const segment of ref.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(segment);
  }
  return out.join('/');
}

/**
 * Whether kustomize would fetch `ref` instead of reading it from the repository: a URL (its
 * file loader GETs http(s) URLs) or anything its git repo-spec parser takes for a repository
 * to clone (`git::`, `gh:`, `git@…`, `user@host:…`, `github.com/…`, a path containing `_git/`).
 * Where unsure, remote: a false positive is an error message, a false negative a fetch.
 */
export function isRemoteRef(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref)
    || /^(git::|gh:|git@|github\.com[:/])/i.test(ref)
    || /^[\w.-]+@[\w.-]+:/.test(ref)
    || ref.includes('_git/');
}

export function optionalString(k: JsonObject, field: string, file: string): string | undefined {
  const value = k[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a string`, field);
  return value;
}

export function stringList(k: JsonObject, field: string, file: string): string[] {
  const value = k[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a list of strings`, field);
  return value;
}

export function objectList(k: JsonObject, field: string, file: string): JsonObject[] {
  const value = k[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isJsonObject)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a list of mappings`, field);
  return value as JsonObject[];
}

/** A label/annotation map; numbers and booleans are kept as kustomize writes them (strings). */
export function stringMap(value: JsonValue | undefined, file: string, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a mapping`, field);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field}.${key} must be a scalar`, `${field}.${key}`);
    out[key] = String(v);
  }
  return out;
}

export function replicaRule(entry: JsonObject, file: string, i: number): ReplicaRule {
  const { name, count } = entry;
  if (typeof name !== 'string' || typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    fail(file, 'INVALID_KUSTOMIZATION', `${file}: replicas[${i}] needs a name and a non-negative integer count`, `replicas[${i}]`);
  }
  return { name, count };
}

export function imageRule(entry: JsonObject, file: string, i: number): ImageRule {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!['name', 'newName', 'newTag', 'digest', 'tagSuffix'].includes(key)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field "images[${i}].${key}" is not supported`, `images[${i}].${key}`);
    if (typeof value !== 'string' && typeof value !== 'number') fail(file, 'INVALID_KUSTOMIZATION', `${file}: images[${i}].${key} must be a string`, `images[${i}].${key}`);
    out[key] = String(value);
  }
  const name = out['name'];
  if (name === undefined) return fail(file, 'INVALID_KUSTOMIZATION', `${file}: images[${i}] needs a name`, `images[${i}]`);
  return { ...out, name };
}
