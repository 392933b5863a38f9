/**
 * The objects a kustomization accumulates, and how a generated ConfigMap or Secret joins
 * them: kustomize v5's appendReplaceOrMerge. `create` needs a new id; `merge` and `replace`
 * need exactly one existing object whose current or any earlier id (name and namespace,
 * '' = 'default') matches, and take its place: its labels and annotations under the
 * generated ones, its name and namespace, and — for merge — its data/binaryData under the
 * generated keys. The result gets a hash suffix only when both the existing object and the
 * generator ask for one (kustomize keeps the old build annotations, and drops the hash one
 * when the new generator's options disable it).
 */
import { deepCopy, isJsonObject, type JsonObject } from '../json.ts';
import type { GeneratorBehavior } from './kustomize-generators.ts';
import { kindOf, metadataOf, nameOf, namespaceOf, sameNamespace, type Tracked } from './kustomize-transforms.ts';
import type { RenderedObject } from './types.ts';

export interface ResId {
  readonly name: string;
  readonly namespace: string;
}

export interface Item extends Tracked {
  readonly source: RenderedObject['source'];
  /** Ids the object had at the starts of earlier levels (kustomize's previous ids). */
  readonly previousIds: readonly ResId[];
  /** Generated with a content-hash name suffix still to add (at the very end, as kustomize does). */
  readonly needsHash?: boolean;
  /** Vars bound to this object by the kustomizations that declared them (kustomize's refVarNames). */
  readonly refVars?: readonly string[];
}

/** The item as the next level (or the next step after a component) sees it: its current id becomes its original one. */
export function retrack(item: Item): Item {
  const previousIds = [...item.previousIds, { name: item.originalName, namespace: item.originalNamespace }];
  return { ...item, originalName: nameOf(item.object), originalNamespace: namespaceOf(item.object), previousIds };
}

function matchesId(item: Item, name: string, namespace: string): boolean {
  const ids = [...item.previousIds, { name: item.originalName, namespace: item.originalNamespace }, { name: nameOf(item.object), namespace: namespaceOf(item.object) }];
  return ids.some((id) => id.name === name && sameNamespace(id.namespace, namespace));
}

/** Adds `made` to `items` according to `behavior`; returns a problem message instead when kustomize would fail. */
export function absorbGenerated(items: Item[], made: Item, behavior: GeneratorBehavior): string | undefined {
  const kind = kindOf(made.object);
  const name = nameOf(made.object);
  const namespace = namespaceOf(made.object);
  const id = `${kind} ${JSON.stringify(name)}${namespace === '' ? '' : ` in namespace ${JSON.stringify(namespace)}`}`;
  const matches = items.flatMap((item, index) =>
    kindOf(item.object) === kind && item.object['apiVersion'] === made.object['apiVersion'] && matchesId(item, name, namespace) ? [index] : []);
  const index = matches[0];
  if (index === undefined) {
    if (behavior !== 'create') return `${id} does not exist; cannot ${behavior}`;
    items.push(made);
    return undefined;
  }
  if (matches.length > 1) return `${id} matches ${matches.length} objects; cannot ${behavior}`;
  if (behavior === 'create') return `${id} already exists; behavior must be merge or replace`;
  const old = items[index];
  if (old === undefined) return undefined;
  const object = deepCopy(made.object);
  const metadata = metadataOf(object);
  const oldMetadata = metadataOf(old.object);
  for (const key of ['labels', 'annotations']) {
    const merged = { ...mapAt(oldMetadata, key), ...mapAt(metadata, key) };
    if (Object.keys(merged).length > 0) metadata[key] = merged;
  }
  metadata['name'] = nameOf(old.object);
  if (namespaceOf(old.object) === '') delete metadata['namespace'];
  else metadata['namespace'] = namespaceOf(old.object);
  if (behavior === 'merge') {
    for (const key of ['data', 'binaryData']) {
      const merged = { ...mapAt(old.object, key), ...mapAt(object, key) };
      if (Object.keys(merged).length > 0) object[key] = merged;
    }
  }
  // kustomize keeps the old build annotations, but drops the hash-suffix one when the new generator disables it
  items[index] = { ...old, object, needsHash: old.needsHash === true && made.needsHash === true };
  return undefined;
}

function mapAt(holder: JsonObject, key: string): JsonObject {
  const value = holder[key];
  return isJsonObject(value) ? value : {};
}
