/**
 * `patches:` entries: a strategic merge patch (a mapping) or a JSON 6902 patch (a sequence),
 * inline or from a file, applied to the objects its `target` selects (or, for a strategic
 * merge patch without a target, to the object its own apiVersion/kind/name identify).
 */
import jsonPatch from 'fast-json-patch';
import { deepCopy, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { UNKNOWN_PATCH_META, patchMetaFor } from '../diff/patch-meta.ts';
import { applyStrategicMergePatch } from '../diff/strategic-merge.ts';
import { markWalked } from './kustomize-nulls.ts';
import { parseYamlStream } from './parse.ts';
import { kindOf, nameOf, namespaceOf, type Tracked } from './kustomize-transforms.ts';

export interface PatchSpec {
  /** The patch text (inline `patch:` or the contents of `path:`). */
  readonly text: string;
  readonly target?: JsonObject;
}

const TARGET_KEYS = new Set(['group', 'version', 'kind', 'name', 'namespace']);

/**
 * Applies one patch; returns an error message, or undefined on success. Mutates `items` (a
 * whole-object `$patch: delete` removes entries) and their objects. `beforeMerge` sees each
 * object a strategic-merge patch is about to merge into.
 */
export function applyPatch<T extends Tracked>(items: T[], spec: PatchSpec, beforeMerge: (item: T) => void = () => undefined): string | undefined {
  if (spec.target !== undefined) {
    const unknown = Object.keys(spec.target).filter((k) => !TARGET_KEYS.has(k));
    if (unknown.length > 0) return `unsupported patch target field(s): ${unknown.join(', ')}`;
  }
  const parsed = parseYamlStream(spec.text);
  if (!parsed.ok) return `patch is not valid YAML: ${parsed.message}`;
  const docs = parsed.values.filter((d) => d !== null);
  for (const doc of docs) {
    const problem = Array.isArray(doc) ? applyJson6902(items, doc, spec.target) : isJsonObject(doc) ? applyStrategic(items, doc, spec.target, beforeMerge) : 'patch is neither a mapping nor a sequence';
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function selects(item: Tracked, target: JsonObject): boolean {
  const { object } = item;
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const checks: [string, string][] = [['group', group], ['version', version], ['kind', kindOf(object)], ['namespace', namespaceOf(object)]];
  for (const [key, actual] of checks) {
    const wanted = target[key];
    if (typeof wanted === 'string' && wanted !== '' && !anchored(wanted).test(actual)) return false;
  }
  const name = target['name'];
  if (typeof name === 'string' && name !== '') {
    const re = anchored(name);
    if (!re.test(nameOf(object)) && !re.test(item.originalName)) return false;
  }
  return true;
}

/** kustomize matches target fields as anchored regular expressions. */
function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function applyStrategic<T extends Tracked>(items: T[], patch: JsonObject, target: JsonObject | undefined, beforeMerge: (item: T) => void): string | undefined {
  const selected = target !== undefined ? items.filter((i) => selects(i, target)) : items.filter((i) => identifiedBy(i, patch));
  if (selected.length === 0 && target === undefined) return `strategic merge patch ${describe(patch)} matches no object`;
  if (patch['$patch'] === 'delete') {
    // A whole-object delete removes the objects it selects (kustomize drops a resource a patch leaves empty).
    const doomed = new Set(selected);
    items.splice(0, items.length, ...items.filter((i) => !doomed.has(i)));
    return undefined;
  }
  for (const item of selected) {
    const apiVersion = typeof item.object['apiVersion'] === 'string' ? item.object['apiVersion'] : '';
    const body = deepCopy(patch);
    if (target !== undefined && isJsonObject(body['metadata'])) delete body['metadata']['name'];
    else if (isJsonObject(body['metadata'])) {
      // identified by an earlier id: kustomize gives the patch its object's current name and namespace
      body['metadata']['name'] = nameOf(item.object);
      if ('namespace' in body['metadata']) body['metadata']['namespace'] = namespaceOf(item.object);
    }
    beforeMerge(item);
    try {
      item.object = applyStrategicMergePatch(item.object, body, patchMetaFor(apiVersion, kindOf(item.object)) ?? UNKNOWN_PATCH_META, { listStyle: 'kyaml' });
      markWalked(item.object);
    } catch (err) {
      return `strategic merge patch ${describe(patch)} failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return undefined;
}

/** kustomize finds a patch's object by any id it has had, e.g. its name before an overlay's namePrefix. */
function identifiedBy(item: Tracked & { readonly previousIds?: readonly { readonly name: string }[] }, patch: JsonObject): boolean {
  const metadata = isJsonObject(patch['metadata']) ? patch['metadata'] : {};
  const name = metadata['name'];
  return patch['kind'] === kindOf(item.object) && (name === nameOf(item.object) || name === item.originalName || (item.previousIds ?? []).some((id) => id.name === name));
}

function describe(patch: JsonObject): string {
  const metadata = isJsonObject(patch['metadata']) ? patch['metadata'] : {};
  return `${String(patch['kind'] ?? '?')}/${String(metadata['name'] ?? '?')}`;
}

function applyJson6902(items: Tracked[], ops: JsonValue[], target: JsonObject | undefined): string | undefined {
  if (target === undefined) return 'a JSON 6902 patch needs a target';
  const selected = items.filter((i) => selects(i, target));
  for (const item of selected) {
    try {
      let doc = deepCopy(item.object);
      for (const op of ops as unknown as jsonPatch.Operation[]) doc = jsonPatch.applyOperation(doc, replaceAsAdd(doc, op), true, true).newDocument;
      item.object = doc;
    } catch (err) {
      return `JSON 6902 patch on ${kindOf(item.object)}/${nameOf(item.object)} failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return undefined;
}

/**
 * kustomize's JSON patch library (evanphx/json-patch) lets `replace` set a member its object
 * lacks, as `add` would (checked with `kubectl kustomize`); a missing object or list index
 * still fails.
 */
function replaceAsAdd(doc: JsonObject, op: jsonPatch.Operation): jsonPatch.Operation {
  if (op.op !== 'replace' || typeof op.path !== 'string') return op;
  const slash = op.path.lastIndexOf('/');
  if (slash < 0) return op;
  let parent: JsonValue | undefined;
  try {
    parent = jsonPatch.getValueByPointer(doc, op.path.slice(0, slash)) as JsonValue | undefined;
  } catch {
    return op;
  }
  const key = op.path.slice(slash + 1).replaceAll('~1', '/').replaceAll('~0', '~');
  return isJsonObject(parent) && !Object.hasOwn(parent, key) ? { ...op, op: 'add' } : op;
}
