/**
 * Where Applications and Projects come from — a local config file or the cluster's custom
 * resources — all through one path: each object goes through parseApplication (or
 * parseProject), then each set is checked for duplicate namespace/name. Only the way an error is located differs (file:line vs.
 * the object's namespace/name).
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { child, isPlainObject, pathSegments } from './fields.ts';
import { convertArgoApplication, convertArgoAppProject, isArgoApplication, isArgoAppProject, unhonouredWarning } from './argocd.ts';
import { isProjectObject, parseProject, type Project } from './project.ts';
import type { Application } from './types.ts';
import { DEFAULT_APPLICATION_NAMESPACE, parseApplication } from './validate.ts';

/** At most this many alias expansions per document (a "billion laughs" guard, as render/ uses). */
const MAX_ALIAS_COUNT = 1000;

export interface LoadError {
  /** The file, or `cluster <namespace>/<name>` for a CR. */
  readonly where: string;
  /** 1-based line in the file, when the error came from one. */
  readonly line?: number;
  readonly path: string;
  readonly message: string;
}

/** `apps.yaml:12: spec.syncPolicy.interval: must be at least 5s` */
export function formatLoadError(e: LoadError): string {
  const at = e.line === undefined ? e.where : `${e.where}:${e.line}`;
  return [at, e.path, e.message].filter((s) => s).join(': ');
}

/** One object to load, with how to describe a location in it. */
export interface ApplicationInput {
  readonly object: unknown;
  readonly where: string;
  /** JSON path inside `object` → the location prefix to report (e.g. `items[2]`). */
  readonly pathPrefix?: string;
  /** Line of `path` (already prefixed) in the source, if known. */
  readonly lineOf?: (path: string) => number | undefined;
}

export interface LoadOptions {
  /** Read Argo CD's Applications and AppProjects (argoproj.io/v1alpha1) too, converted by src/app/argocd.ts. */
  readonly acceptArgocd?: boolean;
}

export interface LoadedApplications {
  readonly apps: Application[];
  readonly projects: Project[];
  /** The sluice.dev objects the apps and projects were validated from, in input order (Argo CD ones converted). */
  readonly objects: unknown[];
  readonly errors: LoadError[];
  /** One per converted Argo CD Application or AppProject that sets fields Sluice does not honour. */
  readonly warnings: string[];
}

/** The shared path: validate each input, then reject duplicate namespace/name (the later one is the error). */
export function loadApplications(inputs: readonly ApplicationInput[], options: LoadOptions = {}): LoadedApplications {
  const apps: Application[] = [];
  const projects: Project[] = [];
  const objects: unknown[] = [];
  const errors: LoadError[] = [];
  const warnings: string[] = [];
  const firstSeen = new Map<string, string>();
  for (const input of inputs) {
    const locate = (path: string): { where: string; line?: number; path: string } => {
      const full = !input.pathPrefix ? path : !path ? input.pathPrefix : `${input.pathPrefix}${path.startsWith('[') ? '' : '.'}${path}`;
      const line = input.lineOf?.(full);
      return { where: input.where, ...(line !== undefined ? { line } : {}), path: full };
    };
    let object = input.object;
    const argo = isArgoApplication(object) ? { kind: 'Application', convert: convertArgoApplication } : isArgoAppProject(object) ? { kind: 'AppProject', convert: convertArgoAppProject } : undefined;
    if (argo !== undefined && isPlainObject(object)) {
      if (!options.acceptArgocd) {
        errors.push({ ...locate('apiVersion'), message: `is ${String(object.apiVersion)}, an Argo CD ${argo.kind}: pass --accept-argocd to read it, or convert it with \`sluice convert\`` });
        continue;
      }
      const conversion = argo.convert(object);
      const name = isPlainObject(object.metadata) && typeof object.metadata.name === 'string' ? object.metadata.name : '(unnamed)';
      const warning = unhonouredWarning(input.where, argo.kind, name, conversion.unhonoured);
      if (warning !== undefined) warnings.push(warning);
      object = conversion.object;
    }
    const result = isProjectObject(object) ? parseProject(object, input.where) : parseApplication(object, input.where);
    if (!result.ok) {
      for (const e of result.errors) errors.push({ ...locate(e.path), message: e.message });
      continue;
    }
    const kind = 'project' in result ? 'Project' : 'Application';
    const loaded = 'project' in result ? result.project : result.app;
    const key = `${kind} ${loaded.namespace}/${loaded.name}`;
    const at = locate('metadata.name');
    const first = firstSeen.get(key);
    if (first !== undefined) {
      errors.push({ ...at, message: `duplicate ${key} (first defined at ${first})` });
      continue;
    }
    firstSeen.set(key, at.line === undefined ? at.where : `${at.where}:${at.line}`);
    if ('project' in result) projects.push(result.project);
    else apps.push(result.app);
    objects.push(object);
  }
  return { apps, projects, objects, errors, warnings };
}

export type LoadFileResult = { ok: true; apps: Application[]; projects: Project[]; objects: unknown[]; warnings: string[] } | { ok: false; errors: LoadError[] };

const LIST_KINDS = ['List', 'ApplicationList', 'ProjectList', 'AppProjectList'];

/**
 * Applications from a YAML file: several documents, or a `List` (kind List or ApplicationList
 * with `items`). All or nothing: any error fails the file, so a typo is fixed before it runs.
 */
export async function loadApplicationsFile(file: string, options: LoadOptions = {}): Promise<LoadFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ where: file, path: '', message: `cannot read: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  return parseApplicationsText(file, text, options);
}

/** loadApplicationsFile on text already read (`file` names it in errors). */
export function parseApplicationsText(file: string, text: string, options: LoadOptions = {}): LoadFileResult {
  const lineCounter = new LineCounter();
  const docs: readonly Document[] = parseAllDocuments(text, { lineCounter, uniqueKeys: true, merge: true, prettyErrors: true });
  const errors: LoadError[] = [];
  const inputs: ApplicationInput[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const line = err.linePos?.[0]?.line;
        errors.push({ where: file, ...lineAt(line), path: '', message: yamlMessage(err.message) });
      }
      continue;
    }
    if (doc.contents === null) continue; // empty or comment-only document
    const lineOf = (path: string): number | undefined => lineOfPath(doc, lineCounter, path);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      errors.push({ where: file, ...lineAt(lineOf('')), path: '', message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (isPlainObject(value) && typeof value.kind === 'string' && LIST_KINDS.includes(value.kind)) {
      if (!Array.isArray(value.items)) {
        errors.push({ where: file, ...lineAt(lineOf('items')), path: 'items', message: `a ${value.kind} must have an items list` });
        continue;
      }
      value.items.forEach((item, i) => inputs.push({ object: item, where: file, pathPrefix: child('items', i), lineOf }));
    } else {
      inputs.push({ object: value, where: file, lineOf });
    }
  }
  const loaded = loadApplications(inputs, options);
  errors.push(...loaded.errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, apps: loaded.apps, projects: loaded.projects, objects: loaded.objects, warnings: loaded.warnings };
}

/** An Application CR that failed validation, with a name, so its status can show the errors. */
export interface InvalidClusterApplication {
  readonly namespace: string;
  readonly name: string;
  readonly errors: readonly LoadError[];
}

export interface ClusterApplications extends LoadedApplications {
  /** The invalid CRs that have a name; `errors` also holds those of CRs without one. */
  readonly invalid: readonly InvalidClusterApplication[];
}

/**
 * Applications from the cluster's Application CRs (e.g. a list call's items). An invalid CR
 * does not stop the others: its errors come back beside the valid apps, named by
 * `cluster <namespace>/<name>`, and grouped by CR for the controller to report on it.
 */
export function applicationsFromCluster(objects: readonly unknown[], options: LoadOptions = {}): ClusterApplications {
  const named = new Map<string, { namespace: string; name: string }>();
  const sluice = new Set<string>();
  const argo = new Set<string>();
  const loaded = loadApplications(
    objects.map((object, i) => {
      const identity = clusterIdentity(object, i);
      const { namespace, name } = identity;
      // told apart from a sluice.dev one of the same name, whose status must not get its errors
      const where = isArgoApplication(object) ? `${identity.where} (Argo CD)` : identity.where;
      // an Argo CD Application's status is Argo CD's: its errors are logged, not written there
      if (isArgoApplication(object)) argo.add(where);
      else {
        sluice.add(where);
        if (name !== undefined) named.set(where, { namespace, name });
      }
      return { object, where };
    }),
    options,
  );
  // of a sluice.dev and an Argo CD Application of one name, the first given is kept (the other is a duplicate)
  const fromArgo = (app: Application): boolean => {
    const where = `cluster ${app.namespace}/${app.name}`;
    return argo.has(`${where} (Argo CD)`) && !sluice.has(where);
  };
  const apps = loaded.apps.map((app) => (fromArgo(app) ? { ...app, argocd: true as const } : app));
  const invalid = [...named].flatMap(([where, cr]) => {
    const errors = loaded.errors.filter((e) => e.where === where);
    return errors.length > 0 ? [{ ...cr, errors }] : [];
  });
  return { ...loaded, apps, invalid };
}

/**
 * Projects from the cluster's Project CRs. An invalid one is left out (its apps then fail as
 * naming a project that does not exist) and its errors come back, named `cluster <namespace>/<name> (Project)`.
 */
export function projectsFromCluster(objects: readonly unknown[], options: LoadOptions = {}): { projects: Project[]; errors: LoadError[]; warnings: string[] } {
  const loaded = loadApplications(
    objects.map((object, i) => ({ object, where: `${clusterIdentity(object, i).where} (${isArgoAppProject(object) ? 'AppProject' : 'Project'})` })),
    options,
  );
  return { projects: loaded.projects, errors: loaded.errors, warnings: loaded.warnings };
}

/** `cluster <namespace>/<name>` (or `/#<index>` without a name), for messages. */
function clusterIdentity(object: unknown, i: number): { where: string; namespace: string; name?: string } {
  const meta = isPlainObject(object) && isPlainObject(object.metadata) ? object.metadata : {};
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : DEFAULT_APPLICATION_NAMESPACE;
  if (typeof meta.name !== 'string' || meta.name === '') return { where: `cluster ${namespace}/#${i}`, namespace };
  return { where: `cluster ${namespace}/${meta.name}`, namespace, name: meta.name };
}

/** yaml's first message line, without the position it repeats (the error carries the line already). */
function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function lineAt(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

/**
**
 * Line of `path` in `doc`: the line of its key (or list item) when it exists, else of the
 * deepest ancestor that does (the document's first line for '').
 */
function lineOfPath(doc: Document, lineCounter: LineCounter, path: string): number | undefined {
  const segments = pathSegments(path);
  const lineOfNode = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  for (let n = segments.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(segments.slice(0, n - 1), true);
    const last = segments[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
      const line = lineOfNode(pair?.key) ?? lineOfNode(pair?.value);
      if (line !== undefined) return line;
    } else if (isSeq(parent) && typeof last === 'number') {
      const line = lineOfNode(parent.items[last]);
      if (line !== undefined) return line;
    }
  }
  return lineOfNode(doc.contents);
}
