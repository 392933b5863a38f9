/**
 * What the API server would refuse in an object's metadata, found at render time so that a
 * commit fails with file:line before any request (a 100,000-character name otherwise fails
 * a GET with 431, a numeric label value a create with 400): the name's length and syntax per
 * kind, the namespace's syntax, label keys and values (syntax and type: a YAML `1` is a
 * number, which the server cannot decode into a string), annotation keys, value types and
 * total size. Pure. The string rules are the embedded cluster's own (sim/validation/content.ts,
 * k8s.io/apimachinery's texts), so both give the same answer; values in messages are bounded.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { byteLength, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isLabelValue, isPathSegmentName, isQualifiedName } from '../sim/validation/content.ts';
import { TOTAL_ANNOTATION_SIZE_LIMIT } from '../sim/validation/meta.ts';
import { quoted } from './format.ts';
import { CLUSTER_SCOPED_KINDS } from './kustomize-fields.ts';

export type FieldPath = readonly (string | number)[];

export interface FieldProblem {
  /** Where in the object, for the error's line. */
  readonly path: FieldPath;
  readonly message: string;
}

type NameRule = (name: string) => string[];

/** The CronJob controller appends "-<minutes since epoch>" (11 characters) to make Job names of at most 63. */
const CRONJOB_NAME_MAX = 52;

/**
 * Name rules by "<group>/<kind>" where they differ from the DNS-1123 subdomain every other
 * kind (custom resources included) must be, as the API server validates them.
 */
const NAME_RULES: Readonly<Record<string, NameRule>> = {
  '/Namespace': isDNS1123Label,
  '/Service': isDNS1035Label,
  // its pods are named <name>-<ordinal> and use that as their hostname
  'apps/StatefulSet': isDNS1123Label,
  'batch/CronJob': (name) => [...isDNS1123Subdomain(name), ...(name.length > CRONJOB_NAME_MAX ? [`must be no more than ${CRONJOB_NAME_MAX} characters`] : [])],
  // RBAC names only need to be one URL path segment ("system:controller:x" is fine)
  'rbac.authorization.k8s.io/Role': isPathSegmentName,
  'rbac.authorization.k8s.io/RoleBinding': isPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRole': isPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRoleBinding': isPathSegmentName,
};

/** Problems in an object whose apiVersion, kind and metadata.name are already known to be strings. */
export function metadataProblems(object: JsonObject): FieldProblem[] {
  const metadata = object['metadata'];
  if (!isJsonObject(metadata)) return [];
  const apiVersion = String(object['apiVersion']);
  const kind = String(object['kind']);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  const problems: FieldProblem[] = [];
  const name = String(metadata['name']);
  const rule = NAME_RULES[`${group}/${kind}`] ?? isDNS1123Subdomain;
  for (const why of rule(name)) problems.push({ path: ['metadata', 'name'], message: `metadata.name ${quoted(name)}: ${why}` });
  const namespace = metadata['namespace'];
  // a stray namespace on a cluster-scoped kind is dropped before applying, so it cannot be refused
  if (typeof namespace === 'string' && namespace !== '' && !CLUSTER_SCOPED_KINDS.has(kind)) {
    for (const why of isDNS1123Label(namespace)) problems.push({ path: ['metadata', 'namespace'], message: `metadata.namespace ${quoted(namespace)}: ${why}` });
  }
  problems.push(...labelProblems(metadata['labels']), ...annotationProblems(metadata['annotations']));
  return problems;
}

function labelProblems(labels: JsonValue | undefined): FieldProblem[] {
  const map = stringMap(labels, 'labels');
  if (!map.ok) return [map.problem];
  const problems: FieldProblem[] = [...map.problems];
  for (const [key, value] of map.entries) {
    const path = ['metadata', 'labels', key];
    for (const why of isQualifiedName(key)) problems.push({ path, message: `metadata.labels key ${quoted(key)}: ${why}` });
    for (const why of isLabelValue(value)) problems.push({ path, message: `metadata.labels[${quoted(key)}] value ${quoted(value)}: ${why}` });
  }
  return problems;
}

function annotationProblems(annotations: JsonValue | undefined): FieldProblem[] {
  const map = stringMap(annotations, 'annotations');
  if (!map.ok) return [map.problem];
  const problems: FieldProblem[] = [...map.problems];
  let total = 0;
  for (const [key, value] of map.entries) {
    // keys are qualified names, except that case does not matter
    for (const why of isQualifiedName(key.toLowerCase())) problems.push({ path: ['metadata', 'annotations', key], message: `metadata.annotations key ${quoted(key)}: ${why}` });
    total += byteLength(key) + byteLength(value);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    problems.push({ path: ['metadata', 'annotations'], message: `metadata.annotations: ${total} bytes in all, more than the API server's limit of ${TOTAL_ANNOTATION_SIZE_LIMIT}` });
  }
  return problems;
}

type StringMap = { ok: true; entries: [string, string][]; problems: FieldProblem[] } | { ok: false; problem: FieldProblem };

/** A map[string]string as Go decodes JSON into it: null is "", anything but a string is refused. */
function stringMap(value: JsonValue | undefined, field: 'labels' | 'annotations'): StringMap {
  if (value === undefined || value === null) return { ok: true, entries: [], problems: [] };
  if (!isJsonObject(value)) {
    const what = Array.isArray(value) ? 'a sequence' : `a ${typeof value}`;
    return { ok: false, problem: { path: ['metadata', field], message: `metadata.${field} must be a mapping of strings, not ${what}` } };
  }
  const entries: [string, string][] = [];
  const problems: FieldProblem[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' || v === null) entries.push([key, v ?? '']);
    else {
      const what = Array.isArray(v) ? 'a sequence' : isJsonObject(v) ? 'a mapping' : `the ${typeof v} ${String(v)}`;
      problems.push({ path: ['metadata', field, key], message: `metadata.${field}[${quoted(key)}] must be a string, not ${what} (quote it in YAML)` });
    }
  }
  return { ok: true, entries, problems };
}
