/**
 * The objects a StatefulSet makes, pure (stateful_set_utils.go): its pods with their stable
 * identity and storage, and the PersistentVolumeClaims of its volumeClaimTemplates with the
 * owner references persistentVolumeClaimRetentionPolicy asks for.
 */
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { labelsOf, metadataOf, ownerReferencesOf, uidOf } from '../object-meta.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from './controller-history.ts';
import { podFromTemplate } from './pods.ts';
import { claimName, identityLabels, podName, type StatefulSetView } from './statefulset-plan.ts';

/** newStatefulSetPod + setPodRevision: pod `<set>-<ordinal>` from a revision's template. */
export function newStatefulSetPod(set: JsonObject, view: StatefulSetView, template: JsonObject, ordinal: number, revisionName: string): JsonObject {
  const name = podName(view.name, ordinal);
  const pod = podFromTemplate(template, set, { name, labels: { ...identityLabels(view.name, ordinal), [CONTROLLER_REVISION_HASH_LABEL]: revisionName } });
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  // initIdentity: the pod's DNS name is <pod>.<serviceName>
  spec.hostname = name;
  if (view.serviceName) spec.subdomain = view.serviceName;
  spec.volumes = podVolumes(view, ordinal, spec.volumes);
  return { ...pod, spec };
}

/** updateStorage: one volume per claim template, replacing template volumes of the same name. */
export function podVolumes(view: StatefulSetView, ordinal: number, templateVolumes: JsonValue | undefined): JsonValue[] {
  const claims = view.claimTemplates.map((t) => String(metadataOf(t).name ?? ''));
  const own = claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: claimName(c, view.name, ordinal) } }));
  const rest = (Array.isArray(templateVolumes) ? templateVolumes : []).filter((v) => !isJsonObject(v) || !claims.includes(String(v.name)));
  return [...own, ...rest];
}

/**
 * getPersistentVolumeClaims: `<claim>-<set>-<ordinal>` from each template, labelled with the
 * template's labels and the set's selector matchLabels.
 */
export function claimsFor(view: StatefulSetView, selectorLabels: Readonly<Record<string, string>>, ordinal: number): JsonObject[] {
  return view.claimTemplates.map((t) => {
    const meta = metadataOf(t);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(String(meta.name ?? ''), view.name, ordinal),
        namespace: view.namespace,
        labels: { ...labelsOf(t), ...selectorLabels },
        ...(isJsonObject(meta.annotations) ? { annotations: meta.annotations } : {}),
      },
      spec: structuredClone(isJsonObject(t.spec) ? t.spec : {}),
    };
  });
}

function plainRef(owner: JsonObject, apiVersion: string, kind: string): JsonObject {
  return { apiVersion, kind, name: String(metadataOf(owner).name ?? ''), uid: uidOf(owner) };
}

/**
 * The owner references a claim should carry for the retention policy (the StatefulSetAutoDeletePVC
 * rules): whenDeleted=Delete → owned by the set; whenScaled=Delete → owned by its pod once the pod's
 * ordinal is past the end. Other owners are kept. Undefined when the claim already matches.
 */
export function claimOwnersFor(claim: JsonObject, set: JsonObject, view: StatefulSetView, pod: JsonObject | undefined, condemned: boolean): JsonValue[] | undefined {
  const managed = new Set([uidOf(set), ...(pod ? [uidOf(pod)] : [])]);
  const others = ownerReferencesOf(claim).filter((r) => !managed.has(r.uid));
  const wanted: JsonObject[] = [];
  if (view.retention.whenDeleted === 'Delete') wanted.push(plainRef(set, 'apps/v1', 'StatefulSet'));
  if (view.retention.whenScaled === 'Delete' && condemned && pod) wanted.push(plainRef(pod, 'v1', 'Pod'));
  const current = ownerReferencesOf(claim).filter((r) => managed.has(r.uid));
  const same = current.length === wanted.length && wanted.every((w) => current.some((c) => c.uid === w.uid));
  return same ? undefined : [...(others as unknown as JsonObject[]), ...wanted];
}

/** hasStaleOwnerRef: a claim still owned by an earlier pod of the same name cannot be reused yet. */
export function claimIsStale(claim: JsonObject, podNameWanted: string): boolean {
  return ownerReferencesOf(claim).some((r) => r.kind === 'Pod' && r.name === podNameWanted);
}

/** The labels updateIdentity would set, merged in; undefined when they already hold. */
export function labelsWithIdentity(pod: JsonObject, view: StatefulSetView, ordinal: number): Record<string, string> | undefined {
  const labels = labelsOf(pod);
  const merged = { ...labels, ...identityLabels(view.name, ordinal) };
  return jsonEqual(merged, labels) ? undefined : merged;
}
