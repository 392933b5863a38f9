/**
 * Applications and Projects from the cluster: a watch of the Application and Project
 * resources in one namespace, handed to the controller (debounced) whenever one is added,
 * changed or deleted. A cluster without the Project CRD has only the built-in default project. They
 * load through the same validation as an applications file; an invalid one is reported
 * and left out, the others carry on. An invalid resource with a name also gets the errors
 * on its status, as an InvalidSpecError condition (its sync and health become Unknown).
 *
 * With `acceptArgocd`, Argo CD's Application and AppProject objects (argoproj.io/v1alpha1)
 * of the namespace are watched too and converted as in a file (src/app/argocd.ts). Their
 * status is Argo CD's: Sluice writes none there, not even InvalidSpecError (the errors are
 * reported like the others'). A sluice.dev Application and an Argo CD one of the same name
 * are a duplicate: the sluice.dev one is kept.
 */
import { ARGOCD_API_VERSION, ARGOCD_PROJECT_KIND } from '../app/argocd.ts';
import { applicationsFromCluster, projectsFromCluster, type InvalidClusterApplication, type LoadError } from '../app/load.ts';
import { PROJECT_KIND, type Project } from '../app/project.ts';
import { invalidSpecStatus } from '../app/status.ts';
import { APPLICATION_API_VERSION, APPLICATION_KIND, type Application } from '../app/types.ts';
import { jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { applyMergePatch } from '../diff/merge-patch.ts';
import type { KubeClient } from '../kube/client.ts';
import { UnservedKindError } from '../kube/errors.ts';
import { Informer } from '../kube/watch.ts';

/**
 * `errors`: those of invalid Applications and Projects alike. `warnings`: one per Argo CD
 * object that sets fields Sluice does not honour.
 */
export type ApplicationsChanged = (apps: Application[], statuses: ReadonlyMap<string, unknown>, errors: readonly LoadError[], projects: Project[], warnings: readonly string[]) => void;

export interface WatchOptions {
  readonly debounceMs?: number;
  /** Watch Argo CD's Applications and AppProjects too (`--accept-argocd`). */
  readonly acceptArgocd?: boolean;
  /** Where failed status writes, and a cluster without the Project CRD, are reported (default stderr). */
  readonly log?: (line: string) => void;
}

export async function watchClusterApplications(kube: KubeClient, namespace: string, onChange: ApplicationsChanged, options: WatchOptions = {}): Promise<{ stop(): void }> {
  const log = options.log ?? ((line: string) => console.error(line));
  const informer = new Informer(kube, { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace });
  const projectInformer = (await served(kube, APPLICATION_API_VERSION, PROJECT_KIND, namespace)) ? new Informer(kube, { apiVersion: APPLICATION_API_VERSION, kind: PROJECT_KIND, namespace }) : undefined;
  if (projectInformer === undefined) log(`the Project resource (manifests/crds/project.yaml) is not installed: Applications in ${namespace} have only the default project`);
  const argo = options.acceptArgocd ? await argoInformers(kube, namespace, log) : [];
  let timer: NodeJS.Timeout | undefined;
  // One round of status writes at a time, so two rounds never both write the same change.
  let reporting = Promise.resolve();
  let stopped = false;
  const emit = (): void => {
    timer = undefined;
    const objects = informer.list();
    const load = { acceptArgocd: options.acceptArgocd ?? false };
    // sluice.dev objects first: of two of one name, the later is the duplicate
    const loaded = applicationsFromCluster([...objects, ...argo.flatMap((i) => (i.kind === APPLICATION_KIND ? i.informer.list() : []))], load);
    const projects = projectsFromCluster([...(projectInformer?.list() ?? []), ...argo.flatMap((i) => (i.kind === ARGOCD_PROJECT_KIND ? i.informer.list() : []))], load);
    // only sluice.dev objects carry Sluice's status to read back
    const statuses = new Map(objects.map((o) => [String((o['metadata'] as JsonObject)['name']), o['status']]));
    onChange(loaded.apps, statuses, [...loaded.errors, ...projects.errors], projects.projects, [...loaded.warnings, ...projects.warnings]);
    reporting = reporting.then(() => (stopped ? undefined : reportInvalid(kube, loaded.invalid, statuses, log)));
  };
  const changed = (): void => {
    timer ??= setTimeout(emit, options.debounceMs ?? 100);
  };
  informer.onChange(changed);
  projectInformer?.onChange(changed);
  for (const { informer: i } of argo) i.onChange(changed);
  await Promise.all([informer.start(), projectInformer?.start(), ...argo.map(({ informer: i }) => i.start())]);
  clearTimeout(timer);
  emit();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      informer.stop();
      projectInformer?.stop();
      for (const { informer: i } of argo) i.stop();
    },
  };
}

/** Informers of Argo CD's Application and AppProject kinds the cluster serves (a missing CRD is logged: nothing of that kind to read). */
async function argoInformers(kube: KubeClient, namespace: string, log: (line: string) => void): Promise<{ kind: string; informer: Informer }[]> {
  const informers: { kind: string; informer: Informer }[] = [];
  for (const kind of [APPLICATION_KIND, ARGOCD_PROJECT_KIND]) {
    if (await served(kube, ARGOCD_API_VERSION, kind, namespace)) informers.push({ kind, informer: new Informer(kube, { apiVersion: ARGOCD_API_VERSION, kind, namespace }) });
    else log(`Argo CD's ${kind} resource (${ARGOCD_API_VERSION}) is not installed: there are no Argo CD ${kind}s in ${namespace} to read`);
  }
  return informers;
}

async function served(kube: KubeClient, apiVersion: string, kind: string, namespace: string): Promise<boolean> {
  try {
    await kube.collectionPath(apiVersion, kind, namespace);
    return true;
  } catch (e) {
    if (e instanceof UnservedKindError) return false;
    throw e;
  }
}

/**
 * Writes each invalid Application's InvalidSpecError status, unless its resource already
 * shows it. That check is what keeps the write's own watch event from writing again.
 */
async function reportInvalid(kube: KubeClient, invalid: readonly InvalidClusterApplication[], statuses: ReadonlyMap<string, JsonValue | undefined>, log: (line: string) => void): Promise<void> {
  for (const { namespace, name, errors } of invalid) {
    const stored = statuses.get(name);
    const status = invalidSpecStatus(stored, errors, new Date().toISOString()) as unknown as JsonObject;
    if (stored !== undefined && jsonEqual(applyMergePatch(stored, status), stored)) continue;
    try {
      await kube.patch({ apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace, name }, { status }, { type: 'merge', subresource: 'status' });
    } catch (e) {
      log(`${namespace}/${name}: could not write the Application's status: ${(e as Error).message}`);
    }
  }
}
