/**
 * Empty-valued fields (`key:` with nothing after it) in objects a strategic-merge patch applies
 * to. kyaml's merge walks the whole target object, maps and keyed list items alike, and clears
 * every null it meets unless the null was written out (`null`, `~`), which it keeps: so after
 * any patch `nodeAffinity: {preferred…:}` loses the empty field wherever it sits, while
 * `required…: null` stays (checked against `kubectl kustomize`). The parsed objects cannot tell
 * the two spellings apart, so this reads them from the source document: the paths of empty
 * values, dropped from the object before its first patch.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { FileContents } from './directory.ts';
import { decodeText } from './text.ts';

type Path = readonly (string | number)[];

/** Per file map and file: the empty-value paths of each document (parsed once). */
const cache = new WeakMap<ReadonlyMap<string, FileContents>, Map<string, Path[][]>>();

/** Objects already walked by a patch: nothing empty is left in them to drop. */
const walked = new WeakSet<JsonObject>();

export function markWalked(object: JsonObject): void {
  walked.add(object);
}

/** The paths of `key:` fields written empty in document `documentIndex` of `file` (none for a List, whose items move). */
function emptyPaths(files: ReadonlyMap<string, FileContents>, file: string, documentIndex: number): Path[] {
  let perFile = cache.get(files);
  if (perFile === undefined) {
    perFile = new Map();
    cache.set(files, perFile);
  }
  let documents = perFile.get(file);
  if (documents === undefined) {
    const contents = files.get(file);
    const text = contents === undefined ? undefined : decodeText(file, contents);
    documents = text === undefined || !text.ok ? [] : parseAllDocuments(text.value, { merge: true }).map((doc) => (isList(doc.contents) ? [] : collect(doc.contents, [])));
    perFile.set(file, documents);
  }
  return documents[documentIndex] ?? [];
}

function isList(node: unknown): boolean {
  return isMap(node) && isSeq(node.get('items', true)) && /List$/.test(String(node.get('kind') ?? ''));
}

function collect(node: unknown, at: (string | number)[]): Path[] {
  if (isSeq(node)) return node.items.flatMap((item, i) => collect(item, [...at, i]));
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) => {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (typeof key !== 'string') return [];
    const value = pair.value as Node | null;
    if (value === null || (isScalar(value) && value.value === null && value.source === '')) return [[...at, key]];
    return collect(value, [...at, key]);
  });
}

/**
 * Drops, before its first strategic-merge patch, the fields of `object` that its source
 * document left empty and that are still null, in maps and in lists of maps (the parts kyaml
 * walks). Mutates `object`.
 */
export function dropEmptyFields(files: ReadonlyMap<string, FileContents>, object: JsonObject, source: { readonly file: string; readonly documentIndex: number }): void {
  if (walked.has(object)) return;
  for (const path of emptyPaths(files, source.file, source.documentIndex)) {
    let node: JsonValue | undefined = object;
    for (const step of path.slice(0, -1)) {
      if (Array.isArray(node) && typeof step === 'number' && node.every(isJsonObject)) node = node[step];
      else if (isJsonObject(node) && typeof step === 'string') node = node[step];
      else node = undefined;
    }
    const last = path[path.length - 1];
    if (isJsonObject(node) && typeof last === 'string' && node[last] === null) delete node[last];
  }
}
