import type { JsonObject } from '../json.ts';
import type { ResourceRegistry } from './registry.ts';
import { apiVersionOf, REVIEW_VERBS, STANDARD_VERBS, SUBRESOURCE_VERBS, type ResourceType } from './resources.ts';

/** Version the embedded cluster reports; kubectl's dispatcher picks its client by this minor. */
export const SERVER_VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0-sluice.0' } as const;

export function versionInfo(): JsonObject {
  return {
    ...SERVER_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.22.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(group: string, versions: readonly string[], preferred: string): JsonObject {
  return {
    name: group,
    versions: versions.map((v) => ({ groupVersion: apiVersionOf(group, v), version: v })),
    preferredVersion: { groupVersion: apiVersionOf(group, preferred), version: preferred },
  };
}

export function groupList(registry: ResourceRegistry): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groups()
      .filter((g) => g.group !== '')
      .map((g) => groupEntry(g.group, g.versions, g.preferred)),
  };
}

export function groupInfo(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const g = registry.groups().find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.group, g.versions, g.preferred) } : undefined;
}

function resourceEntries(rt: ResourceType): JsonObject[] {
  const main: JsonObject = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: rt.review ? [...REVIEW_VERBS] : [...STANDARD_VERBS],
    ...(rt.shortNames.length ? { shortNames: [...rt.shortNames] } : {}),
    ...(rt.categories.length ? { categories: [...rt.categories] } : {}),
  };
  const entries = [main];
  if (rt.subresources.status) {
    entries.push({ name: `${rt.plural}/status`, singularName: '', namespaced: rt.namespaced, kind: rt.kind, verbs: [...SUBRESOURCE_VERBS] });
  }
  if (rt.subresources.scale) {
    entries.push({
      name: `${rt.plural}/scale`, singularName: '', namespaced: rt.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: [...SUBRESOURCE_VERBS],
    });
  }
  if (rt.group === '' && rt.kind === 'Namespace') {
    entries.push({ name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] });
  }
  // kubectl drain looks for pods/eviction here to learn which policy version evicts
  if (rt.group === '' && rt.kind === 'Pod') {
    entries.push({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  }
  return entries;
}

export function resourceList(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const types = registry.resourcesIn(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources: types.flatMap(resourceEntries),
  };
}
