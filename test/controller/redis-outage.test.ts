/**
 * Fault test: the controller's redis-server killed (mid-sync) and started again on the same
 * port without its data. The log says so once each way, with no stack traces and no BullMQ
 * complaints about vanished jobs; a request made during the outage fails loudly; the app
 * ends synced at the newest commit, and later commits still sync.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { QueueUnavailableError, SluiceQueue } from '../../src/queue/producer.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const OBJECTS = 50;
const manifests = (version: number): Record<string, string> => ({
  'app/configmaps.yaml': Array.from({ length: OBJECTS }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  version: "${version}"\n`).join('---\n'),
});

describe.skipIf(!gitAvailable() || !redisAvailable())('a Redis outage and restart without persistence', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let controller: Controller | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
  });
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const at = async (version: number): Promise<number> =>
    (await kube.list('v1', 'ConfigMap', { namespace: 'outage' })).items.filter((cm) => (cm['data'] as JsonObject | undefined)?.['version'] === String(version)).length;

  it('is one line down and one line up, loses no request, and the app converges', async () => {
    const stderr = vi.spyOn(console, 'error');
    const repo = await git.createRepo('outage');
    await repo.commit(manifests(1), 'v1');
    controller = await Controller.start({
      apps: [testApplication({ name: 'outage', repoURL: repo.url, intervalMs: 300 })],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-outage-')), refsTtlMs: 200 }),
      kube,
      redisUrl: redis.url,
      log: (line) => lines.push(line),
    });
    await until('v1 synced', async () => (await at(1)) === OBJECTS, 20_000, 50);

    // Redis dies while the sync of v2 runs
    await repo.commit(manifests(2), 'v2');
    await until('the sync of v2 to start', async () => (await at(2)) > 0, 20_000, 5);
    await redis.stop();
    await until('the outage logged', async () => lines.some((l) => l.includes('unreachable')), 10_000, 20);

    // an explicit request meanwhile is refused at once, not swallowed
    const producer = new SluiceQueue({ connection: redis.url });
    await expect(producer.requestSync('outage', { trigger: 'manual' })).rejects.toBeInstanceOf(QueueUnavailableError);

    redis = await startRedis({ port: redis.port });
    await until('the recovery logged', async () => lines.some((l) => l.includes('reachable again')), 20_000, 20);
    await until('v2 synced after the restart', async () => (await at(2)) === OBJECTS, 30_000, 50);
    await repo.commit(manifests(3), 'v3');
    await until('v3 synced', async () => (await at(3)) === OBJECTS, 30_000, 50);
    await producer.close();

    const redisLines = lines.filter((l) => /redis/i.test(l));
    expect(lines.filter((l) => l.includes('unreachable'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('reachable again'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('restarted'))).toHaveLength(1);
    expect(lines.filter((l) => /Missing (key|lock) for job|\n\s+at /.test(l))).toEqual([]);
    const printed = stderr.mock.calls.map((args) => args.map(String).join(' '));
    expect(printed.filter((l) => l.includes('[ioredis]') || /\n\s+at /.test(l))).toEqual([]);
    console.info(`log lines about Redis: ${JSON.stringify(redisLines)}`);
    stderr.mockRestore();
  }, 120_000);
});
