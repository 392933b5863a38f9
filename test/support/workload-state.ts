/**
 * What a Deployment, its ReplicaSets and its pods look like now, as a few lines of text: what a
 * timed-out wait on a rollout adds to its failure, so the message says where things stood.
 */
import type { JsonObject } from '../../src/json.ts';
import type { KubeClient } from '../../src/kube/client.ts';

type Loose = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Loose)[k] : undefined), o);
const image = (o: JsonObject): string => String((at(o, 'spec', 'template', 'spec', 'containers') as Loose[] | undefined)?.[0]?.['image'] ?? (at(o, 'spec', 'containers') as Loose[] | undefined)?.[0]?.['image'] ?? '?');
const json = (v: unknown): string => JSON.stringify(v ?? null);

export async function deploymentState(kube: KubeClient, namespace: string, name: string): Promise<string> {
  const deployment = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
  if (deployment === undefined) return `Deployment ${namespace}/${name}: gone`;
  const selector = Object.entries((at(deployment, 'spec', 'selector', 'matchLabels') as Loose | undefined) ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  const [sets, pods] = await Promise.all([kube.list('apps/v1', 'ReplicaSet', { namespace, labelSelector: selector }), kube.list('v1', 'Pod', { namespace, labelSelector: selector })]);
  const lines = [
    `Deployment ${namespace}/${name}: image ${image(deployment)}, generation ${json(at(deployment, 'metadata', 'generation'))}, paused ${json(at(deployment, 'spec', 'paused'))}, replicas ${json(at(deployment, 'spec', 'replicas'))}, strategy ${json(at(deployment, 'spec', 'strategy'))}, status ${json(deployment['status'])}`,
    ...sets.items.map((rs) => `  ReplicaSet ${String(at(rs, 'metadata', 'name'))}: image ${image(rs)}, revision ${json(at(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision'))}, spec.replicas ${json(at(rs, 'spec', 'replicas'))}, status ${json(rs['status'])}`),
    ...pods.items.map((p) => {
      const ready = (at(p, 'status', 'conditions') as Loose[] | undefined)?.find((c) => c['type'] === 'Ready');
      const deleting = at(p, 'metadata', 'deletionTimestamp');
      return `  Pod ${String(at(p, 'metadata', 'name'))}: image ${image(p)}, phase ${json(at(p, 'status', 'phase'))}, Ready ${json(ready?.['status'])} since ${json(ready?.['lastTransitionTime'])}${deleting === undefined ? '' : `, deleting since ${json(deleting)}`}, containers ${json(at(p, 'status', 'containerStatuses'))}`;
    }),
  ];
  return lines.join('\n');
}
