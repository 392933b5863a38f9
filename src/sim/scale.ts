import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { errors } from './errors.ts';
import { metadataOf } from './object-meta.ts';
import type { ResourceType } from './resources.ts';

/** Reads a simple `.a.b.c` JSON path (scale subresource paths). */
export function getPath(obj: JsonObject, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = obj;
  for (const part of path.split('.').filter(Boolean)) current = isJsonObject(current) ? current[part] : undefined;
  return current;
}

export function setPath(obj: JsonObject, path: string, value: JsonValue): JsonObject {
  const copy = structuredClone(obj);
  const parts = path.split('.').filter(Boolean);
  let node: JsonObject = copy;
  for (const part of parts.slice(0, -1)) {
    if (!isJsonObject(node[part])) node[part] = {};
    node = node[part] as JsonObject;
  }
  node[parts[parts.length - 1]!] = value;
  return copy;
}

/** A metav1.LabelSelector in the string form the scale subresource reports (`app=web,tier in (a,b)`). */
function selectorString(selector: JsonValue | undefined): string | undefined {
  if (!isJsonObject(selector)) return undefined;
  const parts: string[] = [];
  if (isJsonObject(selector.matchLabels)) {
    for (const [k, v] of Object.entries(selector.matchLabels).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${k}=${String(v)}`);
  }
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isJsonObject) : []) {
    const values = Array.isArray(e.values) ? e.values.map(String).sort().join(',') : '';
    if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
  }
  return parts.join(',');
}

/** The autoscaling/v1 Scale view of a scalable object. */
export function toScale(rt: ResourceType, obj: JsonObject): JsonObject {
  const scale = rt.subresources.scale;
  if (!scale) throw errors.resourceNotFound();
  const meta = metadataOf(obj);
  const selector = scale.labelSelectorPath ? getPath(obj, scale.labelSelectorPath) : selectorString(getPath(obj, '.spec.selector'));
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name ?? '',
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      uid: meta.uid ?? '',
      resourceVersion: meta.resourceVersion ?? '',
      creationTimestamp: meta.creationTimestamp ?? null,
    },
    spec: { replicas: Number(getPath(obj, scale.specReplicasPath) ?? 0) },
    status: {
      replicas: Number(getPath(obj, scale.statusReplicasPath) ?? 0),
      ...(typeof selector === 'string' ? { selector } : {}),
    },
  };
}
