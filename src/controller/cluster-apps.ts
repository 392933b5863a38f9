/**
 * Applications from the cluster: a watch of the Application resources in one namespace,
 * handed to the controller (debounced) whenever one is added, changed or deleted. They
 * load through the same validation as an applications file; an invalid one is reported
 * and left out, the others carry on.
 */
import { applicationsFromCluster, type LoadError } from '../app/load.ts';
import { APPLICATION_API_VERSION, APPLICATION_KIND, type Application } from '../app/types.ts';
import type { JsonObject } from '../diff/json.ts';
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/watch.ts';

export type ApplicationsChanged = (apps: Application[], statuses: ReadonlyMap<string, unknown>, errors: readonly LoadError[]) => void;

export async function watchClusterApplications(kube: KubeClient, namespace: string, onChange: ApplicationsChanged, debounceMs = 100): Promise<{ stop(): void }> {
  const informer = new Informer(kube, { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace });
  let timer: NodeJS.Timeout | undefined;
  const emit = (): void => {
    timer = undefined;
    const objects = informer.list();
    const loaded = applicationsFromCluster(objects);
    const statuses = new Map(objects.map((o) => [String((o['metadata'] as JsonObject)['name']), o['status']]));
    onChange(loaded.apps, statuses, loaded.errors);
  };
  informer.onChange(() => {
    timer ??= setTimeout(emit, debounceMs);
  });
  await informer.start();
  clearTimeout(timer);
  emit();
  return {
    stop: () => {
      clearTimeout(timer);
      informer.stop();
    },
  };
}
