/**
 * Which objects a kustomize selector picks: by resource id (group, version, kind, name,
 * namespace; an empty field matches anything, names compared exactly as kustomize v5.5's
 * ResId.IsSelectedBy does, '' and 'default' being the same namespace), against the object's
 * current id or any id it had before a transformer renamed it; and by Kubernetes label
 * (or annotation) selector strings (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`,
 * `!a`, comma-separated and all required), as in apimachinery's labels.Parse.
 */
import { isJsonObject, type JsonObject } from '../json.ts';
import type { Item } from './kustomize-merge.ts';
import { kindOf, metadataOf, nameOf, namespaceOf, sameNamespace } from './kustomize-transforms.ts';

export const ID_FIELDS = ['group', 'version', 'kind', 'name', 'namespace'] as const;
export type IdSelector = Partial<Record<(typeof ID_FIELDS)[number], string>>;

interface Requirement {
  readonly key: string;
  readonly op: 'in' | 'notin' | 'exists' | '!exists';
  readonly values: readonly string[];
}

/** Parsed selector requirements, or an error message for a malformed selector. */
export type ParsedSelector = { ok: true; requirements: readonly Requirement[] } | { ok: false; message: string };

const KEY = /^(?:[a-z0-9A-Z.-]+\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const VALUE = /^(?:[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/;

/** apimachinery's label selector syntax (the set-based and equality-based forms). */
export function parseSelector(text: string): ParsedSelector {
  const requirements: Requirement[] = [];
  for (const part of splitTopLevel(text.trim())) {
    const clause = part.trim();
    if (clause === '') continue;
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(clause);
    const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(clause);
    const exists = /^(!?)\s*([^!=\s()]+)$/.exec(clause);
    let requirement: Requirement;
    if (set !== null) requirement = { key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values: (set[3] ?? '').split(',').map((v) => v.trim()) };
    else if (equality !== null) requirement = { key: equality[1] ?? '', op: equality[2] === '!=' ? 'notin' : 'in', values: [equality[3] ?? ''] };
    else if (exists !== null) requirement = { key: exists[2] ?? '', op: exists[1] === '!' ? '!exists' : 'exists', values: [] };
    else return { ok: false, message: `unable to parse requirement ${JSON.stringify(clause)}` };
    if (!KEY.test(requirement.key)) return { ok: false, message: `invalid label key ${JSON.stringify(requirement.key)}` };
    const bad = requirement.values.find((v) => !VALUE.test(v));
    if (bad !== undefined) return { ok: false, message: `invalid label value ${JSON.stringify(bad)}` };
    requirements.push(requirement);
  }
  return { ok: true, requirements };
}

/** Commas separate requirements except inside `( … )` value sets. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

export function matchesRequirements(map: Readonly<Record<string, unknown>>, requirements: readonly Requirement[]): boolean {
  return requirements.every(({ key, op, values }) => {
    const value = map[key];
    const present = typeof value === 'string';
    switch (op) {
      case 'exists': return present;
      case '!exists': return !present;
      case 'in': return present && values.includes(value);
      case 'notin': return !present || !values.includes(value);
    }
  });
}

/** The object's labels or annotations as a string map (non-string values never match). */
export function metadataMap(object: JsonObject, field: 'labels' | 'annotations'): Readonly<Record<string, unknown>> {
  const map = metadataOf(object)[field];
  return isJsonObject(map) ? map : {};
}

interface ResId {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
}

/** kustomize's MakeResIds: the object's current id, then the ids it had before renames. */
export function resIds(item: Item): ResId[] {
  const apiVersion = typeof item.object['apiVersion'] === 'string' ? item.object['apiVersion'] : '';
  const slash = apiVersion.lastIndexOf('/');
  const gvk = { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1), kind: kindOf(item.object) };
  const earlier = [{ name: item.originalName, namespace: item.originalNamespace }, ...[...item.previousIds].reverse()];
  return [{ ...gvk, name: nameOf(item.object), namespace: namespaceOf(item.object) }, ...earlier.map((id) => ({ ...gvk, ...id }))];
}

export function idSelected(id: ResId, selector: IdSelector): boolean {
  const { group, version, kind, name, namespace } = selector;
  return (group === undefined || group === '' || group === id.group)
    && (version === undefined || version === '' || version === id.version)
    && (kind === undefined || kind === '' || kind === id.kind)
    && (name === undefined || name === '' || name === id.name)
    && (namespace === undefined || namespace === '' || sameNamespace(namespace, id.namespace));
}

export function isEmptySelector(selector: IdSelector): boolean {
  return ID_FIELDS.every((f) => selector[f] === undefined || selector[f] === '');
}
