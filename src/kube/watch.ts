import { isJsonObject, type JsonObject } from '../json.ts';
import type { KubeClient, WatchQuery } from './client.ts';
import { KubeError } from './errors.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';
import { isAbortError } from './transport.ts';

export type InformerEventType = 'add' | 'update' | 'delete';
export type InformerHandler = (object: JsonObject, type: InformerEventType) => void;

export interface InformerOptions {
  readonly apiVersion: string;
  readonly kind: string;
  /** one namespace; omitted watches all */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** backoff between failed attempts (attempts is ignored: an informer never gives up) */
  readonly backoff?: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>;
  /** ask the server to end each watch after this long, as client-go does (default 300) */
  readonly watchTimeoutSeconds?: number;
  /**
   * Keep only identity, resourceVersion and labels in the cache (get/list and delete
   * events then carry just those): for a caller that keeps its own copy of what it needs,
   * so a large watch is not held twice.
   */
  readonly slim?: boolean;
}

/** How one watch connection ended. */
type WatchEnd = { readonly kind: 'closed'; readonly events: number } | { readonly kind: 'gone' } | { readonly kind: 'failed'; readonly error: unknown };

/** A watch that ends this soon with no events counts as a failure, so a server that drops us at once is not hammered. */
const MIN_HEALTHY_WATCH_MS = 1_000;

/** One line of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and the object (a Status for ERROR). */
export interface WatchEvent {
  readonly type: string;
  readonly object: JsonObject;
}

/** A single watch event larger than this is taken for a broken stream (etcd caps objects at 1.5 MB). */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;

/**
 * Splits a watch body into lines as its chunks arrive: a line may span any number of
 * chunks, and splitting bytes at '\n' (which never occurs inside a multi-byte UTF-8
 * character) decodes each line whole, so a character cut between chunks survives.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Calls onLine for every line the chunk completes (without its newline). */
  push(chunk: Buffer, onLine: (line: string) => void): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const tail = chunk.subarray(start, nl);
      const line = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      onLine(line.toString('utf8'));
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_EVENT_BYTES) throw new Error(`a watch event longer than ${MAX_EVENT_BYTES} bytes`);
    }
  }

  /** Bytes of an unfinished line: non-zero at the end of a stream means it was cut mid-event. */
  get unfinished(): number {
    return this.pendingBytes;
  }
}

/** Parses one line of a watch stream; undefined for a blank line, a KubeError naming `subject` for anything else that is not an event. */
export function parseWatchEvent(line: string, subject: string): WatchEvent | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformed(line, subject, 'is not JSON');
  }
  if (!isJsonObject(value) || typeof value.type !== 'string' || !isJsonObject(value.object)) throw malformed(line, subject, 'is not a {type, object} event');
  return { type: value.type, object: value.object };
}

function malformed(line: string, subject: string, what: string): KubeError {
  const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
  return new KubeError(200, 'InvalidResponse', `a watch event that ${what}: ${shown}`, subject);
}

/**
 * A list-then-watch cache of one (kind, namespace?, label selector), keyed "namespace/name".
 *
 * client-node's makeInformer would do the list/watch, but it stops for good on any error
 * other than 410 (a restarted API server, a reset connection), and a controller's cache
 * must outlive those; its Watch also drops unparsable lines silently and loads all of
 * client-node. So this watches over KubeClient.watch itself: list, watch from the list's
 * resourceVersion (with bookmarks, so resuming stays cheap), resume from the last seen
 * resourceVersion after a dropped connection or a malformed event, relist on 410 Gone
 * (emitting only the differences against the cache), and back off exponentially while
 * the server is unreachable.
 */
export class Informer {
  private readonly cache = new Map<string, JsonObject>();
  private readonly handlers = new Set<InformerHandler>();
  private readonly errorHandlers = new Set<(error: unknown) => void>();
  private resourceVersion = '';
  private stopped = false;
  private loop: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private listCount = 0;
  private syncedOnce: Promise<void>;
  private markSynced: () => void = () => {};

  constructor(
    private readonly client: KubeClient,
    readonly options: InformerOptions,
  ) {
    this.syncedOnce = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Subscribes to add/update/delete; returns the unsubscribe function. */
  onChange(handler: InformerHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Errors the informer recovers from on its own (reported for logs and metrics). */
  onError(handler: (error: unknown) => void): () => void {
    this.errorHandlers.add(handler);
    return () => this.errorHandlers.delete(handler);
  }

  /** Starts the loop; resolves once the first list is in the cache. */
  async start(): Promise<void> {
    this.loop ??= this.run();
    await this.syncedOnce;
  }

  get(namespace: string | undefined, name: string): JsonObject | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  list(): JsonObject[] {
    return [...this.cache.values()];
  }

  /** How many full lists have been made (1 + one per 410 or failed resume). */
  get lists(): number {
    return this.listCount;
  }

  /** Ends the watch and any pending backoff; resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.markSynced();
    await this.loop;
  }

  private async run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.stopped) {
      let end: WatchEnd;
      try {
        if (needList) await this.relist();
        needList = false;
        const started = Date.now();
        end = await this.watchOnce();
        if (end.kind === 'closed' && end.events === 0 && Date.now() - started < MIN_HEALTHY_WATCH_MS) {
          end = { kind: 'failed', error: new Error('watch closed by the server at once') };
        }
      } catch (error) {
        end = { kind: 'failed', error };
      }
      if (this.stopped) return;
      if (end.kind === 'gone') {
        needList = true;
        failures = 0;
      } else if (end.kind === 'failed') {
        this.reportError(end.error);
        await this.pause(backoffDelay(++failures, { baseDelayMs: 200, maxDelayMs: 30_000, ...this.options.backoff }));
      } else {
        failures = 0;
      }
    }
  }

  /** Lists, then brings the cache to the listed state, emitting only what changed. */
  private async relist(): Promise<void> {
    const { apiVersion, kind, namespace, labelSelector } = this.options;
    const listed = await this.client.list(apiVersion, kind, { ...(namespace ? { namespace } : {}), ...(labelSelector ? { labelSelector } : {}) });
    this.listCount++;
    const seen = new Set<string>();
    for (const item of listed.items) {
      const key = keyOf(item);
      seen.add(key);
      this.upsert(key, item);
    }
    for (const [key, old] of this.cache) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.emit(old, 'delete');
    }
    this.resourceVersion = listed.resourceVersion;
    this.markSynced();
  }

  private async watchOnce(): Promise<WatchEnd> {
    const { namespace, labelSelector } = this.options;
    const path = await this.client.collectionPath(this.options.apiVersion, this.options.kind, namespace);
    const controller = new AbortController();
    this.controller = controller;
    if (this.stopped) return { kind: 'closed', events: 0 };
    const query: WatchQuery = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      ...(labelSelector ? { labelSelector } : {}),
    };
    let events = 0;
    /** set by an ERROR event or a malformed line, which also end the stream */
    let end: WatchEnd | undefined;
    const finish = (how: WatchEnd): void => {
      end ??= how;
      controller.abort();
    };
    const lines = new LineSplitter();
    const onLine = (line: string): void => {
      if (end || this.stopped) return;
      const event = parseWatchEvent(line, path);
      if (!event) return;
      events++;
      if (event.type === 'ERROR') finish(this.watchError(event.object, path));
      else this.apply(event);
    };
    try {
      await this.client.watch(path, query, (chunk) => {
        try {
          lines.push(chunk, onLine);
        } catch (error) {
          finish({ kind: 'failed', error });
        }
      }, controller.signal);
    } catch (error) {
      if (end) return end;
      if (this.stopped || isAbortError(error)) return { kind: 'closed', events };
      if (error instanceof KubeError && error.status === 410) return { kind: 'gone' };
      return { kind: 'failed', error };
    }
    if (end) return end;
    if (lines.unfinished > 0) return { kind: 'failed', error: new KubeError(0, 'StreamCut', `the watch ended in the middle of an event (${lines.unfinished} bytes)`, path) };
    return { kind: 'closed', events };
  }

  /** An ERROR event's Status: 410 (the resourceVersion is too old) means relist; anything else, a failed watch. */
  private watchError(status: JsonObject, path: string): WatchEnd {
    if (status.code === 410) return { kind: 'gone' };
    return { kind: 'failed', error: new KubeError(Number(status.code) || 500, String(status.reason ?? 'WatchError'), String(status.message ?? ''), path) };
  }

  /** Brings one ADDED/MODIFIED/DELETED/BOOKMARK event into the cache. */
  private apply(event: WatchEvent): void {
    const { object } = event;
    const rv = isJsonObject(object.metadata) ? object.metadata.resourceVersion : undefined;
    if (typeof rv === 'string') this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const item: JsonObject = { apiVersion: this.options.apiVersion, kind: this.options.kind, ...object };
    const key = keyOf(item);
    try {
      if (event.type === 'DELETED') {
        if (this.cache.delete(key)) this.emit(item, 'delete');
      } else this.upsert(key, item);
    } catch (error) {
      // a subscriber's bug: the cache is already up to date, so report it and keep watching
      this.reportError(error);
    }
  }

  private upsert(key: string, item: JsonObject): void {
    const old = this.cache.get(key);
    this.cache.set(key, this.options.slim ? slimmed(item) : item);
    if (!old) this.emit(item, 'add');
    else if (rvOf(old) !== rvOf(item)) this.emit(item, 'update');
  }

  private emit(object: JsonObject, type: InformerEventType): void {
    for (const handler of [...this.handlers]) handler(object, type);
  }

  private reportError(error: unknown): void {
    for (const handler of [...this.errorHandlers]) handler(error);
  }

  /** A backoff sleep that stop() cuts short, leaving no timer behind. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.timer = setTimeout(this.wake, ms);
    });
  }
}

function keyOf(object: JsonObject): string {
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  return `${typeof metadata.namespace === 'string' ? metadata.namespace : ''}/${typeof metadata.name === 'string' ? metadata.name : ''}`;
}

function slimmed(object: JsonObject): JsonObject {
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  const { name, namespace, resourceVersion, labels } = metadata;
  return {
    apiVersion: object.apiVersion ?? null,
    kind: object.kind ?? null,
    metadata: { name: name ?? null, resourceVersion: resourceVersion ?? null, ...(namespace === undefined ? {} : { namespace }), ...(labels === undefined ? {} : { labels }) },
  };
}

function rvOf(object: JsonObject): unknown {
  return isJsonObject(object.metadata) ? object.metadata.resourceVersion : undefined;
}
