/**
 * Must-show 5 of issue 10: two controller processes on one Redis drive rollouts and rollbacks
 * with one driver per app and the outcome of one process. The same apps run side by side
 * under one controller process (prefix `solo`, apps `solo-*`) and under two (prefix `duo`,
 * apps `duo-*`), on one cluster behind one counting proxy: the two-process apps must end
 * where the one-process apps end, tell the same events once, and have each object written
 * exactly as often.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { RolloutStore } from '../../src/rollout/store.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { startControllerProcess } from '../controller/spawn.ts';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { smallDeployment } from './manifests.ts';

const SCRIPT = fileURLToPath(new URL('./controller-process.ts', import.meta.url));
const SPEED = 10;
const APPS = ['a', 'b', 'c'];
const SOLO = APPS.map((a) => `solo-${a}`);
const DUO = APPS.map((a) => `duo-${a}`);

const config = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: ${color}}\n`;
const files = (image: string, color: string, fault?: string) =>
  Object.fromEntries([...SOLO, ...DUO].flatMap((app) => [[`${app}/deploy.yaml`, smallDeployment(image, fault)], [`${app}/config.yaml`, config(color)]]));

describe.skipIf(!gitAvailable() || !redisAvailable())('two controller processes on one Redis (must-show 5)', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let repo: TestRepo;
  let proxy: CountingProxy;
  let kube: KubeClient;
  let client: Redis;
  const children: ChildProcess[] = [];
  /** the log lines of each of the two processes */
  const duoLogs: string[][] = [[], []];

  async function startController(prefix: string, apps: readonly string[], clockStart: number, wallStart: number, log?: string[]): Promise<void> {
    const env = {
      SIM_URL: proxy.url,
      REDIS_URL: redis.url,
      REPO_URL: repo.url,
      CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'sluice-two-rollout-')),
      CLOCK_START_MS: String(clockStart),
      WALL_START_MS: String(wallStart),
      CLOCK_SPEED: String(SPEED),
      APPS: apps.join(','),
      PREFIX: prefix,
      LOG: '1',
    };
    children.push(await startControllerProcess(env, { script: SCRIPT, ...(log === undefined ? {} : { onLine: (line: string) => void log.push(line) }) }));
  }

  beforeAll(async () => {
    const wallStart = Date.now();
    const clock = new ScaledClock({ speed: SPEED });
    const clockStart = clock.now().getTime();
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock }), startGitServer(), startRedis()]);
    proxy = await startCountingProxy(cluster.url);
    kube = await kubeClientFor(cluster.url);
    client = new Redis(redis.url);
    repo = await git.createRepo('fleet');
    await repo.commit(files('web:1', 'blue'), 'first');
    await Promise.all([
      startController('solo', SOLO, clockStart, wallStart),
      startController('duo', DUO, clockStart, wallStart, duoLogs[0]),
      startController('duo', DUO, clockStart, wallStart, duoLogs[1]),
    ]);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    client?.disconnect();
    await kube?.close();
    await Promise.all([proxy?.stop(), cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const storeOf = (app: string) => new RolloutStore(client, { prefix: app.startsWith('solo-') ? 'solo' : 'duo' });
  const all = [...SOLO, ...DUO];
  const phaseOf = async (app: string, revision: string) => {
    const s = await storeOf(app).get(app);
    return s?.revision === revision ? s.phase : undefined;
  };
  const deployment = async (app: string) => (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: app, name: 'web' })) as JsonObject;
  const image = async (app: string) => ((await deployment(app))['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
  const color = async (app: string) => ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: app, name: 'settings' }))?.['data'] as { color?: string } | undefined)?.color;
  const settled = async (app: string) => {
    const status = (await deployment(app))['status'] as { updatedReplicas?: number; availableReplicas?: number; replicas?: number } | undefined;
    return status?.updatedReplicas === 4 && status.availableReplicas === 4 && status.replicas === 4;
  };
  /** each app's controller writes (no Events), by method and path with the namespace taken out */
  const writesByObject = (app: string): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const w of proxy.writes()) {
      if (!w.path.includes(`/namespaces/${app}/`) || w.path.includes('/events')) continue;
      const key = `${w.method} ${w.path.replace(`/namespaces/${app}/`, '/namespaces/<app>/').replace(/\?.*$/, '')}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };

  it('one driver per app, the outcome of one process, and each object written as often', async () => {
    await until('the first revision healthy everywhere', async () => (await Promise.all(all.map((a) => storeOf(a).healthyRevision(a)))).every((r) => r !== undefined), 90_000, 100);

    const good = await repo.commit(files('web:2', 'green'), 'good');
    await until('every rollout to succeed', async () => (await Promise.all(all.map((a) => phaseOf(a, good)))).every((p) => p === 'Succeeded'), 120_000, 100);
    const bad = await repo.commit(files('web:3', 'red', 'crash-loop'), 'bad');
    await until('every app rolled back and settled', async () => (await Promise.all(all.map(async (a) => (await phaseOf(a, bad)) === 'RolledBack' && (await settled(a))))).every(Boolean), 120_000, 100);

    for (const app of all) {
      expect(await image(app), app).toBe('web:2');
      expect(await color(app), app).toBe('green');
      expect(await storeOf(app).badRevisions(app), app).toEqual([bad]);
    }
    for (const [i, duo] of DUO.entries()) {
      const solo = SOLO[i]!;
      const events = async (app: string, revision: string) => (await storeOf(app).events(app)).filter((e) => e.revision === revision).map((e) => e.type).reverse();
      // the same story, each chapter told once: no step passed twice, no second rollback
      expect(await events(duo, good)).toEqual(['Started', 'StepPassed', 'Succeeded']);
      expect(await events(duo, good)).toEqual(await events(solo, good));
      expect(await events(duo, bad)).toEqual(await events(solo, bad));
      expect((await events(duo, bad)).filter((t) => t === 'RollbackStarted')).toHaveLength(1);
      // the final phase is reported by exactly one of the two processes
      const told = (pattern: RegExp) => duoLogs.flat().filter((line) => line.startsWith(`${duo}: `) && pattern.test(line)).length;
      expect(told(/: rollout Succeeded:/), duo).toBe(1);
      expect(told(/: RolloutRollbackStarted:/), duo).toBe(1);
      // two processes make the writes one process makes, object by object (the Deployment's:
      // two applies, the rollback's, and the pacing and stop patches between them)
      expect(writesByObject(solo)['PATCH /apis/apps/v1/namespaces/<app>/deployments/web'], solo).toBeGreaterThan(4);
      expect(writesByObject(duo), duo).toEqual(writesByObject(solo));
    }
    // both processes drove rollouts (the queue shares the looks out)
    for (const log of duoLogs) expect(log.some((line) => / rollout \w+:/.test(line))).toBe(true);
  }, 360_000);
});
