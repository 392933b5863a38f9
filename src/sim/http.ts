import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { DeleteOptions, PropagationPolicy, SimApiServer, Subresource, WriteOptions } from './apiserver.ts';
import { coreVersions, groupInfo, groupList, resourceList, versionInfo } from './discovery.ts';
import { errors, StatusError } from './errors.ts';
import { evictPod } from './eviction.ts';
import { OPENAPI_PROTOBUF_TYPE, openApiV2Json, openApiV2Protobuf, openApiV3Root } from './openapi.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import {
  decodeBody, managerFromUserAgent, parseRoute, patchTypeOf, readBody, representationOf, SUBRESOURCES, type Representation, type Route,
} from './request.ts';
import { answerReview } from './reviews.ts';
import { toTable, type IncludeObject } from './table.ts';
import { serveWatch } from './watch-stream.ts';

export interface HttpOptions {
  /** how often idle watches that allow bookmarks get one */
  readonly bookmarkIntervalMs?: number;
  /** called once per request when its response is complete (an audit log, for tests) */
  readonly onRequest?: (entry: SimRequestLogEntry) => void;
  /**
   * Called once per request as its status line is about to be sent, before the client can read
   * any of the answer (a test that kills the client "at" a write must act here, not on finish).
   */
  readonly beforeResponse?: (entry: SimRequestLogEntry) => void;
}

/** One request as the server answered it. */
export interface SimRequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly status: number;
}

type ResourceRoute = Extract<Route, { kind: 'resource' }>;

/** Serves the Kubernetes REST API of a SimApiServer over plain HTTP. */
export class SimHttpServer {
  readonly server: Server;
  private readonly closers = new Set<() => void>();

  constructor(
    private readonly api: SimApiServer,
    private readonly options: HttpOptions = {},
  ) {
    this.server = createServer((req, res) => {
      const { onRequest, beforeResponse } = this.options;
      if (onRequest !== undefined || beforeResponse !== undefined) this.observe(req, res, onRequest, beforeResponse);
      this.handle(req, res).catch((e: unknown) => this.fail(res, e));
    });
    this.server.keepAliveTimeout = 30_000;
  }

  /** Tells the test hooks of one request: as its answer is about to be sent, and once it is complete. */
  private observe(req: IncomingMessage, res: ServerResponse, onRequest: HttpOptions['onRequest'], beforeResponse: HttpOptions['beforeResponse']): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const entry = (): SimRequestLogEntry => ({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, status: res.statusCode });
    if (onRequest !== undefined) res.once('finish', () => onRequest(entry()));
    if (beforeResponse !== undefined) {
      // every answer goes through writeHead (end() calls it implicitly), before any byte is sent
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      res.writeHead = ((...args: unknown[]) => {
        res.statusCode = typeof args[0] === 'number' ? args[0] : res.statusCode;
        beforeResponse(entry());
        return writeHead(...args);
      }) as typeof res.writeHead;
    }
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    return `http://${host}:${addr.port}`;
  }

  async close(): Promise<void> {
    for (const close of this.closers) close();
    this.closers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = parseRoute(url.pathname);
    const method = req.method ?? 'GET';
    if (!route) throw new StatusError('NotFound', 'the server could not find the requested resource');
    if (route.kind !== 'resource' && method !== 'GET') throw errors.methodNotAllowed(method);
    switch (route.kind) {
      case 'version':
        return sendJson(res, 200, versionInfo());
      case 'healthz':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      case 'api':
        return sendJson(res, 200, coreVersions(req.headers.host ?? '127.0.0.1'));
      case 'apis':
        return sendJson(res, 200, groupList(this.api.registry));
      case 'group':
        return sendJson(res, 200, orNotFound(groupInfo(this.api.registry, route.group)));
      case 'resource-list':
        return sendJson(res, 200, orNotFound(resourceList(this.api.registry, route.group, route.version)));
      case 'openapi-v2':
        if ((req.headers.accept ?? '').includes('protobuf')) {
          res.writeHead(200, { 'Content-Type': OPENAPI_PROTOBUF_TYPE }).end(openApiV2Protobuf());
          return;
        }
        return sendJson(res, 200, openApiV2Json());
      case 'openapi-v3':
        return sendJson(res, 200, openApiV3Root());
      case 'resource':
        return this.handleResource(req, res, route, url.searchParams, method);
    }
  }

  private async handleResource(req: IncomingMessage, res: ServerResponse, route: ResourceRoute, query: URLSearchParams, method: string): Promise<void> {
    const rt = this.api.registry.lookup(route.group, route.version, route.plural);
    if (!rt) throw new StatusError('NotFound', 'the server could not find the requested resource');
    if (route.namespace !== undefined && !rt.namespaced) throw new StatusError('NotFound', 'the server could not find the requested resource');
    if (rt.review || route.subresource === 'eviction') return this.handleCreateOnly(req, res, rt, route, query, method);
    const subresource = this.subresourceOf(rt, route);
    const namespace = route.namespace ?? '';
    const representation = representationOf(req.headers.accept);
    const write: WriteOptions = {
      dryRun: query.getAll('dryRun').includes('All'),
      fieldManager: query.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']),
      force: query.get('force') === 'true',
    };
    const name = route.name;
    const present = (obj: JsonObject) => this.represent(rt, [obj], representation, query, undefined, false);

    if (name === undefined) {
      const listOptions = {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
      };
      if (method === 'GET') {
        if (route.watchPath || isTrue(query.get('watch'))) {
          const sendInitialEvents = isTrue(query.get('sendInitialEvents'));
          return serveWatch(this.api, rt, req, res, {
            namespace: route.namespace,
            // a streaming list starts from the current state whatever resourceVersion it names (NotOlderThan)
            watch: { ...listOptions, resourceVersion: sendInitialEvents ? undefined : query.get('resourceVersion') ?? undefined },
            allowBookmarks: isTrue(query.get('allowWatchBookmarks')),
            sendInitialEvents,
            bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 15_000,
            timeoutSeconds: Number(query.get('timeoutSeconds') ?? 0),
            encode: (obj) => this.represent(rt, [obj], representation, query, undefined, false),
            closers: this.closers,
          });
        }
        const limit = Number(query.get('limit') ?? 0);
        const result = this.api.list(rt, route.namespace, { ...listOptions, limit, continue: query.get('continue') ?? undefined });
        const listMeta: JsonObject = {
          resourceVersion: result.resourceVersion,
          ...(result.continue ? { continue: result.continue } : {}),
          ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
        };
        return sendJson(res, 200, this.represent(rt, result.items, representation, query, listMeta, true));
      }
      if (method === 'POST') {
        const body = decodeBody(await readBody(req), req.headers['content-type']);
        return sendJson(res, 201, present(this.api.create(rt, namespace, body, write)));
      }
      if (method === 'DELETE') {
        const options = await this.deleteOptions(req, query);
        const deleted = this.api.deleteCollection(rt, route.namespace, listOptions, options);
        return sendJson(res, 200, this.represent(rt, deleted, 'object', query, { resourceVersion: String(this.api.store.currentRevision) }, true));
      }
      throw errors.methodNotAllowed(method);
    }

    switch (method) {
      case 'GET':
        return sendJson(res, 200, present(this.api.get(rt, namespace, name, subresource)));
      case 'PUT': {
        const body = decodeBody(await readBody(req), req.headers['content-type']);
        return sendJson(res, 200, present(this.api.update(rt, namespace, name, body, write, subresource)));
      }
      case 'PATCH': {
        const type = patchTypeOf(req.headers['content-type']);
        const body = decodeBody(await readBody(req), type === 'apply' ? 'application/yaml' : 'application/json');
        const existed = type !== 'apply' || this.exists(rt, namespace, name);
        const result = this.api.patch(rt, namespace, name, type, body, write, subresource);
        return sendJson(res, existed ? 200 : 201, present(result));
      }
      case 'DELETE': {
        if (subresource) throw errors.methodNotAllowed(`DELETE ${subresource}`);
        const options = await this.deleteOptions(req, query);
        const { object, removed } = this.api.delete(rt, namespace, name, options);
        // kube-apiserver (handlers/delete.go) answers 202 only for an object that lingers after a delete
        // with orphanDependents=false; a terminating namespace or a foreground deletion is a 200
        if (!removed) return sendJson(res, options.orphanDependents === false ? 202 : 200, present(object));
        if (rt.custom) return sendJson(res, 200, present(object));
        return sendJson(res, 200, {
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
          details: { name, group: rt.group, kind: rt.plural, uid: String((object.metadata as JsonObject | undefined)?.uid ?? '') },
        });
      }
      default:
        throw errors.methodNotAllowed(method);
    }
  }

  /** Reviews (answered, never stored) and pod evictions: POST only, answered 201. */
  private async handleCreateOnly(req: IncomingMessage, res: ServerResponse, rt: ResourceType, route: ResourceRoute, query: URLSearchParams, method: string): Promise<void> {
    const eviction = route.subresource === 'eviction';
    if (eviction ? rt.group !== '' || rt.kind !== 'Pod' || route.name === undefined : route.name !== undefined || route.subresource !== undefined) {
      throw new StatusError('NotFound', 'the server could not find the requested resource');
    }
    if (method !== 'POST') throw errors.methodNotAllowed(method);
    const body = decodeBody(await readBody(req), req.headers['content-type']);
    if (eviction) return sendJson(res, 201, evictPod(this.api, route.namespace ?? '', route.name!, body, query.getAll('dryRun').includes('All')));
    if (!isJsonObject(body)) throw errors.badRequest(`the body must be a ${rt.kind} object`);
    return sendJson(res, 201, answerReview(rt, body, apiVersionOf(rt.group, rt.version)));
  }

  private subresourceOf(rt: ResourceType, route: ResourceRoute): Subresource | undefined {
    if (route.subresource === undefined) return undefined;
    const sub = SUBRESOURCES.find((s) => s === route.subresource);
    const served = sub === 'status' ? rt.subresources.status : sub === 'scale' ? rt.subresources.scale !== undefined : sub === 'finalize' && rt.kind === 'Namespace' && rt.group === '';
    if (!sub || !served) throw new StatusError('NotFound', 'the server could not find the requested resource');
    return sub;
  }

  private exists(rt: ResourceType, namespace: string, name: string): boolean {
    try {
      this.api.get(rt, namespace, name);
      return true;
    } catch {
      return false;
    }
  }

  private async deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions & { readonly orphanDependents?: boolean }> {
    const raw = await readBody(req);
    const body = raw.length > 0 ? decodeBody(raw, req.headers['content-type']) : {};
    const opts = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as {
      propagationPolicy?: string; dryRun?: string[]; preconditions?: { uid?: string; resourceVersion?: string }; orphanDependents?: boolean; gracePeriodSeconds?: number;
    };
    const grace = query.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
    const orphanQuery = query.get('orphanDependents');
    const orphanDependents = orphanQuery !== null ? isTrue(orphanQuery) : typeof opts.orphanDependents === 'boolean' ? opts.orphanDependents : undefined;
    const policy = query.get('propagationPolicy') ?? opts.propagationPolicy ?? (orphanDependents === true ? 'Orphan' : undefined);
    if (policy !== undefined && policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
      throw errors.badRequest(`propagationPolicy must be one of Background, Foreground, Orphan (got ${policy})`);
    }
    return {
      ...(orphanDependents !== undefined ? { orphanDependents } : {}),
      dryRun: query.getAll('dryRun').includes('All') || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')),
      ...(policy ? { propagationPolicy: policy as PropagationPolicy } : {}),
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
      ...(grace !== undefined && grace !== null && Number.isFinite(Number(grace)) ? { gracePeriodSeconds: Number(grace) } : {}),
    };
  }

  /** Objects as the client asked for them: plain, a Table (kubectl get), or metadata only. */
  private represent(rt: ResourceType, items: JsonObject[], representation: Representation, query: URLSearchParams, listMeta: JsonObject | undefined, asList: boolean): JsonObject {
    if (representation === 'table') {
      const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
      return toTable(rt.kind, items, {
        now: this.api.clock.now(),
        includeObject: include === 'None' || include === 'Object' ? include : 'Metadata',
        ...(listMeta ? { listMeta } : {}),
        ...(rt.custom ? { printerColumns: rt.printerColumns ?? [] } : {}),
      });
    }
    if (representation === 'metadata') {
      const partial = items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} }));
      if (!asList) return partial[0]!;
      return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta ?? {}, items: partial };
    }
    if (!asList) return items[0]!;
    const list: JsonObject = { kind: rt.listKind, apiVersion: apiVersionOf(rt.group, rt.version), metadata: listMeta ?? {}, items };
    composedLists.add(list);
    return list;
  }

  private fail(res: ServerResponse, e: unknown): void {
    const status = e instanceof StatusError ? e : errors.internal(e instanceof Error ? e.message : String(e));
    if (!(e instanceof StatusError)) console.error('sim: unexpected error', e);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, status.code, status.toStatus());
  }
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function orNotFound(doc: JsonObject | undefined): JsonObject {
  if (!doc) throw new StatusError('NotFound', 'the server could not find the requested resource');
  return doc;
}

const serialized = new WeakMap<JsonValue & object, string>();
/** lists whose items are stored objects: their text is composed from the items' cached text */
const composedLists = new WeakSet<JsonObject>();

/** JSON text of a (never mutated) stored object, computed once however many clients read it. */
export function toJson(value: JsonObject): string {
  let text = serialized.get(value);
  if (text === undefined) {
    text = composedLists.has(value) ? listJson(value) : JSON.stringify(value);
    serialized.set(value, text);
  }
  return text;
}

function listJson(list: JsonObject): string {
  const items = Array.isArray(list.items) ? (list.items as JsonObject[]) : [];
  const head = JSON.stringify({ kind: list.kind, apiVersion: list.apiVersion, metadata: list.metadata });
  return `${head.slice(0, -1)},"items":[${items.map(toJson).join(',')}]}`;
}

function sendJson(res: ServerResponse, code: number, body: JsonObject): void {
  const text = toJson(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
