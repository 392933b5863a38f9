/**
 * Native kustomize, first slice: `renderKustomization(files, {path})` builds the
 * kustomization in `path` the way `kubectl kustomize` (v5) does, for the fields listed in
 * SUPPORTED_FIELDS; any other field fails the render with UNSUPPORTED_KUSTOMIZE_FIELD rather
 * than being ignored. Pure and all-or-nothing, like renderDirectory. Loads are restricted to
 * the repository root (kustomize's LoadRestrictionsRootOnly, with the repo as the root).
 *
 * Steps per level: resources (files, or directories with their own kustomization, built
 * recursively) → patches → namespace → namePrefix/nameSuffix → commonLabels → labels →
 * commonAnnotations → replicas → images → name references; output in kustomize's legacy order.
 */
import { deepCopy, isJsonObject, type JsonObject, type JsonValue } from '../diff/json.ts';
import { contentHash } from './canonical.ts';
import type { FileContents } from './directory.ts';
import { duplicateErrors, identityErrors } from './identity.ts';
import { legacyOrder } from './kustomize-order.ts';
import { generate, nameHash, parseGeneratorOptions, type GeneratorContext } from './kustomize-generators.ts';
import { applyPatch } from './kustomize-patches.ts';
import {
  addAnnotations, addLabels, addNameAffixes, fixNameReferences, nameOf, namespaceOf, setImages, setNamespace, setReplicas,
  type ImageRule, type ReplicaRule, type Tracked,
} from './kustomize-transforms.ts';
import { parseManifestFile } from './parse.ts';
import { checkRenderPath, isUnder } from './paths.ts';
import type { RenderError, RenderResult, RenderedObject } from './types.ts';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

export const SUPPORTED_FIELDS: ReadonlySet<string> = new Set([
  'apiVersion', 'kind', 'resources', 'namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'labels',
  'commonAnnotations', 'images', 'replicas', 'patches', 'configMapGenerator', 'secretGenerator', 'generatorOptions',
]);

export interface RenderKustomizationOptions {
  /** Repo-relative POSIX directory holding the kustomization; '' or '.' is the repo root. */
  readonly path: string;
}

interface Item extends Tracked {
  readonly source: RenderedObject['source'];
  /** Generated with a content-hash name suffix still to add (at the very end, as kustomize does). */
  readonly needsHash?: boolean;
}

class KustomizeError extends Error {
  constructor(readonly error: RenderError) {
    super(error.message);
  }
}

function fail(file: string, code: RenderError['code'], message: string): never {
  throw new KustomizeError({ file, code, message });
}

export function renderKustomization(files: ReadonlyMap<string, FileContents>, options: RenderKustomizationOptions): RenderResult {
  const root = checkRenderPath(options.path);
  if (!root.ok) return { ok: false, errors: [root.error] };
  let items: Item[];
  try {
    items = addHashSuffixes(buildLevel(files, root.path, []));
  } catch (err) {
    if (err instanceof KustomizeError) return { ok: false, errors: [err.error] };
    throw err;
  }
  const errors: RenderError[] = [];
  const located = items.map((i) => ({ object: i.object, file: i.source.file, line: i.source.line }));
  for (const item of located) errors.push(...identityErrors(item));
  if (errors.length === 0) errors.push(...duplicateErrors(located));
  if (errors.length > 0) return { ok: false, errors };
  const objects = legacyOrder(items).map((i) => ({ object: i.object, source: i.source, contentHash: contentHash(i.object) }));
  return { ok: true, objects };
}

/** The kustomization file of `dir`, or undefined; more than one is an error, as in kustomize. */
function kustomizationFile(files: ReadonlyMap<string, FileContents>, dir: string): string | undefined {
  const found = KUSTOMIZATION_FILES.map((name) => (dir === '' ? name : `${dir}/${name}`)).filter((p) => files.has(p));
  if (found.length > 1) fail(found[1] ?? dir, 'INVALID_KUSTOMIZATION', `${dir || '.'} has more than one kustomization file: ${found.join(', ')}`);
  return found[0];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function readText(files: ReadonlyMap<string, FileContents>, path: string): string {
  const contents = files.get(path);
  if (contents === undefined) fail(path, 'PATH_NOT_FOUND', `${path} does not exist`);
  if (typeof contents === 'string') return contents.replace(/^\uFEFF/, '');
  try {
    return UTF8.decode(contents).replace(/^\uFEFF/, '');
  } catch {
    return fail(path, 'INVALID_ENCODING', `${path} is not valid UTF-8`);
  }
}

function loadKustomization(files: ReadonlyMap<string, FileContents>, file: string): JsonObject {
  const parsed = parseManifestFile(file, readText(files, file));
  const first = parsed.errors[0];
  if (first !== undefined) throw new KustomizeError(first);
  const doc = parsed.candidates[0];
  if (doc === undefined || parsed.candidates.length > 1) fail(file, 'INVALID_KUSTOMIZATION', `${file} must hold exactly one mapping`);
  for (const field of Object.keys(doc.object)) {
    if (!SUPPORTED_FIELDS.has(field)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field ${JSON.stringify(field)} is not supported by Sluice's native kustomize`);
  }
  return doc.object;
}

/** Joins a kustomization-relative reference onto `dir`; undefined when it leaves the repository root. */
function resolve(dir: string, ref: string): string | undefined {
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
 * kustomize's root-only load restrictor: a file (resource, patch, generator input) must be
 * in or below the kustomization's directory; only directories (bases) may be elsewhere in the repo.
 */
function requireInOrBelow(dir: string, path: string, file: string, what: string): void {
  if (!isUnder(path, dir, true)) fail(file, 'PATH_ESCAPE', `${file}: ${what} is not in or below ${JSON.stringify(dir || '.')} (kustomize's root-only load restrictor)`);
}

function buildLevel(files: ReadonlyMap<string, FileContents>, dir: string, stack: readonly string[]): Item[] {
  if (stack.includes(dir)) fail(dir, 'KUSTOMIZE_CYCLE', `kustomization cycle: ${[...stack, dir].map((d) => d || '.').join(' -> ')}`);
  const file = kustomizationFile(files, dir);
  if (file === undefined) fail(dir, 'PATH_NOT_FOUND', `no kustomization.yaml, kustomization.yml or Kustomization in ${JSON.stringify(dir || '.')}`);
  const k = loadKustomization(files, file);
  const items: Item[] = [];
  for (const ref of stringList(k, 'resources', file)) items.push(...loadResource(files, dir, ref, file, [...stack, dir]));
  items.push(...generateAll(files, dir, file, k));
  for (const [i, entry] of objectList(k, 'patches', file).entries()) applyPatchEntry(files, dir, file, items, entry, i);
  const namespace = optionalString(k, 'namespace', file);
  if (namespace !== undefined && namespace !== '') setNamespace(items, namespace);
  const prefix = optionalString(k, 'namePrefix', file) ?? '';
  const suffix = optionalString(k, 'nameSuffix', file) ?? '';
  if (prefix !== '' || suffix !== '') addNameAffixes(items, prefix, suffix);
  const common = stringMap(k['commonLabels'], file, 'commonLabels');
  if (common !== undefined) addLabels(items, common, { selectors: true, templates: true });
  for (const [i, entry] of objectList(k, 'labels', file).entries()) {
    const at = `labels[${i}]`;
    for (const key of Object.keys(entry)) {
      if (!['pairs', 'includeSelectors', 'includeTemplates'].includes(key)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field "${at}.${key}" is not supported`);
    }
    const pairs = stringMap(entry['pairs'], file, `${at}.pairs`) ?? {};
    addLabels(items, pairs, { selectors: entry['includeSelectors'] === true, templates: entry['includeTemplates'] === true });
  }
  const annotations = stringMap(k['commonAnnotations'], file, 'commonAnnotations');
  if (annotations !== undefined) addAnnotations(items, annotations);
  const replicas = objectList(k, 'replicas', file).map((r, i) => replicaRule(r, file, i));
  if (replicas.length > 0) setReplicas(items, replicas);
  const images = objectList(k, 'images', file).map((r, i) => imageRule(r, file, i));
  if (images.length > 0) setImages(items, images);
  fixNameReferences(items);
  // The next level up tracks references from the names this level produced.
  return items.map((i) => retrack(i));
}

function retrack(i: Item): Item {
  return { object: i.object, source: i.source, originalName: nameOf(i.object), originalNamespace: namespaceOf(i.object), ...(i.needsHash ? { needsHash: true } : {}) };
}

function generateAll(files: ReadonlyMap<string, FileContents>, dir: string, file: string, k: JsonObject): Item[] {
  const ctx: GeneratorContext = {
    file,
    read: (ref) => {
      const path = resolve(dir, ref);
      if (path === undefined) return fail(file, 'PATH_ESCAPE', `${file}: generator file ${JSON.stringify(ref)} is outside the repository root`);
      requireInOrBelow(dir, path, file, `generator file ${JSON.stringify(ref)}`);
      const contents = files.get(path);
      if (contents === undefined) return fail(file, 'PATH_NOT_FOUND', `${file}: generator file ${JSON.stringify(ref)} (${path}) does not exist`);
      return typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    },
    fail: (message, unsupported) => fail(file, unsupported === true ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'INVALID_KUSTOMIZATION', `${file}: ${message}`),
  };
  const global = parseGeneratorOptions(k['generatorOptions'], 'generatorOptions', ctx);
  const out: Item[] = [];
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    const field = kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
    for (const [i, entry] of objectList(k, field, file).entries()) {
      const made = generate(kind, entry, `${field}[${i}]`, global, ctx);
      out.push({
        object: made.object,
        source: { file, line: 1, documentIndex: 0 },
        originalName: nameOf(made.object),
        originalNamespace: namespaceOf(made.object),
        ...(made.hash ? { needsHash: true } : {}),
      });
    }
  }
  return out;
}

/** The last step of a build: generated names get their content hash, and references follow. */
function addHashSuffixes(items: Item[]): Item[] {
  const tracked = items.map((i) => retrack(i));
  for (const item of tracked) {
    if (item.needsHash) metadataOfObject(item.object)['name'] = `${nameOf(item.object)}-${nameHash(item.object)}`;
  }
  fixNameReferences(tracked);
  return tracked;
}

function metadataOfObject(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  return isJsonObject(metadata) ? metadata : fail('', 'MISSING_FIELD', 'generated object without metadata');
}

function loadResource(files: ReadonlyMap<string, FileContents>, dir: string, ref: string, file: string, stack: readonly string[]): Item[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || ref.startsWith('github.com/') || ref.startsWith('git@')) {
    fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: remote resource ${JSON.stringify(ref)} is not supported (resources must be inside the repository)`);
  }
  const path = resolve(dir, ref);
  if (path === undefined) fail(file, 'PATH_ESCAPE', `${file}: resource ${JSON.stringify(ref)} is outside the repository root`);
  if (files.has(path)) {
    requireInOrBelow(dir, path, file, `resource ${JSON.stringify(ref)}`);
    const parsed = parseManifestFile(path, readText(files, path));
    const first = parsed.errors[0];
    if (first !== undefined) throw new KustomizeError(first);
    return parsed.candidates.map((c) => ({
      object: deepCopy(c.object),
      source: { file: path, line: c.line, documentIndex: c.documentIndex },
      originalName: nameOf(c.object),
      originalNamespace: namespaceOf(c.object),
    }));
  }
  if (path === '' || [...files.keys()].some((key) => isUnder(key, path, true))) return buildLevel(files, path, stack);
  return fail(file, 'PATH_NOT_FOUND', `${file}: resource ${JSON.stringify(ref)} (${path}) does not exist`);
}

function applyPatchEntry(files: ReadonlyMap<string, FileContents>, dir: string, file: string, items: Item[], entry: JsonObject, i: number): void {
  for (const key of Object.keys(entry)) {
    if (!['patch', 'path', 'target'].includes(key)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field "patches[${i}].${key}" is not supported`);
  }
  const inline = entry['patch'];
  const ref = entry['path'];
  let text: string;
  if (typeof inline === 'string' && ref === undefined) text = inline;
  else if (typeof ref === 'string' && inline === undefined) {
    const path = resolve(dir, ref);
    if (path === undefined) fail(file, 'PATH_ESCAPE', `${file}: patch path ${JSON.stringify(ref)} is outside the repository root`);
    requireInOrBelow(dir, path, file, `patch path ${JSON.stringify(ref)}`);
    text = readText(files, path);
  } else return fail(file, 'INVALID_KUSTOMIZATION', `${file}: patches[${i}] needs exactly one of patch or path`);
  const target = entry['target'];
  if (target !== undefined && !isJsonObject(target)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: patches[${i}].target must be a mapping`);
  const problem = applyPatch(items, { text, ...(target !== undefined ? { target } : {}) });
  if (problem === undefined) return;
  const code = problem.startsWith('unsupported') ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'PATCH_FAILED';
  fail(file, code, `${file}: patches[${i}]: ${problem}`);
}

function replicaRule(entry: JsonObject, file: string, i: number): ReplicaRule {
  const { name, count } = entry;
  if (typeof name !== 'string' || typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    fail(file, 'INVALID_KUSTOMIZATION', `${file}: replicas[${i}] needs a name and a non-negative integer count`);
  }
  return { name, count };
}

function imageRule(entry: JsonObject, file: string, i: number): ImageRule {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!['name', 'newName', 'newTag', 'digest'].includes(key)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field "images[${i}].${key}" is not supported`);
    if (typeof value !== 'string' && typeof value !== 'number') fail(file, 'INVALID_KUSTOMIZATION', `${file}: images[${i}].${key} must be a string`);
    out[key] = String(value);
  }
  const name = out['name'];
  if (name === undefined) return fail(file, 'INVALID_KUSTOMIZATION', `${file}: images[${i}] needs a name`);
  return { ...out, name };
}

function optionalString(k: JsonObject, field: string, file: string): string | undefined {
  const value = k[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a string`);
  return value;
}

function stringList(k: JsonObject, field: string, file: string): string[] {
  const value = k[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a list of strings`);
  return value;
}

function objectList(k: JsonObject, field: string, file: string): JsonObject[] {
  const value = k[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isJsonObject)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a list of mappings`);
  return value as JsonObject[];
}

/** A label/annotation map; numbers and booleans are kept as kustomize writes them (strings). */
function stringMap(value: JsonValue | undefined, file: string, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${field}.${key} must be a scalar`);
    out[key] = String(v);
  }
  return out;
}
