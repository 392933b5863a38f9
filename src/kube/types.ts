import type { JsonObject } from '../json.ts';

/** Which object an operation is about: what a manifest's header names, namespace optional. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** What discovery knows about one kind at one group/version. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** the plural resource name in URLs, e.g. "deployments" */
  readonly resource: string;
  readonly namespaced: boolean;
}

export const PATCH_TYPES = ['strategic', 'merge', 'json', 'apply'] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  // server-side apply accepts YAML; JSON is valid YAML, so we send JSON under this type
  apply: 'application/apply-patch+yaml',
};

export const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'] as const;
export type PropagationPolicy = (typeof PROPAGATION_POLICIES)[number];

export interface WriteOptions {
  /** dryRun=All: the server validates and answers, but persists nothing */
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
  /**
   * 'none': the caller needs to know only that the write was accepted, so the object the
   * server answers with is not parsed (a sync's dry runs and writes: hundreds of objects).
   */
  readonly answer?: 'object' | 'none';
}

/** Write options of a caller that does not read the answer. */
export type UnreadWriteOptions<O extends WriteOptions = WriteOptions> = O & { readonly answer: 'none' };

export interface PatchOptions extends WriteOptions {
  readonly type: PatchType;
  /** Patch a subresource instead of the object, e.g. an Application's status. */
  readonly subresource?: 'status';
  /** server-side apply only: take ownership of conflicting fields */
  readonly force?: boolean;
}

export interface DeleteOptions {
  readonly propagationPolicy?: PropagationPolicy;
  readonly dryRun?: boolean;
}

export interface ListOptions {
  /** one namespace; omitted lists all namespaces (or a cluster-scoped kind) */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** ask the server for at most this many items per page; pages are followed to the end */
  readonly limit?: number;
}

export interface ListResult {
  readonly items: JsonObject[];
  /** the list's resourceVersion: where a watch resumes from */
  readonly resourceVersion: string;
}

/** "apps/v1 Deployment default/web", the ref form every message uses. */
export function formatRef(ref: Partial<ObjectRef> & Pick<ObjectRef, 'apiVersion' | 'kind'>): string {
  const name = ref.name === undefined ? '' : ref.namespace ? ` ${ref.namespace}/${ref.name}` : ` ${ref.name}`;
  return `${ref.apiVersion} ${ref.kind}${name}`;
}

/** apiVersion "apps/v1" → {group: "apps", version: "v1"}; "v1" is the core group "". */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
