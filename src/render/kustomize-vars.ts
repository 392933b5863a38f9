/**
 * kustomize's `vars`: a var names one object (objref, matched by any id it has had when its
 * kustomization declares the var, as kustomize's MergeVars binds it) and one of its fields
 * (fieldref, default metadata.name). Once the whole build is done — hashes added and names
 * fixed — each `$(NAME)` in a varReference field is replaced by that field's final value
 * (kustomize's ResolveVars and refvar filter; `$$` stands for `$`).
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { groupVersion, visitFieldSpec, type GvkFieldSpec } from './kustomize-fieldspec.ts';
import { CLUSTER_SCOPED_KINDS } from './kustomize-fields.ts';
import type { Item } from './kustomize-merge.ts';
import { kindOf, nameOf, namespaceOf, sameNamespace } from './kustomize-transforms.ts';

export interface VarDecl {
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly objectName: string;
  readonly namespace: string;
  readonly fieldPath: string;
}

export class VarError extends Error {}

/** The `vars` list of a kustomization, checked. */
export function parseVars(value: JsonValue | undefined): VarDecl[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new VarError('vars must be a list');
  return value.map((entry, i) => {
    const at = `vars[${i}]`;
    if (!isJsonObject(entry)) throw new VarError(`${at} must be a mapping`);
    const name = entry['name'];
    if (typeof name !== 'string' || name === '') throw new VarError(`${at}.name is required`);
    const objref = entry['objref'] ?? entry['objRef'];
    if (!isJsonObject(objref)) throw new VarError(`${at}.objref is required`);
    const text = (holder: JsonObject, key: string): string => (typeof holder[key] === 'string' ? holder[key] : '');
    // kustomize reads this struct case-insensitively, and users write both fieldPath and fieldpath
    const fieldref = entry['fieldref'] ?? entry['fieldRef'];
    const fieldPath = isJsonObject(fieldref) ? text(fieldref, 'fieldPath') || text(fieldref, 'fieldpath') : '';
    const apiVersion = text(objref, 'apiVersion');
    const gv = apiVersion === '' ? { group: text(objref, 'group'), version: text(objref, 'version') } : groupVersion(apiVersion);
    return { name, ...gv, kind: text(objref, 'kind'), objectName: text(objref, 'name'), namespace: text(objref, 'namespace'), fieldPath: fieldPath || 'metadata.name' };
  });
}

/** Every id an item has had, newest last. */
function idsOf(item: Item): { name: string; namespace: string }[] {
  return [...item.previousIds, { name: item.originalName, namespace: item.originalNamespace }, { name: nameOf(item.object), namespace: namespaceOf(item.object) }];
}

/**
 * Binds each var to the one object it names among `items` (the declaring level's objects),
 * returning the items with the binding recorded; `known` are the var names declared so far in
 * the build, which a new var must not repeat.
 */
export function bindVars(items: readonly Item[], vars: readonly VarDecl[], known: ReadonlySet<string>): Item[] {
  const out = [...items];
  const seen = new Set(known);
  for (const v of vars) {
    if (seen.has(v.name)) throw new VarError(`var '${v.name}' already encountered`);
    seen.add(v.name);
    const strictNamespace = v.namespace !== '' || CLUSTER_SCOPED_KINDS.has(v.kind);
    const matched = out.flatMap((item, index) => {
      const { group, version } = groupVersion(item.object['apiVersion']);
      if (kindOf(item.object) !== v.kind || group !== v.group || version !== v.version) return [];
      return idsOf(item).some((id) => id.name === v.objectName && (!strictNamespace || sameNamespace(id.namespace, v.namespace))) ? [index] : [];
    });
    if (matched.length > 1) throw new VarError(`found ${matched.length} resId matches for var ${describe(v)} (unable to disambiguate)`);
    const index = matched[0];
    const item = index === undefined ? undefined : out[index];
    if (index !== undefined && item !== undefined) out[index] = { ...item, refVars: [...(item.refVars ?? []), v.name] };
  }
  return out;
}

function describe(v: VarDecl): string {
  return `'${v.name}' (${v.kind} ${JSON.stringify(v.objectName)}, ${v.fieldPath})`;
}

/** `a.b[0].c` → ['a', 'b', 0, 'c']. */
function fieldPathSegments(path: string): (string | number)[] {
  return path.split('.').flatMap((part) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) return [part];
    const indexes = [...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] !== '' ? [m[1] ?? ''] : []), ...indexes];
  });
}

function valueAt(object: JsonObject, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = object;
  for (const segment of fieldPathSegments(path)) {
    if (typeof segment === 'number') node = Array.isArray(node) ? node[segment] : undefined;
    else node = isJsonObject(node) ? node[segment] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

type Primitive = string | number | boolean;

/** Each var's value from the object bound to it; kustomize keeps `$(NAME)` for a value that is not a scalar. */
function varValues(items: readonly Item[], vars: readonly VarDecl[]): Map<string, Primitive | undefined> {
  const values = new Map<string, Primitive | undefined>();
  for (const v of vars) {
    const item = items.find((i) => i.refVars?.includes(v.name));
    if (item === undefined) throw new VarError(`var ${describe(v)} cannot be mapped to a field in the set of known resources`);
    const value = valueAt(item.object, v.fieldPath);
    if (value === undefined) throw new VarError(`field specified in var ${describe(v)} not found in corresponding resource`);
    values.set(v.name, typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined);
  }
  return values;
}

/** kustomize's DoReplacements: the whole string `$(NAME)` takes the value's type; elsewhere it is spliced in as text. */
export function expand(input: string, lookup: (name: string) => Primitive | undefined): Primitive {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
        continue;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      if (value !== undefined && close === input.length - 1 && i === 0) return value;
      out += value === undefined ? `$(${name})` : String(value);
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** Substitutes every var at the varReference fields of every object. Mutates the items' objects. */
export function resolveVars(items: readonly Item[], vars: readonly VarDecl[], varReference: readonly GvkFieldSpec[]): void {
  const values = varValues(items, vars);
  if (values.size === 0) return;
  const lookup = (name: string) => values.get(name);
  for (const { object } of items) {
    for (const spec of varReference) {
      visitFieldSpec(object, spec, (holder, key) => {
        const value = holder[key];
        if (typeof value === 'string') holder[key] = expand(value, lookup);
        else if (Array.isArray(value)) {
          holder[key] = value.map((element) => {
            if (typeof element !== 'string') throw new VarError(`considering field '${spec.path.join('/')}' of ${kindOf(object)} ${JSON.stringify(nameOf(object))}: invalid value type expect a string`);
            return expand(element, lookup);
          });
        } else if (isJsonObject(value)) {
          for (const [k, v] of Object.entries(value)) if (typeof v === 'string') value[k] = expand(v, lookup);
        }
      });
    }
  }
}
