/** kustomize's legacy output order (resid.Gvk.IsLessThan, then the ResId string), which `kubectl kustomize` prints. */
import type { JsonObject } from '../json.ts';
import { kindOf, nameOf, namespaceOf } from './kustomize-transforms.ts';

const ORDER_FIRST = [
  'Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy',
  'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service',
  'LimitRange', 'PriorityClass', 'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet',
  'CronJob', 'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function rank(kind: string): number {
  const first = ORDER_FIRST.indexOf(kind);
  if (first >= 0) return first - ORDER_FIRST.length;
  const last = ORDER_LAST.indexOf(kind);
  return last >= 0 ? last + 1 : 0;
}

function gvkString(object: JsonObject): string {
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return [group || '~G', version || '~V', kindOf(object) || '~K'].join('_');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function legacyOrder<T extends { readonly object: JsonObject }>(items: readonly T[]): T[] {
  return [...items].sort((x, y) => {
    const byRank = rank(kindOf(x.object)) - rank(kindOf(y.object));
    if (byRank !== 0) return byRank;
    const byGvk = compare(gvkString(x.object), gvkString(y.object));
    if (byGvk !== 0) return byGvk;
    const idOf = (o: JsonObject): string => `${namespaceOf(o) || '~X'}|${nameOf(o)}`;
    return compare(idOf(x.object), idOf(y.object));
  });
}
