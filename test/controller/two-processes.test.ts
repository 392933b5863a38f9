import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { startControllerProcess } from './spawn.ts';

const APPS = ['one', 'two', 'three', 'four'];
const CONFIG = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  version: "${v}"\n`;

describe.skipIf(!gitAvailable() || !redisAvailable())('two controller processes on one Redis', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let repo: TestRepo;
  let kube: KubeClient;
  let connection: Redis;
  const children: ChildProcess[] = [];

  async function startController(): Promise<ChildProcess> {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-two-'));
    const child = await startControllerProcess({ SIM_URL: cluster.url, REDIS_URL: redis.url, REPO_URL: repo.url, APPS: APPS.join(','), CACHE_DIR: cacheDir, LOCK_MS: '1000', STALL_MS: '500' });
    children.push(child);
    return child;
  }

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    repo = await git.createRepo('shared');
    await repo.commit(Object.fromEntries(APPS.map((a) => [`${a}/config.yaml`, CONFIG('1')])), 'v1');
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    connection?.disconnect();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const versions = async () =>
    Promise.all(APPS.map(async (a) => ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: a, name: 'settings' }))?.['data'] as JsonObject | undefined)?.['version']));

  it('share the work, apply each revision once, and the survivor carries on when one is killed', async () => {
    const history = new HistoryStore(connection, { prefix: 'two-processes' });
    const recordedEverywhere = async (revision: string) => (await Promise.all(APPS.map(async (a) => (await history.list(a)).some((h) => h.revision === revision)))).every(Boolean);
    const [first] = await Promise.all([startController(), startController()]);
    await until('revision 1 everywhere', async () => (await versions()).every((v) => v === '1'), 20_000, 100);
    const v2 = await repo.commit(Object.fromEntries(APPS.map((a) => [`${a}/config.yaml`, CONFIG('2')])), 'v2');
    await until('revision 2 everywhere', async () => (await versions()).every((v) => v === '2'), 20_000, 100);
    // applied is not yet recorded: killed in between, the survivor finds v2 in place and records nothing to write
    await until('revision 2 recorded everywhere', () => recordedEverywhere(v2), 20_000, 100);

    first!.kill('SIGKILL');
    const v3 = await repo.commit(Object.fromEntries(APPS.map((a) => [`${a}/config.yaml`, CONFIG('3')])), 'v3');
    await until('revision 3 everywhere', async () => (await versions()).every((v) => v === '3'), 30_000, 100);
    await until('revision 3 recorded everywhere', () => recordedEverywhere(v3), 20_000, 100);

    for (const app of APPS) {
      const writes = (await history.list(app)).filter((h) => h.resources.some((r) => r.action !== 'unchanged'));
      // one create and one patch per revision, however many polls both processes made
      expect(writes.map((h) => h.revision).slice(0, 2)).toEqual([v3, v2]);
      expect(writes).toHaveLength(3);
    }
  }, 90_000);
});
