/**
 * Argo CD's Application and AppProject (`argoproj.io/v1alpha1`) → the `sluice.dev/v1alpha1`
 * Application and Project that parseApplication and parseProject validate. Pure. What Sluice honours is copied at the same JSON path,
 * so validation errors point where the user wrote the field; everything else is left out
 * and named, so one warning per app lists exactly what Sluice will not do.
 */
import { isPlainObject } from './fields.ts';
import { PROJECT_KIND, PROJECT_SPEC_FIELDS } from './project.ts';
import { APPLICATION_API_VERSION, APPLICATION_KIND } from './types.ts';
import { SYNC_OPTION_NAMES } from './validate.ts';

export const ARGOCD_API_VERSION = 'argoproj.io/v1alpha1';
export const ARGOCD_PROJECT_KIND = 'AppProject';

type JsonMap = Record<string, unknown>;

export interface ArgoConversion {
  /** The sluice.dev form, not yet validated. */
  readonly object: JsonMap;
  /** JSON paths of the Argo CD fields left out (a left-out sync option with its text). */
  readonly unhonoured: readonly string[];
}

export function isArgoApplication(obj: unknown): obj is JsonMap {
  return isPlainObject(obj) && obj.apiVersion === ARGOCD_API_VERSION && obj.kind === APPLICATION_KIND;
}

export function isArgoAppProject(obj: unknown): obj is JsonMap {
  return isPlainObject(obj) && obj.apiVersion === ARGOCD_API_VERSION && obj.kind === ARGOCD_PROJECT_KIND;
}

// Output, not configuration: an Argo CD object read from a cluster carries it, and it means nothing to Sluice.
const IGNORED_TOP = new Set(['apiVersion', 'kind', 'status']);
const KEPT_METADATA = new Set(['name', 'namespace', 'labels', 'annotations']);
// What the API server writes on an object read from the cluster: not the user's, never worth a warning.
const SERVER_METADATA = new Set(['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink']);
const ARGO_ANNOTATION_PREFIX = 'argocd.argoproj.io/';
type Shape = true | { readonly [field: string]: Shape };
const HONOURED: { readonly [field: string]: Shape } = {
  project: true,
  source: {
    repoURL: true, targetRevision: true, path: true, chart: true, directory: { recurse: true },
    helm: { releaseName: true, valueFiles: true, ignoreMissingValueFiles: true, values: true, valuesObject: true, parameters: true, skipCrds: true, namespace: true },
  },
  destination: { namespace: true, server: true, name: true },
  syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: true },
  ignoreDifferences: true,
};
const IGNORE_DIFFERENCE_FIELDS: { readonly [field: string]: Shape } = {
  group: true, kind: true, name: true, namespace: true, jsonPointers: true, jsonPaths: true, managedFieldsManagers: true,
};
const IGNORE_LISTS = ['jsonPointers', 'jsonPaths', 'managedFieldsManagers'];

/**
 * An AppProject's fields Sluice enforces, copied as they are (parseProject judges their
 * content); roles, syncWindows, orphanedResources, signatureKeys, sourceNamespaces,
 * destinationServiceAccounts, permitOnlyProjectScopedClusters … are named.
 */
const PROJECT_HONOURED: { readonly [field: string]: Shape } = Object.fromEntries(PROJECT_SPEC_FIELDS.map((field) => [field, true]));

export function convertArgoApplication(argo: JsonMap): ArgoConversion {
  return convertObject(argo, APPLICATION_KIND, convertSpec);
}

export function convertArgoAppProject(argo: JsonMap): ArgoConversion {
  return convertObject(argo, PROJECT_KIND, (spec, unhonoured) => pick(spec, PROJECT_HONOURED, 'spec', unhonoured));
}

function convertObject(argo: JsonMap, kind: string, convert: (spec: JsonMap, unhonoured: string[]) => JsonMap): ArgoConversion {
  const unhonoured: string[] = [];
  for (const key of Object.keys(argo)) {
    if (!IGNORED_TOP.has(key) && key !== 'metadata' && key !== 'spec') unhonoured.push(key);
  }
  const object: JsonMap = { apiVersion: APPLICATION_API_VERSION, kind };
  if (argo.metadata !== undefined) object.metadata = convertMetadata(argo.metadata, unhonoured);
  if (argo.spec !== undefined) object.spec = isPlainObject(argo.spec) ? convert(argo.spec, unhonoured) : argo.spec;
  return { object, unhonoured };
}

function convertSpec(argo: JsonMap, unhonoured: string[]): JsonMap {
  const spec = pick(argo, HONOURED, 'spec', unhonoured);
  // Argo CD reads a plain directory's top level only unless told to recurse; Sluice's default is to recurse
  if (isPlainObject(spec.source) && spec.source.chart === undefined) {
    const directory = isPlainObject(spec.source.directory) ? spec.source.directory : {};
    if (directory.recurse === undefined || directory.recurse === null) spec.source.directory = { ...directory, recurse: false };
  }
  const syncPolicy = spec.syncPolicy;
  if (isPlainObject(syncPolicy) && Array.isArray(syncPolicy.syncOptions)) {
    syncPolicy.syncOptions = syncPolicy.syncOptions.filter((option, i) => {
      const name = typeof option === 'string' ? option.split('=')[0]! : '';
      if (typeof option !== 'string' || Object.hasOwn(SYNC_OPTION_NAMES, name)) return true; // parseApplication judges it
      unhonoured.push(`spec.syncPolicy.syncOptions[${i}] (${option})`);
      return false;
    });
  }
  if (Array.isArray(spec.ignoreDifferences)) spec.ignoreDifferences = convertIgnoreDifferences(spec.ignoreDifferences, unhonoured);
  return spec;
}

/**
 * Argo CD's entries with the fields Sluice matches on: an omitted group is the core group
 * (""), as in Argo CD; an entry left ignoring nothing (jqPathExpressions only) is dropped, named.
 */
function convertIgnoreDifferences(entries: readonly unknown[], unhonoured: string[]): unknown[] {
  return entries.flatMap((entry, i) => {
    if (!isPlainObject(entry)) return [entry]; // parseApplication says what is wrong with it
    const at = `spec.ignoreDifferences[${i}]`;
    const kept = pick(entry, IGNORE_DIFFERENCE_FIELDS, at, unhonoured);
    if (kept.group === undefined) kept.group = '';
    const ignoresSomething = IGNORE_LISTS.some((list) => Array.isArray(kept[list]) && kept[list].length > 0);
    const leftOut = Object.keys(entry).some((key) => IGNORE_DIFFERENCE_FIELDS[key] === undefined);
    if (!ignoresSomething && leftOut) return [];
    return [kept];
  });
}

/** `apps.yaml: Application guestbook: Argo CD fields Sluice does not honour (left out): spec.source.helm, …` */
export function unhonouredWarning(where: string, kind: string, name: string, unhonoured: readonly string[]): string | undefined {
  if (unhonoured.length === 0) return undefined;
  return `${where}: ${kind} ${name}: Argo CD fields Sluice does not honour (left out): ${unhonoured.join(', ')}`;
}

function convertMetadata(value: unknown, unhonoured: string[]): unknown {
  if (!isPlainObject(value)) return value;
  const out: JsonMap = {};
  for (const [key, v] of Object.entries(value)) {
    if (SERVER_METADATA.has(key)) continue;
    if (!KEPT_METADATA.has(key)) unhonoured.push(`metadata.${key}`);
    else if (key === 'annotations' && isPlainObject(v)) {
      out.annotations = Object.fromEntries(
        Object.entries(v).filter(([name]) => {
          if (!name.startsWith(ARGO_ANNOTATION_PREFIX)) return true;
          unhonoured.push(`metadata.annotations.${name}`);
          return false;
        }),
      );
    } else out[key] = v;
  }
  return out;
}

/** The fields of `value` that `shape` lists (recursively); the others are named in `unhonoured`. */
function pick(value: JsonMap, shape: { readonly [field: string]: Shape }, path: string, unhonoured: string[]): JsonMap {
  const out: JsonMap = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = shape[key];
    if (sub === undefined) unhonoured.push(`${path}.${key}`);
    else if (sub === true || !isPlainObject(v)) out[key] = v;
    else out[key] = pick(v, sub, `${path}.${key}`, unhonoured);
  }
  return out;
}
