import { isJsonObject, type JsonObject } from '../json.ts';

/** Identity of a Kubernetes object: group (not version: one object, many versions), kind, namespace, name. */
export interface ResourceKey {
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function metadataOf(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  return isJsonObject(metadata) ? metadata : {};
}

export function keyOf(object: JsonObject): ResourceKey {
  const metadata = metadataOf(object);
  return {
    group: groupOf(String(object['apiVersion'] ?? '')),
    kind: String(object['kind'] ?? ''),
    namespace: typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '',
    name: String(metadata['name'] ?? ''),
  };
}

/** `apps/Deployment/web-ns/web`: a map key, and the form messages use. */
export function keyString(key: ResourceKey): string {
  return `${key.group === '' ? '' : `${key.group}/`}${key.kind}/${key.namespace === '' ? '' : `${key.namespace}/`}${key.name}`;
}

export function annotationsOf(object: JsonObject): Record<string, string> {
  const annotations = metadataOf(object)['annotations'];
  if (!isJsonObject(annotations)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) if (typeof v === 'string') out[k] = v;
  return out;
}
