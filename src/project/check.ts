/**
 * Projects as a security boundary: is this app, and each object it would write, allowed by
 * its project? Pure — (project, app source, destination cluster, objects) in, violations
 * out — so the sync runs it before its first request that could write (the server-side dry
 * run included), and a cluster registry only has to say which cluster a destination is.
 *
 * The rules are Argo CD's (pkg/apis/application/v1alpha1 AppProject):
 * - sourceRepos: the app's repository URL, normalised (trimmed, lower case, no `.git`
 *   suffix), must match some pattern (gobwas glob, '/' separates), and a `!`-prefixed
 *   pattern whose rest matches it denies it outright.
 * - destinations: some entry must match — its server matches the cluster's server or its
 *   name the cluster's name, and its namespace matches — and no entry may deny: an entry
 *   whose `!`-pattern (server, name or namespace) matches the destination denies it.
 * - kinds: a cluster-scoped object needs a clusterResourceWhitelist entry (none listed: none
 *   allowed) and no clusterResourceBlacklist entry; a namespaced one needs a
 *   namespaceResourceWhitelist entry when that list is given (absent: all; empty: none)
 *   and no namespaceResourceBlacklist entry. Entries match group, kind and optional name
 *   with Go's filepath.Match.
 * - a namespaced object's namespace is a destination of its own (same cluster).
 * - CreateNamespace: the Namespace it creates is a cluster-scoped object like any other.
 */
import { DEFAULT_PROJECT_NAME, defaultProject, type Project, type ProjectDestination, type ResourceRule } from '../app/project.ts';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from '../kube/clusters.ts';
import type { JsonObject } from '../json.ts';
import { keyOf, keyString, type ResourceKey } from '../sync/resource-key.ts';
import { filepathMatch, globMatch } from './glob.ts';

/** The cluster an app deploys to, as the project's destinations name clusters. */
export interface ClusterRef {
  readonly server: string;
  readonly name: string;
}

export interface Destination extends ClusterRef {
  readonly namespace: string;
}

/** The cluster Sluice runs in: the only destination until clusters can be registered. */
export const IN_CLUSTER: ClusterRef = { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME };

/**
 * The project an app of `namespace` names (`default` when it names none): a Project of that
 * namespace, else for `default` the built-in one that allows everything; undefined when
 * there is no such project (the app must not sync, as in Argo CD).
 */
export function projectOf(projects: readonly Project[], namespace: string, name = DEFAULT_PROJECT_NAME): Project | undefined {
  const found = projects.find((p) => p.name === name && p.namespace === namespace);
  if (found !== undefined) return found;
  return name === DEFAULT_PROJECT_NAME ? defaultProject(namespace) : undefined;
}

/** Argo CD's words for an app whose project is missing. */
export function missingProjectMessage(name: string): string {
  return `Application referencing project ${name} which does not exist`;
}

export interface ProjectViolation {
  /** The object refused; absent for the app's own repository or destination. */
  readonly key?: ResourceKey;
  /** The project field whose rule refused it, e.g. `spec.clusterResourceWhitelist`. */
  readonly rule: string;
  readonly message: string;
}

/** Argo CD's git.NormalizeGitURL for http(s) URLs: trimmed, lower case, without a trailing `.git`. */
export function normalizeRepoURL(url: string): string {
  const lower = url.trim().toLowerCase();
  return lower.endsWith('.git') ? lower.slice(0, -'.git'.length) : lower;
}

const isDeny = (pattern: string | undefined): pattern is string => pattern !== undefined && pattern.startsWith('!');

/** globMatch with Argo CD's negation: `!p` matches what `p` does not. */
function matches(pattern: string | undefined, value: string, separators = ''): boolean {
  if (pattern === undefined) return false;
  if (isDeny(pattern)) return !globMatch(pattern.slice(1), value, separators);
  return pattern === '*' || globMatch(pattern, value, separators);
}

export function isSourcePermitted(project: Project, repoURL: string): boolean {
  const source = normalizeRepoURL(repoURL);
  let matched = false;
  for (const pattern of project.spec.sourceRepos) {
    const normalized = isDeny(pattern) ? `!${normalizeRepoURL(pattern.slice(1))}` : normalizeRepoURL(pattern);
    if (matches(normalized, source, '/')) matched = true;
    else if (isDeny(normalized)) return false;
  }
  return matched;
}

/**
 * Whether a commit may make Sluice download a chart from `repoURL` (a Chart.yaml dependency,
 * a kustomize helmCharts `repo:`): the project must name the repository with a pattern of its
 * own that allows it (not the bare `*` of the built-in default project, nor a deny-only list),
 * so by default a commit makes Sluice download nothing — the guard Argo CD puts behind
 * `--enable-helm` — and a project that lists its chart repositories opts in. Deny patterns
 * still apply.
 */
export function permitsChartDownload(project: Project, repoURL: string): boolean {
  const url = repoURL.trim().replace(/\/+$/, ''); // chart repository URLs are often written with a final slash
  const source = normalizeRepoURL(url);
  const named = project.spec.sourceRepos.some((pattern) => pattern !== '*' && !isDeny(pattern) && matches(normalizeRepoURL(pattern), source, '/'));
  return named && isSourcePermitted(project, url);
}

export function isDestinationPermitted(project: Project, dest: Destination): boolean {
  let matched = false;
  let denied = false;
  for (const item of project.spec.destinations) {
    const name = dest.name !== '' && matches(item.name, dest.name);
    const server = dest.server !== '' && matches(item.server, dest.server);
    const namespace = matches(item.namespace, dest.namespace);
    if ((name || server) && namespace) matched = true;
    else if ((!name && isDeny(item.name)) || (!server && isDeny(item.server)) || (!namespace && isDeny(item.namespace))) denied = true;
  }
  return matched && !denied;
}

function ruleMatches(rule: ResourceRule, key: ResourceKey): boolean {
  return filepathMatch(rule.kind, key.kind) && filepathMatch(rule.group, key.group) && (rule.name === undefined || filepathMatch(rule.name, key.name));
}

/** Why the project refuses this kind (namespaced when key.namespace is set), or undefined. */
export function kindRefusal(project: Project, key: ResourceKey): Pick<ProjectViolation, 'rule' | 'message'> | undefined {
  const scope = key.namespace === '' ? 'cluster' : 'namespace';
  const whitelist = scope === 'cluster' ? project.spec.clusterResourceWhitelist : project.spec.namespaceResourceWhitelist;
  const blacklist = scope === 'cluster' ? project.spec.clusterResourceBlacklist : project.spec.namespaceResourceBlacklist;
  const kind = `${key.group === '' ? '' : `${key.group}/`}${key.kind}`;
  const what = `${scope === 'cluster' ? 'cluster-scoped' : 'namespaced'} kind ${kind}`;
  const whitelistField = `spec.${scope}ResourceWhitelist`;
  if (whitelist !== undefined && !whitelist.some((rule) => ruleMatches(rule, key))) {
    const why = whitelist.length === 0 ? 'which allows none' : 'which does not list it';
    return { rule: whitelistField, message: `${what} is not allowed by ${whitelistField}, ${why}` };
  }
  const denied = blacklist.findIndex((rule) => ruleMatches(rule, key));
  if (denied >= 0) {
    const field = `spec.${scope}ResourceBlacklist[${denied}]`;
    return { rule: field, message: `${what} is denied by ${field} (${describeRule(blacklist[denied]!)})` };
  }
  return undefined;
}

function describeRule(rule: ResourceRule): string {
  return `group: ${JSON.stringify(rule.group)}, kind: ${JSON.stringify(rule.kind)}${rule.name === undefined ? '' : `, name: ${JSON.stringify(rule.name)}`}`;
}

function describeDestinations(destinations: readonly ProjectDestination[]): string {
  if (destinations.length === 0) return 'none';
  return destinations.map((d) => [d.server === undefined ? '' : `server ${d.server}`, d.name === undefined ? '' : `name ${d.name}`, `namespace ${d.namespace}`].filter((s) => s).join(' ')).join('; ');
}

export interface ProjectCheckInput {
  readonly project: Project;
  readonly repoURL: string;
  readonly destination: Destination;
}

/** What can be checked before fetching anything: the app's repository and its destination. */
export function checkApplication({ project, repoURL, destination }: ProjectCheckInput): ProjectViolation[] {
  const violations: ProjectViolation[] = [];
  if (!isSourcePermitted(project, repoURL)) {
    violations.push({ rule: 'spec.sourceRepos', message: `project ${project.name}: repository ${repoURL} is not permitted by spec.sourceRepos (${project.spec.sourceRepos.join(', ') || 'none'})` });
  }
  if (!isDestinationPermitted(project, destination)) {
    violations.push({ rule: 'spec.destinations', message: `project ${project.name}: ${describeDestination(destination)} is not permitted by spec.destinations (${describeDestinations(project.spec.destinations)})` });
  }
  return violations;
}

function describeDestination(d: Destination): string {
  return `destination namespace ${d.namespace} on cluster ${d.name} (${d.server})`;
}

export interface ObjectsCheckInput {
  readonly project: Project;
  readonly cluster: ClusterRef;
  /** Rendered objects after namespace defaulting: a namespaced object has metadata.namespace, a cluster-scoped one none. */
  readonly objects: readonly JsonObject[];
  /** The namespace a CreateNamespace sync would create (when it does not exist and the app does not render it). */
  readonly createNamespace?: string;
  /** Live objects the sync would delete: a delete is a write, so the project must allow the kind and namespace too. */
  readonly prunes?: readonly ResourceKey[];
}

/** Every object the sync would write (and the namespace it would create, and the objects it would prune) against the project's kinds and destinations. */
export function checkObjects({ project, cluster, objects, createNamespace, prunes = [] }: ObjectsCheckInput): ProjectViolation[] {
  const violations: ProjectViolation[] = [];
  const check = (key: ResourceKey, what: string): void => {
    const refusal = kindRefusal(project, key);
    if (refusal !== undefined) violations.push({ key, rule: refusal.rule, message: `project ${project.name}: ${what}: ${refusal.message}` });
    else if (key.namespace !== '' && !isDestinationPermitted(project, { ...cluster, namespace: key.namespace })) {
      violations.push({ key, rule: 'spec.destinations', message: `project ${project.name}: ${what}: namespace ${key.namespace} is not permitted by spec.destinations (${describeDestinations(project.spec.destinations)})` });
    }
  };
  if (createNamespace !== undefined) check({ group: '', kind: 'Namespace', namespace: '', name: createNamespace }, `CreateNamespace=true would create Namespace ${createNamespace}`);
  for (const object of objects) {
    const key = keyOf(object);
    check(key, keyString(key));
  }
  for (const key of prunes) check(key, `pruning ${keyString(key)}`);
  return violations;
}
