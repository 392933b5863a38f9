/** What the rollout tests read back from a cluster: the Events on an Application, a Deployment's image. */
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
