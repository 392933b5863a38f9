/**
 * ignoreDifferences: fields removed from both sides before they are compared. Works in
 * place on objects the caller owns (resource-diff.ts hands it fresh copies).
 */
import type { IgnoreDifference } from '../app/types.ts';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';

type Container = JsonObject | JsonValue[];

function isContainer(v: JsonValue | undefined): v is Container {
  return Array.isArray(v) || isJsonObject(v);
}

function removeAt(parent: Container, key: string | number): void {
  if (Array.isArray(parent)) {
    if (typeof key === 'number' && key >= 0 && key < parent.length) parent.splice(key, 1);
  } else if (typeof key === 'string') {
    delete parent[key];
  }
}

function child(parent: Container, key: string | number): JsonValue | undefined {
  if (Array.isArray(parent)) return typeof key === 'number' ? parent[key] : undefined;
  return typeof key === 'string' && Object.hasOwn(parent, key) ? parent[key] : undefined;
}

/** Removes the value an RFC 6901 pointer names, if present. */
export function removeJsonPointer(doc: JsonObject, pointer: string): void {
  if (pointer === '' || !pointer.startsWith('/')) return;
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: JsonValue | undefined = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (!isContainer(node)) return;
    const t = tokens[i] as string;
    node = child(node, Array.isArray(node) ? Number(t) : t);
  }
  if (!isContainer(node)) return;
  const last = tokens[tokens.length - 1] as string;
  removeAt(node, Array.isArray(node) ? (/^\d+$/.test(last) ? Number(last) : -1) : last);
}

type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'filter'; readonly field: string; readonly value: JsonValue };

/** `.a.b`, `['a']`, `[*]`, `.*`, `[0]`, `[?(@.name=="x")]` (a leading `$` is optional). */
export function parseJsonPath(path: string): Step[] {
  const steps: Step[] = [];
  let rest = path.trim().replace(/^\$/, '');
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^\.\*/.exec(rest)) || (m = /^\[\*\]/.exec(rest))) steps.push({ kind: 'all' });
    else if ((m = /^\.([^.[\]]+)/.exec(rest))) steps.push({ kind: 'field', name: m[1] as string });
    else if ((m = /^\[(\d+)\]/.exec(rest))) steps.push({ kind: 'index', index: Number(m[1]) });
    else if ((m = /^\[['"]([^'"]*)['"]\]/.exec(rest))) steps.push({ kind: 'field', name: m[1] as string });
    else if ((m = /^\[\?\(@\.([\w.-]+)\s*==\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?|true|false))\)\]/.exec(rest))) {
      const literal = m[4];
      const value: JsonValue = m[2] ?? m[3] ?? (literal === undefined ? null : (JSON.parse(literal) as JsonValue));
      steps.push({ kind: 'filter', field: m[1] as string, value });
    } else throw new Error(`unsupported JSONPath ${JSON.stringify(path)} at ${JSON.stringify(rest)}`);
    rest = rest.slice(m[0].length);
  }
  return steps;
}

function fieldOf(item: JsonValue, dotted: string): JsonValue | undefined {
  let node: JsonValue | undefined = item;
  for (const part of dotted.split('.')) node = isJsonObject(node) && Object.hasOwn(node, part) ? node[part] : undefined;
  return node;
}

/** Every (parent, key) a step selects under `node`. */
function select(node: JsonValue, step: Step): [Container, string | number][] {
  if (step.kind === 'field') return isJsonObject(node) && Object.hasOwn(node, step.name) ? [[node, step.name]] : [];
  if (step.kind === 'index') return Array.isArray(node) && step.index < node.length ? [[node, step.index]] : [];
  if (step.kind === 'all') {
    if (Array.isArray(node)) return node.map((_, i): [Container, number] => [node, i]);
    return isJsonObject(node) ? Object.keys(node).map((k): [Container, string] => [node, k]) : [];
  }
  if (!Array.isArray(node)) return [];
  const out: [Container, number][] = [];
  node.forEach((item, i) => {
    if (jsonEqual(fieldOf(item, step.field), step.value)) out.push([node, i]);
  });
  return out;
}

/** Removes everything a simple JSONPath matches. */
export function removeJsonPath(doc: JsonObject, path: string): void {
  const steps = parseJsonPath(path);
  if (steps.length === 0) return;
  let nodes: JsonValue[] = [doc];
  for (const step of steps.slice(0, -1)) {
    nodes = nodes.flatMap((n) => select(n, step).map(([p, k]) => child(p, k) as JsonValue));
  }
  const last = steps[steps.length - 1] as Step;
  for (const node of nodes) {
    // highest index first, so earlier removals do not shift later ones
    const targets = select(node, last).reverse();
    for (const [parent, key] of targets) removeAt(parent, key);
  }
}

/** Removes from `doc` every field a fieldsV1 set names (`f:`, `k:{json}`, `v:json`, `.`). */
export function removeFieldSet(doc: JsonValue, fields: JsonObject): void {
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.') continue;
    const leaf = !isJsonObject(sub) || Object.keys(sub).every((k) => k === '.');
    if (key.startsWith('f:') && isJsonObject(doc)) {
      const name = key.slice(2);
      if (!Object.hasOwn(doc, name)) continue;
      if (leaf) delete doc[name];
      else removeFieldSet(doc[name] as JsonValue, sub as JsonObject);
    } else if ((key.startsWith('k:') || key.startsWith('v:')) && Array.isArray(doc)) {
      const match = parseJson(key.slice(2));
      if (match === undefined) continue;
      const i = doc.findIndex((item) =>
        key.startsWith('v:')
          ? jsonEqual(item, match)
          : isJsonObject(match) && Object.entries(match).every(([mk, mv]) => jsonEqual(fieldOf(item, mk), mv)),
      );
      if (i < 0) continue;
      if (leaf) doc.splice(i, 1);
      else removeFieldSet(doc[i] as JsonValue, sub as JsonObject);
    }
  }
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

/** The fieldsV1 sets `live.metadata.managedFields` gives the named managers. */
export function managedFieldSets(live: JsonObject, managers: readonly string[]): JsonObject[] {
  if (managers.length === 0) return [];
  const meta = live.metadata;
  if (!isJsonObject(meta) || !Array.isArray(meta.managedFields)) return [];
  return meta.managedFields.flatMap((entry) =>
    isJsonObject(entry) && typeof entry.manager === 'string' && managers.includes(entry.manager) && isJsonObject(entry.fieldsV1)
      ? [entry.fieldsV1]
      : [],
  );
}

/** Whether a rule applies to the object (group '' is core; absent name/namespace match all). */
export function ruleMatches(rule: IgnoreDifference, obj: JsonObject): boolean {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const meta = isJsonObject(obj.metadata) ? obj.metadata : {};
  return (
    rule.group === group &&
    (rule.kind === obj.kind || rule.kind === '*') &&
    (rule.name === undefined || rule.name === '' || rule.name === meta.name) &&
    (rule.namespace === undefined || rule.namespace === '' || rule.namespace === (meta.namespace ?? ''))
  );
}

/** Applies the matching rules to `doc` in place; `fieldSets` come from the live object's managedFields. */
export function applyIgnoreRules(doc: JsonObject, rules: readonly IgnoreDifference[], fieldSets: readonly JsonObject[]): void {
  for (const rule of rules) {
    for (const pointer of rule.jsonPointers) removeJsonPointer(doc, pointer);
    for (const path of rule.jsonPaths) removeJsonPath(doc, path);
  }
  for (const set of fieldSets) removeFieldSet(doc, set);
}
