import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { keys } from '../../src/queue/keys.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { startWorker, type SluiceWorker } from '../../src/queue/worker.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { syncApp } from '../../src/sync/operation.ts';
import { testApplication } from '../support/apps.ts';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

// Wave 0 becomes ready only once the test moves the cluster's (virtual) clock on, so the job is
// waiting on it when it is stopped; wave 1 is what a job that ignored its signal would write next.
const SLOW_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.sluice.dev/ready-after: 3s}
    spec:
      containers: [{name: web, image: nginx:1.25}]
`;
const LATE_CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: late
  annotations: {sluice.dev/sync-wave: "1"}
data: {k: v}
`;

describe.skipIf(!gitAvailable() || !redisAvailable())('an aborted job makes no further API write (must-show 8)', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let proxy: CountingProxy;
  let kube: KubeClient;
  let direct: KubeClient;
  let client: Redis;
  let repoURL: string;

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new VirtualClock(new Date()) }), startGitServer(), startRedis()]);
    proxy = await startCountingProxy(cluster.url);
    kube = await kubeClientFor(proxy.url);
    direct = await kubeClientFor(cluster.url);
    client = new Redis(redis.url);
    const repo = await git.createRepo('cancel');
    await repo.commit({ 'app/deploy.yaml': SLOW_DEPLOYMENT, 'app/late.yaml': LATE_CONFIG }, 'first');
    repoURL = repo.url;
  });
  afterAll(async () => {
    client?.disconnect();
    await Promise.all([kube?.close(), direct?.close()]);
    await Promise.all([proxy?.stop(), cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  /** Runs one sync of `name` in a worker; resolves with the times its signal fired and its handler returned. */
  async function runStoppable(name: string, prefix: string) {
    const app = testApplication({ name, repoURL });
    const ctx = { git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-cancel-git-')) }), kube, pollIntervalMs: 50, waveTimeoutMs: 30_000 };
    const seen: { abortedAt?: number; exitedAt?: number; error?: unknown } = {};
    const worker: SluiceWorker = await startWorker({
      connection: redis.url,
      prefix,
      concurrency: 1,
      lockDurationMs: 600,
      handle: async (_op, { signal }) => {
        // this test watches the first run: a job handed back runs again later under a lock of its own
        if (seen.abortedAt !== undefined) return undefined;
        signal.addEventListener('abort', () => (seen.abortedAt = performance.now()), { once: true });
        try {
          return await syncApp({ ...ctx, signal }, app, { trigger: 'manual' });
        } catch (e) {
          seen.error = e;
          throw e;
        } finally {
          seen.exitedAt = performance.now();
        }
      },
    });
    const queue = new SluiceQueue({ connection: redis.url, prefix, attempts: 1 });
    await queue.requestSync(name, { trigger: 'manual' });
    await until('the Deployment created', async () => (await direct.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: name, name: 'web' })) !== undefined);
    return { seen, worker, queue };
  }

  async function expectStoppedCleanly(name: string, seen: { abortedAt?: number; exitedAt?: number }) {
    // The cluster's clock has not moved, so the wave it waited for is not ready: a handler that
    // returns now left that wait because of its signal (one that ignored it would sit out the wave timeout).
    await until('the handler to return', async () => seen.exitedAt);
    expect(seen.abortedAt).toBeDefined();
    // the wave becomes ready: a job still running would now apply wave 1
    await cluster.advance(60_000);
    await until('the Deployment available', async () => {
      const d = await direct.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: name, name: 'web' });
      return (d?.['status'] as { availableReplicas?: number } | undefined)?.availableReplicas === 1;
    });
    expect(proxy.writes(seen.abortedAt).filter((w) => w.path.includes(`/namespaces/${name}/`))).toEqual([]);
    expect(await direct.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: name, name: 'late' })).toBeUndefined();
  }

  it('stops at once when its app lock is lost', async () => {
    const prefix = 'lost';
    const { seen, worker, queue } = await runStoppable('lost-lock', prefix);
    await client.del(keys({ prefix }).appLock('lost-lock'));
    await expectStoppedCleanly('lost-lock', seen);
    await worker.close({ timeoutMs: 1_000 });
    await queue.close();
  });

  it('stops when the worker closes and hands the job back', async () => {
    const prefix = 'closing';
    const { seen, worker, queue } = await runStoppable('on-close', prefix);
    const report = await worker.close({ timeoutMs: 100 });
    expect(report.handedBack).toHaveLength(1);
    await expectStoppedCleanly('on-close', seen);
    await queue.close();
  });
});
