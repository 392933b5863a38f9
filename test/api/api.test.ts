import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, parseTokens, tokensFromSecret, type Principal } from '../../src/api/auth.ts';
import { ApiError } from '../../src/api/errors.ts';
import type { RolloutAction, RolloutOperations, RolloutView } from '../../src/api/rollout-port.ts';
import type { AppSummary } from '../../src/api/summary.ts';
import type { Role } from '../../src/api/auth.ts';
import type { ResourceNode } from '../../src/api/resource-tree.ts';
import { testApplication } from '../support/apps.ts';
import { EventClient } from '../support/event-client.ts';
import { gitAvailable } from '../support/git-server.ts';
import { redisAvailable } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { startHarness, TOKENS, type Harness } from './harness.ts';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1 }] }
`;
const SECRET = `apiVersion: v1
kind: Secret
metadata: { name: creds }
stringData: { password: hunter2-in-git }
`;
const CONFIG = (n: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { n: "${n}" }\n`;

/** An in-memory rollout engine: records what it was asked, knows one pin and one running rollout. */
class FakeRollouts implements RolloutOperations {
  readonly calls: string[] = [];
  running = new Set<string>(['web']);
  views(apps: readonly string[]): Promise<ReadonlyMap<string, RolloutView>> {
    const views = new Map<string, RolloutView>();
    if (apps.includes('web')) views.set('web', { badRevisions: ['deadbeef'], pinned: { revision: 'abc', since: '2026-01-01T00:00:00.000Z', by: 'someone' } });
    return Promise.resolve(views);
  }
  rollback(app: string, to: string, by: Principal) {
    this.calls.push(`rollback ${app} ${to} by ${by.name}`);
    return Promise.resolve({ jobId: '7', message: `rolling ${app} back to ${to}` });
  }
  pin(app: string, revision: string, by: Principal) {
    this.calls.push(`pin ${app} ${revision} by ${by.name}`);
    return Promise.resolve({ message: 'pinned' });
  }
  unpin(app: string, by: Principal) {
    this.calls.push(`unpin ${app} by ${by.name}`);
    return Promise.resolve({ message: 'unpinned' });
  }
  rollout(app: string, action: RolloutAction, by: Principal) {
    if (!this.running.has(app)) return Promise.reject(new ApiError('Conflict', `no rollout of ${app} runs`));
    this.calls.push(`${action} ${app} by ${by.name}`);
    return Promise.resolve({ message: `${action}d` });
  }
}

describe.skipIf(!gitAvailable() || !redisAvailable())('the API server', () => {
  let h: Harness;
  const rollouts = new FakeRollouts();

  beforeAll(async () => {
    h = await startHarness({
      files: { 'web/deploy.yaml': DEPLOYMENT, 'web/secret.yaml': SECRET, 'config/cm.yaml': CONFIG(1) },
      apps: (repoURL) => [testApplication({ name: 'web', repoURL, path: 'web' }), { ...testApplication({ name: 'config', repoURL, path: 'config' }), spec: { ...testApplication({ name: 'config', repoURL, path: 'config' }).spec, syncPolicy: { ...testApplication({ name: 'config', repoURL, path: 'config' }).spec.syncPolicy, automated: undefined } } }],
      rollouts,
    });
    await until('web synced and healthy', async () => {
      const { body } = await h.call<AppSummary>('GET', '/api/v1/apps/web', { role: 'viewer' });
      return body.sync === 'Synced' && body.health === 'Healthy' ? true : undefined;
    }, 30_000);
  }, 60_000);
  afterAll(async () => h?.stop());

  it('answers 401 without or with a wrong token, and says who a token is', async () => {
    expect(await h.call('GET', '/api/v1/apps')).toMatchObject({ status: 401, body: { error: { code: 'Unauthenticated' } } });
    expect(await h.call('GET', '/api/v1/apps', { headers: { authorization: 'Bearer nope' } })).toMatchObject({ status: 401, body: { error: { code: 'Unauthenticated' } } });
    expect(await h.call('GET', '/api/v1/session', { role: 'operator' })).toMatchObject({ status: 200, body: { name: 'operator-bot', role: 'operator' } });
  });

  it('lists apps with filters and paging, sorted by name', async () => {
    const all = await h.call<{ items: AppSummary[]; total: number }>('GET', '/api/v1/apps', { role: 'viewer' });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(2);
    expect(all.body.items.map((a) => a.name)).toEqual(['config', 'web']);
    const web = all.body.items[1]!;
    expect(web).toMatchObject({ sync: 'Synced', health: 'Healthy', autoSync: true, badRevisions: ['deadbeef'], pinned: { revision: 'abc' }, lastOperation: { kind: 'sync', trigger: 'poll', phase: 'Succeeded' } });
    expect(web.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(web.commit).toMatchObject({ message: 'first' });
    expect(all.body.items[0]).toMatchObject({ name: 'config', autoSync: false });
    const page = await h.call<{ items: AppSummary[]; total: number }>('GET', '/api/v1/apps?limit=1&offset=1', { role: 'viewer' });
    expect(page.body).toMatchObject({ total: 2, items: [{ name: 'web' }] });
    const synced = await h.call<{ items: AppSummary[]; total: number }>('GET', '/api/v1/apps?sync=Synced', { role: 'viewer' });
    expect(synced.body.items.map((a) => a.name)).toEqual(['web']);
    const search = await h.call<{ items: AppSummary[]; total: number }>('GET', '/api/v1/apps?search=CONF', { role: 'viewer' });
    expect(search.body.items.map((a) => a.name)).toEqual(['config']);
  });

  it('answers 400 naming the field for bad input', async () => {
    expect(await h.call('GET', '/api/v1/apps?limit=0', { role: 'viewer' })).toMatchObject({ status: 400, body: { error: { code: 'BadRequest', message: expect.stringContaining('querystring.limit') } } });
    expect(await h.call('GET', '/api/v1/apps?sync=Green', { role: 'viewer' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('querystring.sync') } } });
    expect(await h.call('POST', '/api/v1/apps/web/sync', { role: 'operator', body: { revision: 5 } })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('body.revision') } } });
    expect(await h.call('POST', '/api/v1/apps/web/sync', { role: 'operator', body: { force: true } })).toMatchObject({ status: 400, body: { error: { message: 'body.force: is not a known field' } } });
    expect(await h.call('POST', '/api/v1/apps/web/pin', { role: 'operator', body: {} })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('body.revision') } } });
    expect(await h.call('GET', '/api/v1/apps/NOT_A_NAME', { role: 'viewer' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('params.name') } } });
  });

  it('shows one app with its spec, 404 for an unknown one', async () => {
    expect(await h.call('GET', '/api/v1/apps/web', { role: 'viewer' })).toMatchObject({ status: 200, body: { name: 'web', spec: { source: { path: 'web' } } } });
    expect(await h.call('GET', '/api/v1/apps/nope', { role: 'viewer' })).toMatchObject({ status: 404, body: { error: { code: 'NotFound' } } });
  });

  it('shows the resource tree: Deployment → ReplicaSet → Pods', async () => {
    const tree = await until('pods in the tree', async () => {
      const { body } = await h.call<{ items: { key: string; kind: string; parent?: string; status?: string; health?: { status: string } }[] }>('GET', '/api/v1/apps/web/resources', { role: 'viewer' });
      return body.items.filter((n) => n.kind === 'Pod').length === 2 ? body.items : undefined;
    }, 20_000);
    const deployment = tree.find((n) => n.kind === 'Deployment')!;
    expect(deployment).toMatchObject({ key: 'apps/Deployment/web/web', group: 'apps', version: 'v1', namespace: 'web', name: 'web', status: 'Synced', health: { status: 'Healthy' } });
    const rs = tree.find((n) => n.kind === 'ReplicaSet')!;
    expect(rs.parent).toBe(deployment.key);
    expect(tree.filter((n) => n.kind === 'Pod').every((p) => p.parent === rs.key)).toBe(true);
    expect(tree.find((n) => n.kind === 'Secret')).toMatchObject({ key: 'Secret/web/creds', status: 'Synced' });
  });

  it('diffs with Secret values masked', async () => {
    await h.kube.patch({ apiVersion: 'v1', kind: 'Secret', namespace: 'web', name: 'creds' }, { data: { password: Buffer.from('changed-live').toString('base64') } }, { type: 'merge' });
    const { status, body } = await h.call<{ items: { key: string; status: string; diff: string; desired?: string; live?: string }[] }>('GET', '/api/v1/apps/web/diff', { role: 'viewer' });
    expect(status).toBe(200);
    expect(body.items.map((i) => i.key)).toEqual(['Secret/web/creds']);
    const text = JSON.stringify(body);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(Buffer.from('hunter2-in-git').toString('base64'));
    expect(text).not.toContain(Buffer.from('changed-live').toString('base64'));
    expect(body.items[0]!.diff).toContain('++++++++');
    const one = await h.call<{ items: unknown[] }>('GET', `/api/v1/apps/web/diff?resource=${encodeURIComponent('apps/Deployment/web/web')}`, { role: 'viewer' });
    expect(one.body.items).toHaveLength(1);
  });

  it('keeps history newest first', async () => {
    const { body } = await h.call<{ items: { trigger: string; kind: string; revision: string }[] }>('GET', '/api/v1/apps/web/history', { role: 'viewer' });
    expect(body.items[0]).toMatchObject({ trigger: 'poll', kind: 'sync' });
  });

  it('lets viewers read but not operate; operators sync, refresh and dry-run', async () => {
    for (const route of ['refresh', 'sync', 'unpin', 'rollout/promote']) {
      expect(await h.call('POST', `/api/v1/apps/config/${route}`, { role: 'viewer', body: {} })).toMatchObject({ status: 403, body: { error: { code: 'Forbidden' } } });
    }
    expect(await h.call('POST', '/api/v1/apps/config/refresh', { role: 'operator' })).toMatchObject({ status: 202, body: { accepted: true, jobId: expect.any(String) } });
    const dry = await h.call<{ dryRun: boolean; resources: { key: string; action: string }[] }>('POST', '/api/v1/apps/config/sync', { role: 'operator', body: { dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, resources: [{ key: 'ConfigMap/config/settings', action: 'created' }] });
    expect(await h.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'config', name: 'settings' })).toBeUndefined();
    expect(await h.call('POST', '/api/v1/apps/config/sync', { role: 'admin', body: { prune: true } })).toMatchObject({ status: 202 });
    await until('manual sync applied', async () => (await h.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'config', name: 'settings' })) ?? undefined, 20_000);
  });

  it('passes rollback, pin, unpin and rollout control to the rollout port with the caller', async () => {
    expect(await h.call('POST', '/api/v1/apps/web/rollback', { role: 'operator', body: { to: 'abc1234' } })).toMatchObject({ status: 202, body: { accepted: true, jobId: '7' } });
    expect(await h.call('POST', '/api/v1/apps/web/pin', { role: 'operator', body: { revision: 'abc1234' } })).toMatchObject({ status: 202 });
    expect(await h.call('POST', '/api/v1/apps/web/unpin', { role: 'admin' })).toMatchObject({ status: 202 });
    for (const action of ['promote', 'abort', 'pause', 'resume']) expect(await h.call('POST', `/api/v1/apps/web/rollout/${action}`, { role: 'operator' })).toMatchObject({ status: 202 });
    expect(await h.call('POST', '/api/v1/apps/config/rollout/promote', { role: 'operator' })).toMatchObject({ status: 409, body: { error: { code: 'Conflict' } } });
    expect(await h.call('POST', '/api/v1/apps/web/rollout/explode', { role: 'operator' })).toMatchObject({ status: 400 });
    expect(rollouts.calls).toEqual(['rollback web abc1234 by operator-bot', 'pin web abc1234 by operator-bot', 'unpin web by admin-bot', 'promote web by operator-bot', 'abort web by operator-bot', 'pause web by operator-bot', 'resume web by operator-bot']);
  });

  it('shows the queue', async () => {
    const { status, body } = await h.call('GET', '/api/v1/queue', { role: 'viewer' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number), jobs: expect.any(Array) });
  });

  it('serves probes and metrics without a token', async () => {
    expect(await h.call('GET', '/healthz')).toMatchObject({ status: 200 });
    expect(await h.call('GET', '/readyz')).toMatchObject({ status: 200, body: { ready: true } });
    const { status, body } = await h.call<string>('GET', '/metrics');
    expect(status).toBe(200);
    for (const name of ['sluice_app_sync_status', 'sluice_app_health_status', 'sluice_sync_operations_total', 'sluice_sync_duration_seconds', 'sluice_rollout_operations_total', 'sluice_rollout_duration_seconds', 'sluice_git_fetch_duration_seconds', 'sluice_queue_jobs', 'sluice_webhook_requests_total', 'sluice_api_requests_total', 'sluice_commit_to_applied_seconds', 'sluice_commit_to_healthy_seconds']) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect(body).toMatch(/sluice_app_health_status\{app="web",status="Healthy"\} 1/);
    expect(body).toMatch(/sluice_api_requests_total\{method="GET",route="\/api\/v1\/apps",status="200"\} \d+/);
  });

  it('reads tokens from a Kubernetes Secret, by hash', async () => {
    const file = `tokens:\n  - { name: from-secret, role: viewer, sha256: ${hashToken('secret-held-token')} }\n`;
    await h.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } }).catch(() => undefined);
    await h.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sluice-tokens', namespace: 'sluice-system' }, data: { 'tokens.yaml': Buffer.from(file).toString('base64') } });
    const store = await tokensFromSecret(h.kube, 'sluice-system/sluice-tokens');
    expect(store.authenticate('secret-held-token')).toEqual({ name: 'from-secret', role: 'viewer' });
    expect(store.authenticate('other')).toBeUndefined();
    expect(() => parseTokens('tokens:\n  - { name: x, role: root, sha256: abc }\n', 'f')).toThrow('f: tokens[0].role: must be one of viewer, operator, admin');
  });

  it('never shows a token or Secret value in a response', async () => {
    const texts: string[] = [];
    for (const route of ['/api/v1/apps', '/api/v1/apps/web', '/api/v1/apps/web/resources', '/api/v1/apps/web/diff', '/api/v1/apps/web/history', '/api/v1/session', '/metrics']) {
      texts.push(JSON.stringify((await h.call('GET', route, { role: 'admin' })).body));
    }
    const all = texts.join('\n');
    for (const secret of [...Object.values(TOKENS), 'hunter2-in-git', Buffer.from('hunter2-in-git').toString('base64')]) expect(all).not.toContain(secret);
  });

  it('sends an app\'s whole tree live once it was read: its ReplicaSets and Pods, and their changes as events without an id', async () => {
    const events = new EventClient(`${h.url}/api/v1/events`, { authorization: `Bearer ${TOKENS.viewer}` });
    const pods = (items: unknown) => (items as ResourceNode[]).filter((n) => n.kind === 'Pod' && n.parent?.startsWith('apps/ReplicaSet/web/web-') === true);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'web' };
    try {
      await until('the stream open', () => events.status === 200);
      const tree = await h.call<{ items: ResourceNode[] }>('GET', '/api/v1/apps/web/resources', { role: 'viewer' });
      expect(pods(tree.body.items)).toHaveLength(2);
      await h.kube.patch(deployment, { spec: { replicas: 3 } }, { type: 'merge' });
      // the third pod changes no app state: its tree comes as an event of its own
      const pushed = await until('a tree with 3 pods, outside the stream', () => events.named('resources').find((e) => e.id === undefined && e.data['app'] === 'web' && pods(e.data['items']).length === 3), 20_000);
      const managed = (pushed.data['items'] as ResourceNode[]).find((n) => n.key === 'apps/Deployment/web/web');
      expect(managed?.kind).toBe('Deployment');
      expect(managed?.parent).toBeUndefined();
    } finally {
      events.close();
      await h.kube.patch(deployment, { spec: { replicas: 2 } }, { type: 'merge' });
    }
  });
});

export type { Role };
