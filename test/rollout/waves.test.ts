/**
 * Sync waves and progressive rollouts: a wave that applies a held workload is not done until
 * that workload's rollout has succeeded, so the next wave waits for it (a paused Deployment
 * is Suspended, which a plain health gate would pass at once). A failing wave rollout rolls
 * the whole app back, and the waves after it are never applied; the rollback's own sync, too,
 * waits stored in Redis rather than in a job. On the embedded cluster with the real Redis and
 * Git server.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, TokenStore } from '../../src/api/auth.ts';
import { createApiServer, type ApiServer } from '../../src/api/server.ts';
import { rolloutCommand } from '../../src/cli/rollout-commands.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';
import { RolloutStore } from '../../src/rollout/store.ts';
import { keys } from '../../src/queue/keys.ts';
import type { RolloutState } from '../../src/rollout/types.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { hookJob } from '../support/hook-manifests.ts';
import { isWrite } from '../support/sim.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const APP = 'waved';

/** Deployment `web` in wave 0, its pods Ready 3 s after they start (or never). */
function web(image: string, fault?: string): string {
  const annotations: Record<string, string> = { 'sim.sluice.dev/ready-after': '3s', ...(fault === undefined ? {} : { 'sim.sluice.dev/fault': fault }) };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { 'sluice.dev/sync-wave': '0' } },
    spec: {
      replicas: 4,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' }, annotations }, spec: { containers: [{ name: 'web', image }] } },
    },
  });
}
/** ConfigMap `settings` in wave 1: what must wait for web's rollout. */
const settings = (color: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', annotations: { 'sluice.dev/sync-wave': '1' } }, data: { color } });
/** A PostSync hook Job whose pod runs 20 s of cluster time (2 s of real time). */
const smoke = hookJob('smoke', { 'sluice.dev/hook': 'PostSync' }, { runFor: '20s' });

interface WebAt {
  readonly color: string;
  readonly image: string;
  readonly complete: boolean;
}

describe.skipIf(!gitAvailable() || !redisAvailable())('sync waves wait for the rollout of an earlier wave', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  let connection: Redis;
  let api: ApiServer;
  let apiUrl: string;
  const log: SimRequestLogEntry[] = [];
  /** at each write of the ConfigMap: its new color, and web as it stood then */
  const atSettings: WebAt[] = [];
  /** at each creation of the PostSync Job: the ConfigMap's color and web's image (the revision applied) */
  const atSmoke: string[] = [];
  const finished: RolloutState[] = [];

  const webNow = (): { image: string; complete: boolean } => {
    const deployment = cluster.api.store.get('apps/deployments', APP, 'web') as { spec: { paused?: boolean; template: { spec: { containers: { image: string }[] } } }; status?: { updatedReplicas?: number; availableReplicas?: number; replicas?: number } } | undefined;
    const status = deployment?.status;
    return { image: deployment?.spec.template.spec.containers[0]!.image ?? '', complete: deployment?.spec.paused !== true && status?.updatedReplicas === 4 && status.availableReplicas === 4 && status.replicas === 4 };
  };

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([
      startSimCluster({
        port: 0,
        clock: new ScaledClock({ speed: 10 }),
        onRequest: (r) => {
          log.push(r);
          const write = isWrite(r);
          if (write && r.path.startsWith(`/api/v1/namespaces/${APP}/configmaps`)) {
            const data = (cluster.api.store.get('/configmaps', APP, 'settings') as { data?: { color?: string } } | undefined)?.data;
            atSettings.push({ color: data?.color ?? '', ...webNow() });
          }
          if (write && r.method === 'POST' && r.path === `/apis/batch/v1/namespaces/${APP}/jobs`) {
            const color = (cluster.api.store.get('/configmaps', APP, 'settings') as { data?: { color?: string } } | undefined)?.data?.color;
            atSmoke.push(`${color} ${webNow().image}`);
          }
        },
      }),
      startGitServer(),
      startRedis(),
    ]);
    kube = await kubeClientFor(cluster.url);
    connection = new Redis(redis.url);
    repo = await git.createRepo('waves');
    await repo.commit({ 'waved/web.json': web('web:1'), 'waved/settings.json': settings('blue') }, 'v1');
    controller = await Controller.start({
      apps: [testApplication({ name: APP, repoURL: repo.url, path: APP, intervalMs: 400, rollout: { steps: [50, 100], stepHoldMs: 5_000, failure: { restarts: 1, notReadyForMs: 30_000 } } })],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-waves-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'waves',
      clock: cluster.clock as ScaledClock,
      log: () => undefined,
      onRolloutFinished: (state) => finished.push(state),
    });
    api = await createApiServer({ controller, redisUrl: redis.url, tokens: new TokenStore([{ name: 'viewer-bot', role: 'viewer', sha256: hashToken('viewer-token') }]) });
    apiUrl = await api.listen('127.0.0.1', 0);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await controller?.stop();
    connection?.disconnect();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const store = () => controller.rollouts.store;
  const color = async () => ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: APP, name: 'settings' }))?.['data'] as JsonObject | undefined)?.['color'];

  it('applies wave 1 only once wave 0 is rolled out in its steps, then runs the PostSync hook; the rollout is the revision healthy', async () => {
    await until('v1 synced and healthy', async () => (await controller.state(APP))?.health === 'Healthy' && webNow().complete && (await store().healthyRevision(APP)) !== undefined, 30_000);
    const v2 = await repo.commit({ 'waved/web.json': web('web:2'), 'waved/settings.json': settings('green'), 'waved/smoke.json': smoke }, 'v2');
    // while wave 1 waits, no job runs the sync: the API shows it Running and says what it waits for
    const operation = await until('the sync shown waiting for the rollout', async () => {
      const response = await fetch(`${apiUrl}/api/v1/apps/${APP}`, { headers: { authorization: 'Bearer viewer-token' } });
      const body = (await response.json()) as { operation?: { phase: string; message: string; revision?: string } };
      return body.operation?.message.includes('rollout') === true ? body.operation : undefined;
    }, 30_000, 50);
    expect(operation).toMatchObject({ phase: 'Running', revision: v2, message: 'waiting: wave 1: waits for the rollout of wave 0 (apps/Deployment/waved/web)' });
    const done = await until('v2 rolled out', async () => {
      const state = await store().get(APP);
      return state?.revision === v2 && state.phase === 'Succeeded' && state.beforeWave === undefined ? state : undefined;
    }, 90_000);
    // the ConfigMap of wave 1 was written once, after every web pod ran web:2 and was available
    expect(atSettings.filter((s) => s.color === 'green')).toEqual([{ color: 'green', image: 'web:2', complete: true }]);
    // web was paced in two steps with their holds, not rolled at once
    const events = (await store().events(APP)).filter((e) => e.revision === v2).map((e) => e.type).reverse();
    expect(events).toEqual(['Started', 'StepPassed', 'Succeeded']);
    expect(done.steps).toBe(2);
    expect(await store().healthyRevision(APP)).toBe(v2);
    const sync = (await controller.operations(APP)).filter((h) => h.revision === v2);
    expect(sync.map((h) => h.phase)).toEqual(['Succeeded']);
    // the PostSync hook once, after the last wave, once the sync's rollout counted as done
    await until('the PostSync hook', async () => (await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: APP, name: 'smoke' })) !== undefined, 30_000);
    expect(atSmoke).toEqual(['green web:2']);
    expect(finished.filter((s) => s.revision === v2).map((s) => s.phase)).toEqual(['Succeeded']);
  }, 120_000);

  it('rolls the whole app back when the wave 0 rollout fails: wave 1 is never applied, the sync is Failed saying where it stopped, and the rollback waits without a job', async () => {
    const good = await store().healthyRevision(APP);
    // the rollback's sync is stored as it goes and ends its job where it waits (here, for v2's PostSync hook)
    const rollbackStored = until('the rollback sync stored, waiting for its PostSync hook', async () => {
      const text = await connection.get(keys({ prefix: 'waves' }).syncProgress(APP));
      const progress = text === null ? undefined : (JSON.parse(text) as { rollbackOf?: string; position?: { stage: string } });
      return progress?.rollbackOf !== undefined && progress.position?.stage === 'PostSync';
    }, 90_000, 20);
    rollbackStored.catch(() => undefined); // awaited below; a failure of the rollback's own wait comes first
    const v3 = await repo.commit({ 'waved/web.json': web('web:3', 'never-ready'), 'waved/settings.json': settings('red'), 'waved/smoke.json': smoke }, 'v3');
    const back = await until('the rollback', async () => {
      const state = await store().get(APP);
      return state?.revision === v3 && !['Progressing', 'Paused', 'RollingBack'].includes(state.phase) ? state : undefined;
    }, 90_000);
    expect(await rollbackStored).toBe(true);
    expect(back).toMatchObject({ phase: 'RolledBack', fromRevision: good, beforeWave: 1 });
    expect(back.message).toMatch(/^web: [12]\/4 new pods? not Ready after \d+ s; rolled back to /);
    await until('web back on web:2 and complete', () => webNow().image === 'web:2' && webNow().complete, 30_000);
    expect(await color()).toBe('green');
    expect(atSettings.some((s) => s.color === 'red'), 'wave 1 of the bad revision never written').toBe(false);
    const sync = (await controller.operations(APP)).filter((h) => h.revision === v3);
    expect(sync.map((h) => h.phase)).toEqual(['Failed']);
    expect(sync[0]!.message).toMatch(/stopped before wave 1: web: [12]\/4 new pods? not Ready/);
    expect(await store().badRevisions(APP)).toContain(v3);
    // the rollback is a sync of v2, which runs v2's PostSync hook again; v3's never ran
    expect(atSmoke, 'no PostSync hook for the bad revision').toEqual(['green web:2', 'green web:2']);
    await until('the app Healthy on the good revision again', async () => (await controller.state(APP))?.health === 'Healthy' && (await controller.state(APP))?.syncedRevision === good, 30_000);
  }, 120_000);

  it('`sluice rollout status` waits through a wave\'s rollout that succeeded to the end of its sync', async () => {
    const prefix = 'waves-status';
    const statusStore = new RolloutStore(connection, { prefix });
    const at = new Date().toISOString();
    const base: RolloutState = { id: 'job-9', app: APP, phase: 'Succeeded', revision: 'abc1234def', policy: DEFAULT_ROLLOUT, step: 1, steps: 2, startedAt: at, stepStartedAt: at, held: false, promoted: false, message: 'rolled out abc1234 in 2 steps', workloads: [] };
    await statusStore.set({ ...base, beforeWave: 1 });
    const appsFile = path.join(await mkdtemp(path.join(tmpdir(), 'sluice-waves-apps-')), 'apps.yaml');
    await writeFile(appsFile, `apiVersion: sluice.dev/v1alpha1\nkind: Application\nmetadata: {name: ${APP}}\nspec:\n  source: {repoURL: "${repo.url}", targetRevision: main, path: ${APP}}\n  destination: {namespace: ${APP}}\n`);
    const printed: string[] = [];
    const io = { out: { write: (t: string) => printed.push(t) } as unknown as NodeJS.WritableStream, err: { write: (t: string) => printed.push(t) } as unknown as NodeJS.WritableStream };
    const status = rolloutCommand('rollout', ['status', '--apps', appsFile, '--app', APP, '--redis', redis.url, '--prefix', prefix, '--interval', '100', '--cache-dir', path.dirname(appsFile)], io);
    await until('the wave rollout shown', () => printed.join('').includes('the sync goes on with wave 1'), 10_000, 10);
    // still watching: the next wave's rollout is shown too (a status that had exited would print nothing more)
    await statusStore.set({ ...base, beforeWave: 2 });
    await until('the next wave rollout shown', () => printed.join('').includes('the sync goes on with wave 2'), 10_000, 10);
    await statusStore.set(base);
    expect(await status, printed.join('')).toBe(0);
    expect(printed.join('').trim().split('\n').at(-1)).toBe('waved: Succeeded step 2/2: rolled out abc1234 in 2 steps');
  });
});
