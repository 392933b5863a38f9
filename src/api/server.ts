/**
 * The API server (fastify 5) in the `sluice start` process: REST (routes-apps.ts), live
 * events, webhooks (routes-webhooks.ts), /healthz /readyz /metrics, and the built web UI
 * when web/dist exists. Roles are checked in one onRequest hook from each route's
 * `config.role`, before the body is read, so an unauthenticated request learns nothing
 * about the validity of its input.
 */
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { isAppState } from '../controller/state.ts';
import { DEFAULT_PREFIX, keys } from '../queue/keys.ts';
import { SluiceQueue } from '../queue/producer.ts';
import { HistoryStore } from '../store/history.ts';
import type { TokenStore } from './auth.ts';
import { findApp, summaries, watchedAppTree, type ApiController, type RouteContext } from './context.ts';
import { ApiError, errorBody, handleError } from './errors.ts';
import { EventFeed, isStreamId, openEventStream, type EventSource, type LiveEvent, type StreamEntry } from './events.ts';
import { SluiceMetrics } from './metrics.ts';
import { OwnedObjects } from './owned-objects.ts';
import { RedisHealth } from '../queue/redis-health.ts';
import { notImplementedRollouts, type RolloutOperations } from './rollout-port.ts';
import { registerAppRoutes } from './routes-apps.ts';
import { registerWebhookRoutes, type WebhookOptions } from './routes-webhooks.ts';

export interface ApiServerOptions {
  readonly controller: ApiController;
  readonly redisUrl: string;
  /** Redis key prefix, shared with the controller (default 'sluice'). */
  readonly prefix?: string;
  readonly tokens: TokenStore;
  /** Rollback, pins and rollout control; answers 501 until the rollout engine is wired in. */
  readonly rollouts?: RolloutOperations;
  readonly webhooks?: WebhookOptions;
  /** Why the process is not ready besides Redis (e.g. the cluster unreachable), or undefined. */
  readonly notReady?: () => Promise<string | undefined>;
  readonly metrics?: SluiceMetrics;
  /** pino logger for requests and the server's own lines (default: none). */
  readonly logger?: FastifyBaseLogger;
  /** The built web UI (web/dist), served at / when the directory exists. */
  readonly webDist?: string;
  /** Live-event keep-alive interval (default 15 s). */
  readonly pingMs?: number;
}

export interface ApiServer {
  readonly app: FastifyInstance;
  readonly metrics: SluiceMetrics;
  /** Starts listening; resolves to the base URL. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

export async function createApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => undefined); // reported by /readyz and the start-up check, not as one line per retry
  const metrics = opts.metrics ?? new SluiceMetrics();
  const ctx: RouteContext = {
    controller: opts.controller,
    store: new HistoryStore(redis, { prefix }),
    // Redis going away and coming back is said once by the controller's RedisHealth, and by /readyz: this one stays quiet
    queue: new SluiceQueue({ connection: opts.redisUrl, prefix, health: new RedisHealth({ log: () => undefined }) }),
    rollouts: opts.rollouts ?? notImplementedRollouts(),
    tokens: opts.tokens,
    metrics,
    owned: new OwnedObjects(
      (name) => ctx.controller.contextFor(findApp(ctx, name)).kube,
      (apps) => void ownedChanged(apps).catch((e: Error) => app.log.warn({ err: e }, 'live events: building a resource tree failed')),
    ),
  };
  // BullMQ prints every connection error with its stack unless someone listens; /readyz and the start-up line say it instead
  ctx.queue.bullQueue.on('error', () => undefined);
  metrics.readFleetFrom({
    appStatuses: async () => (await summaries(ctx, ctx.controller.applications)).map((s) => ({ app: s.name, sync: s.sync, health: s.health })),
    queueCounts: () => ctx.queue.bullQueue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
  });

  const app = Fastify({
    ...(opts.logger === undefined ? {} : { loggerInstance: opts.logger }),
    bodyLimit: 1024 * 1024,
    // a body's `"revision": 5` or an unknown field is a 400, not coerced or dropped (query strings are parsed by their routes)
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => reply.status(404).send(errorBody('NotFound', `no route ${request.method} ${request.url.split('?')[0]}`)));
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"], fontSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'self'"], frameAncestors: ["'none'"], formAction: ["'self'"] },
    },
  });
  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config.role;
    if (role !== undefined) request.principal = ctx.tokens.authorize(request.headers.authorization, role);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.apiRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode);
  });

  // probes and scrapes come every few seconds: their requests are not logged
  const quiet = { logLevel: 'warn' } as const;
  app.get('/healthz', quiet, () => ({ ok: true }));
  app.get('/readyz', quiet, async (_request, reply) => {
    const reason = redis.status !== 'ready' ? `Redis at ${redactedUrl(opts.redisUrl)} is not connected (${redis.status})` : await opts.notReady?.();
    return reason === undefined ? { ready: true } : reply.status(503).send({ ready: false, reason });
  });
  app.get('/metrics', quiet, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  registerAppRoutes(app, ctx);
  await registerWebhookRoutes(app, ctx, redis, opts.webhooks ?? { secrets: {} }, prefix);

  // open event streams: closing the server ends them (the clients reconnect), else it would wait for every browser to leave
  const streams = new Set<ServerResponse>();
  const feed = new EventFeed(redis, keys({ prefix }).appEvents, liveEvents(ctx, metrics), (e) => app.log.warn({ err: e }, 'live events: reading the stream failed; retrying'));
  // pods and ReplicaSets change no app state: their trees go out as events of their own (no id)
  const ownedChanged = async (names: readonly string[]): Promise<void> => {
    if (feed.clients === 0) return;
    const known = new Map(ctx.controller.applications.map((a) => [a.name, a]));
    const present = names.filter((n) => known.has(n));
    const stored = await ctx.store.read(present);
    for (const [i, name] of present.entries()) {
      const state = stored[i]?.state;
      const items = isAppState(state) ? await watchedAppTree(ctx, known.get(name)!, state.resources) : undefined;
      if (items !== undefined) feed.broadcast({ id: '', event: 'resources', data: { app: name, items } });
    }
  };
  app.get<{ Querystring: { lastEventId?: string } }>(
    '/api/v1/events',
    { config: { role: 'viewer' }, schema: { querystring: { type: 'object', properties: { lastEventId: { type: 'string' } } } } },
    async (request, reply) => {
      const resume = (request.headers['last-event-id'] as string | undefined) ?? request.query.lastEventId;
      if (resume !== undefined && !isStreamId(resume)) throw new ApiError('BadRequest', 'Last-Event-ID: must be an event id this server sent');
      reply.hijack();
      const stream = openEventStream(reply.raw, opts.pingMs ?? 15_000);
      streams.add(reply.raw);
      const unsubscribe = await feed.subscribe(resume, stream.send);
      await stream.closed;
      streams.delete(reply.raw);
      unsubscribe();
    },
  );

  if (opts.webDist !== undefined && existsSync(opts.webDist)) {
    await app.register(fastifyStatic, { root: opts.webDist, wildcard: false });
    // client-side routes (/apps/guestbook) get the app shell; API paths keep their JSON 404
    app.get('/*', (request, reply) => (request.url.startsWith('/api/') ? reply.status(404).send(errorBody('NotFound', `no route GET ${request.url}`)) : reply.sendFile('index.html')));
  }

  let started = false;
  return {
    app,
    metrics,
    async listen(host, port) {
      feed.start();
      started = true;
      const address = await app.listen({ host, port });
      return address;
    },
    async close() {
      if (started) await feed.stop();
      for (const res of streams) res.end();
      await ctx.owned.close();
      await app.close();
      await ctx.queue.close();
      redis.disconnect();
    },
  };
}

/** The live events of stream entries: each app's summary and managed-resource tree, read for the batch at once. */
function liveEvents(ctx: RouteContext, metrics: SluiceMetrics): EventSource {
  const forApps = async (id: (app: string) => string, names: readonly string[]): Promise<LiveEvent[]> => {
    const known = new Map(ctx.controller.applications.map((a) => [a.name, a]));
    const present = names.filter((n) => known.has(n));
    const [stored, sums] = await Promise.all([ctx.store.read(present), summaries(ctx, present.map((n) => known.get(n)!))]);
    const out: LiveEvent[] = [];
    for (const name of names) {
      const i = present.indexOf(name);
      if (i === -1) {
        out.push({ id: id(name), event: 'app-deleted', data: { name } });
        continue;
      }
      const summary = sums[i]!;
      const state = stored[i]?.state;
      metrics.appState(name, summary);
      out.push({ id: id(name), event: 'app', data: summary });
      // the whole tree, for apps whose tree a client reads (the UI replaces its tree with it)
      const items = isAppState(state) ? await watchedAppTree(ctx, known.get(name)!, state.resources) : undefined;
      if (items !== undefined) out.push({ id: id(name), event: 'resources', data: { app: name, items } });
    }
    return out;
  };
  return {
    async events(entries: readonly StreamEntry[]) {
      // one event per entry, in order; several entries of one app in a batch read its state once
      const latest = new Map<string, string>();
      for (const e of entries) latest.set(e.app, e.id);
      const names = entries.map((e) => e.app);
      const byId = new Map(entries.map((e) => [e.id, e]));
      const built = await forApps((app) => latest.get(app)!, [...new Set(names)]);
      const byApp = new Map<string, LiveEvent[]>();
      for (const e of built) {
        const app = e.event === 'resources' ? (e.data as { app: string }).app : e.event === 'app-deleted' ? (e.data as { name: string }).name : (e.data as { name: string }).name;
        byApp.set(app, [...(byApp.get(app) ?? []), e]);
      }
      // deliver each app's current state at the position of its newest entry
      return entries.filter((e) => latest.get(e.app) === e.id && byId.has(e.id)).flatMap((e) => byApp.get(e.app) ?? []);
    },
    snapshot: (id) => forApps(() => id, ctx.controller.applications.map((a) => a.name)),
  };
}

function redactedUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
