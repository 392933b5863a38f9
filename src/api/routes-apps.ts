/** The /api/v1 REST routes of docs/api.md: apps, their resources, diff and history, operations, the queue. */
import type { FastifyInstance } from 'fastify';
import { HEALTH_STATUS_CODES, SYNC_STATUS_CODES } from '../app/status.ts';
import { isAppState } from '../controller/state.ts';
import type { SyncProgress } from '../controller/sync-progress.ts';
import { stringify } from 'yaml';
import { normalizeObject } from '../diff/normalize.ts';
import { maskSecretValues, textDiff } from '../diff/text-diff.ts';
import type { JsonObject } from '../json.ts';
import type { SyncRequest } from '../queue/types.ts';
import { appRef, compareApp, isRenderFailure } from '../sync/compare.ts';
import { syncApp } from '../sync/operation.ts';
import { keyString } from '../sync/resource-key.ts';
import { isTrackedBy } from '../sync/tracking.ts';
import { ApiError } from './errors.ts';
import { appTree, findApp, summaries, type RouteContext } from './context.ts';
import { filterByName, matchesState, operationSummary, type OperationSummary } from './summary.ts';
import { ROLLOUT_ACTIONS, type RolloutAction } from './rollout-port.ts';

const NAME = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$' } as const;
const NAME_PARAMS = { type: 'object', properties: { name: NAME }, required: ['name'] } as const;

interface ListQuery {
  sync?: string;
  health?: string;
  search?: string;
  limit?: string;
  offset?: string;
}

const WHOLE_NUMBER = { type: 'string', pattern: '^[0-9]{1,9}$' } as const;

/** A query string number (query strings are text; the body schemas do not coerce, so neither do these). */
function queryNumber(text: string | undefined, field: string, fallback: number, min: number, max: number): number {
  const n = text === undefined ? fallback : Number(text);
  if (n < min || n > max) throw new ApiError('BadRequest', `querystring.${field}: must be between ${min} and ${max}`);
  return n;
}

function accepted(message: string, jobId?: string) {
  return { accepted: true, ...(jobId === undefined ? {} : { jobId }), message };
}

export function registerAppRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/api/v1/session', { config: { role: 'viewer' } }, (request) => request.principal);

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/apps',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sync: { type: 'string', enum: [...SYNC_STATUS_CODES] },
            health: { type: 'string', enum: [...HEALTH_STATUS_CODES] },
            search: { type: 'string', maxLength: 256 },
            limit: WHOLE_NUMBER,
            offset: WHOLE_NUMBER,
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = queryNumber(q.limit, 'limit', 500, 1, 5000);
      const offset = queryNumber(q.offset, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const named = filterByName(ctx.controller.applications, q);
      if (q.sync === undefined && q.health === undefined) {
        return { items: await summaries(ctx, named.slice(offset, offset + limit)), total: named.length };
      }
      // status filters need every candidate's state: still one round trip
      const kept = (await summaries(ctx, named)).filter((s) => matchesState(s, q));
      return { items: kept.slice(offset, offset + limit), total: kept.length };
    },
  );

  app.get<{ Params: { name: string } }>('/api/v1/apps/:name', { config: { role: 'viewer' }, schema: { params: NAME_PARAMS } }, async (request) => {
    const target = findApp(ctx, request.params.name);
    const [[summary], requests, waiting] = await Promise.all([summaries(ctx, [target]), ctx.queue.requests(target.name), ctx.controller.syncInProgress(target.name)]);
    const running = requests.inflight;
    // a job carrying a waiting sync on is that sync: what it waits for says more than "running"
    const operation = (waiting === undefined ? undefined : waitingOperation(waiting)) ?? (running === undefined ? undefined : runningOperation(running.jobId, running.request));
    return {
      ...summary,
      spec: target.spec,
      ...(operation === undefined ? {} : { operation }),
    };
  });

  app.get<{ Params: { name: string } }>('/api/v1/apps/:name/resources', { config: { role: 'viewer' }, schema: { params: NAME_PARAMS } }, async (request) => {
    const target = findApp(ctx, request.params.name);
    const [stored] = await ctx.store.read([target.name]);
    const managed = isAppState(stored?.state) ? stored.state.resources : [];
    return { items: await appTree(ctx, target, managed) };
  });

  app.get<{ Params: { name: string }; Querystring: { resource?: string } }>(
    '/api/v1/apps/:name/diff',
    { config: { role: 'viewer' }, schema: { params: NAME_PARAMS, querystring: { type: 'object', additionalProperties: false, properties: { resource: { type: 'string', minLength: 1 } } } } },
    async (request) => {
      const target = findApp(ctx, request.params.name);
      const compared = await compareApp(ctx.controller.contextFor(target), target);
      if (isRenderFailure(compared)) throw new ApiError('Conflict', `rendering failed at ${compared.revision.slice(0, 7)}: ${compared.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
      const wanted = request.query.resource;
      const items = compared.resources
        .filter((r) => (wanted !== undefined ? keyString(r.key) === wanted : r.desired !== undefined ? r.diff.status !== 'Synced' : r.live !== undefined && isTrackedBy(r.live, appRef(target))))
        .map((r) => {
          const key = keyString(r.key);
          const predicted = r.desired === undefined ? undefined : r.diff.predicted;
          const [desired, live] = maskSecretValues([r.desired, r.live === undefined ? undefined : normalizeObject(r.live)]);
          return {
            key,
            status: r.diff.status,
            ...(desired === undefined ? {} : { desired: yamlOf(desired) }),
            ...(live === undefined ? {} : { live: yamlOf(live) }),
            diff: textDiff({ ...(r.live ? { live: r.live } : {}), ...(predicted ? { predicted } : {}), name: key }),
          };
        });
      if (wanted !== undefined && items.length === 0) throw new ApiError('NotFound', `${target.name} has no resource ${wanted}`);
      return { items };
    },
  );

  app.get<{ Params: { name: string } }>('/api/v1/apps/:name/history', { config: { role: 'viewer' }, schema: { params: NAME_PARAMS } }, async (request) => {
    const target = findApp(ctx, request.params.name);
    const entries = await ctx.store.list(target.name);
    return { items: entries.map((e) => ({ ...e, kind: operationSummary(e).kind })) };
  });

  app.post<{ Params: { name: string } }>('/api/v1/apps/:name/refresh', { config: { role: 'operator' }, schema: { params: NAME_PARAMS } }, async (request, reply) => {
    const target = findApp(ctx, request.params.name);
    const { jobId } = await ctx.queue.requestRefresh(target.name);
    return reply.status(202).send(accepted(`refresh of ${target.name} queued`, jobId));
  });

  app.post<{ Params: { name: string }; Body: { revision?: string; dryRun?: boolean; prune?: boolean; resources?: string[] } | undefined }>(
    '/api/v1/apps/:name/sync',
    {
      config: { role: 'operator' },
      schema: {
        params: NAME_PARAMS,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            revision: { type: 'string', minLength: 1, maxLength: 256 },
            dryRun: { type: 'boolean' },
            prune: { type: 'boolean' },
            resources: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 10_000 },
          },
        },
      },
    },
    async (request, reply) => {
      const target = findApp(ctx, request.params.name);
      const body = request.body ?? {};
      const choices = {
        ...(body.revision === undefined ? {} : { revision: body.revision }),
        ...(body.prune === undefined ? {} : { prune: body.prune }),
      };
      if (body.dryRun === true) {
        // a dry run writes nothing, so it need not wait for the app's turn in the queue
        const result = await syncApp(ctx.controller.contextFor(target), target, { trigger: 'manual', dryRun: true, ...choices, ...(body.resources === undefined ? {} : { only: new Set(body.resources) }) });
        return reply.status(200).send({ ...result, resources: result.resources.map((r) => ({ key: keyString(r.key), action: r.action, ...(r.message === undefined ? {} : { message: r.message }) })) });
      }
      const { jobId } = await ctx.queue.requestSync(target.name, { trigger: 'manual', ...choices, ...(body.resources === undefined ? {} : { resources: body.resources }) });
      request.log.info({ app: target.name, revision: body.revision, jobId, by: request.principal?.name }, 'sync requested');
      return reply.status(202).send(accepted(`sync of ${target.name} queued`, jobId));
    },
  );

  app.post<{ Params: { name: string }; Body: { to: string } }>(
    '/api/v1/apps/:name/rollback',
    { config: { role: 'operator' }, schema: { params: NAME_PARAMS, body: { type: 'object', additionalProperties: false, required: ['to'], properties: { to: { type: 'string', minLength: 1, maxLength: 256 } } } } },
    async (request, reply) => {
      const target = findApp(ctx, request.params.name);
      const done = await ctx.rollouts.rollback(target.name, request.body.to, request.principal!);
      return reply.status(202).send(accepted(done.message, done.jobId));
    },
  );

  app.post<{ Params: { name: string }; Body: { revision: string } }>(
    '/api/v1/apps/:name/pin',
    { config: { role: 'operator' }, schema: { params: NAME_PARAMS, body: { type: 'object', additionalProperties: false, required: ['revision'], properties: { revision: { type: 'string', minLength: 1, maxLength: 256 } } } } },
    async (request, reply) => {
      const target = findApp(ctx, request.params.name);
      const done = await ctx.rollouts.pin(target.name, request.body.revision, request.principal!);
      return reply.status(202).send(accepted(done.message, done.jobId));
    },
  );

  app.post<{ Params: { name: string } }>('/api/v1/apps/:name/unpin', { config: { role: 'operator' }, schema: { params: NAME_PARAMS } }, async (request, reply) => {
    const target = findApp(ctx, request.params.name);
    const done = await ctx.rollouts.unpin(target.name, request.principal!);
    return reply.status(202).send(accepted(done.message, done.jobId));
  });

  app.post<{ Params: { name: string; action: RolloutAction } }>(
    '/api/v1/apps/:name/rollout/:action',
    { config: { role: 'operator' }, schema: { params: { type: 'object', properties: { name: NAME, action: { type: 'string', enum: [...ROLLOUT_ACTIONS] } }, required: ['name', 'action'] } } },
    async (request, reply) => {
      const target = findApp(ctx, request.params.name);
      const done = await ctx.rollouts.rollout(target.name, request.params.action, request.principal!);
      return reply.status(202).send(accepted(done.message, done.jobId));
    },
  );

  app.get('/api/v1/queue', { config: { role: 'viewer' } }, async () => {
    const bull = ctx.queue.bullQueue;
    const [counts, jobs] = await Promise.all([bull.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), bull.getJobs(['active', 'waiting', 'delayed', 'prioritized'], 0, 199)]);
    // BullMQ's 'prioritized' is waiting to a reader: every job but a rollout look has a priority (producer.ts)
    const states = await Promise.all(jobs.map(async (j) => ((s) => (s === 'prioritized' ? 'waiting' : s))(await j.getState())));
    // a sync job runs the request in the ledger: the one it took, else the one waiting
    const requests = await Promise.all(jobs.map((j) => (j.name === 'sync' ? ctx.queue.requests(j.data.app) : undefined)));
    const triggerOf = (i: number) => {
      const view = requests[i];
      const request = view?.inflight?.jobId === jobs[i]!.id ? view?.inflight?.request : view?.pending;
      return request === undefined ? {} : { trigger: request.trigger };
    };
    return {
      waiting: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0),
      active: counts['active'] ?? 0,
      delayed: counts['delayed'] ?? 0,
      jobs: jobs.map((j, i) => ({ id: j.id ?? '', app: j.data.app, kind: j.name, state: states[i], ...triggerOf(i), enqueuedAt: new Date(j.timestamp).toISOString() })),
    };
  });
}

/** The sync a job has taken and runs now, as an OperationSummary (its start: when it was asked for). */
function runningOperation(jobId: string, request: SyncRequest) {
  return {
    id: jobId,
    kind: request.trigger === 'rollback' ? 'rollback' : 'sync',
    trigger: request.trigger,
    phase: 'Running',
    ...(request.revision === undefined ? {} : { revision: request.revision }),
    message: 'running',
    startedAt: new Date(request.requestedAt).toISOString(),
  };
}

/** A sync that waits between jobs (no job runs it now), as an OperationSummary; none before it first waited or once it has finished. */
function waitingOperation(progress: SyncProgress): OperationSummary | undefined {
  if (progress.position === undefined || progress.result !== undefined) return undefined;
  return {
    id: progress.id,
    kind: progress.trigger === 'rollback' ? 'rollback' : 'sync',
    trigger: progress.trigger,
    phase: 'Running',
    revision: progress.revision,
    message: progress.waiting === undefined ? 'running' : `waiting: ${progress.waiting}`,
    startedAt: progress.position.startedAt,
  };
}

function yamlOf(object: JsonObject): string {
  return stringify(object, { sortMapEntries: true, lineWidth: 0 });
}
