import type { JsonObject } from '../json.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  /** storage key of the resource (group/plural) */
  readonly resource: string;
  readonly namespace: string;
  readonly rv: number;
  /** the object after the change (for DELETED: the last state, carrying the deletion's resourceVersion) */
  readonly object: JsonObject;
  /** for MODIFIED and DELETED: the state before, so watchers can tell objects leaving their selector and lists can read the past */
  readonly previous?: JsonObject;
}

export type StoreListener = (event: StoreEvent) => void;

/** Watch history kept for resuming watches; older resourceVersions answer 410 Gone. */
const DEFAULT_HISTORY = 200_000;

/**
 * In-memory object storage with one global, monotonically increasing resourceVersion,
 * like etcd behind a real API server. Stored objects are never mutated: every write stores
 * a new object, so readers can hold on to what they got (and cache its serialisation).
 */
export class ObjectStore {
  private revision = 0;
  private readonly buckets = new Map<string, Map<string, JsonObject>>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  private readonly listeners = new Set<StoreListener>();

  constructor(private readonly historyLimit = DEFAULT_HISTORY) {}

  get currentRevision(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may still resume from. */
  get oldestResumableRevision(): number {
    const first = this.history[this.historyStart];
    return first ? first.rv - 1 : this.revision;
  }

  get(resource: string, namespace: string, name: string): JsonObject | undefined {
    return this.buckets.get(resource)?.get(itemKey(namespace, name));
  }

  /** Objects of a resource (in one namespace, or all when namespace is undefined), ordered by namespace then name. */
  list(resource: string, namespace?: string): JsonObject[] {
    const bucket = this.buckets.get(resource);
    if (!bucket) return [];
    const keys = [...bucket.keys()];
    const wanted = namespace === undefined ? keys : keys.filter((k) => k.startsWith(`${namespace}/`));
    wanted.sort();
    return wanted.map((k) => bucket.get(k)!);
  }

  count(resource: string): number {
    return this.buckets.get(resource)?.size ?? 0;
  }

  /** Stores a new or changed object; the store sets metadata.resourceVersion. */
  put(resource: string, object: JsonObject, previous?: JsonObject): JsonObject {
    const { namespace, name } = identity(object);
    const rv = ++this.revision;
    const stored = withResourceVersion(object, rv);
    let bucket = this.buckets.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(resource, bucket);
    }
    bucket.set(itemKey(namespace, name), stored);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', resource, namespace, rv, object: stored, ...(previous ? { previous } : {}) });
    return stored;
  }

  remove(resource: string, namespace: string, name: string): JsonObject | undefined {
    const bucket = this.buckets.get(resource);
    const existing = bucket?.get(itemKey(namespace, name));
    if (!bucket || !existing) return undefined;
    bucket.delete(itemKey(namespace, name));
    const rv = ++this.revision;
    const last = withResourceVersion(existing, rv);
    this.emit({ type: 'DELETED', resource, namespace, rv, object: last, previous: existing });
    return last;
  }

  /** Forget every object of a resource (its CRD was deleted); watchers see DELETED events. */
  dropResource(resource: string): void {
    for (const o of this.list(resource)) {
      const { namespace, name } = identity(o);
      this.remove(resource, namespace, name);
    }
    this.buckets.delete(resource);
  }

  /** Events after `rv`, or 'gone' when history no longer reaches back that far. */
  eventsSince(rv: number): readonly StoreEvent[] | 'gone' {
    if (rv < this.oldestResumableRevision) return 'gone';
    const events = this.history;
    // history is ordered by rv: binary search for the first event after rv
    let lo = this.historyStart;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (events[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return events.slice(lo);
  }

  /**
   * Objects of a resource as they were at revision rv (ordered like list), or 'gone' when
   * history no longer reaches back that far: the current state with later events undone.
   */
  listAt(resource: string, namespace: string | undefined, rv: number): JsonObject[] | 'gone' {
    const later = this.eventsSince(rv);
    if (later === 'gone') return 'gone';
    if (!later.some((e) => e.resource === resource)) return this.list(resource, namespace);
    const state = new Map<string, JsonObject>();
    for (const o of this.list(resource, namespace)) state.set(itemKey(identity(o).namespace, identity(o).name), o);
    for (let i = later.length - 1; i >= 0; i--) {
      const e = later[i]!;
      if (e.resource !== resource || (namespace !== undefined && e.namespace !== namespace)) continue;
      const key = itemKey(e.namespace, identity(e.object).name);
      if (e.type === 'ADDED') state.delete(key);
      else if (e.previous) state.set(key, e.previous);
    }
    return [...state.keys()].sort().map((k) => state.get(k)!);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.historyStart++;
      // compact now and then instead of shifting on every event
      if (this.historyStart > this.historyLimit / 2) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const l of this.listeners) l(event);
  }
}

function itemKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function identity(object: JsonObject): { namespace: string; name: string } {
  const meta = object.metadata as { namespace?: string; name?: string } | undefined;
  return { namespace: meta?.namespace ?? '', name: meta?.name ?? '' };
}

function withResourceVersion(object: JsonObject, rv: number): JsonObject {
  const metadata = { ...(object.metadata as JsonObject), resourceVersion: String(rv) };
  return { ...object, metadata };
}
