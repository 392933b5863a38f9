/**
 * ControllerRevision helpers shared by the StatefulSet and DaemonSet controllers, after
 * kubernetes/kubernetes pkg/controller/history: a revision's data (a patch that restores
 * spec.template), its hash and name, revision numbers and history pruning.
 */
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { labelsOf, metadataOf, nameOf, namespaceOf } from '../object-meta.ts';
import { ownerReferenceTo } from './pods.ts';

/** On pods of both kinds and on DaemonSet revisions (apps.ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** On StatefulSet revisions (history.ControllerRevisionHashLabel). */
export const HISTORY_HASH_LABEL = 'controller.kubernetes.io/hash';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const MAX_NAME_PREFIX = 223;

// ---- revision data, hash and name ----

/** getPatch: the revision's data, a strategic merge patch that replaces spec.template. */
export function templateRevisionData(template: JsonValue | undefined): JsonObject {
  return { spec: { template: { ...(isJsonObject(template) ? template : {}), $patch: 'replace' } } };
}

/** The pod template a revision restores (ApplyRevision, for the only field the patch carries). */
export function templateOfRevision(revision: JsonObject): JsonObject {
  const spec = isJsonObject(revision.data) && isJsonObject(revision.data.spec) ? revision.data.spec : {};
  const { $patch: _patch, ...template } = isJsonObject(spec.template) ? spec.template : {};
  return template;
}

export function revisionNumber(revision: JsonObject): number {
  return typeof revision.revision === 'number' ? revision.revision : 0;
}

export function sameRevisionData(revision: JsonObject, data: JsonObject): boolean {
  return jsonEqual(revision.data, data);
}

/** Go's json.Marshal of a map: keys sorted, no spaces. The bytes a real Data.Raw holds. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** HashControllerRevision: FNV-1 (not 1a) over the data, then the collision count in decimal, safe-encoded. */
export function hashRevisionData(data: JsonObject, collisionCount: number | undefined): string {
  let hash = FNV32_OFFSET;
  const write = (text: string) => {
    for (const byte of new TextEncoder().encode(text)) hash = (Math.imul(hash, FNV32_PRIME) ^ byte) >>> 0;
  };
  write(canonicalJson(data));
  if (collisionCount !== undefined) write(String(collisionCount));
  return [...String(hash)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length] ?? '').join('');
}

/** ControllerRevisionName: "<prefix>-<hash>", the prefix cut to 223 bytes so the name fits 253. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, MAX_NAME_PREFIX)}-${hash}`;
}

export interface NewRevision {
  readonly owner: JsonObject;
  readonly data: JsonObject;
  readonly revision: number;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: JsonValue;
}

/** A ControllerRevision body owned (controller: true) by its workload. */
export function controllerRevisionBody(r: NewRevision): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: r.name,
      namespace: namespaceOf(r.owner),
      labels: { ...r.labels },
      ...(isJsonObject(r.annotations) ? { annotations: r.annotations } : {}),
      ownerReferences: [ownerReferenceTo(r.owner)],
    },
    data: r.data,
    revision: r.revision,
  };
}

// ---- ordering and pruning ----

/** SortControllerRevisions: by revision number (ties by creation, then name, to stay deterministic). */
export function sortByRevision(revisions: readonly JsonObject[]): JsonObject[] {
  const created = (r: JsonObject) => String(metadataOf(r).creationTimestamp ?? '');
  return [...revisions].sort(
    (a, b) => revisionNumber(a) - revisionNumber(b) || created(a).localeCompare(created(b)) || nameOf(a).localeCompare(nameOf(b)),
  );
}

/** nextRevision: one past the highest revision number, 1 for an empty history. */
export function nextRevisionNumber(revisions: readonly JsonObject[]): number {
  return revisions.reduce((max, r) => Math.max(max, revisionNumber(r)), 0) + 1;
}

export interface PruneInput {
  /** the owner's revisions in any order */
  readonly revisions: readonly JsonObject[];
  /** revisions that must stay: in use by pods, current or update */
  readonly isLive: (revision: JsonObject) => boolean;
  readonly limit: number;
  /**
   * 'statefulset' (truncateHistory) keeps `limit` non-live revisions; 'daemonset'
   * (cleanupHistory) counts live ones toward the limit but never deletes them.
   */
  readonly mode: 'statefulset' | 'daemonset';
}

/** Names of the revisions to delete, oldest first. */
export function revisionsToPrune(input: PruneInput): string[] {
  if (input.limit < 0) return [];
  const sorted = sortByRevision(input.revisions);
  const history = sorted.filter((r) => !input.isLive(r));
  const excess = (input.mode === 'statefulset' ? history.length : sorted.length) - input.limit;
  return excess > 0 ? history.slice(0, excess).map(nameOf) : [];
}

/** Labels of a workload's template, for revisions (NewControllerRevision copies them). */
export function templateLabels(template: JsonValue | undefined): Record<string, string> {
  return isJsonObject(template) ? labelsOf(template) : {};
}
