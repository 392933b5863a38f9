/**
 * An in-memory server for the HTTP API contract (docs/api.md), for the web UI's browser tests
 * and `npm run bench -- ui` until they run against the real server: fastify, bearer tokens and
 * roles, the app routes and operations, the event stream with resume, and web/dist served at
 * `/` with an index.html fallback. Tests change state through its methods (each change pushes
 * the event the real server would) and read the operations it received from `requests`.
 */
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Accepted, AppDetail, AppOperation, AppSummary, HistoryEntry, LiveEventName, LiveEvents, ResourceDiff, ResourceNode, Session } from '../../web/src/api-types.ts';
import { ACTIVE_ROLLOUT_PHASES, HEALTH_STATUSES, SYNC_STATUSES, mayOperate } from '../../web/src/api-types.ts';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface FakeToken extends Session {
  token: string;
}

export interface FakeApp {
  summary: AppSummary;
  spec?: object;
  resources?: ResourceNode[];
  diffs?: ResourceDiff[];
  history?: HistoryEntry[];
}

export interface RecordedOperation {
  app: string;
  operation: AppOperation;
  body: unknown;
  by: string;
}

interface StoredEvent {
  id: number;
  event: LiveEventName;
  data: string;
}

const EVENT_LOG_LIMIT = 10_000;
const LIST_LIMIT_DEFAULT = 500;
const LIST_LIMIT_MAX = 5000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeApi {
  readonly apps = new Map<string, Required<FakeApp>>();
  /** every operation (POST) accepted, in order */
  readonly requests: RecordedOperation[] = [];
  /** the resume point of every event stream opened (undefined: from now) */
  readonly streamOpenings: { lastEventId: string | undefined }[] = [];
  private readonly tokens: Map<string, Session>;
  private readonly events: StoredEvent[] = [];
  private nextEventId = 1;
  private readonly streams = new Set<ServerResponse>();
  private server: FastifyInstance | undefined;
  private port = 0;

  private readonly pingMs: number;

  constructor(options: { tokens: FakeToken[]; pingMs?: number }) {
    this.tokens = new Map(options.tokens.map((t) => [t.token, { name: t.name, role: t.role }]));
    this.pingMs = options.pingMs ?? 15_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after `stop`, so clients can reconnect; or on `port`). */
  async start(port?: number): Promise<string> {
    if (port !== undefined) this.port = port;
    const server = Fastify({ forceCloseConnections: true });
    this.routes(server);
    if (existsSync(WEB_DIST)) {
      await server.register(fastifyStatic, { root: WEB_DIST, wildcard: false });
      server.setNotFoundHandler((request, reply) => {
        if (request.url.startsWith('/api/')) return reply.code(404).send(errorBody('NotFound', `no route ${request.method} ${request.url}`));
        return reply.type('text/html').sendFile('index.html');
      });
    }
    await server.listen({ host: '127.0.0.1', port: this.port });
    const address = server.server.address();
    if (address === null || typeof address === 'string') throw new Error('fake API: no TCP address');
    this.port = address.port;
    this.server = server;
    return this.url;
  }

  /** Closes the server and every open event stream, as a crash or restart would. */
  async stop(): Promise<void> {
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
    await this.server?.close();
    this.server = undefined;
  }

  putApp(app: FakeApp): void {
    this.apps.set(app.summary.name, { spec: {}, resources: [], diffs: [], history: [], ...app });
    this.push('app', app.summary);
  }

  /** Changes an app's summary and pushes the whole of it, as the server does after any change. */
  updateApp(name: string, change: Partial<AppSummary>): number {
    const app = this.app(name);
    app.summary = { ...app.summary, ...change };
    return this.push('app', app.summary);
  }

  setResources(name: string, items: ResourceNode[]): void {
    this.app(name).resources = items;
    this.push('resources', { app: name, items });
  }

  deleteApp(name: string): void {
    this.apps.delete(name);
    this.push('app-deleted', { name });
  }

  /** Sends an event to every open stream; returns the epoch time (ms, sub-ms) it was written. */
  push<E extends LiveEventName>(event: E, data: LiveEvents[E]): number {
    const stored: StoredEvent = { id: this.nextEventId++, event, data: JSON.stringify(data) };
    this.events.push(stored);
    if (this.events.length > EVENT_LOG_LIMIT) this.events.shift();
    const frame = formatEvent(stored);
    for (const stream of this.streams) stream.write(frame);
    return performance.timeOrigin + performance.now();
  }

  private app(name: string): Required<FakeApp> {
    const app = this.apps.get(name);
    if (!app) throw new HttpError(404, 'NotFound', `application "${name}" not found`);
    return app;
  }

  private routes(server: FastifyInstance): void {
    server.setErrorHandler((error, _request, reply) => {
      if (error instanceof HttpError) return reply.code(error.status).send(errorBody(error.code, error.message));
      const status = typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
      return reply.code(status).send(errorBody(status === 400 ? 'BadRequest' : 'Internal', error instanceof Error ? error.message : String(error)));
    });
    const viewer = (handler: (request: FastifyRequest, session: Session) => unknown) => async (request: FastifyRequest) => handler(request, this.authenticate(request));

    server.get('/api/v1/session', viewer((_request, session) => session));
    server.get('/api/v1/apps', viewer((request) => this.list(request.query as Record<string, string | undefined>)));
    server.get('/api/v1/apps/:name', viewer((request) => this.detail(nameOf(request))));
    server.get('/api/v1/apps/:name/resources', viewer((request) => ({ items: this.app(nameOf(request)).resources })));
    server.get(
      '/api/v1/apps/:name/diff',
      viewer((request) => {
        const { resource } = request.query as { resource?: string };
        const diffs = this.app(nameOf(request)).diffs;
        if (resource === undefined) return { items: diffs.filter((d) => d.diff !== '') };
        const found = diffs.find((d) => d.key === resource);
        if (!found) throw new HttpError(404, 'NotFound', `resource "${resource}" is not part of the app`);
        return { items: [found] };
      }),
    );
    server.get('/api/v1/apps/:name/history', viewer((request) => ({ items: this.app(nameOf(request)).history })));
    server.get('/api/v1/events', async (request, reply) => this.stream(request, reply));

    const operations: AppOperation[] = ['refresh', 'sync', 'rollback', 'pin', 'unpin', 'rollout/promote', 'rollout/abort', 'rollout/pause', 'rollout/resume'];
    for (const operation of operations) {
      server.post(`/api/v1/apps/:name/${operation}`, async (request, reply) => {
        const session = this.authenticate(request);
        if (!mayOperate(session.role)) throw new HttpError(403, 'Forbidden', `${session.role} "${session.name}" may not ${operation}`);
        const name = nameOf(request);
        const body: unknown = request.body ?? {};
        const message = this.operate(name, operation, body, session);
        this.requests.push({ app: name, operation, body, by: session.name });
        const answer: Accepted = { accepted: true, jobId: `job-${this.requests.length}`, message };
        return reply.code(202).send(answer);
      });
    }
  }

  private authenticate(request: FastifyRequest): Session {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    const session = match?.[1] === undefined ? undefined : this.tokens.get(match[1]);
    if (!session) throw new HttpError(401, 'Unauthenticated', 'a valid bearer token is required');
    return session;
  }

  private list(query: Record<string, string | undefined>): { items: AppSummary[]; total: number } {
    const { sync, health, search } = query;
    if (sync !== undefined && !(SYNC_STATUSES as readonly string[]).includes(sync)) throw new HttpError(400, 'BadRequest', `sync: unknown status "${sync}"`);
    if (health !== undefined && !(HEALTH_STATUSES as readonly string[]).includes(health)) throw new HttpError(400, 'BadRequest', `health: unknown status "${health}"`);
    const limit = Math.min(integer(query.limit, 'limit') ?? LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX);
    const offset = integer(query.offset, 'offset') ?? 0;
    const matching = [...this.apps.values()]
      .map((a) => a.summary)
      .filter((a) => (sync === undefined || a.sync === sync) && (health === undefined || a.health === health) && (search === undefined || a.name.includes(search)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { items: matching.slice(offset, offset + limit), total: matching.length };
  }

  private detail(name: string): AppDetail {
    const app = this.app(name);
    const running = app.summary.lastOperation?.phase === 'Running' ? app.summary.lastOperation : undefined;
    return { ...app.summary, spec: app.spec, ...(running ? { operation: running } : {}) };
  }

  /** What each operation does to the in-memory state; the answer's message. */
  private operate(name: string, operation: AppOperation, body: unknown, session: Session): string {
    const app = this.app(name);
    const summary = app.summary;
    const now = new Date().toISOString();
    switch (operation) {
      case 'refresh':
        return `refresh of ${name} queued`;
      case 'sync':
        return `sync of ${name} queued`;
      case 'rollback': {
        const to = field(body, 'to');
        const entry = app.history.find((h) => h.id === to || h.revision === to);
        if (!entry) throw new HttpError(404, 'NotFound', `no history entry or revision "${to}" for ${name}`);
        const pin = { revision: entry.revision, since: now, by: session.name };
        const op = { id: `op-${this.requests.length + 1}`, kind: 'rollback' as const, trigger: 'manual' as const, phase: 'Succeeded' as const, revision: entry.revision, message: `rolled back to ${entry.revision.slice(0, 7)}`, startedAt: now, finishedAt: now };
        app.history = [{ id: op.id, revision: entry.revision, startedAt: now, finishedAt: now, trigger: 'manual', phase: 'Succeeded', message: op.message, kind: 'rollback', resources: [] }, ...app.history];
        this.updateApp(name, { pinned: pin, syncedRevision: entry.revision, revision: entry.revision, lastOperation: op });
        return `rollback of ${name} to ${entry.revision.slice(0, 7)} queued; pinned`;
      }
      case 'pin':
        this.updateApp(name, { pinned: { revision: field(body, 'revision'), since: now, by: session.name } });
        return `${name} pinned`;
      case 'unpin': {
        const { pinned: _pinned, ...rest } = summary;
        app.summary = rest;
        this.push('app', app.summary);
        return `${name} unpinned`;
      }
      default: {
        const rollout = summary.rollout;
        if (!rollout || !ACTIVE_ROLLOUT_PHASES.includes(rollout.phase)) throw new HttpError(409, 'Conflict', `no rollout runs for ${name}`);
        const next = {
          'rollout/promote': { ...rollout, step: Math.min(rollout.step + 1, rollout.steps) },
          'rollout/abort': { ...rollout, phase: 'Aborted' as const },
          'rollout/pause': { ...rollout, phase: 'Paused' as const },
          'rollout/resume': { ...rollout, phase: 'Progressing' as const },
        }[operation];
        this.updateApp(name, { rollout: next });
        return `${operation.slice('rollout/'.length)} of ${name}'s rollout accepted`;
      }
    }
  }

  private stream(request: FastifyRequest, reply: FastifyReply): void {
    this.authenticate(request);
    const header = request.headers['last-event-id'];
    const query = (request.query as { lastEventId?: string }).lastEventId;
    const resumeFrom = (typeof header === 'string' ? header : undefined) ?? query;
    this.streamOpenings.push({ lastEventId: resumeFrom });
    if (resumeFrom !== undefined && !/^\d+$/.test(resumeFrom)) throw new HttpError(400, 'BadRequest', 'Last-Event-ID: must be an event id this server sent');
    // Without a resume point a stream starts from now; with one, missed events are replayed.
    const lastId = resumeFrom === undefined ? Infinity : Number(resumeFrom);
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Headers go out at once: the client counts the stream as open when they arrive.
    response.flushHeaders();
    for (const event of this.events) if (event.id > lastId) response.write(formatEvent(event));
    this.streams.add(response);
    // Pings keep proxies from closing an idle stream; they carry no id, so resuming skips them.
    const ping = setInterval(() => response.write('event: ping\ndata: {}\n\n'), this.pingMs);
    response.on('close', () => {
      clearInterval(ping);
      this.streams.delete(response);
    });
  }
}

function formatEvent(event: StoredEvent): string {
  return `id: ${event.id}\nevent: ${event.event}\ndata: ${event.data}\n\n`;
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

function nameOf(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new HttpError(400, 'BadRequest', `${name}: not a non-negative integer`);
  return Number(value);
}

function field(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string' || value === '') throw new HttpError(400, 'BadRequest', `${name}: required string`);
  return value;
}
