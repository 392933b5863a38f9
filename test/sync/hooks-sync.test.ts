/**
 * Sync hooks end to end: syncApp against the embedded cluster (its Job controller and
 * kubelets, sped up 20×) and a real git server; what was written is read from the API
 * server's request log.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/git/index.ts';
import { assessHealth } from '../../src/health/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { compareApp, isRenderFailure } from '../../src/sync/compare.ts';
import { MemoryHookLedger } from '../../src/sync/hook-run.ts';
import { syncApp, type SyncContext } from '../../src/sync/operation.ts';
import { testApplication } from '../support/apps.ts';
import { hookConfigMap, hookJob, webDeployment } from '../support/hook-manifests.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';

const WEB = (readyAfter = '0s') => webDeployment({ readyAfter });
const SETTINGS = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { color: 'blue' } });

/** Writes (not GETs, not dry runs) as `METHOD path`, in the order the server answered them. */
const writes = (log: readonly SimRequestLogEntry[]) => log.filter((r) => r.method !== 'GET' && !r.query.getAll('dryRun').includes('All')).map((r) => `${r.method} ${r.path} ${r.status}`);

describe.skipIf(!gitAvailable())('sync hooks', () => {
  let cluster: SimCluster;
  let server: GitServer;
  let kube: KubeClient;
  let ctx: SyncContext;
  const log: SimRequestLogEntry[] = [];
  /** Aborted when the API server has created a Job (not a dry run): a process killed mid-hook. */
  let killOnJobCreate: AbortController | undefined;
  /** deployment health at the moment each PostSync hook was created */
  const healthAtPostSync: string[] = [];

  beforeAll(async () => {
    cluster = await startSimCluster({
      port: 0,
      clock: new ScaledClock({ speed: 20 }),
      onRequest: (r) => {
        log.push(r);
        if (r.method === 'POST' && r.path.endsWith('/jobs') && r.status === 201 && !r.query.getAll('dryRun').includes('All')) killOnJobCreate?.abort(new Error('killed'));
        if (r.method === 'POST' && r.path.endsWith('/configmaps') && r.status === 201 && !r.query.getAll('dryRun').includes('All')) {
          const ns = r.path.split('/')[4]!;
          const web = cluster.api.store.get('apps/deployments', ns, 'web');
          healthAtPostSync.push(web === undefined ? 'Missing' : assessHealth(web).status);
        }
      },
    });
    server = await startGitServer();
    kube = await kubeClientFor(cluster.url);
    ctx = { git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-hooks-git-')) }), kube, pollIntervalMs: 20, waveTimeoutMs: 20_000 };
  }, 30_000);
  afterAll(async () => {
    await kube?.close();
    await server?.stop();
    await cluster?.stop();
  });

  /** A repository with `files` under app/, and an app syncing it into an existing namespace of the same name. */
  async function appWith(name: string, files: Record<string, string>) {
    const repo = await server.createRepo(name);
    await repo.commit(Object.fromEntries(Object.entries(files).map(([f, text]) => [`app/${f}`, text])), 'first');
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return { repo, app: testApplication({ name, repoURL: repo.url, syncOptions: { createNamespace: false } }) };
  }

  it('a failed PreSync migration leaves the cluster untouched but for the hooks, names the pod state, and runs SyncFail', async () => {
    const { app } = await appWith('presync-fails', {
      'migrate.json': hookJob('migrate', { 'sluice.dev/hook': 'PreSync' }, { fail: true }),
      'notice.json': hookConfigMap('sync-failed', 'SyncFail'),
      'web.json': WEB(),
      'settings.json': SETTINGS,
    });
    const from = log.length;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(/^sync failed: PreSync hook batch\/Job\/presync-fails\/migrate failed: .*last pod migrate-\w+: phase Failed, container migrate terminated: Error, exit code 1; nothing else was applied; SyncFail hooks ran$/);
    expect(writes(log.slice(from))).toEqual(['POST /apis/batch/v1/namespaces/presync-fails/jobs 201', 'POST /api/v1/namespaces/presync-fails/configmaps 201']);
    await expect(kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'presync-fails', name: 'web' })).resolves.toBeUndefined();
    expect(result.resources.map((r) => [r.key.name, r.action])).toEqual([['migrate', 'failed'], ['sync-failed', 'created']]);
  });

  it('a PreSync migration that succeeds is followed by the sync; the hook is not part of the diff', async () => {
    const { app } = await appWith('presync-ok', { 'migrate.json': hookJob('migrate', { 'sluice.dev/hook': 'PreSync' }), 'web.json': WEB(), 'settings.json': SETTINGS });
    const from = log.length;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe('Succeeded');
    const done = writes(log.slice(from));
    expect(done[0]).toBe('POST /apis/batch/v1/namespaces/presync-ok/jobs 201');
    expect(done.slice(1).sort()).toEqual(['POST /api/v1/namespaces/presync-ok/configmaps 201', 'POST /apis/apps/v1/namespaces/presync-ok/deployments 201']);
    const job = await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'presync-ok', name: 'migrate' });
    expect(assessHealth(job).status).toBe('Healthy');
    // the compare neither lists the hook nor counts it: Synced
    const compared = await compareApp(ctx, app);
    expect(isRenderFailure(compared) ? compared.errors : { status: compared.status, kinds: compared.resources.map((r) => r.key.kind).sort() }).toEqual({ status: 'Synced', kinds: ['ConfigMap', 'Deployment'] });
    // a second sync: nothing to apply (the hook is neither diffed nor pruned), and the hook runs again (BeforeHookCreation)
    const again = log.length;
    const second = await syncApp(ctx, app, { trigger: 'manual' });
    expect(second.phase).toBe('Succeeded');
    expect(writes(log.slice(again))).toEqual(['DELETE /apis/batch/v1/namespaces/presync-ok/jobs/migrate 200', 'POST /apis/batch/v1/namespaces/presync-ok/jobs 201']);
  });

  it('a Sync hook runs with the applies of its wave, and the next wave waits for it', async () => {
    const cm = (name: string, wave: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { 'sluice.dev/sync-wave': wave } }, data: {} });
    const { app } = await appWith('sync-phase', {
      'early.json': cm('early', '0'),
      'hook.json': hookJob('seed', { 'sluice.dev/hook': 'Sync', 'sluice.dev/sync-wave': '1' }),
      'late.json': cm('late', '2'),
    });
    const from = log.length;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe('Succeeded');
    expect(writes(log.slice(from))).toEqual([
      'POST /api/v1/namespaces/sync-phase/configmaps 201',
      'POST /apis/batch/v1/namespaces/sync-phase/jobs 201',
      'POST /api/v1/namespaces/sync-phase/configmaps 201',
    ]);
    const seed = await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'sync-phase', name: 'seed' });
    const late = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'sync-phase', name: 'late' });
    const createdLate = Date.parse(String((late!['metadata'] as { creationTimestamp: string }).creationTimestamp));
    expect(createdLate).toBeGreaterThanOrEqual(Date.parse((seed!['status'] as { completionTime: string }).completionTime));
  });

  it('PostSync runs only once every workload is Healthy', async () => {
    const { app } = await appWith('postsync', { 'web.json': WEB('3s'), 'done.json': hookConfigMap('deployed', 'PostSync') });
    healthAtPostSync.length = 0;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe('Succeeded');
    expect(healthAtPostSync).toEqual(['Healthy']);
    await expect(kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'postsync', name: 'deployed' })).resolves.toBeDefined();
  });

  it('a deferred PostSync is left to the caller (a rollout)', async () => {
    const { app } = await appWith('postsync-deferred', { 'settings.json': SETTINGS, 'done.json': hookConfigMap('deployed', 'PostSync') });
    const result = await syncApp(ctx, app, { trigger: 'manual', postSync: 'defer' });
    expect(result.phase).toBe('Succeeded');
    await expect(kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'postsync-deferred', name: 'deployed' })).resolves.toBeUndefined();
  });

  it.each([
    ['HookSucceeded deletes a hook that succeeded', 'HookSucceeded', false, true],
    ['HookSucceeded keeps a hook that failed', 'HookSucceeded', true, false],
    ['HookFailed deletes a hook that failed', 'HookFailed', true, true],
    ['HookFailed keeps a hook that succeeded', 'HookFailed', false, false],
  ])('%s', async (_, policy, fail, deleted) => {
    const name = `policy-${policy.toLowerCase()}-${fail ? 'fail' : 'ok'}`;
    const { app } = await appWith(name, { 'migrate.json': hookJob('migrate', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': policy }, { fail }) });
    const from = log.length;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe(fail ? 'Failed' : 'Succeeded');
    const jobWrites = writes(log.slice(from)).filter((w) => w.includes('/jobs'));
    expect(jobWrites).toEqual([`POST /apis/batch/v1/namespaces/${name}/jobs 201`, ...(deleted ? [`DELETE /apis/batch/v1/namespaces/${name}/jobs/migrate 200`] : [])]);
    // deleted in the background: its pods go too
    if (deleted) expect(log.slice(from).find((r) => r.method === 'DELETE')).toBeDefined();
  });

  it('orders hooks by weight: Helm hook-weight and sync waves, each wave finished before the next', async () => {
    const { app } = await appWith('weights', {
      'b.json': hookJob('second', { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-weight': '10' }),
      'a.json': hookJob('first', { 'sluice.dev/hook': 'PreSync', 'sluice.dev/sync-wave': '-5' }),
      'settings.json': SETTINGS,
    });
    const from = log.length;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe('Succeeded');
    const creates = log.slice(from).filter((r) => r.method === 'POST' && !r.query.getAll('dryRun').includes('All'));
    expect(creates.map((r) => r.path)).toEqual(['/apis/batch/v1/namespaces/weights/jobs', '/apis/batch/v1/namespaces/weights/jobs', '/api/v1/namespaces/weights/configmaps']);
    const first = await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'weights', name: 'first' });
    const second = await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'weights', name: 'second' });
    const completedFirst = (first!['status'] as { completionTime: string }).completionTime;
    const startedSecond = (second!['status'] as { startTime: string }).startTime;
    expect(Date.parse(startedSecond)).toBeGreaterThanOrEqual(Date.parse(completedFirst));
  });

  it('a Helm pre-upgrade hook runs as PreSync: before the objects, and never pruned', async () => {
    const { app } = await appWith('helm-hook', { 'migrate.json': hookJob('migrate', { 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation' }), 'settings.json': SETTINGS });
    const from = log.length;
    expect((await syncApp(ctx, app, { trigger: 'manual', prune: true })).phase).toBe('Succeeded');
    expect(writes(log.slice(from))).toEqual(['POST /apis/batch/v1/namespaces/helm-hook/jobs 201', 'POST /api/v1/namespaces/helm-hook/configmaps 201']);
    const second = await syncApp(ctx, app, { trigger: 'manual', prune: true, dryRun: true });
    expect(second.resources.map((r) => `${r.key.kind} ${r.action}`)).toEqual(['ConfigMap unchanged']);
  });

  it('names a generateName hook per operation; the next sync of the revision after a crash adopts it instead of running it twice', async () => {
    const { app } = await appWith('resume', { 'migrate.json': hookJob('migrate', { 'argocd.argoproj.io/hook': 'PreSync' }, { generateName: true }), 'settings.json': SETTINGS });
    const ledger = new MemoryHookLedger();
    const operation = 'op-1';
    // the first attempt dies while the hook runs (as a process killed mid-hook)
    const killed = new AbortController();
    const from = log.length;
    killOnJobCreate = killed;
    await expect(syncApp({ ...ctx, hookLedger: ledger, signal: killed.signal }, app, { trigger: 'manual', operation })).rejects.toThrow();
    killOnJobCreate = undefined;
    // another operation (a later job) of the same revision takes the dead one's hooks over
    const result = await syncApp({ ...ctx, hookLedger: ledger }, app, { trigger: 'manual', operation: 'op-2' });
    expect(result.phase).toBe('Succeeded');
    const jobPosts = writes(log.slice(from)).filter((w) => w.includes('/jobs'));
    expect(jobPosts).toEqual(['POST /apis/batch/v1/namespaces/resume/jobs 201']);
    const { items } = await kube.list('batch/v1', 'Job', { namespace: 'resume' });
    expect(items.map((j) => (j['metadata'] as { name: string }).name)).toEqual([expect.stringMatching(new RegExp(`^migrate-${result.revision!.slice(0, 7)}-presync-\\d+$`))]);
    expect(assessHealth(items[0]).status).toBe('Healthy');
    // that operation has ended: the next sync runs the hook anew (a second later: a generateName
    // hook is named by its operation's start second, as in Argo CD, and a fast machine gets here within it)
    const again = log.length;
    const later = () => new Date(Date.now() + 1_000);
    expect((await syncApp({ ...ctx, hookLedger: ledger, now: later }, app, { trigger: 'manual', operation: 'op-3' })).phase).toBe('Succeeded');
    expect(writes(log.slice(again)).filter((w) => w.includes('/jobs'))).toEqual(['POST /apis/batch/v1/namespaces/resume/jobs 201']);
  });

  it('a hook the API server rejects writes nothing (the dry run covers hooks)', async () => {
    const bad = JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', annotations: { 'sluice.dev/hook': 'PreSync' } }, spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'm', image: 'm' }] } } } });
    const { app } = await appWith('rejected-hook', { 'migrate.json': bad, 'settings.json': SETTINGS });
    const from = log.length;
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(/dry run\); nothing was applied: .*Job.*migrate/);
    expect(writes(log.slice(from))).toEqual([]);
  });
});
