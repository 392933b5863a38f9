import { isJsonObject, type JsonObject } from '../json.ts';
import type { SimApiServer } from './apiserver.ts';
import { metadataOf, nameOf } from './object-meta.ts';
import type { ObjectStore } from './store.ts';

/** The annotation that makes a StorageClass the default (and its deprecated beta spelling). */
export const IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const IS_DEFAULT_CLASS_BETA = 'storageclass.beta.kubernetes.io/is-default-class';

/** The class a cluster with controllers starts with, as kind's: rancher's local-path provisioner, the default. */
export const STANDARD_STORAGE_CLASS = 'standard';
export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';

/**
 * The default StorageClass: of those annotated as default, the newest (names break ties),
 * as the DefaultStorageClass admission plugin and the PV controller choose since 1.28.
 */
export function defaultStorageClass(store: ObjectStore): JsonObject | undefined {
  const defaults = store.list('storage.k8s.io/storageclasses', '').filter((sc) => {
    const annotations = metadataOf(sc).annotations;
    return isJsonObject(annotations) && (annotations[IS_DEFAULT_CLASS] === 'true' || annotations[IS_DEFAULT_CLASS_BETA] === 'true');
  });
  const created = (sc: JsonObject) => String(metadataOf(sc).creationTimestamp ?? '');
  return defaults.sort((a, b) => created(b).localeCompare(created(a)) || nameOf(a).localeCompare(nameOf(b)))[0];
}

/** Creates the `standard` class (the default) unless it exists. */
export function ensureStandardStorageClass(api: SimApiServer): void {
  if (api.store.get('storage.k8s.io/storageclasses', '', STANDARD_STORAGE_CLASS)) return;
  api.create(api.registry.lookup('storage.k8s.io', 'v1', 'storageclasses')!, '', {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STANDARD_STORAGE_CLASS, annotations: { [IS_DEFAULT_CLASS]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  }, { fieldManager: 'kube-apiserver' });
}
