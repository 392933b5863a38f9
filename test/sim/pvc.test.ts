import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { EventRecorder } from '../../src/sim/controllers/events.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import {
  ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_PROVISIONED_BY, bestVolumeFor, createPvcBinder, PROVISIONER,
} from '../../src/sim/controllers/pvc-binder.ts';
import { metadataOf, nameOf } from '../../src/sim/object-meta.ts';
import { ensureStandardStorageClass } from '../../src/sim/storage-classes.ts';
import { typeOf } from '../support/sim.ts';

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;

beforeEach(() => {
  clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
  api = new SimApiServer({ clock });
  ensureStandardStorageClass(api);
  const ctx = { api, clock, events: new EventRecorder(api, clock) };
  manager = new ControllerManager(ctx, [createPvcBinder(ctx)]);
  manager.start();
  return () => manager.stop();
});

const claims = () => typeOf(api, '', 'v1', 'persistentvolumeclaims');
const volumes = () => typeOf(api, '', 'v1', 'persistentvolumes');
const claim = (name = 'data') => api.get(claims(), 'default', name);
const volume = (name: string) => api.store.get('/persistentvolumes', '', name);
const spec = (o: JsonObject | undefined) => (o?.spec ?? {}) as Record<string, unknown>;
const status = (o: JsonObject | undefined) => (o?.status ?? {}) as Record<string, unknown>;
const eventsOf = (reason: string) => api.store.list('/events', 'default').filter((e) => e.reason === reason);

function newClaim(name: string, options: { storage?: string; modes?: string[]; storageClassName?: string; selector?: JsonObject } = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: {
      accessModes: options.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: options.storage ?? '1Gi' } },
      ...(options.storageClassName !== undefined ? { storageClassName: options.storageClassName } : {}),
      ...(options.selector ? { selector: options.selector } : {}),
    },
  };
}

function newVolume(name: string, options: { storage: string; modes?: string[]; storageClassName?: string; labels?: Record<string, string>; claimRef?: JsonObject; reclaim?: string }): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
    spec: {
      capacity: { storage: options.storage },
      accessModes: options.modes ?? ['ReadWriteOnce'],
      storageClassName: options.storageClassName ?? 'manual',
      ...(options.reclaim ? { persistentVolumeReclaimPolicy: options.reclaim } : {}),
      ...(options.claimRef ? { claimRef: options.claimRef } : {}),
      hostPath: { path: `/mnt/${name}` },
    },
  };
}

describe('PersistentVolume binder', () => {
  const storageClasses = () => typeOf(api, 'storage.k8s.io', 'v1', 'storageclasses');
  const newClass = (name: string, provisioner: string, isDefault: boolean, reclaimPolicy = 'Delete'): JsonObject => ({
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', provisioner, reclaimPolicy,
    metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  });

  it('gives a claim without a class the default StorageClass on create, and provisions with its reclaim policy', async () => {
    api.patch(storageClasses(), '', 'standard', 'merge', { metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'false' } } });
    clock.advance(1000);
    api.create(storageClasses(), '', newClass('local-keep', PROVISIONER, true, 'Retain'));
    api.create(claims(), 'default', newClaim('data'));
    expect(spec(claim())).toMatchObject({ storageClassName: 'local-keep' });
    await manager.advance(clock, 1);
    expect(spec(volume(String(spec(claim()).volumeName)))).toMatchObject({ storageClassName: 'local-keep', persistentVolumeReclaimPolicy: 'Retain' });
  });

  it('leaves a claim of another provisioner waiting for it, and binds one whose class appears later', async () => {
    api.create(storageClasses(), '', newClass('ebs', 'ebs.csi.aws.com', false));
    api.create(claims(), 'default', newClaim('cloud', { storageClassName: 'ebs' }));
    api.create(claims(), 'default', newClaim('later', { storageClassName: 'fast' }));
    await manager.advance(clock, 1);
    expect(status(claim('cloud')).phase).toBe('Pending');
    expect(eventsOf('ExternalProvisioning').map((e) => e.message)).toEqual([expect.stringContaining("external provisioner 'ebs.csi.aws.com'")]);
    expect(eventsOf('ProvisioningFailed').map((e) => e.message)).toEqual(['storageclass.storage.k8s.io "fast" not found']);
    api.create(storageClasses(), '', newClass('fast', PROVISIONER, false));
    await manager.advance(clock, 1);
    expect(status(claim('later')).phase).toBe('Bound');
  });

  it('provisions a pvc-<uid> volume for a claim of the default class and binds both', async () => {
    api.create(claims(), 'default', newClaim('data', { storage: '2Gi', modes: ['ReadWriteOnce'] }));
    await manager.advance(clock, 1);
    const uid = String(metadataOf(claim()).uid);
    const pv = volume(`pvc-${uid}`);
    expect(spec(claim())).toMatchObject({ storageClassName: 'standard', volumeName: `pvc-${uid}` });
    expect(status(claim())).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
    expect(metadataOf(claim()).annotations).toMatchObject({ [ANN_BIND_COMPLETED]: 'yes', [ANN_BOUND_BY_CONTROLLER]: 'yes', 'volume.kubernetes.io/storage-provisioner': PROVISIONER });
    expect(spec(pv)).toMatchObject({
      capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'standard', volumeMode: 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid, apiVersion: 'v1' },
      hostPath: { path: `/var/local-path-provisioner/pvc-${uid}_default_data`, type: 'DirectoryOrCreate' },
    });
    expect(metadataOf(pv!).annotations).toEqual({ [ANN_PROVISIONED_BY]: PROVISIONER });
    expect(status(pv)).toEqual({ phase: 'Bound', lastPhaseTransitionTime: '2026-01-01T00:00:00Z' });
    expect(eventsOf('ProvisioningSucceeded').map((e) => e.message)).toEqual([`Successfully provisioned volume pvc-${uid}`]);
  });

  it('deletes a provisioned volume with its claim (reclaim policy Delete)', async () => {
    api.create(claims(), 'default', newClaim('data'));
    await manager.advance(clock, 1);
    const name = String(spec(claim()).volumeName);
    api.delete(claims(), 'default', 'data');
    await manager.advance(clock, 1);
    expect(volume(name)).toBeUndefined();
  });

  it('binds a claim to the smallest fitting pre-created volume, and releases it (Retain) when the claim goes', async () => {
    api.create(volumes(), '', newVolume('big', { storage: '10Gi' }));
    api.create(volumes(), '', newVolume('small', { storage: '5Gi' }));
    api.create(volumes(), '', newVolume('tiny', { storage: '500Mi' }));
    api.create(volumes(), '', newVolume('readonly', { storage: '5Gi', modes: ['ReadOnlyMany'] }));
    await manager.advance(clock, 1);
    expect(['big', 'small', 'tiny', 'readonly'].map((n) => status(volume(n)).phase)).toEqual(['Available', 'Available', 'Available', 'Available']);

    api.create(claims(), 'default', newClaim('data', { storage: '1Gi', storageClassName: 'manual' }));
    await manager.advance(clock, 1);
    expect(spec(claim()).volumeName).toBe('small');
    expect(status(claim())).toMatchObject({ phase: 'Bound', capacity: { storage: '5Gi' } });
    expect(status(volume('small')).phase).toBe('Bound');
    expect(metadataOf(volume('small')!).annotations).toEqual({ [ANN_BOUND_BY_CONTROLLER]: 'yes' });
    expect(api.store.list('/persistentvolumes').map(nameOf).sort()).toEqual(['big', 'readonly', 'small', 'tiny']);

    api.delete(claims(), 'default', 'data');
    await manager.advance(clock, 1);
    expect(status(volume('small')).phase).toBe('Released');
  });

  it('a claim with no class waits for a volume and binds when one appears', async () => {
    api.create(claims(), 'default', newClaim('data', { storageClassName: '' }));
    await manager.advance(clock, 1_000);
    expect(status(claim()).phase).toBe('Pending');
    expect(eventsOf('FailedBinding').map((e) => e.message)).toEqual(['no persistent volumes available for this claim and no storage class is set']);
    api.create(volumes(), '', newVolume('pv-1', { storage: '1Gi', storageClassName: '' }));
    await manager.advance(clock, 1);
    expect(spec(claim()).volumeName).toBe('pv-1');
    expect(status(claim()).phase).toBe('Bound');
  });

  it('honours a volume pre-bound to a claim through claimRef', async () => {
    api.create(volumes(), '', newVolume('reserved', { storage: '1Gi', claimRef: { namespace: 'default', name: 'data' } }));
    api.create(volumes(), '', newVolume('other', { storage: '1Gi' }));
    api.create(claims(), 'default', newClaim('data', { storageClassName: 'manual' }));
    await manager.advance(clock, 1);
    expect(spec(claim()).volumeName).toBe('reserved');
    expect(spec(volume('reserved')).claimRef).toMatchObject({ uid: metadataOf(claim()).uid });
    expect(status(volume('other')).phase).toBe('Available');
  });

  it('leaves a claim of an unknown class Pending with ProvisioningFailed', async () => {
    api.create(claims(), 'default', newClaim('data', { storageClassName: 'fast-ssd' }));
    await manager.advance(clock, 1_000);
    expect(status(claim()).phase).toBe('Pending');
    expect(eventsOf('ProvisioningFailed').map((e) => [e.type, e.message])).toEqual([['Warning', 'storageclass.storage.k8s.io "fast-ssd" not found']]);
  });
});

describe('bestVolumeFor', () => {
  const available = (v: JsonObject): JsonObject => ({ ...v, status: { phase: 'Available' } });
  it.each([
    { name: 'too small', volumes: [newVolume('a', { storage: '512Mi' })], claim: newClaim('c', { storageClassName: 'manual' }), want: undefined },
    { name: 'capacity in other units', volumes: [newVolume('a', { storage: '1073741824' })], claim: newClaim('c', { storageClassName: 'manual' }), want: 'a' },
    { name: 'missing access mode', volumes: [newVolume('a', { storage: '1Gi' })], claim: newClaim('c', { storageClassName: 'manual', modes: ['ReadWriteMany'] }), want: undefined },
    { name: 'other class', volumes: [newVolume('a', { storage: '1Gi', storageClassName: 'slow' })], claim: newClaim('c', { storageClassName: 'manual' }), want: undefined },
    {
      name: 'selector picks by label', claim: newClaim('c', { storageClassName: 'manual', selector: { matchLabels: { tier: 'gold' } } }),
      volumes: [newVolume('a', { storage: '1Gi', labels: { tier: 'silver' } }), newVolume('b', { storage: '2Gi', labels: { tier: 'gold' } })], want: 'b',
    },
    { name: 'smallest that fits', volumes: ['3Gi', '2Gi', '4Gi'].map((s, i) => newVolume(`v${i}`, { storage: s })), claim: newClaim('c', { storageClassName: 'manual' }), want: 'v1' },
  ])('$name', ({ volumes: vs, claim: c, want }) => {
    const found = bestVolumeFor({ ...c, metadata: { name: 'c', namespace: 'default', uid: 'u' } }, vs.map(available));
    expect(found ? nameOf(found) : undefined).toBe(want);
  });
});
