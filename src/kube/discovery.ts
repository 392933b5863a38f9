import { isJsonObject, type JsonObject } from '../json.ts';
import { KubeError, UnservedKindError } from './errors.ts';
import { formatRef, splitApiVersion, type ResourceInfo } from './types.ts';

/** Reads a discovery document: the parsed body, or undefined when the server answers 404. */
export type DiscoveryFetch = (path: string) => Promise<JsonObject | undefined>;

interface GroupVersionEntry {
  /** kind → resource; undefined when the group/version is not served */
  readonly kinds: ReadonlyMap<string, ResourceInfo> | undefined;
  readonly loadedAt: number;
}

/**
 * Resolves (apiVersion, kind) → resource, loading only the group/version documents asked
 * for (/api/v1, /apis/<group>/<version>) rather than walking all of /apis: a sync touches a
 * handful of group/versions, and each is one request, cached for the process.
 *
 * A miss (kind or group/version unknown) reloads that one document once: a CRD applied in
 * an earlier sync wave is served only after its Established condition, and the next wave
 * must be able to use it. A negative answer younger than `negativeTtlMs` is trusted without
 * a reload, so compares that probe a group the cluster lacks (policy/v1 on a small cluster)
 * cost one request per interval, not one per app; a caller that knows a kind is about to be
 * served (a CRD it just applied) calls `invalidate`. Concurrent resolves share one in-flight
 * load, so 1,000 apps asking about the same new kind cause one request, not 1,000.
 */
export interface DiscoveryOptions {
  /** How long "not served" is believed without asking again (default 10 s). */
  readonly negativeTtlMs?: number;
  /** Monotonic milliseconds (tests pass their own). */
  readonly now?: () => number;
}

const DEFAULT_NEGATIVE_TTL_MS = 10_000;

export class DiscoveryCache {
  private readonly entries = new Map<string, GroupVersionEntry>();
  private readonly loading = new Map<string, Promise<GroupVersionEntry>>();
  private loads = 0;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly fetchDocument: DiscoveryFetch,
    options: DiscoveryOptions = {},
  ) {
    this.negativeTtlMs = options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** How many discovery documents have been fetched (for tests and metrics). */
  get documentLoads(): number {
    return this.loads;
  }

  /** The cached answer, without I/O: the hot path for every call after the first. */
  peek(apiVersion: string, kind: string): ResourceInfo | undefined {
    return this.entries.get(apiVersion)?.kinds?.get(kind);
  }

  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const cached = this.peek(apiVersion, kind);
    if (cached) return cached;
    const asked = this.now();
    let entry = this.entries.get(apiVersion) ?? (await this.load(apiVersion));
    // Refresh once, unless the document we hold was loaded after this call began (someone
    // else refreshed) or recently enough for its "not served" to stand.
    if (!entry.kinds?.has(kind) && entry.loadedAt < asked - this.negativeTtlMs) entry = await this.load(apiVersion);
    const info = entry.kinds?.get(kind);
    if (info) return info;
    throw new UnservedKindError(apiVersion, kind, entry.kinds !== undefined, formatRef({ apiVersion, kind }));
  }

  /** Forget everything, e.g. after a CRD was deleted. */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.entries.clear();
    else this.entries.delete(apiVersion);
  }

  private load(apiVersion: string): Promise<GroupVersionEntry> {
    const inFlight = this.loading.get(apiVersion);
    if (inFlight) return inFlight;
    const promise = this.fetchEntry(apiVersion).finally(() => this.loading.delete(apiVersion));
    this.loading.set(apiVersion, promise);
    return promise;
  }

  private async fetchEntry(apiVersion: string): Promise<GroupVersionEntry> {
    const { group, version } = splitApiVersion(apiVersion);
    if (!version || version.includes('/') || (group === '' && apiVersion.includes('/'))) {
      throw new KubeError(400, 'BadRequest', `malformed apiVersion "${apiVersion}"`, apiVersion);
    }
    this.loads++;
    const doc = await this.fetchDocument(group === '' ? `/api/${encodeURIComponent(version)}` : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`);
    const entry: GroupVersionEntry = { kinds: doc ? parseResourceList(doc, group, version) : undefined, loadedAt: this.now() };
    this.entries.set(apiVersion, entry);
    return entry;
  }
}

/** An APIResourceList → kind → resource, skipping subresources ("deployments/scale"). */
export function parseResourceList(doc: JsonObject, group: string, version: string): Map<string, ResourceInfo> {
  const kinds = new Map<string, ResourceInfo>();
  const resources = Array.isArray(doc.resources) ? doc.resources : [];
  for (const r of resources) {
    if (!isJsonObject(r) || typeof r.name !== 'string' || typeof r.kind !== 'string' || r.name.includes('/')) continue;
    // the first resource listed for a kind wins, as in client-go's RESTMapper
    if (!kinds.has(r.kind)) kinds.set(r.kind, { group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced === true });
  }
  return kinds;
}
