/**
 * The Project resource (sluice.dev/v1alpha1, kind Project), shaped like Argo CD's
 * AppProject: which repositories an app may deploy from, to which clusters and
 * namespaces, and which kinds it may write there. Validation here (pure, every problem at
 * its JSON path, unknown fields rejected); the rules themselves are in src/project/check.ts.
 *
 * Namespace creation follows Argo CD: CreateNamespace=true writes a Namespace, a
 * cluster-scoped object, so the project's clusterResourceWhitelist must allow kind
 * Namespace (group "") and its blacklist must not deny it — there is no separate switch.
 */
import { compileFilepathGlob, compileGlob } from '../project/glob.ts';
import {
  child,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  Errors,
  isPlainObject,
  readArray,
  readObject,
  readString,
  typeName,
  validate,
  type ValidationError,
} from './fields.ts';
import { APPLICATION_API_VERSION } from './types.ts';
import { DEFAULT_APPLICATION_NAMESPACE } from './validate.ts';

export const PROJECT_KIND = 'Project';
export const DEFAULT_PROJECT_NAME = 'default';

/** A destination pattern: a cluster by server URL or name (or both), and a namespace. Each a glob; `!` in front denies. */
export interface ProjectDestination {
  readonly server?: string;
  readonly name?: string;
  readonly namespace: string;
}

/** An entry of a kind list: group and kind globs (Go filepath.Match), and optionally an object-name glob. */
export interface ResourceRule {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
}

export interface ProjectSpec {
  readonly description?: string;
  /** Repository URL globs ('/' separates); `!` in front denies. None: no repository is allowed. */
  readonly sourceRepos: readonly string[];
  /** None: no destination is allowed. */
  readonly destinations: readonly ProjectDestination[];
  /** Cluster-scoped kinds allowed; none listed means none allowed (Argo CD's rule). */
  readonly clusterResourceWhitelist: readonly ResourceRule[];
  readonly clusterResourceBlacklist: readonly ResourceRule[];
  /** Namespaced kinds allowed; absent means all, an empty list none (Argo CD's rule). */
  readonly namespaceResourceWhitelist?: readonly ResourceRule[];
  readonly namespaceResourceBlacklist: readonly ResourceRule[];
}

export interface Project {
  readonly name: string;
  /** Namespace the Project lives in: apps of the same namespace may name it. */
  readonly namespace: string;
  readonly spec: ProjectSpec;
}

/** Argo CD's built-in `default` project: any repository, any destination, any kind. Used when no Project named default is given. */
export function defaultProject(namespace: string): Project {
  return {
    name: DEFAULT_PROJECT_NAME,
    namespace,
    spec: {
      sourceRepos: ['*'],
      destinations: [{ server: '*', name: '*', namespace: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [],
      namespaceResourceBlacklist: [],
    },
  };
}

export function isProjectObject(obj: unknown): obj is Record<string, unknown> {
  return isPlainObject(obj) && obj.apiVersion === APPLICATION_API_VERSION && obj.kind === PROJECT_KIND;
}

const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;
export const PROJECT_SPEC_FIELDS = [
  'description',
  'sourceRepos',
  'destinations',
  'clusterResourceWhitelist',
  'clusterResourceBlacklist',
  'namespaceResourceWhitelist',
  'namespaceResourceBlacklist',
] as const;
export const DESTINATION_FIELDS = ['server', 'name', 'namespace'] as const;
export const RESOURCE_RULE_FIELDS = ['group', 'kind', 'name'] as const;

export type ProjectParseResult = { ok: true; project: Project } | { ok: false; errors: (ValidationError & { readonly where: string })[] };

/** Validates one Project object; `where` names its origin and is copied onto every error. */
export function parseProject(obj: unknown, where: string): ProjectParseResult {
  const result = validate(PROJECT_KIND, where, (errors) => readProject(errors, obj));
  return result.ok ? { ok: true, project: result.value } : result;
}

function readProject(errors: Errors, obj: unknown): Project | undefined {
  if (!isPlainObject(obj)) {
    errors.add('', `a Project must be an object, not ${typeName(obj)}`);
    return undefined;
  }
  readObject(errors, obj, '', TOP_FIELDS);
  // Only name and namespace matter; the rest of ObjectMeta is the API server's business.
  if (obj.metadata !== undefined && obj.metadata !== null && !isPlainObject(obj.metadata)) errors.add('metadata', `must be an object, not ${typeName(obj.metadata)}`);
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : undefined;
  const name = readString(errors, metadata?.name, 'metadata.name');
  if (!name) errors.add('metadata.name', 'is required');
  else {
    const problem = dns1123SubdomainProblem(name);
    if (problem) errors.add('metadata.name', problem);
  }
  const namespace = readString(errors, metadata?.namespace, 'metadata.namespace') || DEFAULT_APPLICATION_NAMESPACE;
  const nsProblem = dns1123LabelProblem(namespace);
  if (nsProblem) errors.add('metadata.namespace', nsProblem);
  if (obj.spec === undefined || obj.spec === null) {
    errors.add('spec', 'is required (sourceRepos and destinations at least)');
    return undefined;
  }
  const spec = readObject(errors, obj.spec, 'spec', PROJECT_SPEC_FIELDS);
  if (!spec || !name) return undefined;
  const description = readString(errors, spec.description, 'spec.description');
  const namespaceWhitelist = spec.namespaceResourceWhitelist;
  return {
    name,
    namespace,
    spec: {
      ...(description ? { description } : {}),
      sourceRepos: readGlobs(errors, spec.sourceRepos, 'spec.sourceRepos'),
      destinations: readDestinations(errors, spec.destinations),
      clusterResourceWhitelist: readRules(errors, spec.clusterResourceWhitelist, 'spec.clusterResourceWhitelist'),
      clusterResourceBlacklist: readRules(errors, spec.clusterResourceBlacklist, 'spec.clusterResourceBlacklist'),
      ...(namespaceWhitelist === undefined || namespaceWhitelist === null
        ? {}
        : { namespaceResourceWhitelist: readRules(errors, namespaceWhitelist, 'spec.namespaceResourceWhitelist') }),
      namespaceResourceBlacklist: readRules(errors, spec.namespaceResourceBlacklist, 'spec.namespaceResourceBlacklist'),
    },
  };
}

/** A glob of gobwas/glob's dialect, `!` allowed in front; the separator is '/' for repositories. */
function globProblem(pattern: string, separators: string): string | undefined {
  const compiled = compileGlob(pattern.startsWith('!') ? pattern.slice(1) : pattern, separators);
  return compiled.ok ? undefined : `"${pattern}" is not a valid glob: it ${compiled.message}`;
}

function readGlob(errors: Errors, value: unknown, path: string, separators: string): string | undefined {
  const pattern = readString(errors, value, path);
  if (pattern === undefined) return undefined;
  if (pattern === '') {
    errors.add(path, 'must not be empty (use "*" for any)');
    return undefined;
  }
  const problem = globProblem(pattern, separators);
  if (problem) errors.add(path, problem);
  return problem ? undefined : pattern;
}

function readGlobs(errors: Errors, value: unknown, path: string): string[] {
  return readArray(errors, value, path).flatMap((item, i) => {
    const at = child(path, i);
    if (item === undefined || item === null) errors.add(at, 'must be a repository URL glob, not null');
    return readGlob(errors, item, at, '/') ?? [];
  });
}

function readDestinations(errors: Errors, value: unknown): ProjectDestination[] {
  return readArray(errors, value, 'spec.destinations').flatMap((item, i) => {
    const at = child('spec.destinations', i);
    if (item === undefined || item === null) {
      errors.add(at, 'must be an object with server or name, and namespace');
      return [];
    }
    const dest = readObject(errors, item, at, DESTINATION_FIELDS);
    if (!dest) return [];
    const server = readGlob(errors, dest.server, child(at, 'server'), '');
    const name = readGlob(errors, dest.name, child(at, 'name'), '');
    const namespace = readGlob(errors, dest.namespace, child(at, 'namespace'), '');
    if (server === undefined && name === undefined && dest.server == null && dest.name == null) errors.add(at, 'needs server or name (a glob; "*" for any cluster)');
    if (dest.namespace === undefined || dest.namespace === null) errors.add(child(at, 'namespace'), 'is required (a glob; "*" for any namespace)');
    if ((server === undefined && name === undefined) || namespace === undefined) return [];
    return [{ ...(server === undefined ? {} : { server }), ...(name === undefined ? {} : { name }), namespace }];
  });
}

function readRules(errors: Errors, value: unknown, path: string): ResourceRule[] {
  return readArray(errors, value, path).flatMap((item, i) => {
    const at = child(path, i);
    if (item === undefined || item === null) {
      errors.add(at, 'must be an object with group and kind');
      return [];
    }
    const rule = readObject(errors, item, at, RESOURCE_RULE_FIELDS);
    if (!rule) return [];
    const group = readFilepathGlob(errors, rule.group, child(at, 'group'), '"" for the core group, "*" for any');
    const kind = readFilepathGlob(errors, rule.kind, child(at, 'kind'), 'e.g. ClusterRoleBinding, "*" for any');
    const name = rule.name === undefined || rule.name === null || rule.name === '' ? undefined : readFilepathGlob(errors, rule.name, child(at, 'name'), '');
    if (group === undefined || kind === undefined) return [];
    return [{ group, kind, ...(name === undefined ? {} : { name }) }];
  });
}

function readFilepathGlob(errors: Errors, value: unknown, path: string, hint: string): string | undefined {
  const pattern = readString(errors, value, path);
  if (pattern === undefined) {
    if (value === undefined || value === null) errors.add(path, `is required (${hint})`);
    return undefined;
  }
  const compiled = compileFilepathGlob(pattern);
  if (!compiled.ok) {
    errors.add(path, `"${pattern}" is not a valid pattern: it ${compiled.message}`);
    return undefined;
  }
  return pattern;
}
