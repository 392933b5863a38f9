import { BUILTIN_KINDS, BUILTIN_TYPES, type FieldSpec } from './patch-meta-builtin.ts';

/** 'merge' = patchStrategy merge: keyed by `mergeKey` for lists of maps, a set for lists of primitives. */
export type ListStrategy = 'atomic' | 'merge';
/** 'replace' = patchStrategy replace on a struct field: a patch value replaces it whole. */
export type MapStrategy = 'merge' | 'replace';

/**
 * Strategic-merge facts of one field, as the Go struct tags state them.
 * For a list-valued field, `field()` answers for the fields of its items and
 * `retainKeys` says the items are retainKeys maps (PodSpec.volumes).
 */
export interface PatchMeta {
  /** meta of a field of this object (or of this list's items); "unknown" (atomic, plain map) when the schema says nothing */
  field(name: string): PatchMeta;
  readonly listStrategy: ListStrategy;
  /** patchMergeKey of a merge list of maps; undefined for sets and atomic lists */
  readonly mergeKey?: string;
  readonly retainKeys: boolean;
  readonly mapStrategy: MapStrategy;
}

/** What a field without any tag gets: its maps merge, its lists are replaced whole. */
export const UNKNOWN_PATCH_META: PatchMeta = Object.freeze({
  field: (): PatchMeta => UNKNOWN_PATCH_META,
  listStrategy: 'atomic',
  retainKeys: false,
  mapStrategy: 'merge',
});

const cache = new WeakMap<FieldSpec, PatchMeta>();

function metaOf(spec: FieldSpec): PatchMeta {
  const cached = cache.get(spec);
  if (cached) return cached;
  const fields = spec.type === undefined ? undefined : BUILTIN_TYPES[spec.type];
  const meta: PatchMeta = Object.freeze({
    field(name: string): PatchMeta {
      // Object.hasOwn: a field named "constructor" must not reach the prototype
      const child = fields !== undefined && Object.hasOwn(fields, name) ? fields[name] : undefined;
      return child === undefined ? UNKNOWN_PATCH_META : metaOf(child);
    },
    listStrategy: spec.list === 'merge' ? 'merge' : 'atomic',
    ...(spec.key === undefined ? {} : { mergeKey: spec.key }),
    retainKeys: spec.retainKeys === true,
    mapStrategy: spec.replace === true ? 'replace' : 'merge',
  });
  cache.set(spec, meta);
  return meta;
}

const rootSpecs = new Map<string, FieldSpec>();

/**
 * PatchMeta of a built-in kind, or undefined for kinds without strategic-merge info
 * (custom resources: the API server answers 415 to a strategic merge patch on those).
 */
export function patchMetaFor(apiVersion: string, kind: string): PatchMeta | undefined {
  const kinds = Object.hasOwn(BUILTIN_KINDS, apiVersion) ? BUILTIN_KINDS[apiVersion] : undefined;
  const type = kinds !== undefined && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
  if (type === undefined) return undefined;
  let spec = rootSpecs.get(type);
  if (spec === undefined) {
    spec = { type };
    rootSpecs.set(type, spec);
  }
  return metaOf(spec);
}
