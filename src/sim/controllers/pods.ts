import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { deletionTimestampOf, metadataOf, ownerReferencesOf, uidOf, type OwnerReference } from '../object-meta.ts';

/** Reads of pod state shared by the workload controllers, as k8s.io/kubectl/pkg/util/podutils does. */

export interface PodCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly lastTransitionTime?: string;
  readonly reason?: string;
  readonly message?: string;
}

export function podPhase(pod: JsonObject): string {
  const status = isJsonObject(pod.status) ? pod.status : {};
  return typeof status.phase === 'string' ? status.phase : 'Pending';
}

export function podCondition(pod: JsonObject, type: string): PodCondition | undefined {
  const status = isJsonObject(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.find((c): c is JsonObject => isJsonObject(c) && c.type === type) as PodCondition | undefined;
}

export function isPodReady(pod: JsonObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds at `now` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: JsonObject, minReadySeconds: number, now: Date): boolean {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now.getTime();
}

/** When a ready pod becomes available (so a controller can look again then), or undefined. */
export function availableAt(pod: JsonObject, minReadySeconds: number): number | undefined {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True' || !ready.lastTransitionTime) return undefined;
  return Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000;
}

/** Ms until the next ready pod becomes available (no event will say so), or undefined when none is waiting. */
export function nextAvailableIn(pods: readonly JsonObject[], minReadySeconds: number, now: Date): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  const due = pods.map((p) => availableAt(p, minReadySeconds)).filter((t): t is number => t !== undefined && t > now.getTime());
  return due.length > 0 ? Math.min(...due) - now.getTime() : undefined;
}

/** Counted by controllers: not terminating and not finished (controller.IsPodActive). */
export function isPodActive(pod: JsonObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && deletionTimestampOf(pod) === undefined;
}

export function controllerRef(obj: JsonObject): OwnerReference | undefined {
  return ownerReferencesOf(obj).find((r) => r.controller === true);
}

export function isControlledBy(obj: JsonObject, owner: JsonObject): boolean {
  return controllerRef(obj)?.uid === uidOf(owner);
}

export function ownerReferenceTo(owner: JsonObject): JsonObject {
  return {
    apiVersion: String(owner.apiVersion),
    kind: String(owner.kind),
    name: String(metadataOf(owner).name),
    uid: uidOf(owner),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A new pod from a template, owned by its controller (controller.GetPodFromTemplate). */
export function podFromTemplate(template: JsonValue | undefined, owner: JsonObject, extra: { name?: string; generateName?: string; labels?: Record<string, string> } = {}): JsonObject {
  const t = isJsonObject(template) ? template : {};
  const meta = isJsonObject(t.metadata) ? t.metadata : {};
  const labels = { ...(isJsonObject(meta.labels) ? meta.labels : {}), ...(extra.labels ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(extra.name ? { name: extra.name } : { generateName: extra.generateName ?? `${String(metadataOf(owner).name)}-` }),
      labels,
      ...(isJsonObject(meta.annotations) ? { annotations: meta.annotations } : {}),
      ...(Array.isArray(meta.finalizers) ? { finalizers: meta.finalizers } : {}),
      ownerReferences: [ownerReferenceTo(owner)],
    },
    spec: structuredClone(isJsonObject(t.spec) ? t.spec : {}),
  };
}
