/**
 * POST /api/webhook/{github,gitlab,gitea,bitbucket,generic}: verified as each forge
 * signs (webhooks/*.ts) over the exact bytes received, then de-duplicated by delivery id
 * (SET NX in Redis, so a replay to another process is caught too), then a push enqueues a
 * sync of each app it concerns with the pushed commit, so the sync needs no poll. No
 * bearer token: the forge's secret is the credential. A forge without a configured secret
 * is accepted unsigned (as Argo CD does), which the server logs once at start.
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { keys } from '../queue/keys.ts';
import type { RouteContext } from './context.ts';
import { ApiError } from './errors.ts';
import { bitbucket } from './webhooks/bitbucket.ts';
import { generic } from './webhooks/generic.ts';
import { gitea } from './webhooks/gitea.ts';
import { github } from './webhooks/github.ts';
import { gitlab } from './webhooks/gitlab.ts';
import { affectedApps } from './webhooks/match.ts';
import { FORGES, header, type Forge, type ForgeAdapter } from './webhooks/types.ts';

const ADAPTERS: Record<Forge, ForgeAdapter> = { github, gitlab, gitea, bitbucket, generic };

export interface WebhookOptions {
  /** The secret (GitLab: the token) of each forge; a forge without one accepts unsigned deliveries. */
  readonly secrets: Partial<Record<Forge, string>>;
  /** Largest body accepted (default 2 MiB; GitHub's own cap is 25 MB, a push rarely needs 1). */
  readonly bodyLimit?: number;
  /** Deliveries per source address and forge per window (default 600 a minute). */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number };
  /** How long a delivery id is remembered (default 24 h). */
  readonly replayTtlSeconds?: number;
}

/** JSON, or a form with the JSON in `payload` (GitHub's and Gitea's form content type). */
function parsePayload(request: FastifyRequest, body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return JSON.parse(new URLSearchParams(text).get('payload') ?? '');
    }
    return JSON.parse(text);
  } catch {
    throw new ApiError('BadRequest', 'body: is not JSON (or a form with a JSON payload field)');
  }
}

export async function registerWebhookRoutes(app: FastifyInstance, ctx: RouteContext, redis: Redis, options: WebhookOptions, prefix: string): Promise<void> {
  const outcomes = new WeakMap<FastifyRequest, string>();
  const deliveryKey = keys({ prefix }).webhookDelivery;
  await app.register(async (scope) => {
    // the signature covers the exact bytes sent: keep them, parse only after verifying
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit ?? 2 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    await scope.register(rateLimit, {
      max: options.rateLimit?.max ?? 600,
      timeWindow: options.rateLimit?.timeWindowMs ?? 60_000,
      keyGenerator: (request) => `${request.ip} ${request.url}`,
      errorResponseBuilder: (_request, context) => ({ statusCode: 429, error: { code: 'TooManyRequests', message: `more than ${context.max} deliveries in ${context.after}` } }),
    });
    scope.addHook('onResponse', async (request, reply) => {
      const forge = (request.params as { forge?: string }).forge ?? 'unknown';
      const status = reply.statusCode;
      ctx.metrics.webhook(forge, outcomes.get(request) ?? (status === 401 ? 'unauthorized' : status === 413 ? 'too-large' : status === 429 ? 'rate-limited' : status >= 500 ? 'error' : 'rejected'));
    });

    scope.post<{ Params: { forge: Forge }; Body: Buffer }>(
      '/api/webhook/:forge',
      { schema: { params: { type: 'object', properties: { forge: { type: 'string', enum: [...FORGES] } }, required: ['forge'] } } },
      async (request) => {
        const forge = request.params.forge;
        const adapter = ADAPTERS[forge];
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const secret = options.secrets[forge];
        if (secret !== undefined) {
          if (header(request.headers, adapter.signatureHeader) === undefined && !(forge === 'gitea' && header(request.headers, 'x-forgejo-signature') !== undefined)) {
            throw new ApiError('Unauthenticated', `unsigned delivery: ${adapter.signatureHeader} is required`);
          }
          if (!adapter.verify(request.headers, body, secret)) throw new ApiError('Unauthenticated', `${adapter.signatureHeader} does not match the body`);
        }
        const payload = parsePayload(request, body);
        const delivery = adapter.deliveryId(request.headers) ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
        const first = await redis.set(deliveryKey(forge, delivery.slice(0, 200)), '1', 'EX', options.replayTtlSeconds ?? 86_400, 'NX');
        if (first === null) {
          outcomes.set(request, 'replay');
          request.log.info({ forge, delivery }, 'webhook delivery already handled; ignored');
          return { apps: [], duplicate: true };
        }
        const event = adapter.parse(request.headers, payload);
        if (event.kind === 'ping') {
          outcomes.set(request, 'ping');
          return { apps: [], ping: true };
        }
        if (event.kind === 'ignored') {
          outcomes.set(request, 'ignored');
          return { apps: [], ignored: event.reason };
        }
        const apps = affectedApps(ctx.controller.applications, event);
        await Promise.all(apps.map((a) => ctx.queue.requestSync(a.name, { revision: event.after, trigger: 'webhook' })));
        outcomes.set(request, apps.length > 0 ? 'push' : 'push-no-apps');
        request.log.info({ forge, delivery, ref: event.ref, revision: event.after, apps: apps.map((a) => a.name) }, 'webhook push');
        return { apps: apps.map((a) => a.name) };
      },
    );
  });
}
