import { Watch } from '@kubernetes/client-node';
import { isJsonObject, type JsonObject } from '../diff/json.ts';
import type { KubeClient } from './client.ts';
import { KubeError } from './errors.ts';
import { backoffDelay, type RetryPolicy } from './retry.ts';

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

/**
 * A list-then-watch cache of one (kind, namespace?, label selector), keyed "namespace/name".
 *
 * client-node's makeInformer would do the list/watch, but it stops for good on any error
 * other than 410 (a restarted API server, a reset connection), and a controller's cache
 * must outlive those. So this drives client-node's Watch itself: list, watch from the
 * list's resourceVersion (with bookmarks, so resuming stays cheap), resume from the last
 * seen resourceVersion after a dropped connection, relist on 410 Gone (emitting only the
 * differences against the cache), and back off exponentially while the server is unreachable.
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
    const { apiVersion, kind, namespace, labelSelector } = this.options;
    const path = await this.client.collectionPath(apiVersion, kind, namespace);
    let events = 0;
    let gone = false;
    let streamError: KubeError | undefined;
    let resolveEnd: (end: WatchEnd) => void = () => {};
    const ended = new Promise<WatchEnd>((resolve) => (resolveEnd = resolve));
    const query = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      ...(labelSelector ? { labelSelector } : {}),
    };
    const onEvent = (type: string, object: unknown): void => {
      if (this.stopped || !isJsonObject(object)) return;
      events++;
      if (type === 'ERROR') {
        if (object.code === 410) gone = true;
        else streamError = new KubeError(Number(object.code) || 500, String(object.reason ?? 'WatchError'), String(object.message ?? ''), path);
        this.controller?.abort();
        return;
      }
      const rv = isJsonObject(object.metadata) ? object.metadata.resourceVersion : undefined;
      if (typeof rv === 'string') this.resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      const item: JsonObject = { apiVersion, kind, ...object };
      const key = keyOf(item);
      if (type === 'DELETED') {
        if (this.cache.delete(key)) this.emit(item, 'delete');
      } else this.upsert(key, item);
    };
    const onDone = (error: unknown): void => {
      const status = (error as { statusCode?: unknown } | null)?.statusCode;
      if (gone || status === 410) resolveEnd({ kind: 'gone' });
      else if (streamError) resolveEnd({ kind: 'failed', error: streamError });
      else if (error && !this.stopped && !isAbort(error)) resolveEnd({ kind: 'failed', error });
      else resolveEnd({ kind: 'closed', events });
    };
    this.controller = await new Watch(this.client.kubeConfig).watch(path, query, onEvent, onDone);
    if (this.stopped) this.controller.abort();
    return ended;
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

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { type?: unknown }).type === 'aborted');
}
