/**
 * Fault tests: controller processes killed with SIGKILL during a sync with a PreSync hook, two
 * waves (the first slow to become Ready), a Sync hook and a PostSync hook, at the moment the
 * API server answers each of those writes (the kill is sent as the answer's status line is
 * about to go out, so the process never reads it); replacements carry the sync on from the position
 * stored in Redis. Every hook Job is created once, every object written once, and the sync
 * ends Succeeded. Then the PostSync loss window: killed just as the sync writes the held
 * Deployment (the sync's last write, before it is recorded and its rollout started), the
 * replacement starts the rollout and runs the PostSync hook once it has succeeded. Last, a kill
 * while a failed rollout's rollback sync runs the good revision's PostSync hook: the rollback's
 * sync is stored, and the replacement carries it on without creating the hook again.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { keys } from '../../src/queue/keys.ts';
import { RolloutStore } from '../../src/rollout/store.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { hookJob, webDeployment } from '../support/hook-manifests.ts';
import { isWrite } from '../support/sim.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { startControllerProcess } from './spawn.ts';

const PREFIX = 'resumable-kill';
const k = keys({ prefix: PREFIX });

/** A hook Job whose pod runs 20 s of cluster time (2 s of real time at ×10). */
const slowHook = (name: string, annotations: Record<string, string>): string => hookJob(name, annotations, { runFor: '20s' });
const withAnnotations = (manifest: string, annotations: Record<string, string>): string => {
  const object = JSON.parse(manifest) as { metadata: { annotations?: Record<string, string> } };
  object.metadata.annotations = { ...object.metadata.annotations, ...annotations };
  return JSON.stringify(object);
};

describe.skipIf(!gitAvailable() || !redisAvailable())('kill -9 of the controller during a waved, hooked sync', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let repo: TestRepo;
  let kube: KubeClient;
  let connection: Redis;
  let history: HistoryStore;
  const running = new Set<ChildProcess>();
  const log: SimRequestLogEntry[] = [];
  /** "METHOD path" of the writes at which every controller process is killed, in turn; each is used once */
  const killAt: string[] = [];
  const killed: string[] = [];
  /** at each creation of window's PostSync Job: whether web was rolled out completely (web:2 on every replica, not paused) */
  const atWindowPostSync: string[] = [];

  /**
   * Starts `count` processes, each known to the kill as soon as it exists: a process that is
   * ready first may reach the next kill point while another is still starting, and the kill
   * must take them all. A process killed before it was ready counts as started.
   */
  async function startControllers(count: number): Promise<void> {
    const track = (child: ChildProcess): void => {
      running.add(child);
      child.once('exit', () => running.delete(child));
    };
    const env = { SIM_URL: cluster.url, REDIS_URL: redis.url, REPO_URL: repo.url, APPS: 'waved,window,back', PREFIX, LOCK_MS: '1000', STALL_MS: '500', STEPS: '50,100' };
    const started = await Promise.allSettled(
      Array.from({ length: count }, async () =>
        startControllerProcess({ ...env, CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'sluice-resumable-kill-')) }, { onSpawn: track }),
      ),
    );
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined && !/exited with SIGKILL/.test(String(failed.reason))) throw failed.reason;
  }

  const writes = (prefix: string): SimRequestLogEntry[] => log.filter((r) => isWrite(r) && `${r.method} ${r.path}`.startsWith(prefix));

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([
      startSimCluster({
        port: 0,
        clock: new ScaledClock({ speed: 10 }),
        onRequest: (r) => {
          log.push(r);
          if (isWrite(r) && r.method === 'POST' && r.path === '/apis/batch/v1/namespaces/window/jobs') {
            const web = cluster.api.store.get('apps/deployments', 'window', 'web') as { spec: { paused?: boolean; template: { spec: { containers: { image: string }[] } } }; status?: { updatedReplicas?: number; availableReplicas?: number } } | undefined;
            const complete = web?.spec.paused !== true && web?.status?.updatedReplicas === 2 && web.status.availableReplicas === 2;
            atWindowPostSync.push(`${web?.spec.template.spec.containers[0]!.image} ${complete ? 'complete' : 'rolling'}`);
          }
        },
        beforeResponse: (r) => {
          const point = `${r.method} ${r.path}`;
          if (!isWrite(r) || killAt[0] === undefined || !point.startsWith(killAt[0])) return;
          // synchronously, as the server answers the write: the process never sees the answer
          for (const child of running) child.kill('SIGKILL');
          killed.push(killAt.shift()!);
        },
      }),
      startGitServer(),
      startRedis(),
    ]);
    kube = await kubeClientFor(cluster.url);
    connection = new Redis(redis.url);
    history = new HistoryStore(connection, { prefix: PREFIX });
    repo = await git.createRepo('resumable-kill');
  }, 60_000);
  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    connection?.disconnect();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  it('continues from the stored position after a kill at each hook and wave: every Job created once, every object written once', async () => {
    killAt.push(
      'POST /apis/batch/v1/namespaces/waved/jobs', // the PreSync hook
      'POST /apis/apps/v1/namespaces/waved/deployments', // wave 0, slow to become Ready
      'POST /api/v1/namespaces/waved/configmaps', // wave 1
      'POST /apis/batch/v1/namespaces/waved/jobs', // wave 1's Sync hook
      'POST /apis/batch/v1/namespaces/waved/jobs', // the PostSync hook
    );
    const points = killAt.length;
    await repo.commit(
      {
        'waved/migrate.json': slowHook('migrate', { 'sluice.dev/hook': 'PreSync' }),
        'waved/web.json': withAnnotations(webDeployment({ image: 'web:1', replicas: 2, readyAfter: '20s' }), { 'sluice.dev/sync-wave': '0' }),
        'waved/middle.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'middle', annotations: { 'sluice.dev/sync-wave': '1' } }, data: { k: 'v' } }),
        'waved/seed.json': slowHook('seed', { 'sluice.dev/hook': 'Sync', 'sluice.dev/sync-wave': '1' }),
        'waved/smoke.json': slowHook('smoke', { 'sluice.dev/hook': 'PostSync' }),
      },
      'v1',
    );
    await startControllers(2);
    // after each kill, two new processes (as a supervisor would); they find the sync where it stood
    for (let kill = 1; kill <= points; kill++) {
      await until(`kill ${kill} (${killAt[0]})`, () => killed.length >= kill, 90_000, 10);
      await until('the killed processes gone', () => running.size === 0, 10_000, 10);
      await startControllers(2);
    }
    const entry = await until('the sync recorded', async () => (await history.list('waved')).find((e) => e.phase !== 'Error'), 90_000, 100);
    expect(killed).toHaveLength(points);
    expect(entry.phase, entry.message).toBe('Succeeded');
    const jobs = (await kube.list('batch/v1', 'Job', { namespace: 'waved' })).items.map((j) => (j['metadata'] as JsonObject)['name']).sort();
    expect(jobs).toEqual(['migrate', 'seed', 'smoke']);
    expect(writes('POST /apis/batch/v1/namespaces/waved/jobs'), 'each hook Job created once').toHaveLength(3);
    expect(writes('POST /apis/apps/v1/namespaces/waved/deployments'), 'web created once').toHaveLength(1);
    expect(writes('PATCH /apis/apps/v1/namespaces/waved/deployments'), 'and not patched again').toHaveLength(0);
    expect(writes('POST /api/v1/namespaces/waved/configmaps'), 'middle created once').toHaveLength(1);
    expect(await connection.get(k.syncProgress('waved')), 'nothing left in progress').toBeNull();
  }, 300_000);

  it('a kill as the sync writes the held Deployment loses neither the rollout nor its PostSync hook', async () => {
    await repo.commit({ 'window/web.json': webDeployment({ image: 'web:1', replicas: 2 }) }, 'window v1');
    if (running.size === 0) await startControllers(2);
    await until('window synced at web:1', async () => (await history.list('window')).some((e) => e.phase === 'Succeeded'), 60_000, 100);
    killAt.push('PATCH /apis/apps/v1/namespaces/window/deployments/web');
    const v2 = await repo.commit({ 'window/web.json': webDeployment({ image: 'web:2', replicas: 2 }), 'window/smoke.json': slowHook('smoke', { 'sluice.dev/hook': 'PostSync' }) }, 'v2');
    await until('the kill at the held Deployment', () => killed.at(-1) === 'PATCH /apis/apps/v1/namespaces/window/deployments/web', 60_000, 10);
    await until('the killed processes gone', () => running.size === 0, 10_000, 10);
    // the process died before it could record the sync or start its rollout
    const store = new RolloutStore(connection, { prefix: PREFIX });
    expect((await history.list('window')).filter((e) => e.phase === 'Succeeded')).toHaveLength(1);
    expect((await store.get('window'))?.revision, 'no rollout of v2 started').not.toBe(v2);
    const held = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'window', name: 'web' });
    expect((held!['spec'] as { paused?: boolean }).paused, 'applied held for its rollout').toBe(true);
    await startControllers(1);
    await until('the rollout succeeded', async () => (await store.get('window'))?.phase === 'Succeeded', 90_000, 100);
    const smoke = await until('the PostSync hook', async () => kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'window', name: 'smoke' }), 60_000, 100);
    const web = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'window', name: 'web' });
    expect((web!['spec'] as { paused?: boolean }).paused ?? false).toBe(false);
    expect(smoke).toBeDefined();
    expect(atWindowPostSync, 'the PostSync hook created once, after the rollout').toEqual(['web:2 complete']);
  }, 240_000);

  it("a kill as a rollback's sync creates its PostSync hook: the replacement carries the rollback on, the hook created once", async () => {
    await repo.commit({ 'back/web.json': webDeployment({ image: 'web:1', replicas: 2 }), 'back/smoke.json': slowHook('smoke', { 'sluice.dev/hook': 'PostSync' }) }, 'back v1');
    if (running.size === 0) await startControllers(2);
    const store = new RolloutStore(connection, { prefix: PREFIX });
    await until('back v1 recorded healthy', async () => (await store.healthyRevision('back')) !== undefined, 60_000, 100);
    const good = await store.healthyRevision('back');
    await until("v1's PostSync hook done", async () => (await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'back', name: 'smoke' })) !== undefined && (await connection.get(k.syncProgress('back'))) === null, 60_000, 100);
    const hookWrites = writes('POST /apis/batch/v1/namespaces/back/jobs').length;
    killAt.push('POST /apis/batch/v1/namespaces/back/jobs');
    // never Ready (it exits 1 s after each start, before its 5 s), so no step of it can pass
    const crashing = JSON.parse(webDeployment({ image: 'web:2', replicas: 2, readyAfter: '5s' })) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    crashing.spec.template.metadata.annotations['sim.sluice.dev/fault'] = 'crash-loop';
    const bad = await repo.commit({ 'back/web.json': JSON.stringify(crashing) }, 'back v2');
    await until("the kill at the rollback's PostSync hook", () => killed.at(-1) === 'POST /apis/batch/v1/namespaces/back/jobs', 120_000, 10);
    await until('the killed processes gone', () => running.size === 0, 10_000, 10);
    const stored = JSON.parse((await connection.get(k.syncProgress('back'))) ?? '{}') as { rollbackOf?: string; revision?: string };
    expect(stored, "the rollback's sync stored as it went").toMatchObject({ rollbackOf: expect.any(String), revision: good });
    expect((await store.get('back'))?.phase).toBe('RollingBack');
    await startControllers(1);
    const back = await until('rolled back', async () => {
      const state = await store.get('back');
      return state?.revision === bad && state.phase !== 'RollingBack' && state.phase !== 'Progressing' ? state : undefined;
    }, 90_000, 100);
    expect(back.phase, back.message).toBe('RolledBack');
    const web = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'back', name: 'web' });
    expect(((web!['spec'] as JsonObject)['template'] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image).toBe('web:1');
    expect(writes('POST /apis/batch/v1/namespaces/back/jobs').length - hookWrites, "the rollback's hook created once").toBe(1);
    const rollbacks = (await history.list('back')).filter((e) => e.trigger === 'rollback');
    expect(rollbacks.map((e) => [e.id, e.phase])).toEqual([[`${stored.rollbackOf}-rollback`, 'Succeeded']]);
    await until('nothing left in progress', async () => (await connection.get(k.syncProgress('back'))) === null, 30_000, 100);
  }, 300_000);
});
