import { setMaxListeners } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ConnectionSettings } from './kubeconfig.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { DiscoveryCache, type DiscoveryOptions } from './discovery.ts';
import { errorFromResponse, KubeError, redact } from './errors.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import { abortError, Transport, type HttpResponse, type TransportOptions } from './transport.ts';
import {
  formatRef, PATCH_CONTENT_TYPES,
  type DeleteOptions, type ListOptions, type ListResult, type ObjectRef, type PatchOptions, type ResourceInfo, type UnreadWriteOptions, type WriteOptions,
} from './types.ts';

/** The query of a watch request (watch=1 is implied). */
export interface WatchQuery {
  /** start after this version; omitted or "" starts with synthetic ADDED events for what exists */
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  /** the server ends the watch after this long */
  readonly timeoutSeconds?: number;
  readonly labelSelector?: string;
}

/** A watch that stays silent this long past its timeoutSeconds is taken for a dead connection. */
const WATCH_IDLE_GRACE_MS = 60_000;

export interface KubeClientOptions extends TransportOptions {
  /** fieldManager when an operation names none (default "sluice") */
  readonly fieldManager?: string;
  /** transient-failure retries inside every call (429/5xx/network); of conflicts only a plain patch's are retried here (see patch) */
  readonly retry?: RetryPolicy;
  readonly discovery?: DiscoveryOptions;
}

/**
 * The narrow port the sync engine talks to the cluster through: objects by
 * {apiVersion, kind, namespace?, name}, JSON in and out. Discovery is cached (see
 * discovery.ts), so after warm-up each call is exactly one HTTP request on a kept-alive
 * connection.
 */
/** Re-sends of a plain (JSON, merge or strategic merge) patch answered 409 Conflict. */
const PATCH_CONFLICT_RETRIES = 3;

export class KubeClient {
  readonly discovery: DiscoveryCache;
  private readonly fieldManager: string;
  private readonly retry: RetryPolicy;

  private constructor(
    private readonly transport: Transport,
    /** namespace for namespaced objects that name none: the kubeconfig context's, else "default" */
    readonly defaultNamespace: string,
    private readonly options: KubeClientOptions,
    /** every request of this client: once aborted, none starts and those in flight are cut */
    private readonly signal?: AbortSignal,
    discovery?: DiscoveryCache,
  ) {
    this.fieldManager = options.fieldManager ?? 'sluice';
    this.retry = { attempts: 4, ...options.retry, conflicts: 0 };
    this.discovery =
      discovery ??
      new DiscoveryCache(async (path) => {
        const res = await this.send({ method: 'GET', path, subject: path });
        if (res.status === 404) return undefined;
        return this.parse(res, path);
      }, options.discovery);
  }

  /**
   * This client bound to an operation's signal (connections and discovery shared): once the
   * signal fires — the queue job handed back on close, its app lock lost — every call
   * rejects with an AbortError before sending, so the operation makes no further write.
   */
  withSignal(signal: AbortSignal): KubeClient {
    // undici listens on the signal once per request in flight; a sync runs up to its concurrency at once
    setMaxListeners(1_000, signal);
    return new KubeClient(this.transport, this.defaultNamespace, this.options, signal, this.discovery);
  }

  /** A client for the kubeconfig's current context (its cluster, credentials and namespace). */
  static async create(kc: KubeConfig, options: KubeClientOptions = {}): Promise<KubeClient> {
    const transport = await Transport.fromKubeConfig(kc, options);
    const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
    return new KubeClient(transport, namespace, options);
  }

  /** A client from settings read without client-node (kubeconfig.ts). */
  static fromSettings(settings: ConnectionSettings, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(Transport.fromSettings(settings, options), settings.namespace, options);
  }

  /** A client for a plain server URL without credentials; client-node is not loaded. */
  static forUrl(url: string, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(Transport.forUrl(url, options), 'default', options);
  }

  /** The API server's URL (for messages). */
  get server(): string {
    return this.transport.url;
  }

  /** A discovery or version document by path (`/version`, `/apis`, `/apis/apps/v1`); undefined on 404. */
  async getDocument(path: string): Promise<JsonObject | undefined> {
    const res = await this.send({ method: 'GET', path, subject: path });
    if (res.status === 404) return undefined;
    return this.parse(res, path);
  }

  async get(ref: ObjectRef): Promise<JsonObject | undefined> {
    const { path, subject } = await this.locate(ref);
    const res = await this.send({ method: 'GET', path, subject });
    if (res.status === 404) return undefined;
    return this.parse(res, subject);
  }

  /** Every object of a kind matching the selector, following continue tokens to the end. */
  async list(apiVersion: string, kind: string, options: ListOptions = {}): Promise<ListResult> {
    const info = await this.discovery.resolve(apiVersion, kind);
    const base = collectionPath(info, info.namespaced ? options.namespace : undefined);
    const subject = formatRef({ apiVersion, kind }) + (options.namespace ? ` in ${options.namespace}` : '');
    const items: JsonObject[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const query = new URLSearchParams();
      if (options.labelSelector) query.set('labelSelector', options.labelSelector);
      if (options.limit) query.set('limit', String(options.limit));
      if (token) query.set('continue', token);
      const qs = query.toString();
      const page = await this.expect(await this.send({ method: 'GET', path: qs ? `${base}?${qs}` : base, subject }), subject);
      const metadata = isJsonObject(page.metadata) ? page.metadata : {};
      resourceVersion = typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : resourceVersion;
      token = typeof metadata.continue === 'string' && metadata.continue ? metadata.continue : undefined;
      // list items carry no apiVersion/kind on a real server; put them back so items are self-describing
      for (const item of Array.isArray(page.items) ? page.items : []) if (isJsonObject(item)) items.push({ apiVersion, kind, ...item });
    } while (token);
    return { items, resourceVersion };
  }

  /** Creates; a manifest may carry metadata.generateName instead of a name (hooks do). */
  async create(object: JsonObject, options: UnreadWriteOptions): Promise<void>;
  async create(object: JsonObject, options?: WriteOptions): Promise<JsonObject>;
  async create(object: JsonObject, options: WriteOptions = {}): Promise<JsonObject | void> {
    const metadata = isJsonObject(object.metadata) ? object.metadata : {};
    const generated = typeof metadata.generateName === 'string' && metadata.generateName && !metadata.name;
    const ref = refOf(generated ? { ...object, metadata: { ...metadata, name: `${String(metadata.generateName)}*` } } : object);
    const info = await this.discovery.resolve(ref.apiVersion, ref.kind);
    const namespace = info.namespaced ? (ref.namespace ?? this.defaultNamespace) : undefined;
    const subject = formatRef({ ...ref, ...(namespace ? { namespace } : {}) });
    const path = collectionPath(info, namespace) + this.writeQuery(options);
    return this.answer(await this.send({ method: 'POST', path, subject, body: JSON.stringify(object) }), subject, options);
  }

  /** A patch of the given type; for 'apply' the body is the full intent (apiVersion/kind/metadata.name included). */
  async patch(ref: ObjectRef, body: JsonValue, options: UnreadWriteOptions<PatchOptions>): Promise<void>;
  async patch(ref: ObjectRef, body: JsonValue, options: PatchOptions): Promise<JsonObject>;
  async patch(ref: ObjectRef, body: JsonValue, options: PatchOptions): Promise<JsonObject | void> {
    const { path, subject } = await this.locate(ref);
    const query = this.writeQuery(options, options.type === 'apply' ? options.force : undefined);
    const target = options.subresource === undefined ? path : `${path}/${options.subresource}`;
    const request = { method: 'PATCH', path: target + query, subject, body: JSON.stringify(body), contentType: PATCH_CONTENT_TYPES[options.type] } as const;
    let res = await this.send(request);
    // A patch names no resourceVersion, so a 409 Conflict is the server losing a race with
    // another writer, and the same patch is sent again (kubectl apply's patcher retries
    // conflicts too). A server-side apply's 409 is a field-manager conflict: final.
    for (let again = 0; again < PATCH_CONFLICT_RETRIES && options.type !== 'apply' && res.status === 409 && this.failure(res, subject).reason === 'Conflict'; again++) {
      res = await this.send(request);
    }
    return this.answer(res, subject, options);
  }

  /** Deletes; undefined when the object was already gone (404), else the server's answer (the object or a Status). */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<JsonObject | undefined> {
    const { path, subject } = await this.locate(ref);
    const body: JsonObject = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.dryRun) body.dryRun = ['All'];
    const res = await this.send({ method: 'DELETE', path, subject, body: JSON.stringify(body) });
    if (res.status === 404) return undefined;
    return this.expect(res, subject);
  }

  /** Where objects of a kind live, e.g. for watches: /apis/apps/v1[/namespaces/ns]/deployments. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const info = await this.discovery.resolve(apiVersion, kind);
    return collectionPath(info, info.namespaced ? namespace : undefined);
  }

  /**
   * Watches a collection (see collectionPath), handing each chunk of the event stream to
   * onChunk as it arrives; resolves when the server ends the watch. A non-2xx answer
   * rejects with its KubeError (410 Gone when resourceVersion is too old), a dropped
   * connection with a status-0 KubeError, an abort with an AbortError. Not retried: the
   * caller (an Informer) decides when to watch again and from where.
   */
  async watch(path: string, query: WatchQuery, onChunk: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    const params = new URLSearchParams({ watch: '1' });
    if (query.resourceVersion) params.set('resourceVersion', query.resourceVersion);
    if (query.allowWatchBookmarks) params.set('allowWatchBookmarks', 'true');
    if (query.timeoutSeconds !== undefined) params.set('timeoutSeconds', String(query.timeoutSeconds));
    if (query.labelSelector) params.set('labelSelector', query.labelSelector);
    const idleTimeoutMs = !query.timeoutSeconds ? 0 : query.timeoutSeconds * 1000 + WATCH_IDLE_GRACE_MS;
    const res = await this.transport.stream({ path: `${path}?${params.toString()}`, subject: path, signal, idleTimeoutMs }, onChunk);
    if (res.status >= 300) throw this.failure(res, path);
  }

  /** Closes kept-alive connections (resolving once they are closed); the client is unusable afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private async locate(ref: ObjectRef): Promise<{ path: string; subject: string }> {
    const info = this.discovery.peek(ref.apiVersion, ref.kind) ?? (await this.discovery.resolve(ref.apiVersion, ref.kind));
    const namespace = info.namespaced ? (ref.namespace ?? this.defaultNamespace) : undefined;
    const subject = formatRef({ ...ref, ...(namespace ? { namespace } : { namespace: '' }) });
    return { path: `${collectionPath(info, namespace)}/${encodeURIComponent(ref.name)}`, subject };
  }

  private writeQuery(options: WriteOptions, force?: boolean): string {
    const query = new URLSearchParams({ fieldManager: options.fieldManager ?? this.fieldManager });
    if (options.dryRun) query.set('dryRun', 'All');
    if (force) query.set('force', 'true');
    return `?${query.toString()}`;
  }

  private send(spec: Parameters<Transport['request']>[0]): Promise<HttpResponse> {
    return withRetry(async () => {
      if (this.signal?.aborted) throw abortError();
      const res = await this.transport.request(this.signal === undefined ? spec : { ...spec, signal: this.signal });
      if (res.status === 429 || res.status >= 500) throw this.failure(res, spec.subject);
      return res;
    }, this.retry);
  }

  private expect(res: HttpResponse, subject: string): JsonObject {
    if (res.status >= 300) throw this.failure(res, subject);
    return this.parse(res, subject);
  }

  /** A write's answer: the object, or nothing when the caller does not read it (see WriteOptions.answer). */
  private answer(res: HttpResponse, subject: string, options: WriteOptions): JsonObject | undefined {
    if (res.status >= 300) throw this.failure(res, subject);
    return options.answer === 'none' ? undefined : this.parse(res, subject);
  }

  private parse(res: HttpResponse, subject: string): JsonObject {
    if (res.status >= 300) throw this.failure(res, subject);
    let value: unknown;
    try {
      value = JSON.parse(res.body);
    } catch {
      throw new KubeError(res.status, 'InvalidResponse', `the server answered ${res.status} with a body that is not JSON`, subject);
    }
    if (!isJsonObject(value)) throw new KubeError(res.status, 'InvalidResponse', 'the server answered with JSON that is not an object', subject);
    return value;
  }

  private failure(res: HttpResponse, subject: string): KubeError {
    const retryAfter = res.headers['retry-after'];
    return errorFromResponse(res.status, redact(res.body, this.transport.secrets()), subject, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  }
}

/**
 * A client for a server without credentials (the embedded cluster, `sluice --server URL`).
 * Builds no KubeConfig, so @kubernetes/client-node is never loaded on this path.
 */
export async function kubeClientFor(url: string, options: KubeClientOptions = {}): Promise<KubeClient> {
  return KubeClient.forUrl(url, options);
}

function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const root = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  return namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${info.resource}` : `${root}/${info.resource}`;
}

/** The ref a manifest names, failing clearly when its header is incomplete. */
export function refOf(object: JsonObject): ObjectRef {
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  const { apiVersion, kind } = object;
  const { name, namespace } = metadata;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string' || !name) {
    throw new KubeError(400, 'BadRequest', 'an object needs apiVersion, kind and metadata.name', `${String(apiVersion)} ${String(kind)}`);
  }
  return { apiVersion, kind, name, ...(typeof namespace === 'string' && namespace ? { namespace } : {}) };
}
