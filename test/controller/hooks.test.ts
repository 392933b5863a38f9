/**
 * Sync hooks under the controller (embedded cluster, real Redis, real git server): a failed
 * PreSync shows in the app's status and condition with the pod's state; PostSync hooks of a
 * sync that starts a paced rollout run only once the rollout has succeeded.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { hookJob, webDeployment } from '../support/hook-manifests.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const SPEED = 10;

const web = (image: string) => webDeployment({ image, replicas: 4, readyAfter: '2s' });
const smoke = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'smoke', annotations: { 'sluice.dev/hook': 'PostSync' } }, data: { ran: 'yes' } });
const failingMigration = hookJob('migrate', { 'helm.sh/hook': 'pre-upgrade' }, { fail: true });

describe.skipIf(!gitAvailable() || !redisAvailable())('sync hooks under the controller', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  /** at each PostSync hook creation: the Deployment's image and whether every replica is updated and available */
  const atPostSync: string[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([
      startSimCluster({
        port: 0,
        clock: new ScaledClock({ speed: SPEED }),
        onRequest: (r) => {
          if (r.method !== 'POST' || !r.path.endsWith('/namespaces/rolled/configmaps') || r.status !== 201 || r.query.getAll('dryRun').includes('All')) return;
          const deploy = cluster.api.store.get('apps/deployments', 'rolled', 'web') as { spec: { template: { spec: { containers: { image: string }[] } } }; status?: { updatedReplicas?: number; availableReplicas?: number; replicas?: number } } | undefined;
          const s = deploy?.status;
          atPostSync.push(`${deploy?.spec.template.spec.containers[0]!.image} ${s?.updatedReplicas === 4 && s.availableReplicas === 4 && s.replicas === 4 ? 'complete' : 'rolling'}`);
        },
      }),
      startGitServer(),
      startRedis(),
    ]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('hooks');
    await repo.commit({ 'rolled/web.json': web('web:1'), 'rolled/smoke.json': smoke, 'failing/web.json': web('web:1') }, 'first');
    controller = await Controller.start({
      apps: [
        testApplication({ name: 'rolled', repoURL: repo.url, path: 'rolled', intervalMs: 300, rollout: { steps: [50, 100], stepHoldMs: 2_000 } }),
        testApplication({ name: 'failing', repoURL: repo.url, path: 'failing', intervalMs: 300 }),
      ],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-hooks-ctl-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'hooks',
      selfHealDebounceMs: 50,
      clock: cluster.clock as ScaledClock,
      sync: { pollIntervalMs: 20, waveTimeoutMs: 30_000 },
      log: () => undefined,
    });
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  it('PostSync hooks run after the first sync is Healthy, and after a rollout only once it has succeeded', async () => {
    await until('first sync and its PostSync hook', () => atPostSync.length === 1, 30_000);
    expect(atPostSync).toEqual(['web:1 complete']);
    await repo.commit({ 'rolled/web.json': web('web:2') }, 'web:2');
    await until('the rollout of web:2 to succeed', async () => (await controller.rollouts.store.get('rolled'))?.phase === 'Succeeded', 60_000);
    await until('the PostSync hook of web:2', () => atPostSync.length === 2, 30_000);
    expect(atPostSync).toEqual(['web:1 complete', 'web:2 complete']);
  }, 120_000);

  it("a failed PreSync hook stops the sync and the app's status says why, with the pod's state", async () => {
    await until('failing synced', async () => (await controller.state('failing'))?.syncedRevision !== undefined, 30_000);
    await repo.commit({ 'failing/web.json': web('web:2'), 'failing/migrate.json': failingMigration }, 'web:2 with a migration');
    const state = await until('the failed sync', async () => {
      const s = await controller.state('failing');
      return s?.conditions?.some((c) => c.type === 'SyncError') ? s : undefined;
    }, 30_000);
    expect(state.message).toMatch(/PreSync hook batch\/Job\/failing\/migrate failed: .*last pod migrate-\w+: phase Failed, container migrate terminated: Error, exit code 1; nothing else was applied/);
    const deploy = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'failing', name: 'web' });
    expect((deploy!['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image).toBe('web:1');
  }, 60_000);
});
