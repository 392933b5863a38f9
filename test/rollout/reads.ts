/** What the rollout tests from the cluster share: the web Application they create, and what they read back (its Events, the Deployment's image). */
import type { JsonObject } from '../../src/json.ts';
import type { KubeClient } from '../../src/kube/client.ts';

/** The Events about Application `name` in sluice-system, as `kubectl describe` lists them. */
export async function applicationEvents(kube: KubeClient, name: string): Promise<{ reason: string; type: string; message: string }[]> {
  return (await kube.list('v1', 'Event', { namespace: 'sluice-system' })).items
    .filter((e) => (e['involvedObject'] as JsonObject)['name'] === name)
    .map((e) => ({ reason: String(e['reason']), type: String(e['type']), message: String(e['message']) }));
}

/** The image of the first container of Deployment web/web. */
export async function webImage(kube: KubeClient): Promise<string> {
  const deployment = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'web' });
  return ((deployment?.['spec'] as JsonObject)['template'] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image;
}

/** Application web in sluice-system: path web of `repoURL`, auto-sync with prune, two steps held 5 s, failing on one restart. */
export function webApplication(repoURL: string, destination: JsonObject): JsonObject {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'sluice-system' },
    spec: {
      source: { repoURL, targetRevision: 'main', path: 'web' },
      destination,
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'], interval: '5s' },
      rollout: { steps: [50, 100], stepHold: '5s', failure: { restarts: 1, notReadyFor: '2m' } },
    },
  };
}
