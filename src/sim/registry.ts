import { BUILTIN_RESOURCES, type ResourceType } from './resources.ts';

export interface GroupVersions {
  readonly group: string;
  readonly versions: readonly string[];
  /** preferred (first served) version */
  readonly preferred: string;
}

/**
 * The resource types the server serves: the built-ins plus what CustomResourceDefinitions
 * register. Lookups are by (group, version, plural) as in request paths.
 */
export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceType>();
  private readonly crdTypes = new Map<string, readonly ResourceType[]>();

  constructor(builtins: readonly ResourceType[] = BUILTIN_RESOURCES) {
    for (const rt of builtins) this.add(rt);
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  /** A type by group + kind, preferring the given version, else the group's preferred one. */
  byKind(group: string, kind: string, version?: string): ResourceType | undefined {
    let fallback: ResourceType | undefined;
    for (const rt of this.byPath.values()) {
      if (rt.group !== group || rt.kind !== kind) continue;
      if (version === undefined || rt.version === version) return rt;
      fallback ??= rt;
    }
    return version === undefined ? fallback : undefined;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Groups in discovery order: the core group first, built-ins as declared, then custom groups by name. */
  groups(): GroupVersions[] {
    const order = new Map<string, string[]>();
    for (const rt of this.byPath.values()) {
      const versions = order.get(rt.group) ?? [];
      if (!versions.includes(rt.version)) versions.push(rt.version);
      order.set(rt.group, versions);
    }
    return [...order.entries()].map(([group, versions]) => ({ group, versions, preferred: versions[0] ?? '' }));
  }

  resourcesIn(group: string, version: string): ResourceType[] {
    return this.all().filter((rt) => rt.group === group && rt.version === version);
  }

  /** Replace what one CRD serves (create or update of the CRD). */
  setCustom(crdName: string, types: readonly ResourceType[]): void {
    this.removeCustom(crdName);
    for (const rt of types) {
      const existing = this.byPath.get(pathKey(rt.group, rt.version, rt.plural));
      // a CRD may not shadow a built-in; the API server rejects such CRDs before this point
      if (existing && !existing.custom) continue;
      this.add(rt);
    }
    this.crdTypes.set(crdName, types);
  }

  removeCustom(crdName: string): void {
    for (const rt of this.crdTypes.get(crdName) ?? []) this.byPath.delete(pathKey(rt.group, rt.version, rt.plural));
    this.crdTypes.delete(crdName);
  }

  private add(rt: ResourceType): void {
    this.byPath.set(pathKey(rt.group, rt.version, rt.plural), rt);
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}
