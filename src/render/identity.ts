/**
 * Object identity: every object needs apiVersion, kind and metadata.name, and no two
 * objects may share group/kind/namespace/name. `metadata.generateName` alone is rejected
 * (as Argo CD does for synced resources): a server-chosen name cannot be tracked or pruned.
 * Sync hooks are the exception: a hook with generateName is checked (and keyed) under its
 * generateName, and gets its name when it runs (src/sync/hooks.ts).
 * The namespace is compared as written; defaulting it is the sync layer's job.
 */
import { isJsonObject, type JsonObject } from '../json.ts';
import { quoted } from './format.ts';
import type { RenderError } from './types.ts';
import { metadataProblems, type FieldPath } from './validate.ts';
import { isHookObject } from '../sync/hooks.ts';

export interface Located {
  readonly object: JsonObject;
  readonly file: string;
  readonly line: number;
}

/**
 * Identity (apiVersion, kind, metadata.name present and strings), then what the API server
 * would refuse in the metadata (validate.ts); `lineOf` finds a field's own line, else the
 * object's line is used.
 */
export function identityErrors(item: Located, lineOf?: (path: FieldPath) => number | undefined): RenderError[] {
  const { file, line } = item;
  const object = generatedHook(item.object) ?? item.object;
  const missing: string[] = [];
  const bad: string[] = [];
  checkString(object['apiVersion'], 'apiVersion', missing, bad);
  checkString(object['kind'], 'kind', missing, bad);
  const metadata = object['metadata'];
  if (metadata === undefined || metadata === null) missing.push('metadata.name');
  else if (!isJsonObject(metadata)) bad.push('metadata (not a mapping)');
  else {
    checkString(metadata['name'], 'metadata.name', missing, bad);
    const ns = metadata['namespace'];
    if (ns !== undefined && ns !== null && typeof ns !== 'string') bad.push('metadata.namespace (not a string)');
  }
  const errors: RenderError[] = [];
  const label = describe(object);
  if (missing.length > 0) {
    const generated = isJsonObject(metadata) && typeof metadata['generateName'] === 'string' && missing.includes('metadata.name');
    const hint = generated ? ' (metadata.generateName is supported on sync hooks only: Sluice must know each object\'s name to track and prune it)' : '';
    errors.push({ file, line, code: 'MISSING_FIELD', message: `${label} is missing ${missing.join(', ')}${hint}` });
  }
  if (bad.length > 0) errors.push({ file, line, code: 'MISSING_FIELD', message: `${label} has invalid ${bad.join(', ')}` });
  if (errors.length > 0) return errors;
  return metadataProblems(object).map((p) => ({ file, line: lineOf?.(p.path) ?? line, code: 'INVALID_FIELD', message: `${label}: ${p.message}` }));
}

/**
 * A sync hook named by generateName alone, named for the checks as the API server checks a
 * generateName (its trailing dash masked: `migrate-` is validated as `migratea`); undefined
 * for anything else.
 */
function generatedHook(object: JsonObject): JsonObject | undefined {
  const metadata = object['metadata'];
  if (!isJsonObject(metadata) || metadata['name'] !== undefined || typeof metadata['generateName'] !== 'string' || !isHookObject(object)) return undefined;
  const prefix = metadata['generateName'];
  return { ...object, metadata: { ...metadata, name: prefix.length > 1 && prefix.endsWith('-') ? `${prefix.slice(0, -1)}a` : prefix } };
}

function checkString(value: unknown, field: string, missing: string[], bad: string[]): void {
  if (value === undefined || value === null || value === '') missing.push(field);
  else if (typeof value !== 'string') bad.push(`${field} (not a string)`);
}

function describe(object: JsonObject): string {
  const kind = typeof object['kind'] === 'string' && object['kind'] !== '' ? object['kind'].slice(0, 100) : 'object';
  const metadata = object['metadata'];
  const name = isJsonObject(metadata) && typeof metadata['name'] === 'string' ? metadata['name'] : '';
  return name === '' ? kind : `${kind} ${quoted(name)}`;
}

/** group/kind/namespace/name; group is '' for the core API ("v1"). Call only on valid objects. */
export function objectKey(object: JsonObject): string {
  const apiVersion = String(object['apiVersion']);
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const metadata = isJsonObject(object['metadata']) ? object['metadata'] : {};
  const ns = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  return [group, String(object['kind']), ns, String(metadata['name'] ?? metadata['generateName'])].join('/');
}

function displayKey(key: string): string {
  const [group = '', kind = '', ns = '', name = ''] = key.split('/');
  const gk = group === '' ? kind : `${kind}.${group}`;
  return ns === '' ? `${gk} ${name}` : `${gk} ${ns}/${name}`;
}

/**
 * Every object after the first with the same key, naming both places. `byApiVersion`: objects
 * differing only in API version are distinct, as in kustomize, whose resource ids carry the
 * version (a CRD's v1 and v2 samples of one name build side by side).
 */
export function duplicateErrors(items: readonly Located[], options: { byApiVersion?: boolean } = {}): RenderError[] {
  const first = new Map<string, Located>();
  const errors: RenderError[] = [];
  for (const item of items) {
    const key = objectKey(item.object);
    const id = options.byApiVersion === true ? `${key} ${String(item.object['apiVersion'])}` : key;
    const seen = first.get(id);
    if (seen === undefined) {
      first.set(id, item);
      continue;
    }
    errors.push({
      file: item.file,
      line: item.line,
      code: 'DUPLICATE_OBJECT',
      message: `duplicate object ${displayKey(key)}: defined at ${seen.file}:${seen.line} and ${item.file}:${item.line}`,
    });
  }
  return errors;
}
