import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app/types.ts';
import { testApplication } from '../support/apps.ts';
import { Controller } from '../../src/controller/controller.ts';
import type { JsonObject } from '../../src/json.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const CONFIG = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: ${color}\n`;

function application(name: string, repoURL: string, selfHeal: boolean, intervalMs = 400): Application {
  return testApplication({ name, repoURL, path: name, selfHeal, intervalMs });
}

describe.skipIf(!gitAvailable() || !redisAvailable())('the controller', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  const controllers: Controller[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0 }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('fleet');
    await repo.commit({ 'healing/config.yaml': CONFIG('blue'), 'watching/config.yaml': CONFIG('blue'), 'quiet/config.yaml': CONFIG('blue') }, 'first');
    // "quiet" polls once a minute: only the watch can heal it within the test.
    const apps = [application('healing', repo.url, true), application('watching', repo.url, false), application('quiet', repo.url, true, 60_000)];
    // Two controller processes' worth of controllers on one Redis: they share the work.
    for (let i = 0; i < 2; i++) {
      controllers.push(
        await Controller.start({
          apps,
          git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-controller-git-')) }),
          kube,
          redisUrl: redis.url,
          prefix: 'test',
          selfHealDebounceMs: 100,
          log: () => undefined,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const c of controllers) await c.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const color = async (ns: string) =>
    ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' }))?.['data'] as JsonObject | undefined)?.['color'];

  it('syncs automated apps from the first poll, exactly once per revision across two controllers', async () => {
    await until('first sync', async () => ((await color('healing')) === 'blue' && (await color('watching')) === 'blue' ? true : undefined));
    const state = await until('Synced state', async () => {
      const s = await controllers[0]!.state('healing');
      return s?.sync === 'Synced' ? s : undefined;
    });
    expect(state).toMatchObject({ health: 'Healthy', resources: [{ key: 'ConfigMap/healing/settings', status: 'Synced', health: 'Healthy' }] });

    const next = await repo.commit({ 'healing/config.yaml': CONFIG('green'), 'watching/config.yaml': CONFIG('green') }, 'second');
    await until('second revision applied', async () => ((await color('healing')) === 'green' && (await color('watching')) === 'green' ? true : undefined));
    await new Promise((r) => setTimeout(r, 1_500)); // several more polls by both controllers
    for (const app of ['healing', 'watching']) {
      const applied = (await controllers[1]!.operations(app)).filter((h) => h.resources.some((r) => r.action === 'created' || r.action === 'configured'));
      expect(applied.map((h) => h.revision)).toEqual([next, expect.stringMatching(/^[0-9a-f]{40}$/)]);
    }
  });

  it('does not compare a steady app again until its commit, spec or live objects change', async () => {
    const counts = () => controllers.map((c) => c.compareCounts).reduce((a, b) => ({ full: a.full + b.full, reused: a.reused + b.reused }));
    const before = counts();
    // polls every 400 ms: four skipped compares come within about a second
    await until('four reused compares', async () => counts().reused >= before.reused + 4, 5_000);
    const after = counts();
    // each process keeps its own record: one full compare per steady app and process at most, to make it
    expect(after.full - before.full).toBeLessThanOrEqual(4);
    // a live change is an input: the next compare is a full one, and sees it
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'watching', name: 'settings' }, { metadata: { annotations: { note: 'x' } } }, { type: 'merge' });
    await until('a full compare after the change', async () => (counts().full > after.full ? true : undefined), 2_000);
    expect((await controllers[0]!.state('watching'))?.sync).toBe('Synced'); // an extra annotation is not drift
  });

  it('notices drift within a second, and heals it only where selfHeal is on', async () => {
    const started = Date.now();
    for (const ns of ['healing', 'watching']) {
      await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' }, { data: { color: 'red' } }, { type: 'merge' });
    }
    await until('watching marked OutOfSync', async () => ((await controllers[0]!.state('watching'))?.sync === 'OutOfSync' ? true : undefined), 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    await until('healing restored', async () => ((await color('healing')) === 'green' ? true : undefined), 5_000);
    // The watch's refresh or the next poll (both heal with selfHeal on), whichever ran first.
    expect((await controllers[0]!.operations('healing'))[0]).toMatchObject({ trigger: expect.stringMatching(/^(self-heal|poll)$/), phase: 'Succeeded' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await color('watching')).toBe('red');
  });

  it('heals through the watch alone, and backs off when the drift keeps coming back', async () => {
    await until('quiet synced', async () => ((await color('quiet')) === 'blue' ? true : undefined));
    const drift = () => kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'quiet', name: 'settings' }, { data: { color: 'red' } }, { type: 'merge' });
    // The repository moved on since quiet's only poll: the watch's refresh first syncs the new
    // commit, which is no heal (its own trigger, no heal back-off).
    const before = (await controllers[0]!.operations('quiet')).length;
    await drift();
    const [newCommit] = await until('the new commit synced', async () => {
      const ops = await controllers[0]!.operations('quiet');
      return ops.length > before && (await color('quiet')) === 'blue' ? ops : undefined;
    }, 3_000);
    expect(newCommit).toMatchObject({ trigger: 'poll', phase: 'Succeeded' });
    await drift();
    const healedAt = await until('first heal', async () => ((await color('quiet')) === 'blue' ? Date.now() : undefined), 3_000);
    // Drift again at once: the second heal waits (5 s), so the object stays drifted meanwhile.
    await drift();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await color('quiet')).toBe('red');
    await until('second heal after the back-off', async () => ((await color('quiet')) === 'blue' ? true : undefined), 8_000);
    // 5 s after the first heal started; we saw its result a few ms after it started.
    expect(Date.now() - healedAt).toBeGreaterThanOrEqual(4_500);
    const heals = (await controllers[0]!.operations('quiet')).filter((h) => h.trigger === 'self-heal');
    expect(heals.length).toBeGreaterThanOrEqual(2);
  }, 20_000);
});
