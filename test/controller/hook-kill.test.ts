/**
 * Fault test: the controller process running a sync is killed with SIGKILL while the sync's
 * PreSync hook (a Job) runs. The other process takes the operation over (same BullMQ job,
 * same operation id), adopts the Job the dead process created instead of creating another,
 * waits for it, and finishes the sync: the hook ran once, and was not skipped.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessHealth } from '../../src/health/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { keys } from '../../src/queue/keys.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { hookJob } from '../support/hook-manifests.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { holderPid, startControllerProcess } from './spawn.ts';

const APP = 'migrated';
const PREFIX = 'hook-kill9';

describe.skipIf(!gitAvailable() || !redisAvailable())('a controller killed with SIGKILL while a PreSync hook runs', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let repo: TestRepo;
  let kube: KubeClient;
  let connection: Redis;
  const children = new Set<ChildProcess>();
  const log: SimRequestLogEntry[] = [];
  const jobCreates = () => log.filter((r) => r.method === 'POST' && r.path === `/apis/batch/v1/namespaces/${APP}/jobs` && r.status === 201 && !r.query.getAll('dryRun').includes('All'));

  async function startController(): Promise<ChildProcess> {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-hook-kill9-'));
    const child = await startControllerProcess({ SIM_URL: cluster.url, REDIS_URL: redis.url, REPO_URL: repo.url, APPS: APP, CACHE_DIR: cacheDir, PREFIX });
    children.add(child);
    return child;
  }

  beforeAll(async () => {
    // cluster time 10× real: the hook's pod runs 30 s of cluster time, 3 s of real time
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: 10 }), onRequest: (r) => log.push(r) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    connection = new Redis(redis.url);
    repo = await git.createRepo('migrated');
    // generateName: the survivor must name the Job as the dead process did (the operation's start is in Redis)
    const migration = JSON.parse(hookJob('migrate', { 'sluice.dev/hook': 'PreSync' }, { generateName: true })) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    migration.spec.template.metadata.annotations['sim.sluice.dev/run-for'] = '30s';
    await repo.commit({ [`${APP}/migrate.json`]: JSON.stringify(migration), [`${APP}/settings.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: blue}\n' }, 'v1');
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    connection?.disconnect();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  it('the survivor adopts the running hook: created once, and the sync finishes after it', async () => {
    const processes = await Promise.all([startController(), startController()]);
    const lockKey = keys({ prefix: PREFIX }).appLock(APP);
    const victimPid = await until('the hook Job created, and who holds the app', async () => jobCreates().length > 0 && holderPid(await connection.get(lockKey)), 30_000, 10);
    const victim = processes.find((p) => p.pid === victimPid);
    expect(victim, `the lock holder ${victimPid} is one of ours`).toBeDefined();
    const jobs = async () => (await kube.list('batch/v1', 'Job', { namespace: APP })).items;
    const [job] = await jobs();
    expect(assessHealth(job).status, 'the hook is still running when the process dies').toBe('Progressing');
    victim!.kill('SIGKILL');
    await until('the sync finished by the survivor', async () => (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: APP, name: 'settings' })) !== undefined, 40_000, 50);
    expect(jobCreates()).toHaveLength(1);
    const after = await jobs();
    expect(after.map((j) => (j['metadata'] as { name: string }).name)).toEqual([(job!['metadata'] as { name: string }).name]);
    expect(assessHealth(after[0]).status).toBe('Healthy');
  }, 90_000);
});
