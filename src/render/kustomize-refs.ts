/**
 * What a kustomize build may read, found before the kustomize binary runs. Every level (the
 * root, its resource and component directories, generator/transformer/validator directories)
 * and every field of kustomize v5.5's Kustomization that names a file or directory is checked:
 * a remote reference (a URL kustomize would GET, a repository it would clone), a path leaving
 * the repository, or a file outside its kustomization's directory (kustomize's root-only load
 * restrictor) is an error naming file, line and field, and no binary runs. The answer is the
 * exact set of files the binary's checkout gets: kustomization files and the files they name.
 * Pure. A reference to nothing is left for kustomize to report (it is simply not in the checkout).
 */
import { parse as parseYaml } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { FileContents } from './directory.ts';
import { quoted } from './format.ts';
import { KustomizeError, isRemoteRef, readText, resolve } from './kustomize-input.ts';
import { KUSTOMIZATION_FILES } from './kustomize.ts';
import { lineOfPath, parseManifestFile } from './parse.ts';
import { isUnder } from './paths.ts';
import type { RenderError } from './types.ts';

export type KustomizeInputs = { ok: true; files: string[] } | { ok: false; errors: RenderError[] };

/** Kustomization fields of kustomize v5.5 that name no file (any field not listed anywhere here is an error). */
const PLAIN_FIELDS: ReadonlySet<string> = new Set([
  'apiVersion', 'kind', 'metadata', 'namePrefix', 'nameSuffix', 'namespace', 'commonLabels', 'labels', 'commonAnnotations',
  'images', 'imageTags', 'replicas', 'vars', 'sortOptions', 'generatorOptions', 'inventory', 'buildMetadata',
]);

/** Helm runs only with `--enable-helm`, which the fallback never passes: Helm would download charts. */
const HELM_FIELDS: ReadonlySet<string> = new Set(['helmCharts', 'helmChartInflationGenerator', 'helmGlobals']);

/** Keys under which kustomize's builtin plugin configurations name files (read through the same loader, so URLs would be fetched). */
const PLUGIN_PATH_KEYS: ReadonlySet<string> = new Set(['path', 'paths', 'files', 'envs', 'env', 'valuesFile', 'additionalValuesFiles']);

type Segment = string | number;
type Mode = 'file' | 'file-or-dir';

interface Scan {
  readonly files: ReadonlyMap<string, FileContents>;
  readonly inputs: Set<string>;
  readonly errors: RenderError[];
  readonly visited: Set<string>;
}

/** The kustomization (or plugin configuration) file being read, for references and error lines. */
interface Level {
  readonly scan: Scan;
  readonly dir: string;
  readonly file: string;
  readonly text: string;
  readonly documentIndex: number;
}

export function kustomizeInputs(files: ReadonlyMap<string, FileContents>, root: string): KustomizeInputs {
  const scan: Scan = { files, inputs: new Set(), errors: [], visited: new Set() };
  scanDirectory(scan, root);
  if (scan.errors.length > 0) return { ok: false, errors: scan.errors };
  return { ok: true, files: [...scan.inputs].sort() };
}

/** One kustomization directory; each is read once (kustomize itself reports cycles). */
function scanDirectory(scan: Scan, dir: string): void {
  if (scan.visited.has(dir)) return;
  scan.visited.add(dir);
  for (const name of KUSTOMIZATION_FILES) {
    const file = dir === '' ? name : `${dir}/${name}`;
    if (!scan.files.has(file)) continue;
    scan.inputs.add(file);
    for (const { level, value } of documents(scan, dir, file)) {
      if (!isJsonObject(value)) continue; // kustomize rejects it without reading anything
      for (const [field, fieldValue] of Object.entries(value)) scanField(level, field, fieldValue);
    }
  }
}

function documents(scan: Scan, dir: string, file: string): { level: Level; value: JsonObject }[] {
  let text: string;
  try {
    text = readText(scan.files, file);
  } catch (err) {
    if (err instanceof KustomizeError) scan.errors.push(err.error);
    else throw err;
    return [];
  }
  const parsed = parseManifestFile(file, text);
  scan.errors.push(...parsed.errors);
  return parsed.candidates.map((c) => ({ level: { scan, dir, file, text, documentIndex: c.documentIndex }, value: c.object }));
}

function scanField(level: Level, field: string, value: JsonValue): void {
  if (PLAIN_FIELDS.has(field)) return;
  if (HELM_FIELDS.has(field)) {
    report(level, [field], 'UNSUPPORTED_KUSTOMIZE_FIELD', `${field}: Helm charts in a kustomization are not rendered (kustomize would need --enable-helm, and Helm would download charts)`);
    return;
  }
  switch (field) {
    case 'resources':
    case 'bases':
    case 'components':
      return eachString(level, field, value, (ref, at) => void reference(level, at, ref, 'file-or-dir'));
    case 'crds':
    case 'configurations':
      return eachString(level, field, value, (ref, at) => void reference(level, at, ref, 'file'));
    case 'generators':
    case 'transformers':
    case 'validators':
      return eachString(level, field, value, (entry, at) => pluginEntry(level, at, entry));
    case 'patchesStrategicMerge':
      return eachString(level, field, value, (entry, at) => {
        // an inline patch when it reads as a mapping, else a path (kustomize tries both)
        if (inlineMapping(entry) === undefined) reference(level, at, entry, 'file');
      });
    case 'patches':
    case 'patchesJson6902':
    case 'replacements':
      return eachMapping(level, field, value, (entry, at) => optionalPath(level, [...at, 'path'], entry['path']));
    case 'configMapGenerator':
    case 'secretGenerator':
      return eachMapping(level, field, value, (entry, at) => generatorFiles(level, at, entry));
    case 'openapi':
      if (isJsonObject(value)) optionalPath(level, [field, 'path'], value['path']);
      return;
    default:
      report(level, [field], 'INVALID_KUSTOMIZATION', `${quoted(field)} is not a field of kustomize's Kustomization`);
  }
}

function generatorFiles(level: Level, at: Segment[], entry: JsonObject): void {
  // `files` entries may be `key=path`; kustomize splits at the '='.
  eachString(level, [...at, 'files'], entry['files'], (source, where) => void reference(level, where, source.slice(source.indexOf('=') + 1), 'file', source));
  eachString(level, [...at, 'envs'], entry['envs'], (ref, where) => void reference(level, where, ref, 'file'));
  optionalPath(level, [...at, 'env'], entry['env']);
}

function optionalPath(level: Level, at: Segment[], value: JsonValue | undefined): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string') reference(level, at, value, 'file');
  else report(level, at, 'INVALID_KUSTOMIZATION', `${describe(at)} must be a string`);
}

/** A generators/transformers/validators entry: an inline plugin configuration, or a file or kustomization directory of them. */
function pluginEntry(level: Level, at: Segment[], entry: string): void {
  const inline = inlineMapping(entry);
  if (inline !== undefined) {
    pluginPaths(level, at, inline);
    return;
  }
  const found = reference(level, at, entry, 'file-or-dir');
  if (found.kind !== 'file') return;
  for (const doc of documents(level.scan, level.dir, found.path)) pluginPaths(doc.level, [], doc.value);
}

/** Every file a builtin plugin configuration names, at any depth; paths are relative to the kustomization's directory. */
function pluginPaths(level: Level, at: Segment[], value: JsonValue): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => pluginPaths(level, [...at, i], item));
    return;
  }
  if (!isJsonObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const where = [...at, key];
    if (!PLUGIN_PATH_KEYS.has(key)) pluginPaths(level, where, child);
    else if (typeof child === 'string') reference(level, where, child.slice(child.indexOf('=') + 1), 'file', child);
    else if (Array.isArray(child)) {
      child.forEach((item, i) => {
        if (typeof item === 'string') reference(level, [...where, i], item.slice(item.indexOf('=') + 1), 'file', item);
      });
    }
  }
}

type Found = { kind: 'file'; path: string } | { kind: 'directory' | 'missing' | 'refused' };

/** One reference: refused when remote or escaping, else recorded (a file) or scanned (a directory). */
function reference(level: Level, at: Segment[], ref: string, mode: Mode, written: string = ref): Found {
  const { scan, dir } = level;
  if (isRemoteRef(ref) || isRemoteRef(written)) {
    report(level, at, 'PATH_ESCAPE', `${describe(at)} ${quoted(written)} is remote: Sluice never fetches from the network, so a kustomization may use only files in its repository`);
    return { kind: 'refused' };
  }
  const path = resolve(dir, ref);
  if (path === undefined) {
    report(level, at, 'PATH_ESCAPE', `${describe(at)} ${quoted(written)} is outside the repository root`);
    return { kind: 'refused' };
  }
  if (scan.files.has(path)) {
    if (!isUnder(path, dir, true)) {
      report(level, at, 'PATH_ESCAPE', `${describe(at)} ${quoted(written)} is not in or below ${quoted(dir || '.')} (kustomize's root-only load restrictor)`);
      return { kind: 'refused' };
    }
    scan.inputs.add(path);
    return { kind: 'file', path };
  }
  if (mode === 'file-or-dir' && (path === '' || [...scan.files.keys()].some((key) => isUnder(key, path, true)))) {
    scanDirectory(scan, path);
    return { kind: 'directory' };
  }
  return { kind: 'missing' };
}

/** An entry that is YAML for a mapping (inline configuration or patch), not a path. */
function inlineMapping(entry: string): JsonObject | undefined {
  if (!entry.includes('\n') && !entry.includes(': ') && !entry.startsWith('{')) return undefined;
  try {
    const value: JsonValue = parseYaml(entry) as JsonValue;
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function eachString(level: Level, field: string | Segment[], value: JsonValue | undefined, visit: (entry: string, at: Segment[]) => void): void {
  const at = typeof field === 'string' ? [field] : field;
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    report(level, at, 'INVALID_KUSTOMIZATION', `${describe(at)} must be a list of strings`);
    return;
  }
  value.forEach((entry, i) => {
    if (typeof entry === 'string') visit(entry, [...at, i]);
    else report(level, [...at, i], 'INVALID_KUSTOMIZATION', `${describe([...at, i])} must be a string`);
  });
}

function eachMapping(level: Level, field: string, value: JsonValue, visit: (entry: JsonObject, at: Segment[]) => void): void {
  if (value === null) return;
  if (!Array.isArray(value)) {
    report(level, [field], 'INVALID_KUSTOMIZATION', `${field} must be a list of mappings`);
    return;
  }
  value.forEach((entry, i) => {
    if (isJsonObject(entry)) visit(entry, [field, i]);
    else report(level, [field, i], 'INVALID_KUSTOMIZATION', `${describe([field, i])} must be a mapping`);
  });
}

/** `resources[0]`, `configMapGenerator[1].files[0]`. */
function describe(at: readonly Segment[]): string {
  return at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('') || 'document';
}

function report(level: Level, at: Segment[], code: RenderError['code'], message: string): void {
  const line = lineOfPath(level.text, at, level.documentIndex);
  level.scan.errors.push({ file: level.file, ...(line !== undefined ? { line } : {}), code, message });
}
