/**
 * Applications from the cluster: a watch of the Application resources in one namespace,
 * handed to the controller (debounced) whenever one is added, changed or deleted. They
 * load through the same validation as an applications file; an invalid one is reported
 * and left out, the others carry on. An invalid resource with a name also gets the errors
 * on its status, as an InvalidSpecError condition (its sync and health become Unknown).
 */
import { applicationsFromCluster, type InvalidClusterApplication, type LoadError } from '../app/load.ts';
import { invalidSpecStatus } from '../app/status.ts';
import { APPLICATION_API_VERSION, APPLICATION_KIND, type Application } from '../app/types.ts';
import { jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { applyMergePatch } from '../diff/merge-patch.ts';
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/watch.ts';

export type ApplicationsChanged = (apps: Application[], statuses: ReadonlyMap<string, unknown>, errors: readonly LoadError[]) => void;

export interface WatchOptions {
  readonly debounceMs?: number;
  /** Where failed status writes are reported (default stderr). */
  readonly log?: (line: string) => void;
}

export async function watchClusterApplications(kube: KubeClient, namespace: string, onChange: ApplicationsChanged, options: WatchOptions = {}): Promise<{ stop(): void }> {
  const log = options.log ?? ((line: string) => console.error(line));
  const informer = new Informer(kube, { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace });
  let timer: NodeJS.Timeout | undefined;
  // One round of status writes at a time, so two rounds never both write the same change.
  let reporting = Promise.resolve();
  let stopped = false;
  const emit = (): void => {
    timer = undefined;
    const objects = informer.list();
    const loaded = applicationsFromCluster(objects);
    const statuses = new Map(objects.map((o) => [String((o['metadata'] as JsonObject)['name']), o['status']]));
    onChange(loaded.apps, statuses, loaded.errors);
    reporting = reporting.then(() => (stopped ? undefined : reportInvalid(kube, loaded.invalid, statuses, log)));
  };
  informer.onChange(() => {
    timer ??= setTimeout(emit, options.debounceMs ?? 100);
  });
  await informer.start();
  clearTimeout(timer);
  emit();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      informer.stop();
    },
  };
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
