import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, TokenStore } from '../../src/api/auth.ts';
import type { ApiController } from '../../src/api/context.ts';
import { createApiServer, type ApiServer } from '../../src/api/server.ts';
import type { AppState } from '../../src/controller/state.ts';
import { keys } from '../../src/queue/keys.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { RequestLedger } from '../../src/queue/request-ledger.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { testApplication } from '../support/apps.ts';
import { EventClient } from '../support/event-client.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const TOKEN = 'viewer-token';
const GENERIC_SECRET = 'generic-hook-secret';
/** Every log line the server writes. */
let logged = '';

function state(app: string, sync: AppState['sync'], revision: string): AppState {
  return { app, sync, health: 'Healthy', revision, comparedAt: new Date().toISOString(), resources: [{ key: `ConfigMap/${app}/settings`, status: sync === 'Synced' ? 'Synced' : 'OutOfSync', health: 'Healthy' }] };
}

describe.skipIf(!redisAvailable())('live events and Redis loss', () => {
  let redis: TestRedis;
  let conn: Redis;
  let store: HistoryStore;
  let server: ApiServer;
  let url: string;
  const apps = ['alpha', 'beta'].map((name) => testApplication({ name, repoURL: 'https://git.example.com/org/deploy.git', path: name }));
  const controller = { applications: apps, liveObjects: () => [], syncInProgress: async () => undefined, ctx: undefined } as unknown as ApiController;

  beforeAll(async () => {
    redis = await startRedis();
    conn = new Redis(redis.url);
    conn.on('error', () => undefined); // Redis is stopped by the last test
    store = new HistoryStore(conn);
    server = await createApiServer({
      controller,
      redisUrl: redis.url,
      tokens: new TokenStore([{ name: 'ui', role: 'viewer', sha256: hashToken(TOKEN) }]),
      pingMs: 100,
      webhooks: { secrets: { generic: GENERIC_SECRET }, rateLimit: { max: 3, timeWindowMs: 60_000 } },
      logger: pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => ((logged += chunk.toString()), done()) })),
    });
    url = await server.listen('127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close();
    conn?.disconnect();
    await redis?.stop();
  });

  const client = (headers: Record<string, string> = {}) => new EventClient(`${url}/api/v1/events`, { authorization: `Bearer ${TOKEN}`, ...headers });

  it('needs a token', async () => {
    const anonymous = new EventClient(`${url}/api/v1/events`, {});
    await until('answer', async () => anonymous.status !== 0);
    expect(anonymous.status).toBe(401);
  });

  it('delivers app changes as app and resources events, pings, and no event for a compare that changed nothing', async () => {
    const c = client();
    await until('connected', async () => server.app.server.listening && c.status === 200);
    await until('ping', async () => c.named('ping').length > 0);
    await store.setState('alpha', state('alpha', 'OutOfSync', 'a'.repeat(40)));
    await until('app event', async () => c.named('app').length === 1);
    expect(c.named('app')[0]!.data).toMatchObject({ name: 'alpha', sync: 'OutOfSync', revision: 'a'.repeat(40) });
    await until('resources event', async () => c.named('resources').length === 1);
    expect(c.named('resources')[0]!.data).toMatchObject({ app: 'alpha', items: [{ key: 'ConfigMap/alpha/settings', status: 'OutOfSync' }] });
    // the same state, compared again: no event
    await store.setState('alpha', state('alpha', 'OutOfSync', 'a'.repeat(40)));
    await store.setState('beta', state('beta', 'Synced', 'b'.repeat(40)));
    await until('beta', async () => c.named('app').length === 2);
    expect(c.named('app').map((e) => e.data['name'])).toEqual(['alpha', 'beta']);
    c.close();
  });

  it('resumes after Last-Event-ID with what was missed, and sends the whole state when that is gone', async () => {
    const first = client();
    await until('connected', async () => first.status === 200);
    await store.setState('alpha', state('alpha', 'Synced', 'c'.repeat(40)));
    await until('event', async () => first.named('app').length === 1);
    const lastId = first.named('app')[0]!.id!;
    first.close();

    await store.setState('beta', state('beta', 'OutOfSync', 'd'.repeat(40)));
    await store.publishDeleted('gone');
    const resumed = client({ 'last-event-id': lastId });
    await until('missed events', async () => resumed.named('app-deleted').length === 1);
    expect(resumed.named('app').map((e) => e.data)).toMatchObject([{ name: 'beta', sync: 'OutOfSync' }]);
    expect(resumed.named('app-deleted')[0]!.data).toEqual({ name: 'gone' });
    // live events keep coming after the backlog
    await store.setState('alpha', state('alpha', 'OutOfSync', 'e'.repeat(40)));
    await until('live after resume', async () => resumed.named('app').length === 2);
    resumed.close();

    // the stream moved past the client's id: the current state of every app instead
    await conn.xtrim(keys().appEvents, 'MAXLEN', 1);
    const stale = client({ 'last-event-id': '1-0' });
    await until('snapshot', async () => stale.named('app').length === 2);
    expect(stale.named('app').map((e) => e.data['name']).sort()).toEqual(['alpha', 'beta']);
    stale.close();
    const bad = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${TOKEN}`, 'last-event-id': 'garbage' } });
    expect(bad.status).toBe(400);
  });

  it('shows queued jobs with their trigger, and the running operation of an app', async () => {
    const queue = new SluiceQueue({ connection: redis.url });
    try {
      const { jobId } = await queue.requestSync('beta', { trigger: 'manual', revision: 'f'.repeat(40) });
      const auth = { authorization: `Bearer ${TOKEN}` };
      const listed = (await (await fetch(`${url}/api/v1/queue`, { headers: auth })).json()) as { waiting: number; jobs: unknown[] };
      expect(listed).toMatchObject({ waiting: 1, jobs: [{ id: jobId, app: 'beta', kind: 'sync', state: 'waiting', trigger: 'manual' }] });
      // what a worker does when it starts the job
      await new RequestLedger(conn, keys()).claim('beta', jobId);
      const detail = await (await fetch(`${url}/api/v1/apps/beta`, { headers: auth })).json();
      expect(detail).toMatchObject({ name: 'beta', operation: { id: jobId, kind: 'sync', trigger: 'manual', phase: 'Running', revision: 'f'.repeat(40) } });
    } finally {
      await queue.close();
    }
  });

  it('limits webhook deliveries per source with 429', async () => {
    const ping = (i: number) => {
      const body = JSON.stringify({ n: i });
      return fetch(`${url}/api/webhook/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sluice-event': 'ping', 'x-sluice-signature': `sha256=${createHmac('sha256', GENERIC_SECRET).update(body).digest('hex')}` }, body });
    };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ping(i)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('writes no token or webhook secret to the log', () => {
    expect(logged).toContain('"url":"/api/v1/events"');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(GENERIC_SECRET);
    expect(logged).not.toMatch(/sha256=[0-9a-f]{64}/);
  });

  it('reports Redis loss on /readyz with its address, and recovers', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    await redis.stop();
    const down = await until('not ready', async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 503 ? ((await res.json()) as { reason: string }) : undefined;
    });
    expect(down.reason).toContain(`Redis at ${redis.url}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
