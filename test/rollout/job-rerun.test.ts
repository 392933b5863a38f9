/**
 * A queue job run again under the same id (BullMQ re-runs a job whose process died) that finds
 * a newer revision than the sync its first run recorded: the new sync gets an id of its own, so
 * the earlier sync's finished rollout does not pass for the new one's and the new revision is
 * rolled out. On the embedded cluster with the real Redis and Git server.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { smallDeployment } from './manifests.ts';

const APP = 'rerun';

describe.skipIf(!gitAvailable() || !redisAvailable())('a job run again under its id', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  let queue: SluiceQueue;

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: 10 }) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('rerun');
    await repo.commit({ 'rerun/deploy.yaml': smallDeployment('web:1') }, 'v1');
    // polled only at start: the test's own jobs find the later commits
    controller = await Controller.start({
      apps: [testApplication({ name: APP, repoURL: repo.url, path: APP, intervalMs: 3_600_000, rollout: { steps: [50, 100], stepHoldMs: 2_000 } })],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-rerun-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'rerun',
      clock: cluster.clock as ScaledClock,
      log: () => undefined,
    });
    queue = new SluiceQueue({ connection: redis.url, prefix: 'rerun' });
  }, 60_000);
  afterAll(async () => {
    await queue?.close();
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const store = () => controller.rollouts.store;
  const quiet = async () => {
    const counts = await queue.bullQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(counts).every((n) => n === 0);
  };
  /** A refresh job with a fixed id, as BullMQ runs a job again after its process died. */
  const refreshAs = async (jobId: string) => {
    await queue.bullQueue.remove(jobId);
    await queue.bullQueue.add('refresh', { app: APP }, { jobId });
  };

  it('rolls out the newer revision under an id of its own', async () => {
    await until('v1 synced and healthy', async () => (await store().healthyRevision(APP)) !== undefined && (await quiet()), 30_000, 50);
    const v2 = await repo.commit({ 'rerun/deploy.yaml': smallDeployment('web:2') }, 'v2');
    await refreshAs('job-1');
    await until('v2 rolled out', async () => (await store().get(APP))?.revision === v2 && (await store().get(APP))?.phase === 'Succeeded' && (await quiet()), 60_000, 50);
    expect((await store().get(APP))?.id).toBe('job-1');

    const v3 = await repo.commit({ 'rerun/deploy.yaml': smallDeployment('web:3') }, 'v3');
    await refreshAs('job-1');
    const rollout = await until('v3 rolled out', async () => {
      const state = await store().get(APP);
      return state?.revision === v3 && state.phase === 'Succeeded' ? state : undefined;
    }, 60_000, 50);
    expect(rollout.id).toMatch(/^job-1\.\w+$/);
    const history = (await controller.operations(APP)).filter((e) => e.revision === v2 || e.revision === v3);
    expect(history.map((e) => [e.revision, e.id === 'job-1'])).toEqual([
      [v3, false],
      [v2, true],
    ]);
  }, 120_000);
});
