import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/** Typed reads of the metadata every stored object has. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function metadataOf(obj: JsonObject): JsonObject {
  return isJsonObject(obj.metadata) ? obj.metadata : {};
}

function stringField(meta: JsonObject, key: string): string | undefined {
  const v = meta[key];
  return typeof v === 'string' ? v : undefined;
}

export const nameOf = (obj: JsonObject) => stringField(metadataOf(obj), 'name') ?? '';
export const namespaceOf = (obj: JsonObject) => stringField(metadataOf(obj), 'namespace') ?? '';
export const uidOf = (obj: JsonObject) => stringField(metadataOf(obj), 'uid') ?? '';
export const resourceVersionOf = (obj: JsonObject) => stringField(metadataOf(obj), 'resourceVersion');
export const deletionTimestampOf = (obj: JsonObject) => stringField(metadataOf(obj), 'deletionTimestamp');

export function labelsOf(obj: JsonObject): Record<string, string> {
  const labels = metadataOf(obj).labels;
  return isJsonObject(labels) ? (labels as Record<string, string>) : {};
}

export function finalizersOf(obj: JsonObject): string[] {
  const f = metadataOf(obj).finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

export function ownerReferencesOf(obj: JsonObject): OwnerReference[] {
  const refs = metadataOf(obj).ownerReferences;
  return Array.isArray(refs) ? (refs.filter(isJsonObject) as unknown as OwnerReference[]) : [];
}

/** A shallow copy of obj with some metadata fields replaced (undefined removes the field). */
export function withMetadata(obj: JsonObject, changes: Record<string, JsonValue | undefined>): JsonObject {
  const metadata: JsonObject = { ...metadataOf(obj) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete metadata[k];
    else metadata[k] = v;
  }
  return { ...obj, metadata };
}
