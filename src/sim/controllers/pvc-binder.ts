import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { rfc3339 } from '../clock.ts';
import { deletionTimestampOf, labelsOf, metadataOf, nameOf, namespaceOf, resourceVersionOf, uidOf } from '../object-meta.ts';
import { labelSelectorFromJson, matchesLabels, SelectorError } from '../selectors.ts';
import type { StoreEvent } from '../store.ts';
import { parseQuantity } from './nodes.ts';
import { defaultStorageClass, LOCAL_PATH_PROVISIONER } from '../storage-classes.ts';
import { keyOf, splitKey, type Controller, type ControllerContext } from './types.ts';

const NAME = 'persistentvolume-binder-controller';
/** the one provisioner the cluster runs, as kind's: rancher's local-path provisioner */
export const PROVISIONER = LOCAL_PATH_PROVISIONER;
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';

/**
 * The PersistentVolume controller (pkg/controller/volume/persistentvolume) with a dynamic
 * provisioner for StorageClasses of the local-path provisioner (the `standard` class): a
 * Pending claim binds to the smallest matching Available volume, else gets a new
 * `pvc-<claim uid>` hostPath volume (the class's reclaim policy); claims without a class get
 * the default StorageClass, if there is one. A class of another provisioner waits for it. A volume whose claim is gone is deleted
 * (Delete) or Released (Retain / Recycle). Keys are `claim:<ns>/<name>` and `volume:<name>`.
 */
export function createPvcBinder(ctx: ControllerContext): Controller {
  const { api, clock, events } = ctx;
  const claimsType = api.registry.lookup('', 'v1', 'persistentvolumeclaims')!;
  const volumesType = api.registry.lookup('', 'v1', 'persistentvolumes')!;
  const claimKey = (namespace: string, name: string) => `claim:${keyOf(namespace, name)}`;
  const pendingClaimKeys = () => api.store.list('/persistentvolumeclaims').filter((c) => phaseOf(c) === 'Pending').map((c) => claimKey(namespaceOf(c), nameOf(c)));

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === '/persistentvolumeclaims') {
      const volume = e.type === 'DELETED' ? stringAt(e.object.spec, 'volumeName') || undefined : undefined;
      return [claimKey(e.namespace, nameOf(e.object)), ...(volume ? [`volume:${volume}`] : [])];
    }
    // a class created or made the default may let waiting claims go on
    if (e.resource === 'storage.k8s.io/storageclasses') return pendingClaimKeys();
    if (e.resource !== '/persistentvolumes') return [];
    const ref = claimRefOf(e.object);
    // a volume that may now be free can satisfy any waiting claim
    return [`volume:${nameOf(e.object)}`, ...(ref ? [claimKey(ref.namespace, ref.name)] : []), ...(ref?.uid ? [] : pendingClaimKeys())];
  }

  function reconcile(key: string): void {
    const colon = key.indexOf(':');
    const { namespace, name } = splitKey(key.slice(colon + 1));
    if (key.startsWith('volume:')) {
      const volume = api.store.get('/persistentvolumes', '', name);
      if (volume) syncVolume(volume);
      return;
    }
    const claim = api.store.get('/persistentvolumeclaims', namespace, name);
    if (claim && !deletionTimestampOf(claim)) syncClaim(claim);
  }

  function syncClaim(claim: JsonObject): void {
    const volumeName = stringAt(claim.spec, 'volumeName') || undefined;
    if (volumeName) {
      const volume = api.store.get('/persistentvolumes', '', volumeName);
      if (!volume) {
        if (phaseOf(claim) === 'Bound') {
          writeClaimStatus(claim, { ...statusOf(claim), phase: 'Lost' });
          events.record(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!', NAME);
        }
        return;
      }
      const ref = claimRefOf(volume);
      if (!ref || (ref.name === nameOf(claim) && ref.namespace === namespaceOf(claim) && (!ref.uid || ref.uid === uidOf(claim)))) bind(claim, volume);
      return;
    }
    const defaultClass = defaultStorageClass(api.store);
    if (stringAt(claim.spec, 'storageClassName') === undefined && defaultClass) {
      // retroactive default StorageClass assignment (GA in 1.28)
      const spec = { ...(isJsonObject(claim.spec) ? claim.spec : {}), storageClassName: nameOf(defaultClass) };
      claim = api.update(claimsType, namespaceOf(claim), nameOf(claim), { ...claim, spec }, { fieldManager: NAME });
    }
    const match = bestVolumeFor(claim, api.store.list('/persistentvolumes'));
    if (match) return bind(claim, match);
    const className = stringAt(claim.spec, 'storageClassName') ?? '';
    const storageClass = className ? api.store.get('storage.k8s.io/storageclasses', '', className) : undefined;
    if (className === '') events.record(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set', NAME);
    else if (!storageClass) events.record(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`, NAME);
    else if (storageClass.provisioner !== PROVISIONER) {
      const provisioner = String(storageClass.provisioner);
      events.record(claim, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`, NAME);
    } else if (!isJsonObject(isJsonObject(claim.spec) ? claim.spec.selector : undefined)) return provision(claim, storageClass);
  }

  /** What the local-path provisioner does: a hostPath volume the size asked for, already claimed. */
  function provision(claim: JsonObject, storageClass: JsonObject): void {
    const spec = isJsonObject(claim.spec) ? claim.spec : {};
    const name = `pvc-${uidOf(claim)}`;
    events.record(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${namespaceOf(claim)}/${nameOf(claim)}"`, PROVISIONER);
    const volume = api.create(volumesType, '', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [ANN_PROVISIONED_BY]: PROVISIONER } },
      spec: {
        capacity: { storage: requestedStorage(claim) ?? '0' },
        accessModes: structuredClone(Array.isArray(spec.accessModes) ? spec.accessModes : []),
        persistentVolumeReclaimPolicy: typeof storageClass.reclaimPolicy === 'string' ? storageClass.reclaimPolicy : 'Delete',
        storageClassName: nameOf(storageClass),
        volumeMode: spec.volumeMode ?? 'Filesystem',
        claimRef: claimRefTo(claim),
        hostPath: { path: `/var/local-path-provisioner/${name}_${namespaceOf(claim)}_${nameOf(claim)}`, type: 'DirectoryOrCreate' },
      },
    }, { fieldManager: PROVISIONER });
    events.record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`, PROVISIONER);
    const annotations = { [ANN_STORAGE_PROVISIONER]: PROVISIONER, [ANN_BETA_STORAGE_PROVISIONER]: PROVISIONER };
    bind(updateClaimMeta(claim, annotations), volume);
  }

  /** Both halves of a binding: the volume's claimRef and phase, then the claim's volumeName and status. */
  function bind(claim: JsonObject, volume: JsonObject): void {
    let pv = volume;
    if (!claimRefOf(pv)?.uid) {
      const spec = { ...(isJsonObject(pv.spec) ? pv.spec : {}), claimRef: claimRefTo(claim) };
      pv = api.update(volumesType, '', nameOf(pv), withAnnotations({ ...pv, spec }, { [ANN_BOUND_BY_CONTROLLER]: 'yes' }), { fieldManager: NAME });
    }
    setVolumePhase(pv, 'Bound');
    let pvc = claim;
    const boundHere = !stringAt(pvc.spec, 'volumeName');
    const annotations = { [ANN_BIND_COMPLETED]: 'yes', ...(boundHere ? { [ANN_BOUND_BY_CONTROLLER]: 'yes' } : {}) };
    const spec = { ...(isJsonObject(pvc.spec) ? pvc.spec : {}), volumeName: nameOf(pv) };
    const next = withAnnotations({ ...pvc, spec }, annotations);
    if (!jsonEqual(next, pvc)) pvc = api.update(claimsType, namespaceOf(pvc), nameOf(pvc), next, { fieldManager: NAME });
    const pvSpec = isJsonObject(pv.spec) ? pv.spec : {};
    writeClaimStatus(pvc, { ...statusOf(pvc), phase: 'Bound', accessModes: pvSpec.accessModes ?? [], capacity: pvSpec.capacity ?? {} });
  }

  function syncVolume(volume: JsonObject): void {
    const ref = claimRefOf(volume);
    if (!ref) return setVolumePhase(volume, 'Available');
    const claim = api.store.get('/persistentvolumeclaims', ref.namespace, ref.name);
    if (claim && (!ref.uid || uidOf(claim) === ref.uid)) {
      if (ref.uid && stringAt(claim.spec, 'volumeName') === nameOf(volume)) setVolumePhase(volume, 'Bound');
      else if (!ref.uid) setVolumePhase(volume, 'Available'); // pre-bound, waiting for its claim to be synced
      return;
    }
    if (!ref.uid) return setVolumePhase(volume, 'Available');
    // the claim is gone: reclaim
    const policy = stringAt(volume.spec, 'persistentVolumeReclaimPolicy') ?? 'Retain';
    if (policy === 'Delete') api.delete(volumesType, '', nameOf(volume));
    else setVolumePhase(volume, 'Released');
  }

  function setVolumePhase(volume: JsonObject, phase: string): void {
    const latest = api.store.get('/persistentvolumes', '', nameOf(volume));
    if (!latest || phaseOf(latest) === phase) return;
    const status = { ...statusOf(latest), phase, lastPhaseTransitionTime: rfc3339(clock.now()) };
    api.update(volumesType, '', nameOf(latest), { ...latest, status }, { fieldManager: NAME }, 'status');
  }

  function writeClaimStatus(claim: JsonObject, status: JsonObject): void {
    const latest = api.store.get('/persistentvolumeclaims', namespaceOf(claim), nameOf(claim));
    if (!latest || jsonEqual(latest.status, status)) return;
    api.update(claimsType, namespaceOf(latest), nameOf(latest), { ...latest, status }, { fieldManager: NAME }, 'status');
  }

  function updateClaimMeta(claim: JsonObject, annotations: Record<string, string>): JsonObject {
    return api.update(claimsType, namespaceOf(claim), nameOf(claim), withAnnotations(claim, annotations), { fieldManager: NAME });
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => [
      ...api.store.list('/persistentvolumes').map((v) => `volume:${nameOf(v)}`),
      ...api.store.list('/persistentvolumeclaims').map((c) => claimKey(namespaceOf(c), nameOf(c))),
    ],
  };
}

// ---- pure helpers ----

interface ClaimRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

function stringAt(obj: JsonValue | undefined, key: string): string | undefined {
  const v = isJsonObject(obj) ? obj[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function statusOf(obj: JsonObject): JsonObject {
  return isJsonObject(obj.status) ? obj.status : {};
}

function phaseOf(obj: JsonObject): string {
  return typeof statusOf(obj).phase === 'string' ? String(statusOf(obj).phase) : 'Pending';
}

function claimRefOf(volume: JsonObject): ClaimRef | undefined {
  const ref = isJsonObject(volume.spec) ? volume.spec.claimRef : undefined;
  if (!isJsonObject(ref) || typeof ref.name !== 'string') return undefined;
  return { namespace: typeof ref.namespace === 'string' ? ref.namespace : '', name: ref.name, uid: typeof ref.uid === 'string' ? ref.uid : '' };
}

function claimRefTo(claim: JsonObject): JsonObject {
  return { kind: 'PersistentVolumeClaim', namespace: namespaceOf(claim), name: nameOf(claim), uid: uidOf(claim), apiVersion: 'v1', resourceVersion: resourceVersionOf(claim) ?? '' };
}

function withAnnotations(obj: JsonObject, annotations: Record<string, string>): JsonObject {
  const meta = metadataOf(obj);
  return { ...obj, metadata: { ...meta, annotations: { ...(isJsonObject(meta.annotations) ? meta.annotations : {}), ...annotations } } };
}

function requestedStorage(claim: JsonObject): string | undefined {
  const resources = isJsonObject(claim.spec) && isJsonObject(claim.spec.resources) ? claim.spec.resources : {};
  const requests = isJsonObject(resources.requests) ? resources.requests : {};
  return typeof requests.storage === 'string' ? requests.storage : typeof requests.storage === 'number' ? String(requests.storage) : undefined;
}

/**
 * findBestMatchForClaim: a volume pre-bound to this claim, else the smallest Available one of
 * the same class and volume mode that offers every requested access mode, enough capacity,
 * and the labels the claim's selector asks for.
 */
export function bestVolumeFor(claim: JsonObject, volumes: readonly JsonObject[]): JsonObject | undefined {
  const spec = isJsonObject(claim.spec) ? claim.spec : {};
  const wantModes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
  const wantBytes = parseQuantity(requestedStorage(claim)) ?? 0;
  const className = stringAt(spec, 'storageClassName') ?? '';
  let selector: ReturnType<typeof labelSelectorFromJson> | undefined;
  try {
    selector = isJsonObject(spec.selector) ? labelSelectorFromJson(spec.selector) : undefined;
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    return undefined;
  }
  const sizeOf = (v: JsonObject) => parseQuantity(isJsonObject(v.spec) && isJsonObject(v.spec.capacity) ? v.spec.capacity.storage : undefined) ?? 0;
  const fits = (v: JsonObject) => {
    const vs = isJsonObject(v.spec) ? v.spec : {};
    const modes = Array.isArray(vs.accessModes) ? vs.accessModes : [];
    return (stringAt(vs, 'storageClassName') ?? '') === className
      && (vs.volumeMode ?? 'Filesystem') === (spec.volumeMode ?? 'Filesystem')
      && wantModes.every((m) => modes.includes(m))
      && sizeOf(v) >= wantBytes
      && (!selector || matchesLabels(selector, labelsOf(v)));
  };
  const candidates = volumes.filter((v) => !deletionTimestampOf(v) && fits(v));
  const preBound = candidates.find((v) => {
    const ref = claimRefOf(v);
    return ref?.name === nameOf(claim) && ref.namespace === namespaceOf(claim) && (!ref.uid || ref.uid === uidOf(claim));
  });
  if (preBound) return preBound;
  return candidates.filter((v) => !claimRefOf(v) && phaseOf(v) === 'Available').sort((a, b) => sizeOf(a) - sizeOf(b))[0];
}
