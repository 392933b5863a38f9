import { describe, expect, it } from 'vitest';
import { patchMetaFor, type PatchMeta } from '../../src/diff/patch-meta.ts';

/** Follows a dotted path of field names (list fields answer for their items). */
function at(apiVersion: string, kind: string, path: string): PatchMeta {
  const root = patchMetaFor(apiVersion, kind);
  if (root === undefined) throw new Error(`no meta for ${apiVersion} ${kind}`);
  return path.split('.').reduce((m, name) => m.field(name), root);
}

const podSpec = 'spec.template.spec';

describe('patchMetaFor: field facts', () => {
  it.each([
    ['v1', 'Pod', 'metadata.finalizers', 'merge', undefined, false],
    ['v1', 'Pod', 'metadata.ownerReferences', 'merge', 'uid', false],
    ['v1', 'Pod', 'metadata.managedFields', 'atomic', undefined, false],
    ['v1', 'Pod', 'spec.containers', 'merge', 'name', false],
    ['v1', 'Pod', 'spec.containers.env', 'merge', 'name', false],
    ['v1', 'Pod', 'spec.containers.ports', 'merge', 'containerPort', false],
    ['v1', 'Pod', 'spec.containers.volumeMounts', 'merge', 'mountPath', false],
    ['v1', 'Pod', 'spec.containers.volumeDevices', 'merge', 'devicePath', false],
    ['v1', 'Pod', 'spec.containers.resizePolicy', 'atomic', undefined, false],
    ['v1', 'Pod', 'spec.containers.command', 'atomic', undefined, false],
    ['v1', 'Pod', 'spec.ephemeralContainers.env', 'merge', 'name', false],
    ['v1', 'Pod', 'spec.volumes', 'merge', 'name', true],
    ['v1', 'Pod', 'spec.resourceClaims', 'merge', 'name', true],
    ['v1', 'Pod', 'spec.tolerations', 'atomic', undefined, false],
    ['v1', 'Pod', 'spec.hostAliases', 'merge', 'ip', false],
    ['v1', 'Pod', 'spec.topologySpreadConstraints', 'merge', 'topologyKey', false],
    ['v1', 'Pod', 'status.conditions', 'merge', 'type', false],
    ['v1', 'Pod', 'status.podIPs', 'merge', 'ip', false],
    ['apps/v1', 'Deployment', `${podSpec}.initContainers.volumeMounts`, 'merge', 'mountPath', false],
    ['apps/v1', 'Deployment', 'spec.template.metadata.finalizers', 'merge', undefined, false],
    ['apps/v1', 'Deployment', 'spec.strategy', 'atomic', undefined, true],
    ['apps/v1', 'Deployment', 'spec.selector.matchExpressions', 'atomic', undefined, false],
    ['apps/v1', 'DaemonSet', 'spec.updateStrategy', 'atomic', undefined, false],
    ['apps/v1', 'StatefulSet', 'spec.volumeClaimTemplates', 'atomic', undefined, false],
    ['batch/v1', 'CronJob', 'spec.jobTemplate.spec.template.spec.containers', 'merge', 'name', false],
    ['batch/v1', 'Job', 'status.conditions', 'merge', 'type', false],
    ['v1', 'Service', 'spec.ports', 'merge', 'port', false],
    ['v1', 'Node', 'spec.podCIDRs', 'merge', undefined, false],
    ['v1', 'Node', 'status.addresses', 'merge', 'type', false],
    ['v1', 'Namespace', 'spec.finalizers', 'atomic', undefined, false],
    ['v1', 'ServiceAccount', 'secrets', 'merge', 'name', false],
    ['v1', 'ServiceAccount', 'imagePullSecrets', 'atomic', undefined, false],
    ['v1', 'Endpoints', 'subsets', 'atomic', undefined, false],
    ['autoscaling/v2', 'HorizontalPodAutoscaler', 'status.conditions', 'merge', 'type', false],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'rules', 'atomic', undefined, false],
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'spec.versions', 'atomic', undefined, false],
  ] as const)('%s %s %s: %s by %s, retainKeys %s', (apiVersion, kind, path, strategy, key, retainKeys) => {
    const meta = at(apiVersion, kind, path);
    expect(meta.listStrategy).toBe(strategy);
    expect(meta.mergeKey).toBe(key);
    expect(meta.retainKeys).toBe(retainKeys);
  });

  it.each([
    ['policy/v1', 'PodDisruptionBudget', 'spec.selector', 'replace'],
    ['apps/v1', 'Deployment', 'spec.selector', 'merge'],
    ['v1', 'ConfigMap', 'data', 'merge'],
  ] as const)('%s %s %s: map strategy %s', (apiVersion, kind, path, strategy) => {
    expect(at(apiVersion, kind, path).mapStrategy).toBe(strategy);
  });

  it.each([
    ['map values (labels) answer any key', 'metadata.labels.app.kubernetes.io/name'],
    ['unknown fields answer "unknown", all the way down', 'spec.nothing.here'],
    ['prototype names are not fields', 'spec.constructor.toString'],
  ])('%s', (_why, path) => {
    const meta = at('v1', 'Pod', path);
    expect(meta).toMatchObject({ listStrategy: 'atomic', retainKeys: false, mapStrategy: 'merge' });
    expect(meta.mergeKey).toBeUndefined();
  });
});

describe('patchMetaFor: which kinds have strategic-merge info', () => {
  it.each([
    ['example.com/v1', 'Widget'],
    ['apps/v1', 'Widget'],
    ['apps/v1beta1', 'Deployment'],
    ['v1', 'toString'],
    ['constructor', 'Pod'],
  ])('%s %s: none (the API server answers 415)', (apiVersion, kind) => {
    expect(patchMetaFor(apiVersion, kind)).toBeUndefined();
  });

  it.each([
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
    ['networking.k8s.io/v1', 'Ingress'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
    ['coordination.k8s.io/v1', 'Lease'],
    ['events.k8s.io/v1', 'Event'],
    ['apps/v1', 'ControllerRevision'],
    ['v1', 'PersistentVolumeClaim'],
    ['v1', 'PersistentVolume'],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ])('%s %s: known', (apiVersion, kind) => {
    expect(patchMetaFor(apiVersion, kind)?.field('metadata').field('finalizers').listStrategy).toBe('merge');
  });
});
