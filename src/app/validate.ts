/**
 * Application objects (from a config file or the cluster) → the validated, defaulted model
 * in types.ts. Pure. Every problem is reported at once, each at its JSON path; unknown
 * fields are errors, so a typo (`syncPolicy.automted`) never silently means "manual".
 */
import { readHelmSource } from './helm-source.ts';
import { parseGoDuration } from './duration.ts';
import { DEFAULT_ROLLOUT, parseSteps } from '../rollout/policy.ts';
import {
  child,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  Errors,
  isPlainObject,
  readArray,
  readBoolean,
  readObject,
  readString,
  readStrings,
  typeName,
  validate,
  type ValidationError,
} from './fields.ts';
import {
  APPLICATION_API_VERSION,
  APPLICATION_KIND,
  WATCH_PATHS_ANNOTATION,
  type Application,
  type ApplicationDestination,
  type ApplicationSource,
  type IgnoreDifference,
  type RolloutPolicy,
  type SyncOptions,
  type SyncPolicy,
} from './types.ts';

export type { ValidationError } from './fields.ts';

export const DEFAULT_APPLICATION_NAMESPACE = 'sluice-system';
export const DEFAULT_TARGET_REVISION = 'HEAD';
export const DEFAULT_INTERVAL_MS = 3 * 60_000;
export const MIN_INTERVAL_MS = 5_000;

/** syncOptions names → SyncOptions fields. */
export const SYNC_OPTION_NAMES = { CreateNamespace: 'createNamespace', PruneLast: 'pruneLast', ServerSideApply: 'serverSideApply' } as const;
export type SyncOptionName = keyof typeof SYNC_OPTION_NAMES;

const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;
const SPEC_FIELDS = ['project', 'source', 'destination', 'syncPolicy', 'ignoreDifferences', 'rollout'] as const;
const SOURCE_FIELDS = ['repoURL', 'targetRevision', 'path', 'chart', 'directory', 'helm'] as const;
const DIRECTORY_FIELDS = ['recurse'] as const;
const DESTINATION_FIELDS = ['namespace', 'server', 'name'] as const;
const SYNC_POLICY_FIELDS = ['automated', 'syncOptions', 'interval'] as const;
const AUTOMATED_FIELDS = ['prune', 'selfHeal'] as const;
const IGNORE_FIELDS = ['group', 'kind', 'name', 'namespace', 'jsonPointers', 'jsonPaths', 'managedFieldsManagers'] as const;

export type ParseResult = { ok: true; app: Application } | { ok: false; errors: (ValidationError & { readonly where: string })[] };

/**
 * Validates and defaults one Application object. `where` names its origin for messages
 * (`apps.yaml`, `cluster sluice-system/guestbook`) and is copied onto every error.
 */
export function parseApplication(obj: unknown, where: string): ParseResult {
  const result = validate(APPLICATION_KIND, where, (errors) => readApplication(errors, obj));
  return result.ok ? { ok: true, app: result.value } : result;
}

/** `apps.yaml: spec.syncPolicy.interval: must be at least 5s` */
export function formatValidationError(e: ValidationError & { readonly where?: string }): string {
  return [e.where, e.path, e.message].filter((part) => part).join(': ');
}

function readApplication(errors: Errors, obj: unknown): Application | undefined {
  if (!isPlainObject(obj)) {
    errors.add('', `an Application must be an object, not ${typeName(obj)}`);
    return undefined;
  }
  readObject(errors, obj, '', TOP_FIELDS);
  const apiVersion = obj.apiVersion;
  if (apiVersion === undefined) errors.add('apiVersion', `is required (${APPLICATION_API_VERSION})`);
  else if (apiVersion !== APPLICATION_API_VERSION) errors.add('apiVersion', `must be ${APPLICATION_API_VERSION}, not ${JSON.stringify(apiVersion)}`);
  if (obj.kind === undefined) errors.add('kind', `is required (${APPLICATION_KIND})`);
  else if (obj.kind !== APPLICATION_KIND) errors.add('kind', `must be ${APPLICATION_KIND}, not ${JSON.stringify(obj.kind)}`);

  const { name, namespace, watchPaths } = readMetadata(errors, obj.metadata);
  if (obj.spec === undefined || obj.spec === null) {
    errors.add('spec', 'is required');
    return undefined;
  }
  const spec = readObject(errors, obj.spec, 'spec', SPEC_FIELDS);
  if (!spec) return undefined;
  const source = readSource(errors, spec.source);
  const destination = readDestination(errors, spec.destination);
  const syncPolicy = readSyncPolicy(errors, spec.syncPolicy);
  const ignoreDifferences = readIgnoreDifferences(errors, spec.ignoreDifferences);
  const rollout = readRollout(errors, spec.rollout);
  const project = readString(errors, spec.project, 'spec.project');
  if (project === '') errors.add('spec.project', 'must not be empty (omit it for the default project)');
  if (name === undefined || !source || !destination) return undefined;
  return {
    name,
    namespace,
    spec: { ...(project ? { project } : {}), source, destination, syncPolicy, ignoreDifferences, rollout },
    ...(watchPaths === undefined ? {} : { watchPaths }),
  };
}

/** Only name and namespace matter here; the rest of ObjectMeta (labels, uid, managedFields…) is the API server's business. */
function readMetadata(errors: Errors, value: unknown): { name: string | undefined; namespace: string; watchPaths?: string[] } {
  if (value === undefined || value === null) {
    errors.add('metadata.name', 'is required');
    return { name: undefined, namespace: DEFAULT_APPLICATION_NAMESPACE };
  }
  if (!isPlainObject(value)) {
    errors.add('metadata', `must be an object, not ${typeName(value)}`);
    return { name: undefined, namespace: DEFAULT_APPLICATION_NAMESPACE };
  }
  let name = readString(errors, value.name, 'metadata.name');
  if (name === undefined || name === '') {
    if (value.name === undefined || value.name === null || value.name === '') errors.add('metadata.name', 'is required');
    name = undefined;
  } else {
    const problem = dns1123SubdomainProblem(name);
    if (problem) {
      errors.add('metadata.name', problem);
      name = undefined;
    }
  }
  let namespace = readString(errors, value.namespace, 'metadata.namespace') || DEFAULT_APPLICATION_NAMESPACE;
  const nsProblem = dns1123LabelProblem(namespace);
  if (nsProblem) {
    errors.add('metadata.namespace', nsProblem);
    namespace = DEFAULT_APPLICATION_NAMESPACE;
  }
  const annotations = isPlainObject(value.annotations) ? value.annotations : {};
  const watch = readString(errors, annotations[WATCH_PATHS_ANNOTATION], `metadata.annotations.${WATCH_PATHS_ANNOTATION}`);
  const watchPaths = watch?.split(/[;,]/).map((p) => p.trim()).filter((p) => p !== '');
  return watchPaths === undefined || watchPaths.length === 0 ? { name, namespace } : { name, namespace, watchPaths };
}

function requiredString(errors: Errors, value: unknown, path: string, hint: string): string | undefined {
  const s = readString(errors, value, path);
  if (s === undefined && (value === undefined || value === null)) errors.add(path, `is required (${hint})`);
  else if (s === '') errors.add(path, `must not be empty (${hint})`);
  return s ? s : undefined;
}

/** With a chart, repoURL may also be an OCI registry (`oci://host/path`, the chart at `<path>/<chart>`), as in Argo CD. */
function repoUrlProblem(text: string, chart: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL; give the repository's http(s) clone URL, e.g. https://git.example.com/org/deploy.git`;
  }
  if (url.protocol === 'oci:' && !chart) return 'an oci:// registry URL needs spec.source.chart (the chart under that registry path)';
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'oci:') {
    return `scheme "${url.protocol.slice(0, -1)}" is not supported; only http and https repository URLs are, and oci:// with a chart (no ssh or file URLs)`;
  }
  if (url.username || url.password) return 'must not embed credentials (user:password@); configure repository credentials separately';
  if (url.hash) return `must not have a fragment ("${url.hash}"); put the branch or tag in targetRevision`;
  return undefined;
}

function sourcePathProblem(path: string): string | undefined {
  if (path.includes('\0')) return 'must not contain NUL characters';
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return `"${path}" must be relative to the repository root, not absolute`;
  if (path.split(/[\\/]/).includes('..')) return `"${path}" must not contain ".." segments (it must stay inside the repository)`;
  return undefined;
}

function readSource(errors: Errors, value: unknown): ApplicationSource | undefined {
  if (value === undefined || value === null) {
    errors.add('spec.source', 'is required (repoURL, and optionally targetRevision and path)');
    return undefined;
  }
  const source = readObject(errors, value, 'spec.source', SOURCE_FIELDS);
  if (!source) return undefined;
  const repoURL = requiredString(errors, source.repoURL, 'spec.source.repoURL', 'the http(s) URL of the Git repository');
  const chart = readChart(errors, source.chart);
  const urlProblem = repoURL === undefined ? undefined : repoUrlProblem(repoURL, chart !== undefined);
  if (urlProblem) errors.add('spec.source.repoURL', urlProblem);

  const revision = readString(errors, source.targetRevision, 'spec.source.targetRevision');
  if (revision !== undefined && revision.trim() !== revision) errors.add('spec.source.targetRevision', `"${revision}" must not start or end with whitespace`);
  const path = readString(errors, source.path, 'spec.source.path') ?? '.';
  const pathProblem = sourcePathProblem(path);
  if (pathProblem) errors.add('spec.source.path', pathProblem);

  const directory = readObject(errors, source.directory, 'spec.source.directory', DIRECTORY_FIELDS);
  const recurse = readBoolean(errors, directory?.recurse, 'spec.source.directory.recurse', true);
  const helm = readHelmSource(errors, source.helm);
  if (repoURL === undefined || urlProblem) return undefined;
  return { repoURL, targetRevision: revision || DEFAULT_TARGET_REVISION, path: path === '' || chart !== undefined ? '.' : path, recurse, ...(chart !== undefined ? { chart } : {}), ...(helm !== undefined ? { helm } : {}) };
}

/** `spec.source.chart`: a plain chart name. With a chart, path and directory mean nothing (Argo CD ignores them too). */
function readChart(errors: Errors, value: unknown): string | undefined {
  const chart = readString(errors, value, 'spec.source.chart');
  if (chart === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart)) errors.add('spec.source.chart', `"${chart}" is not a chart name (letters, digits, ".", "_", "-")`);
  return chart;
}

function readDestination(errors: Errors, value: unknown): ApplicationDestination | undefined {
  if (value === undefined || value === null) {
    errors.add('spec.destination', 'is required (namespace)');
    return undefined;
  }
  const dest = readObject(errors, value, 'spec.destination', DESTINATION_FIELDS);
  if (!dest) return undefined;
  // Which registered cluster they select is decided at sync time (src/kube/clusters.ts): the registry changes while the app stays.
  const server = readString(errors, dest.server, 'spec.destination.server');
  if (server !== undefined && !/^https?:\/\/[^/]/.test(server)) errors.add('spec.destination.server', `"${server}" is not an http(s) URL`);
  const clusterName = readString(errors, dest.name, 'spec.destination.name');
  const namespace = requiredString(errors, dest.namespace, 'spec.destination.namespace', 'the namespace for namespaced objects that do not set one');
  if (namespace === undefined) return undefined;
  const problem = dns1123LabelProblem(namespace);
  if (problem) {
    errors.add('spec.destination.namespace', problem);
    return undefined;
  }
  return { namespace, ...(server ? { server } : {}), ...(clusterName ? { name: clusterName } : {}) };
}

function readSyncOptions(errors: Errors, value: unknown): SyncOptions {
  const options = { createNamespace: false, pruneLast: false, serverSideApply: false };
  const seen = new Map<string, number>();
  const known = Object.keys(SYNC_OPTION_NAMES).join(', ');
  readArray(errors, value, 'spec.syncPolicy.syncOptions').forEach((item, i) => {
    const at = child('spec.syncPolicy.syncOptions', i);
    if (typeof item !== 'string') {
      errors.add(at, `must be a string like "CreateNamespace=true", not ${typeName(item)}`);
      return;
    }
    const m = /^([^=]*)=(.*)$/.exec(item);
    if (!m) {
      errors.add(at, `"${item}" must have the form Name=true or Name=false (known names: ${known})`);
      return;
    }
    const [, name = '', flag = ''] = m;
    if (!Object.hasOwn(SYNC_OPTION_NAMES, name)) {
      errors.add(at, `unknown sync option "${name}"; Sluice supports ${known}`);
      return;
    }
    if (flag !== 'true' && flag !== 'false') {
      errors.add(at, `"${item}": the value of ${name} must be true or false, not "${flag}"`);
      return;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      errors.add(at, `${name} is already set by spec.syncPolicy.syncOptions[${first}]; give each option once`);
      return;
    }
    seen.set(name, i);
    options[SYNC_OPTION_NAMES[name as SyncOptionName]] = flag === 'true';
  });
  return options;
}

function readInterval(errors: Errors, value: unknown): number {
  const path = 'spec.syncPolicy.interval';
  if (value === undefined || value === null) return DEFAULT_INTERVAL_MS;
  if (typeof value !== 'string') {
    errors.add(path, `must be a duration string such as "3m", "90s" or "1h30m", not ${typeName(value)}${typeof value === 'number' ? ` ${value} (add a unit)` : ''}`);
    return DEFAULT_INTERVAL_MS;
  }
  const parsed = parseGoDuration(value);
  if (!parsed.ok) {
    errors.add(path, parsed.message);
    return DEFAULT_INTERVAL_MS;
  }
  if (parsed.ms < MIN_INTERVAL_MS) {
    errors.add(path, `"${value}" is too short: the poll interval must be at least 5s`);
    return DEFAULT_INTERVAL_MS;
  }
  return parsed.ms;
}

function readSyncPolicy(errors: Errors, value: unknown): SyncPolicy {
  const policy = readObject(errors, value, 'spec.syncPolicy', SYNC_POLICY_FIELDS);
  // `automated: {}` turns automation on with both flags off; absent or null means manual sync (as in Argo CD)
  const automated = readObject(errors, policy?.automated, 'spec.syncPolicy.automated', AUTOMATED_FIELDS);
  return {
    ...(automated
      ? {
          automated: {
            prune: readBoolean(errors, automated.prune, 'spec.syncPolicy.automated.prune', false),
            selfHeal: readBoolean(errors, automated.selfHeal, 'spec.syncPolicy.automated.selfHeal', false),
          },
        }
      : {}),
    syncOptions: readSyncOptions(errors, policy?.syncOptions),
    intervalMs: readInterval(errors, policy?.interval),
  };
}

function jsonPointerProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return `"${p}" is not a JSON pointer: it must start with "/" (e.g. /spec/replicas)`;
  if (/~(?![01])/.test(p)) return `"${p}" has an invalid escape: in a JSON pointer "~" must be followed by 0 (for ~) or 1 (for /)`;
  return undefined;
}

function jsonPathProblem(p: string): string | undefined {
  if (!p.startsWith('.') && !p.startsWith('$')) return `"${p}" is not a JSON path: it must start with "." or "$" (e.g. .spec.template.spec.containers[*].image)`;
  return undefined;
}

/**
 * Global ignoreDifferences (applied to every app, like Argo CD's
 * `resource.customizations.ignoreDifferences.all`): a list of the same entries as an app's.
 */
export function parseIgnoreDifferences(value: unknown, where: string): { ok: true; rules: IgnoreDifference[] } | { ok: false; errors: (ValidationError & { readonly where: string })[] } {
  const errors = new Errors();
  const rules = readIgnoreDifferences(errors, value ?? [], '');
  return errors.list.length === 0 ? { ok: true, rules } : { ok: false, errors: errors.list.map((e) => ({ where, ...e })) };
}

function readIgnoreDifferences(errors: Errors, value: unknown, base = 'spec.ignoreDifferences'): IgnoreDifference[] {
  const out: IgnoreDifference[] = [];
  readArray(errors, value, base).forEach((item, i) => {
    const at = child(base, i);
    if (item === null || item === undefined) {
      errors.add(at, 'must be an object with group and kind, not null');
      return;
    }
    const entry = readObject(errors, item, at, IGNORE_FIELDS);
    if (!entry) return;
    const group = readString(errors, entry.group, child(at, 'group'));
    if (entry.group === undefined || entry.group === null) errors.add(child(at, 'group'), 'is required ("" for the core group, e.g. apps for Deployments)');
    const kind = requiredString(errors, entry.kind, child(at, 'kind'), 'e.g. Deployment');
    const name = readString(errors, entry.name, child(at, 'name'));
    const namespace = readString(errors, entry.namespace, child(at, 'namespace'));
    const jsonPointers = readStrings(errors, entry.jsonPointers, child(at, 'jsonPointers'), jsonPointerProblem);
    const jsonPaths = readStrings(errors, entry.jsonPaths, child(at, 'jsonPaths'), jsonPathProblem);
    const managedFieldsManagers = readStrings(errors, entry.managedFieldsManagers, child(at, 'managedFieldsManagers'));
    const hasAny = [entry.jsonPointers, entry.jsonPaths, entry.managedFieldsManagers].some((v) => Array.isArray(v) && v.length > 0);
    if (!hasAny) errors.add(at, 'ignores nothing: set at least one of jsonPointers, jsonPaths or managedFieldsManagers');
    if (group === undefined || kind === undefined) return;
    out.push({
      group,
      kind,
      ...(name ? { name } : {}),
      ...(namespace ? { namespace } : {}),
      jsonPointers,
      jsonPaths,
      managedFieldsManagers,
    });
  });
  return out;
}

const ROLLOUT_FIELDS = ['steps', 'stepHold', 'maxSurge', 'maxUnavailable', 'progressDeadline', 'failure', 'autoRollback'] as const;
const FAILURE_FIELDS = ['restarts', 'notReadyFor'] as const;

function readRollout(errors: Errors, value: unknown): RolloutPolicy {
  const base = 'spec.rollout';
  const rollout = readObject(errors, value, base, ROLLOUT_FIELDS);
  if (!rollout) return DEFAULT_ROLLOUT;
  let steps = DEFAULT_ROLLOUT.steps;
  if (rollout.steps !== undefined && rollout.steps !== null) {
    const parsed = parseSteps(readArray(errors, rollout.steps, child(base, 'steps')));
    for (const p of parsed.problems) errors.add(p.index < 0 ? child(base, 'steps') : child(child(base, 'steps'), p.index), p.message);
    if (parsed.problems.length === 0 && Array.isArray(rollout.steps)) steps = parsed.steps;
  }
  const failure = readObject(errors, rollout.failure, child(base, 'failure'), FAILURE_FIELDS);
  const restarts = failure?.restarts;
  if (restarts !== undefined && restarts !== null && !(typeof restarts === 'number' && Number.isInteger(restarts) && restarts >= 0)) {
    errors.add(child(child(base, 'failure'), 'restarts'), `must be a whole number of restarts, 0 or more, not ${JSON.stringify(restarts)}`);
  }
  const maxSurge = readIntOrPercent(errors, rollout.maxSurge, child(base, 'maxSurge'));
  const maxUnavailable = readIntOrPercent(errors, rollout.maxUnavailable, child(base, 'maxUnavailable'));
  if (isZero(maxSurge) && isZero(maxUnavailable)) errors.add(child(base, 'maxUnavailable'), 'may not be 0 when maxSurge is 0 too: no pod could ever be replaced');
  return {
    steps,
    stepHoldMs: readDuration(errors, rollout.stepHold, child(base, 'stepHold'), DEFAULT_ROLLOUT.stepHoldMs),
    ...(maxSurge === undefined ? {} : { maxSurge }),
    ...(maxUnavailable === undefined ? {} : { maxUnavailable }),
    progressDeadlineMs: readDuration(errors, rollout.progressDeadline, child(base, 'progressDeadline'), DEFAULT_ROLLOUT.progressDeadlineMs),
    failure: {
      restarts: typeof restarts === 'number' && Number.isInteger(restarts) && restarts >= 0 ? restarts : DEFAULT_ROLLOUT.failure.restarts,
      notReadyForMs: readDuration(errors, failure?.notReadyFor, child(child(base, 'failure'), 'notReadyFor'), DEFAULT_ROLLOUT.failure.notReadyForMs),
    },
    autoRollback: readBoolean(errors, rollout.autoRollback, child(base, 'autoRollback'), DEFAULT_ROLLOUT.autoRollback),
  };
}

function readDuration(errors: Errors, value: unknown, path: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') {
    errors.add(path, `must be a duration string such as "30s" or "10m", not ${typeName(value)}${typeof value === 'number' ? ` ${value} (add a unit)` : ''}`);
    return fallback;
  }
  const parsed = parseGoDuration(value);
  if (!parsed.ok) errors.add(path, parsed.message);
  return parsed.ok ? parsed.ms : fallback;
}

/** An IntOrString as Kubernetes' rolling-update bounds take it: a count (2) or a percentage ("25%"). */
function readIntOrPercent(errors: Errors, value: unknown, path: string): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+%$/.test(value) && Number.parseInt(value, 10) <= 100) return value;
  errors.add(path, `must be a number of pods (2) or a percentage ("25%"), not ${JSON.stringify(value)}`);
  return undefined;
}

function isZero(value: number | string | undefined): boolean {
  return value === 0 || value === '0%';
}
