import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORGES, type Forge } from '../../src/api/webhooks/types.ts';
import { affectedApps, repoIdentity } from '../../src/api/webhooks/match.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable } from '../support/git-server.ts';
import { redisAvailable } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { pingDelivery, pushDelivery, type Delivery } from './forge-deliveries.ts';
import { startHarness, type Harness } from './harness.ts';

const SECRETS: Record<Forge, string> = { github: 'gh-secret-x', gitlab: 'gl-token-y', gitea: 'gt-secret-z', bitbucket: 'bb-secret-w', generic: 'gen-secret-v' };
const CONFIG = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { color: ${color} }\n`;

describe('which apps a push concerns', () => {
  const app = (name: string, path: string, extra: { targetRevision?: string; watchPaths?: string[] } = {}) => {
    const a = testApplication({ name, repoURL: 'https://git.example.com/Org/Deploy.git', path });
    return { ...a, spec: { ...a.spec, source: { ...a.spec.source, targetRevision: extra.targetRevision ?? 'main' } }, ...(extra.watchPaths ? { watchPaths: extra.watchPaths } : {}) };
  };
  const apps = [app('a', 'apps/a'), app('b', 'apps/b', { watchPaths: ['.', '/shared'] }), app('tagged', 'apps/a', { targetRevision: 'v1' }), app('head', 'apps/a', { targetRevision: 'HEAD' })];
  const push = (ref: string, changedPaths?: string[], repo = 'git@git.example.com:org/deploy.git') => ({ kind: 'push' as const, repoUrls: [repo], ref, after: 'a'.repeat(40), defaultBranch: 'main', ...(changedPaths ? { changedPaths } : {}) });

  it.each([
    ['a change under one app path', push('refs/heads/main', ['apps/a/deploy.yaml']), ['a', 'head']],
    ['a change under a watch path', push('refs/heads/main', ['shared/base.yaml']), ['b']],
    ['an unrelated path', push('refs/heads/main', ['docs/readme.md']), []],
    ['no file list: every app on the branch', push('refs/heads/main'), ['a', 'b', 'head']],
    ['a tag', push('refs/tags/v1', ['apps/a/x.yaml']), ['tagged']],
    ['another branch', push('refs/heads/dev', ['apps/a/x.yaml']), []],
    ['another repository', push('refs/heads/main', ['apps/a/x.yaml'], 'https://git.example.com/org/other'), []],
    ['a branch deletion', { ...push('refs/heads/main'), after: '0'.repeat(40) }, []],
  ])('%s', (_name, event, expected) => {
    expect(affectedApps(apps, event).map((a) => a.name)).toEqual(expected);
  });

  it.each([
    ['https://GitHub.com/Org/App.git/', 'github.com/org/app'],
    ['git@github.com:org/app.git', 'github.com/org/app'],
    ['ssh://git@github.com:22/org/app', 'github.com/org/app'],
    ['http://user:pw@127.0.0.1:8080/repo.git', '127.0.0.1/repo'],
  ])('%s is %s', (url, identity) => expect(repoIdentity(url)).toBe(identity));
});

describe.skipIf(!gitAvailable() || !redisAvailable())('webhooks', () => {
  let h: Harness;
  let head: string;

  beforeAll(async () => {
    h = await startHarness({
      files: { 'app/config.yaml': CONFIG('blue'), 'docs/readme.md': 'hello\n' },
      apps: (repoURL) => [testApplication({ name: 'hooked', repoURL, path: 'app' })],
      webhooks: { secrets: SECRETS, bodyLimit: 64 * 1024, rateLimit: { max: 1000, timeWindowMs: 60_000 } },
    });
    await until('first sync', async () => ((await h.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'hooked', name: 'settings' })) ? true : undefined), 30_000);
    head = (await h.call<{ revision: string }>('GET', '/api/v1/apps/hooked', { role: 'viewer' })).body.revision;
  }, 60_000);
  afterAll(async () => h?.stop());

  const post = (forge: Forge, d: Delivery) => h.call<{ apps?: string[]; duplicate?: boolean; ping?: boolean; error?: { code: string } }>('POST', `/api/webhook/${forge}`, { headers: d.headers, body: d.body });

  describe.each(FORGES)('%s', (forge) => {
    const push = (paths?: string[]) => ({ repoUrl: h.repo.url.replace(/\.git$/, ''), ref: 'refs/heads/main', after: head, ...(paths ? { paths } : {}) });

    it('accepts a signed push to the app path and enqueues it', async () => {
      expect(await post(forge, pushDelivery(forge, push(['app/config.yaml']), SECRETS[forge]))).toMatchObject({ status: 200, body: { apps: ['hooked'] } });
    });

    it('refuses a wrong and a missing signature with 401', async () => {
      expect(await post(forge, pushDelivery(forge, push(['app/config.yaml']), SECRETS[forge], { sign: forge === 'gitlab' ? 'wrong-token' : '0'.repeat(64) }))).toMatchObject({ status: 401, body: { error: { code: 'Unauthenticated' } } });
      expect(await post(forge, pushDelivery(forge, push(['app/config.yaml']), 'another-secret'))).toMatchObject({ status: 401 });
      expect(await post(forge, pushDelivery(forge, push(['app/config.yaml']), undefined))).toMatchObject({ status: 401 });
    });

    it('answers a replayed delivery without enqueuing again', async () => {
      const d = pushDelivery(forge, push(['app/config.yaml']), SECRETS[forge]);
      expect((await post(forge, d)).body.apps).toEqual(['hooked']);
      expect(await post(forge, d)).toMatchObject({ status: 200, body: { apps: [], duplicate: true } });
    });

    it('refuses an oversized body with 413', async () => {
      const big = pushDelivery(forge, push(['app/config.yaml']), SECRETS[forge], { padBytes: 65 * 1024 });
      expect(await post(forge, big)).toMatchObject({ status: 413 });
    });

    it('enqueues nothing for a push to an unrelated path', async () => {
      const res = await post(forge, pushDelivery(forge, push(['docs/readme.md']), SECRETS[forge]));
      // Bitbucket payloads list no files: every app on the branch is synced
      expect(res).toMatchObject({ status: 200, body: { apps: forge === 'bitbucket' ? ['hooked'] : [] } });
    });

    it.skipIf(forge === 'gitlab' || forge === 'gitea')('answers a ping', async () => {
      expect(await post(forge, pingDelivery(forge as 'github' | 'bitbucket' | 'generic', SECRETS[forge]))).toMatchObject({ status: 200, body: { ping: true, apps: [] } });
    });
  });

  it('counts deliveries in the metrics, and no secret shows in any response', async () => {
    const { body } = await h.call<string>('GET', '/metrics');
    expect(body).toMatch(/sluice_webhook_requests_total\{forge="github",outcome="unauthorized"\} [1-9]/);
    expect(body).toMatch(/sluice_webhook_requests_total\{forge="gitlab",outcome="replay"\} 1/);
    for (const s of Object.values(SECRETS)) expect(body).not.toContain(s);
  });

  it('end to end: a push to the served repository and its webhook change the cluster', async () => {
    const sha = await h.repo.commit({ 'app/config.yaml': CONFIG('green') }, 'green');
    const res = await post('github', pushDelivery('github', { repoUrl: h.repo.url, ref: 'refs/heads/main', after: sha, paths: ['app/config.yaml'] }, SECRETS.github));
    expect(res.body.apps).toEqual(['hooked']);
    await until('green live', async () => ((await h.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'hooked', name: 'settings' }))?.['data'] as { color?: string } | undefined)?.color === 'green', 20_000);
    const { body } = await h.call<{ items: { trigger: string; revision: string }[] }>('GET', '/api/v1/apps/hooked/history', { role: 'viewer' });
    // the pushed commit is what was synced (on a loaded machine a refresh may meet it first and sync it as a poll)
    expect(body.items[0]).toMatchObject({ revision: sha, phase: 'Succeeded' });
  });
});
