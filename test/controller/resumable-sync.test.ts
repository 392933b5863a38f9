/**
 * Syncs that wait without holding a job (embedded cluster at 10× real time, real Redis, real
 * git server): a wave whose workload is slow to become Ready, and a Sync hook Job that runs
 * for a while, store the sync's position and end the job — the app lock is free and a look
 * is scheduled — and the sync goes on once the cluster has moved. A rollout that fails runs
 * the sync's SyncFail hooks (and not its PostSync ones).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import type { SyncProgress } from '../../src/controller/sync-progress.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { keys } from '../../src/queue/keys.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { hookConfigMap, hookJob, webDeployment } from '../support/hook-manifests.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const SPEED = 10;
const PREFIX = 'resumable';
const k = keys({ prefix: PREFIX });

const inWave = (manifest: string, wave: number): string => {
  const object = JSON.parse(manifest) as { metadata: { annotations?: Record<string, string> } };
  object.metadata.annotations = { ...object.metadata.annotations, 'sluice.dev/sync-wave': String(wave) };
  return JSON.stringify(object);
};
const configMap = (name: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { at: name } });
/** A Sync hook Job of wave 1 whose pod runs 30 s of cluster time. */
function seedJob(): string {
  const job = JSON.parse(hookJob('seed', { 'sluice.dev/hook': 'Sync', 'sluice.dev/sync-wave': '1' })) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
  job.spec.template.metadata.annotations['sim.sluice.dev/run-for'] = '30s';
  return JSON.stringify(job);
}
const isWrite = (r: SimRequestLogEntry): boolean => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.query.getAll('dryRun').includes('All') && r.status < 300;

describe.skipIf(!gitAvailable() || !redisAvailable())('syncs that wait without holding a job', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let connection: Redis;
  let controller: Controller;
  const log: SimRequestLogEntry[] = [];
  /** at each write of the waved app: what it wrote, and the state of what the waves before it wait for */
  const seen: string[] = [];

  const progress = async (app: string): Promise<SyncProgress | undefined> => {
    const text = await connection.get(k.syncProgress(app));
    return text === null ? undefined : (JSON.parse(text) as SyncProgress);
  };
  /** the app has no job running (its lock is free) and a delayed look is queued for it */
  const parked = async (app: string): Promise<boolean> =>
    (await connection.get(k.appLock(app))) === null && (await connection.zrange(`${PREFIX}:ops:delayed`, "0", "-1")).some((id) => id.startsWith(`look-${app}-`));

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([
      startSimCluster({
        port: 0,
        clock: new ScaledClock({ speed: SPEED }),
        onRequest: (r) => {
          log.push(r);
          if (!isWrite(r) || !r.path.startsWith('/api') || !r.path.includes('/namespaces/waved/')) return;
          const web = cluster.api.store.get('apps/deployments', 'waved', 'web') as { status?: { availableReplicas?: number } } | undefined;
          const seed = cluster.api.store.get('batch/jobs', 'waved', 'seed') as { status?: { succeeded?: number } } | undefined;
          const name = r.path.slice(r.path.lastIndexOf('/') + 1);
          seen.push(`${r.method} ${name}: web ${web?.status?.availableReplicas === 2 ? 'available' : 'not available'}, seed ${seed?.status?.succeeded === 1 ? 'done' : 'not done'}`);
        },
      }),
      startGitServer(),
      startRedis(),
    ]);
    kube = await kubeClientFor(cluster.url);
    connection = new Redis(redis.url);
    repo = await git.createRepo('resumable');
    const slowWeb = webDeployment({ image: 'web:1', replicas: 2, readyAfter: '30s' });
    await repo.commit(
      {
        'waved/web.json': inWave(slowWeb, 0),
        'waved/middle.json': inWave(configMap('middle'), 1),
        'waved/seed.json': seedJob(),
        'waved/last.json': inWave(configMap('last'), 2),
        'failing/web.json': webDeployment({ image: 'web:1', replicas: 2, readyAfter: '1s' }),
        'failing/notify.json': hookConfigMap('notify', 'SyncFail'),
        'failing/smoke.json': hookConfigMap('smoke', 'PostSync'),
      },
      'first',
    );
    controller = await Controller.start({
      apps: [
        testApplication({ name: 'waved', repoURL: repo.url, path: 'waved' }),
        testApplication({ name: 'failing', repoURL: repo.url, path: 'failing', intervalMs: 300, rollout: { steps: [50, 100], stepHoldMs: 2_000, failure: { restarts: 1, notReadyForMs: 5_000 } } }),
      ],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-resumable-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: PREFIX,
      selfHealDebounceMs: 50,
      clock: cluster.clock as ScaledClock,
      sync: { pollIntervalMs: 20, waveTimeoutMs: 600_000 },
      log: () => undefined,
    });
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    connection?.disconnect();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  it('a wave waits for a slow workload and a Sync hook with its job ended and a look queued, then goes on', async () => {
    // wave 0 applied, its Deployment not Ready for 30 s of cluster time: the sync waits with no job running
    const atWave0 = await until('the sync parked at wave 0', async () => {
      const p = await progress('waved');
      return p?.position?.stage === 'Waves' && p.position.wave === 0 && (await parked('waved')) && p;
    }, 30_000, 20);
    expect(atWave0.position!.resources.map((r) => `${r.key.name} ${r.action}`)).toEqual(['web created']);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'waved', name: 'middle' }), 'wave 1 waits').toBeUndefined();
    // wave 1 applied and its Sync hook running (30 s): parked again, at wave 1
    await until('the sync parked at wave 1 while its hook runs', async () => {
      const p = await progress('waved');
      return p?.position?.stage === 'Waves' && p.position.wave === 1 && (await parked('waved'));
    }, 60_000, 20);
    await until('the sync finished', async () => (await controller.operations('waved')).some((o) => o.phase === 'Succeeded'), 60_000);
    const [entry] = await controller.operations('waved');
    expect(entry!.phase).toBe('Succeeded');
    await until('nothing left in progress', async () => (await progress('waved')) === undefined, 10_000);
    // each object written once, in wave order, each wave after the previous one was done
    expect(seen).toEqual([
      'POST deployments: web not available, seed not done', // web, wave 0
      'POST configmaps: web available, seed not done', // middle, wave 1
      'POST jobs: web available, seed not done', // seed, wave 1's Sync hook
      'POST configmaps: web available, seed done', // last, wave 2
    ]);
    const creates = log.filter((r) => isWrite(r) && r.path === '/apis/batch/v1/namespaces/waved/jobs');
    expect(creates, 'the hook Job created once').toHaveLength(1);
    expect(entry!.resources.map((r) => `${r.name} ${r.action}`).sort()).toEqual(['last created', 'middle created', 'seed created', 'web created']);
  }, 150_000);

  it("a rollout that fails runs its sync's SyncFail hooks, as the rollback starts, and not its PostSync hooks", async () => {
    await until('failing synced at web:1', async () => (await controller.state('failing'))?.syncedRevision !== undefined, 30_000);
    await until('the first sync ran its PostSync hook', async () => (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'failing', name: 'smoke' })) !== undefined, 30_000);
    const bad = JSON.parse(webDeployment({ image: 'web:2', replicas: 2, readyAfter: '1s' })) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    bad.spec.template.metadata.annotations['sim.sluice.dev/fault'] = 'never-ready';
    const sha = await repo.commit({ 'failing/web.json': JSON.stringify(bad) }, 'web:2 never ready');
    const notify = await until('the SyncFail hook of web:2', async () => kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'failing', name: 'notify' }), 60_000);
    const rollout = await controller.rollouts.store.get('failing');
    expect(rollout?.revision).toBe(sha);
    expect(['RollingBack', 'RolledBack']).toContain(rollout?.phase);
    expect(((notify['metadata'] as JsonObject)['annotations'] as Record<string, string>)['sluice.dev/hook-operation']).toBe(`failing:${rollout!.id}`);
    await until('rolled back', async () => (await controller.rollouts.store.get('failing'))?.phase === 'RolledBack', 60_000);
    await until('the owed hooks settled', async () => (await connection.get(k.postSyncPending('failing'))) === null, 30_000);
    // the rollback's own sync (of web:1) runs web:1's PostSync hook; web:2's never ran
    const smoke = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'failing', name: 'smoke' });
    expect(((smoke!['metadata'] as JsonObject)['annotations'] as Record<string, string>)['sluice.dev/hook-operation']).toBe(`failing:${rollout!.id}-rollback`);
    const after = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'failing', name: 'notify' });
    expect((after!['metadata'] as JsonObject)['uid'], 'the SyncFail hook ran once').toBe((notify['metadata'] as JsonObject)['uid']);
  }, 150_000);
});
