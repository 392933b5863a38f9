/**
 * Native kustomize: `renderKustomization(files, {path})` builds the kustomization in `path`
 * the way `kubectl kustomize` (v5.5) does, for the fields listed in SUPPORTED_FIELDS; any
 * other field fails the render with UNSUPPORTED_KUSTOMIZE_FIELD rather than being ignored.
 * Pure and all-or-nothing, like renderDirectory. Loads are restricted to the repository root
 * (kustomize's LoadRestrictionsRootOnly, with the repo as the root).
 *
 * Steps per kustomization (kustomize's accumulateTarget): resources (files, or directories
 * with their own Kustomization, built recursively) → generators (create/merge/replace) →
 * components (each a Component whose own steps run over everything accumulated so far) →
 * patches → namespace → namePrefix/nameSuffix → commonLabels → labels → commonAnnotations →
 * replicas → images → name references; hash suffixes last; output in kustomize's legacy order.
 */
import { deepCopy, isJsonObject, type JsonObject } from '../json.ts';
import { contentHash } from './canonical.ts';
import type { FileContents } from './directory.ts';
import { quoted } from './format.ts';
import { isMap, parseAllDocuments } from 'yaml';
import { duplicateErrors, identityErrors } from './identity.ts';
import { generate, nameHash, parseGeneratorOptions, type GeneratorBehavior, type GeneratorContext } from './kustomize-generators.ts';
import {
  KustomizeError, fail, fieldPath, imageRule, isRemoteRef, objectList, optionalString, readText, replicaRule, resolve, stringList, stringMap, within,
} from './kustomize-input.ts';
import { absorbExtras, addConfigurations, configured, declareVars, finishBuild, newExtras, runTransformers, type Extras, type ReadRef } from './kustomize-extras.ts';
import { absorbGenerated, retrack, type Item } from './kustomize-merge.ts';
import { legacyOrder } from './kustomize-order.ts';
import { dropEmptyFields } from './kustomize-nulls.ts';
import { applyPatch } from './kustomize-patches.ts';
import { applyReplacements, replacementsOf } from './kustomize-replacements.ts';
import {
  addAnnotations, addLabels, addNameAffixes, fixNameReferences, nameOf, namespaceOf, setImages, setNamespace, setReplicas,
} from './kustomize-transforms.ts';
import { fieldLocator, lineOfPath, parseManifestFile, type FieldLocator } from './parse.ts';
import type { FieldPath } from './validate.ts';
import { checkRenderPath, isUnder } from './paths.ts';
import type { RenderError, RenderResult } from './types.ts';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

export const SUPPORTED_FIELDS: ReadonlySet<string> = new Set([
  'apiVersion', 'kind', 'resources', 'components', 'namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'labels',
  'commonAnnotations', 'images', 'replicas', 'patches', 'configMapGenerator', 'secretGenerator', 'generatorOptions',
  'bases', 'patchesStrategicMerge', 'patchesJson6902', 'configurations', 'vars', 'transformers', 'replacements',
  // The kustomization's own ObjectMeta: kustomize reads it and builds nothing from it.
  'metadata',
]);

export interface RenderKustomizationOptions {
  /** Repo-relative POSIX directory holding the kustomization; '' or '.' is the repo root. */
  readonly path: string;
}

/** One kustomization (or component) being built. */
interface Level {
  readonly dir: string;
  readonly file: string;
  readonly k: JsonObject;
}

/** What a directory's kustomization file must declare: a resource must not be a Component, a component must be one. */
type Expected = 'Kustomization' | 'Component' | 'either';

export function renderKustomization(files: ReadonlyMap<string, FileContents>, options: RenderKustomizationOptions): RenderResult {
  const root = checkRenderPath(options.path);
  if (!root.ok) return { ok: false, errors: [root.error] };
  let items: Item[];
  try {
    const built = buildDirectory(files, root.path, [], 'either');
    items = addHashSuffixes(built.items);
    finishBuild(items, built.extras, kustomizationFile(files, root.path) ?? root.path);
  } catch (err) {
    if (err instanceof KustomizeError) return { ok: false, errors: [withLine(files, err)] };
    throw err;
  }
  const located = items.map((i) => ({ object: i.object, file: i.source.file, line: i.source.line, documentIndex: i.source.documentIndex }));
  const locators = new Map<string, FieldLocator>();
  const lineOf = (item: (typeof located)[number]) => (path: FieldPath): number | undefined => {
    let locator = locators.get(item.file);
    if (locator === undefined) {
      const contents = files.get(item.file);
      locator = contents === undefined ? () => undefined : fieldLocator(typeof contents === 'string' ? contents : contents.toString('utf8'));
      locators.set(item.file, locator);
    }
    return locator(item.documentIndex, item.line, path);
  };
  const errors = located.flatMap((item) => identityErrors(item, lineOf(item)));
  if (errors.length === 0) errors.push(...duplicateErrors(located, { byApiVersion: true }));
  if (errors.length > 0) return { ok: false, errors };
  const objects = legacyOrder(items).map((i) => ({ object: i.object, source: i.source, contentHash: contentHash(i.object) }));
  return { ok: true, objects };
}

/** The error, with the line of its field in the kustomization file when it names one. */
function withLine(files: ReadonlyMap<string, FileContents>, err: KustomizeError): RenderError {
  if (err.error.line !== undefined || err.at === undefined) return err.error;
  const contents = files.get(err.error.file);
  const line = contents === undefined ? undefined : lineOfPath(typeof contents === 'string' ? contents : contents.toString('utf8'), fieldPath(err.at));
  return line === undefined ? err.error : { ...err.error, line };
}

/** The kustomization file of `dir`, or undefined; more than one is an error, as in kustomize. */
function kustomizationFile(files: ReadonlyMap<string, FileContents>, dir: string): string | undefined {
  const found = KUSTOMIZATION_FILES.map((name) => (dir === '' ? name : `${dir}/${name}`)).filter((p) => files.has(p));
  if (found.length > 1) fail(found[1] ?? dir, 'INVALID_KUSTOMIZATION', `${dir || '.'} has more than one kustomization file: ${found.join(', ')}`);
  return found[0];
}

/** The level in `dir`, checked for cycles, for its kind and for fields the native renderer lacks. */
function loadLevel(files: ReadonlyMap<string, FileContents>, dir: string, stack: readonly string[], expected: Expected): Level {
  if (stack.includes(dir)) fail(dir, 'KUSTOMIZE_CYCLE', `kustomization cycle: ${[...stack, dir].map((d) => d || '.').join(' -> ')}`);
  const file = kustomizationFile(files, dir);
  if (file === undefined) fail(dir, 'PATH_NOT_FOUND', `no kustomization.yaml, kustomization.yml or Kustomization in ${JSON.stringify(dir || '.')}`);
  const parsed = parseManifestFile(file, readText(files, file));
  const first = parsed.errors[0];
  if (first !== undefined) throw new KustomizeError(first);
  const doc = parsed.candidates[0];
  if (doc === undefined || parsed.candidates.length > 1) fail(file, 'INVALID_KUSTOMIZATION', `${file} must hold exactly one mapping`);
  const k = doc.object;
  const kind = k['kind'] ?? 'Kustomization';
  if (kind !== 'Kustomization' && kind !== 'Component') fail(file, 'INVALID_KUSTOMIZATION', `${file}: kind must be Kustomization or Component, not ${JSON.stringify(kind)}`, 'kind');
  if (expected === 'Component' && kind !== 'Component') fail(file, 'INVALID_KUSTOMIZATION', `${file}: a component must have kind Component, not ${JSON.stringify(kind)}`, 'kind');
  if (expected === 'Kustomization' && kind === 'Component') fail(file, 'INVALID_KUSTOMIZATION', `${file}: a Component may be listed only under components, not resources`, 'kind');
  for (const field of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(field)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field ${JSON.stringify(field)} is not supported by Sluice's native kustomize`, field);
  }
  return { dir, file, k };
}

/**
 * kustomize's root-only load restrictor: a file (resource, patch, generator input) must be
 * in or below the kustomization's directory; only directories (bases) may be elsewhere in the repo.
 */
function requireInOrBelow(dir: string, path: string, file: string, what: string): void {
  if (!isUnder(path, dir, true)) fail(file, 'PATH_ESCAPE', `${file}: ${what} is not in or below ${JSON.stringify(dir || '.')} (kustomize's root-only load restrictor)`);
}

/** The repo path of a file (patch, generator input, replacements) that kustomization `file` in `dir` loads: local, and in or below `dir`. */
function localFile(dir: string, file: string, ref: string, what: string): string {
  if (isRemoteRef(ref)) fail(file, 'PATH_ESCAPE', `${file}: ${what} ${quoted(ref)} is remote; Sluice never fetches from the network`);
  const path = resolve(dir, ref);
  if (path === undefined) fail(file, 'PATH_ESCAPE', `${file}: ${what} ${JSON.stringify(ref)} is outside the repository root`);
  requireInOrBelow(dir, path, file, `${what} ${JSON.stringify(ref)}`);
  return path;
}

/** A kustomization directory built on its own; the next level up tracks references from the names it produced. */
function buildDirectory(files: ReadonlyMap<string, FileContents>, dir: string, stack: readonly string[], expected: Expected): { items: Item[]; extras: Extras } {
  const level = loadLevel(files, dir, stack, expected);
  const items: Item[] = [];
  const extras = newExtras();
  accumulate(files, level, items, [...stack, dir], extras);
  return { items: items.map(retrack), extras };
}

/** kustomize's accumulateTarget over `items`, which for a component are its parent's accumulated objects. */
function accumulate(files: ReadonlyMap<string, FileContents>, level: Level, items: Item[], stack: readonly string[], extras: Extras): void {
  const { dir, file, k } = level;
  // kustomize appends the deprecated `bases` to `resources` when it reads a kustomization.
  const listed = [...stringList(k, 'resources', file).map((ref, i) => ({ ref, at: `resources[${i}]` })), ...stringList(k, 'bases', file).map((ref, i) => ({ ref, at: `bases[${i}]` }))];
  for (const { ref, at } of listed) items.push(...within(file, at, () => loadResource(files, dir, ref, file, stack, extras)));
  addConfigurations(extras, k, file, levelReader(files, level));
  for (const { item, behavior, at } of generateAll(files, level)) {
    const problem = absorbGenerated(items, item, behavior);
    if (problem !== undefined) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${at}: ${problem}`, at);
  }
  for (const [i, ref] of stringList(k, 'components', file).entries()) within(file, `components[${i}]`, () => addComponent(files, dir, file, ref, items, stack, extras));
  transform(files, level, items, extras);
  declareVars(items, extras, k, file);
}

/** Reads a file `level` names (configuration, transformer, patch): in or below its directory, never remote. */
function levelReader(files: ReadonlyMap<string, FileContents>, { dir, file }: Level): ReadRef {
  return (ref, what) => {
    if (isRemoteRef(ref)) fail(file, 'PATH_ESCAPE', `${file}: ${what} ${quoted(ref)} is remote; Sluice never fetches from the network`);
    const path = resolve(dir, ref);
    if (path === undefined) fail(file, 'PATH_ESCAPE', `${file}: ${what} ${JSON.stringify(ref)} is outside the repository root`);
    requireInOrBelow(dir, path, file, `${what} ${JSON.stringify(ref)}`);
    if (!files.has(path)) fail(file, 'PATH_NOT_FOUND', `${file}: ${what} ${JSON.stringify(ref)} (${path}) does not exist`);
    return readText(files, path);
  };
}

/** A component's own steps, over everything its parent has accumulated so far. */
function addComponent(files: ReadonlyMap<string, FileContents>, dir: string, file: string, ref: string, items: Item[], stack: readonly string[], extras: Extras): void {
  if (isRemoteRef(ref)) fail(file, 'PATH_ESCAPE', `${file}: remote component ${JSON.stringify(ref)} is not allowed (components must be inside the repository)`);
  const path = resolve(dir, ref);
  if (path === undefined) fail(file, 'PATH_ESCAPE', `${file}: component ${JSON.stringify(ref)} is outside the repository root`);
  listedBy(file, path, () => accumulate(files, loadLevel(files, path, stack, 'Component'), items, [...stack, path], extras));
  items.splice(0, items.length, ...items.map(retrack));
}

/**
 * Builds directory `dir`, listed by kustomization `file`: that `dir` has no kustomization or
 * closes a cycle is an error of the listing file (so it gets the listing field's line).
 */
function listedBy<T>(file: string, dir: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof KustomizeError && err.error.file === dir) throw new KustomizeError({ ...err.error, file });
    throw err;
  }
}

/** The builtin transformers of one level, in kustomize's order (its kusttarget_configplugin.go). */
function transform(files: ReadonlyMap<string, FileContents>, level: Level, items: Item[], { config }: Extras): void {
  const { dir, file, k } = level;
  for (const [i, entry] of stringList(k, 'patchesStrategicMerge', file).entries()) {
    within(file, `patchesStrategicMerge[${i}]`, () => applyPatchEntry(files, dir, file, items, strategicMergeEntry(entry), `patchesStrategicMerge[${i}]`));
  }
  for (const [i, entry] of objectList(k, 'patches', file).entries()) within(file, `patches[${i}]`, () => applyPatchEntry(files, dir, file, items, entry, `patches[${i}]`));
  const namespace = optionalString(k, 'namespace', file);
  if (namespace !== undefined && namespace !== '') {
    setNamespace(items, namespace);
    configured.namespace(items, config, namespace);
  }
  const prefix = optionalString(k, 'namePrefix', file) ?? '';
  const suffix = optionalString(k, 'nameSuffix', file) ?? '';
  if (prefix !== '' || suffix !== '') addNameAffixes(items, prefix, suffix);
  const common = stringMap(k['commonLabels'], file, 'commonLabels');
  if (common !== undefined) {
    addLabels(items, common, { selectors: true, templates: true });
    configured.commonLabels(items, config, common);
  }
  for (const [i, entry] of objectList(k, 'labels', file).entries()) {
    const at = `labels[${i}]`;
    for (const key of Object.keys(entry)) {
      if (!['pairs', 'includeSelectors', 'includeTemplates'].includes(key)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field "${at}.${key}" is not supported`, `${at}.${key}`);
    }
    const pairs = stringMap(entry['pairs'], file, `${at}.pairs`) ?? {};
    addLabels(items, pairs, { selectors: entry['includeSelectors'] === true, templates: entry['includeTemplates'] === true });
    if (entry['includeSelectors'] === true) configured.commonLabels(items, config, pairs);
    else if (entry['includeTemplates'] === true) configured.templateLabels(items, config, pairs);
  }
  const annotations = stringMap(k['commonAnnotations'], file, 'commonAnnotations');
  if (annotations !== undefined) {
    addAnnotations(items, annotations);
    configured.commonAnnotations(items, config, annotations);
  }
  for (const [i, entry] of objectList(k, 'patchesJson6902', file).entries()) {
    const at = `patchesJson6902[${i}]`;
    const target = entry['target'];
    if (!isJsonObject(target) || typeof target['name'] !== 'string' || target['name'] === '') fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${at}: must specify the target name`, at);
    within(file, at, () => applyPatchEntry(files, dir, file, items, entry, at));
  }
  const replicas = objectList(k, 'replicas', file).map((r, i) => replicaRule(r, file, i));
  if (replicas.length > 0) {
    setReplicas(items, replicas);
    configured.replicas(items, config, replicas);
  }
  const images = objectList(k, 'images', file).map((r, i) => imageRule(r, file, i));
  if (images.length > 0) {
    setImages(items, images);
    configured.images(items, config, images);
  }
  applyReplacements(items, replacementsOf(k, file, (ref) => readText(files, localFile(dir, file, ref, 'replacement path'))), file);
  // the transformers field runs after every builtin field of the level, as in kustomize's KustTarget
  runTransformers(items, k, file, levelReader(files, level));
  fixNameReferences(items, { namespaceSet: namespace !== undefined && namespace !== '' });
}

function generateAll(files: ReadonlyMap<string, FileContents>, { dir, file, k }: Level): { item: Item; behavior: GeneratorBehavior; at: string }[] {
  const ctx: GeneratorContext = {
    file,
    read: (ref) => {
      const path = localFile(dir, file, ref, 'generator file');
      const contents = files.get(path);
      if (contents === undefined) return fail(file, 'PATH_NOT_FOUND', `${file}: generator file ${JSON.stringify(ref)} (${path}) does not exist`);
      return typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    },
    fail: (message, unsupported) => fail(file, unsupported === true ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'INVALID_KUSTOMIZATION', `${file}: ${message}`),
  };
  const global = within(file, 'generatorOptions', () => parseGeneratorOptions(k['generatorOptions'], 'generatorOptions', ctx));
  const out: { item: Item; behavior: GeneratorBehavior; at: string }[] = [];
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    const field = kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
    for (const [i, entry] of objectList(k, field, file).entries()) {
      const at = `${field}[${i}]`;
      const made = within(file, at, () => generate(kind, entry, at, global, ctx));
      const item: Item = {
        object: made.object,
        source: { file, line: 1, documentIndex: 0 },
        originalName: nameOf(made.object),
        originalNamespace: namespaceOf(made.object),
        previousIds: [],
        ...(made.hash ? { needsHash: true } : {}),
      };
      out.push({ item, behavior: made.behavior, at });
    }
  }
  return out;
}

/** The last step of a build: generated names get their content hash, and references follow. */
function addHashSuffixes(items: Item[]): Item[] {
  const tracked = items.map(retrack);
  for (const item of tracked) {
    dropEmptyAnnotations(item.object);
    if (item.needsHash) metadataOfObject(item.object)['name'] = `${nameOf(item.object)}-${nameHash(item.object)}`;
  }
  fixNameReferences(tracked);
  return tracked;
}

/**
 * kustomize sets and then removes its internal build annotations on every object, so it
 * rewrites `metadata.annotations` as a string map (a number or boolean value becomes its text,
 * as `kubectl kustomize` prints it) and kyaml removes it once it is empty: an empty or null one
 * never reaches the output (labels, and annotations elsewhere, are kept as written).
 */
function dropEmptyAnnotations(object: JsonObject): void {
  const metadata = object['metadata'];
  if (!isJsonObject(metadata) || !('annotations' in metadata)) return;
  const annotations = metadata['annotations'];
  if (annotations === null || (isJsonObject(annotations) && Object.keys(annotations).length === 0)) delete metadata['annotations'];
  else if (isJsonObject(annotations)) {
    for (const [key, value] of Object.entries(annotations)) if (typeof value === 'number' || typeof value === 'boolean') annotations[key] = String(value);
  }
}

function metadataOfObject(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  return isJsonObject(metadata) ? metadata : fail('', 'MISSING_FIELD', 'generated object without metadata');
}

function loadResource(files: ReadonlyMap<string, FileContents>, dir: string, ref: string, file: string, stack: readonly string[], extras: Extras): Item[] {
  if (isRemoteRef(ref)) fail(file, 'PATH_ESCAPE', `${file}: remote resource ${JSON.stringify(ref)} is not allowed (resources must be inside the repository)`);
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
      previousIds: [],
    }));
  }
  if (path === '' || [...files.keys()].some((key) => isUnder(key, path, true))) {
    const built = listedBy(file, path, () => buildDirectory(files, path, stack, 'Kustomization'));
    absorbExtras(extras, built.extras, file);
    return built.items;
  }
  return fail(file, 'PATH_NOT_FOUND', `${file}: resource ${JSON.stringify(ref)} (${path}) does not exist`);
}

/**
 * A `patchesStrategicMerge` entry as a `patches` entry without a target: kustomize first reads
 * the string itself as YAML objects (an inline patch), and only when that fails as a file path.
 */
function strategicMergeEntry(entry: string): JsonObject {
  const docs = parseAllDocuments(entry);
  const inline = docs.length > 0 && docs.every((d) => d.errors.length === 0 && isMap(d.contents));
  return inline ? { patch: entry } : { path: entry };
}

function applyPatchEntry(files: ReadonlyMap<string, FileContents>, dir: string, file: string, items: Item[], entry: JsonObject, at: string): void {
  for (const key of Object.keys(entry)) {
    if (!['patch', 'path', 'target'].includes(key)) fail(file, 'UNSUPPORTED_KUSTOMIZE_FIELD', `${file}: kustomization field "${at}.${key}" is not supported`);
  }
  const inline = entry['patch'];
  const ref = entry['path'];
  let text: string;
  if (typeof inline === 'string' && ref === undefined) text = inline;
  else if (typeof ref === 'string' && inline === undefined) {
    text = readText(files, localFile(dir, file, ref, 'patch path'));
  } else return fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${at} needs exactly one of patch or path`);
  const target = entry['target'];
  if (target !== undefined && !isJsonObject(target)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${at}.target must be a mapping`);
  const problem = applyPatch(items, { text, ...(target !== undefined ? { target } : {}) }, (item) => dropEmptyFields(files, item.object, item.source));
  if (problem === undefined) return;
  const code = problem.startsWith('unsupported') ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'PATCH_FAILED';
  fail(file, code, `${file}: ${at}: ${problem}`);
}






