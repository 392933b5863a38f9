/**
 * What the planner needs of a workload, read from the cluster: the object, its pods, and
 * which of them run the new revision. The reads are the edge; `snapshotOf` is pure.
 *
 * New revision: for a Deployment, pods whose pod-template-hash is that of the ReplicaSet
 * whose template equals the Deployment's (none while a paused Deployment has not made one);
 * for a StatefulSet, pods at status.updateRevision; for a DaemonSet, pods at the newest
 * ControllerRevision's hash. Selectors are read from matchLabels (matchExpressions only
 * narrow them further, and ownership is checked anyway).
 */
import { deploymentLimits, type DeploymentStrategy } from '../sim/controllers/deployment-math.ts';
import { numberAt, objectAt, objectsAt, stringAt } from '../health/fields.ts';
import type { KubeClient } from '../kube/client.ts';
import { isJsonObject, jsonEqual, type JsonObject } from '../json.ts';
import type { PodView, WorkloadRef, WorkloadSnapshot } from './types.ts';

const POD_TEMPLATE_HASH = 'pod-template-hash';
const REVISION_HASH = 'controller-revision-hash';

export async function observeWorkload(kube: KubeClient, ref: WorkloadRef): Promise<WorkloadSnapshot> {
  const object = await kube.get({ apiVersion: 'apps/v1', kind: ref.kind, namespace: ref.namespace, name: ref.name });
  if (object === undefined) return { ...ref, exists: false, desired: 0, held: false, allowedNew: 0, updated: 0, ready: 0, available: 0, maxSurge: 0, maxUnavailable: 0, pods: [] };
  const labelSelector = selectorOf(object);
  const ownerKind = ref.kind === 'Deployment' ? 'ReplicaSet' : 'ControllerRevision';
  const [owned, pods] = await Promise.all([
    ref.kind === 'StatefulSet' ? Promise.resolve({ items: [] }) : kube.list('apps/v1', ownerKind, { namespace: ref.namespace, labelSelector }),
    kube.list('v1', 'Pod', { namespace: ref.namespace, labelSelector }),
  ]);
  return snapshotOf(ref, object, owned.items, pods.items);
}

/** The snapshot of one workload from its object, what it owns (ReplicaSets or ControllerRevisions) and the pods its selector matches. */
export function snapshotOf(ref: WorkloadRef, object: JsonObject, owned: readonly JsonObject[], pods: readonly JsonObject[]): WorkloadSnapshot {
  const uid = stringAt(object, 'metadata', 'uid');
  const ownedBy = (o: JsonObject, owners: ReadonlySet<unknown>) => objectsAt(o, 'metadata', 'ownerReferences').some((r) => owners.has(r['uid']));
  const mine = (o: JsonObject) => ownedBy(o, new Set([uid]));
  // a Deployment's pods belong to its ReplicaSets; the others own their pods themselves
  const podOwners = new Set<unknown>(ref.kind === 'Deployment' ? owned.filter(mine).map((rs) => stringAt(rs, 'metadata', 'uid')) : [uid]);
  const ownedPods = pods.filter((p) => ownedBy(p, podOwners));
  const views = (hashLabel: string, hash: string | undefined) => ownedPods.map((p) => podView(p, hash !== undefined && labelOf(p, hashLabel) === hash));
  if (ref.kind === 'Deployment') {
    const desired = numberAt(object, 'spec', 'replicas') ?? 1;
    const template = objectAt(object, 'spec', 'template');
    const newRS = owned.filter(mine).find((rs) => jsonEqual(withoutHash(objectAt(rs, 'spec', 'template')), template));
    const strategy = (objectAt(object, 'spec', 'strategy') ?? { type: 'RollingUpdate' }) as unknown as DeploymentStrategy;
    return {
      ...ref,
      exists: true,
      desired,
      held: object['spec'] !== undefined && (object['spec'] as JsonObject)['paused'] === true,
      allowedNew: newRS === undefined ? 0 : (numberAt(newRS, 'spec', 'replicas') ?? 0),
      ...counts(object, 'updatedReplicas', 'readyReplicas', 'availableReplicas'),
      ...deploymentLimits(strategy, desired),
      pods: views(POD_TEMPLATE_HASH, newRS === undefined ? undefined : labelOf(newRS, POD_TEMPLATE_HASH)),
    };
  }
  if (ref.kind === 'StatefulSet') {
    const desired = numberAt(object, 'spec', 'replicas') ?? 1;
    const partition = numberAt(object, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
    return {
      ...ref,
      exists: true,
      desired,
      held: partition > 0,
      allowedNew: Math.max(0, desired - partition),
      ...counts(object, 'updatedReplicas', 'readyReplicas', 'availableReplicas'),
      maxSurge: 0,
      maxUnavailable: numberAt(object, 'spec', 'updateStrategy', 'rollingUpdate', 'maxUnavailable') ?? 1,
      pods: views(REVISION_HASH, stringAt(object, 'status', 'updateRevision')),
    };
  }
  const newest = owned.filter(mine).sort((a, b) => (numberAt(b, 'revision') ?? 0) - (numberAt(a, 'revision') ?? 0))[0];
  const desired = numberAt(object, 'status', 'desiredNumberScheduled') ?? 0;
  return {
    ...ref,
    exists: true,
    desired,
    held: false,
    allowedNew: desired,
    ...counts(object, 'updatedNumberScheduled', 'numberReady', 'numberAvailable'),
    maxSurge: 0,
    maxUnavailable: 1,
    pods: views(REVISION_HASH, newest === undefined ? undefined : labelOf(newest, REVISION_HASH)),
  };
}

function counts(object: JsonObject, updated: string, ready: string, available: string): { updated: number; ready: number; available: number } {
  // a status that has not caught up with the latest spec says nothing about it
  const observed = (numberAt(object, 'status', 'observedGeneration') ?? 0) >= (numberAt(object, 'metadata', 'generation') ?? 0);
  const n = (field: string) => (observed ? (numberAt(object, 'status', field) ?? 0) : 0);
  return { updated: n(updated), ready: n(ready), available: n(available) };
}

export function podView(pod: JsonObject, current: boolean): PodView {
  const readyCondition = objectsAt(pod, 'status', 'conditions').find((c) => c['type'] === 'Ready');
  const ready = readyCondition?.['status'] === 'True';
  const statuses = objectsAt(pod, 'status', 'containerStatuses');
  const waitingReason = statuses.map((cs) => stringAt(cs, 'state', 'waiting', 'reason')).find((r) => r !== undefined);
  const lastTerminationReason = statuses.map((cs) => stringAt(cs, 'lastState', 'terminated', 'reason') ?? stringAt(cs, 'state', 'terminated', 'reason')).find((r) => r !== undefined);
  const since = (readyCondition === undefined ? undefined : stringAt(readyCondition, 'lastTransitionTime')) ?? stringAt(pod, 'metadata', 'creationTimestamp');
  return {
    name: stringAt(pod, 'metadata', 'name') ?? '?',
    current,
    ready,
    terminating: stringAt(pod, 'metadata', 'deletionTimestamp') !== undefined,
    ...(ready || since === undefined ? {} : { notReadySince: since }),
    restarts: statuses.reduce((n, cs) => n + (numberAt(cs, 'restartCount') ?? 0), 0),
    ...(waitingReason === undefined ? {} : { waitingReason }),
    ...(lastTerminationReason === undefined ? {} : { lastTerminationReason }),
  };
}

function selectorOf(object: JsonObject): string {
  const labels = objectAt(object, 'spec', 'selector', 'matchLabels') ?? {};
  return Object.entries(labels)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function labelOf(object: JsonObject, label: string): string | undefined {
  return stringAt(object, 'metadata', 'labels', label);
}

/** A ReplicaSet's template without the pod-template-hash label its Deployment does not have. */
function withoutHash(template: JsonObject | undefined): JsonObject | undefined {
  if (template === undefined) return undefined;
  const metadata = objectAt(template, 'metadata') ?? {};
  const labels = isJsonObject(metadata['labels']) ? { ...metadata['labels'] } : {};
  delete labels[POD_TEMPLATE_HASH];
  return { ...template, metadata: { ...metadata, labels } };
}
