import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { RolloutStore } from '../../src/rollout/store.ts';
import type { RolloutState } from '../../src/rollout/types.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { smallDeployment } from './manifests.ts';

const SCRIPT = fileURLToPath(new URL('./controller-process.ts', import.meta.url));
const SPEED = 10;

const config = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: ${color}}\n`;

/** A moment of a rollout to kill the controller at: the first time the stored state matches. */
type KillPoint = { readonly name: string; readonly at: (state: RolloutState | undefined) => boolean };

describe.skipIf(!gitAvailable() || !redisAvailable())('kill -9 of the controller during a rollout and a rollback (must-show 4)', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let repo: TestRepo;
  let kube: KubeClient;
  let client: Redis;
  let store: RolloutStore;
  let clockStart: number;
  let wallStart: number;
  let current: ChildProcess | undefined;
  const kills: string[] = [];

  async function startController(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: {
        ...process.env,
        SIM_URL: cluster.url,
        REDIS_URL: redis.url,
        REPO_URL: repo.url,
        CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'sluice-crash-')),
        CLOCK_START_MS: String(clockStart),
        WALL_START_MS: String(wallStart),
        CLOCK_SPEED: String(SPEED),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    current = child;
    await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  }

  /** Kills the controller (SIGKILL) at each point in turn, starting a new one after each. */
  async function killAt(points: readonly KillPoint[], revision: string): Promise<void> {
    for (const point of points) {
      await until(`the rollout at "${point.name}"`, async () => {
        const state = await store.get('crashy');
        return point.at(state?.revision === revision ? state : undefined);
      }, 60_000, 10);
      current!.kill('SIGKILL');
      kills.push(point.name);
      await startController();
    }
  }

  beforeAll(async () => {
    wallStart = Date.now();
    const clock = new ScaledClock({ speed: SPEED });
    clockStart = clock.now().getTime();
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    client = new Redis(redis.url);
    store = new RolloutStore(client, { prefix: 'crash' });
    repo = await git.createRepo('crashy');
    await repo.commit({ 'crashy/deploy.yaml': smallDeployment('web:1'), 'crashy/config.yaml': config('blue') }, 'first');
    await startController();
  });
  afterAll(async () => {
    current?.kill('SIGKILL');
    client?.disconnect();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const image = async () => {
    const spec = (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'crashy', name: 'web' }))?.['spec'] as JsonObject;
    return (spec['template'] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image;
  };
  const color = async () => ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'crashy', name: 'settings' }))?.['data'] as { color?: string } | undefined)?.color;
  const phase = (p: RolloutState['phase']) => (s: RolloutState | undefined) => s?.phase === p;

  it('finishes a rollout and a rollback correctly after a kill at each of 10 points', async () => {
    await until('first revision healthy', async () => (await store.healthyRevision('crashy')) !== undefined, 60_000);

    const good = await repo.commit({ 'crashy/deploy.yaml': smallDeployment('web:2'), 'crashy/config.yaml': config('green') }, 'good');
    await killAt(
      [
        { name: 'started', at: (s) => s !== undefined },
        { name: 'step 1 target met, holding', at: (s) => s?.step === 0 && s.reachedAt !== undefined },
        { name: 'step 2 started', at: (s) => s?.step === 1 },
        { name: 'step 2 target met, holding', at: (s) => s?.step === 1 && s.reachedAt !== undefined },
        { name: 'succeeded', at: phase('Succeeded') },
      ],
      good,
    );
    const done = await until('the rollout finished', async () => {
      const s = await store.get('crashy');
      return s?.revision === good && s.phase === 'Succeeded' ? s : undefined;
    }, 60_000);
    expect(done.phase).toBe('Succeeded');
    expect(await image()).toBe('web:2');
    const goodEvents = (await store.events('crashy')).filter((e) => e.revision === good).map((e) => e.type).reverse();
    // no step skipped, none passed twice
    expect(goodEvents).toEqual(['Started', 'StepPassed', 'Succeeded']);

    const bad = await repo.commit({ 'crashy/deploy.yaml': smallDeployment('web:3', 'crash-loop'), 'crashy/config.yaml': config('red') }, 'bad');
    await killAt(
      [
        { name: 'bad rollout started', at: (s) => s !== undefined },
        { name: 'rolling back, before the rollback sync', at: phase('RollingBack') },
        // the applied rollback may end within one look (the old pods never left): then this kill lands just after it
        { name: 'rollback applied', at: (s) => (s?.phase === 'RollingBack' && s.rollbackApplied === true) || s?.phase === 'RolledBack' },
        { name: 'rolled back', at: phase('RolledBack') },
      ],
      bad,
    );
    await until('the app back on the good revision', async () => {
      const s = await store.get('crashy');
      const status = (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'crashy', name: 'web' }))?.['status'] as { updatedReplicas?: number; availableReplicas?: number; replicas?: number } | undefined;
      return s?.revision === bad && s.phase === 'RolledBack' && status?.updatedReplicas === 4 && status.availableReplicas === 4 && status.replicas === 4;
    }, 60_000);
    expect(await image()).toBe('web:2');
    expect(await color()).toBe('green');
    const badEvents = (await store.events('crashy')).filter((e) => e.revision === bad).map((e) => e.type).reverse();
    expect(badEvents.filter((t) => t === 'RollbackStarted')).toHaveLength(1); // no second rollback
    expect(badEvents.at(-1)).toBe('RolledBack');
    expect(await store.badRevisions('crashy')).toEqual([bad]);

    // a kill right after the next commit lands: it still rolls out once
    const next = await repo.commit({ 'crashy/deploy.yaml': smallDeployment('web:4'), 'crashy/config.yaml': config('yellow') }, 'next');
    await killAt([{ name: 'next rollout started', at: (s) => s !== undefined }], next);
    await until('the next commit rolled out', async () => {
      const s = await store.get('crashy');
      return s?.revision === next && s.phase === 'Succeeded';
    }, 60_000);
    expect(await image()).toBe('web:4');
    expect(kills).toHaveLength(10);
    const history = await new HistoryStore(client, { prefix: 'crash' }).list('crashy');
    expect(history.filter((h) => h.revision === bad && h.trigger !== 'rollback')).toHaveLength(1);
  }, 240_000);
});
