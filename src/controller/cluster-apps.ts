/**
 * Applications and Projects from the cluster: a watch of the Application and Project
 * resources in one namespace, handed to the controller (debounced) whenever one is added,
 * changed or deleted. A cluster without the Project CRD has only the built-in default project. They
 * load through the same validation as an applications file; an invalid one is reported
 * and left out, the others carry on. An invalid resource with a name also gets the errors
 * on its status, as an InvalidSpecError condition (its sync and health become Unknown).
 */
import { applicationsFromCluster, projectsFromCluster, type InvalidClusterApplication, type LoadError } from '../app/load.ts';
import { PROJECT_KIND, type Project } from '../app/project.ts';
import { invalidSpecStatus } from '../app/status.ts';
import { APPLICATION_API_VERSION, APPLICATION_KIND, type Application } from '../app/types.ts';
import { jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { applyMergePatch } from '../diff/merge-patch.ts';
import type { KubeClient } from '../kube/client.ts';
import { UnservedKindError } from '../kube/errors.ts';
import { Informer } from '../kube/watch.ts';

/** `errors`: those of invalid Applications and Projects alike. */
export type ApplicationsChanged = (apps: Application[], statuses: ReadonlyMap<string, unknown>, errors: readonly LoadError[], projects: Project[]) => void;

export interface WatchOptions {
  readonly debounceMs?: number;
  /** Where failed status writes, and a cluster without the Project CRD, are reported (default stderr). */
  readonly log?: (line: string) => void;
}

export async function watchClusterApplications(kube: KubeClient, namespace: string, onChange: ApplicationsChanged, options: WatchOptions = {}): Promise<{ stop(): void }> {
  const log = options.log ?? ((line: string) => console.error(line));
  const informer = new Informer(kube, { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace });
  const projectInformer = (await projectsServed(kube, namespace)) ? new Informer(kube, { apiVersion: APPLICATION_API_VERSION, kind: PROJECT_KIND, namespace }) : undefined;
  if (projectInformer === undefined) log(`the Project resource (manifests/crds/project.yaml) is not installed: Applications in ${namespace} have only the default project`);
  let timer: NodeJS.Timeout | undefined;
  // One round of status writes at a time, so two rounds never both write the same change.
  let reporting = Promise.resolve();
  let stopped = false;
  const emit = (): void => {
    timer = undefined;
    const objects = informer.list();
    const loaded = applicationsFromCluster(objects);
    const projects = projectsFromCluster(projectInformer?.list() ?? []);
    const statuses = new Map(objects.map((o) => [String((o['metadata'] as JsonObject)['name']), o['status']]));
    onChange(loaded.apps, statuses, [...loaded.errors, ...projects.errors], projects.projects);
    reporting = reporting.then(() => (stopped ? undefined : reportInvalid(kube, loaded.invalid, statuses, log)));
  };
  const changed = (): void => {
    timer ??= setTimeout(emit, options.debounceMs ?? 100);
  };
  informer.onChange(changed);
  projectInformer?.onChange(changed);
  await Promise.all([informer.start(), projectInformer?.start()]);
  clearTimeout(timer);
  emit();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      informer.stop();
      projectInformer?.stop();
    },
  };
}

async function projectsServed(kube: KubeClient, namespace: string): Promise<boolean> {
  try {
    await kube.collectionPath(APPLICATION_API_VERSION, PROJECT_KIND, namespace);
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
