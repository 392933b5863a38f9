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
  const lines: string[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0 }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('fleet');
    await repo.commit({ 'healing/config.yaml': CONFIG('blue'), 'watching/config.yaml': CONFIG('blue'), 'quiet/config.yaml': CONFIG('blue') }, 'first');
    // "observed" has a repository of its own: no new commit ever makes its refresh a sync
    const still = await git.createRepo('still');
    await still.commit({ 'observed/config.yaml': CONFIG('blue') }, 'only');
    // "quiet" and "observed" poll once a minute: only the watch can notice their drift within the test.
    const apps = [
      application('healing', repo.url, true),
      application('watching', repo.url, false),
      application('quiet', repo.url, true, 60_000),
      application('observed', still.url, false, 60_000),
    ];
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
          log: (line) => lines.push(line),
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

  it('notices drift through the watch, and heals it only where selfHeal is on', async () => {
    const observed = async () => {
      const s = await controllers[0]!.state('observed');
      return s === undefined ? undefined : { state: s, operations: (await controllers[0]!.operations('observed')).length };
    };
    const before = await until('observed synced', async () => ((await observed())?.state.sync === 'Synced' ? observed() : undefined));
    for (const ns of ['healing', 'observed']) {
      await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' }, { data: { color: 'red' } }, { type: 'merge' });
    }
    // Its next poll is a minute away: the watch's refresh is what notices the drift.
    const noticed = await until('observed marked OutOfSync', async () => {
      const now = await observed();
      return now?.state.sync === 'OutOfSync' ? now : undefined;
    });
    expect(noticed.state.resources).toEqual([{ key: 'ConfigMap/observed/settings', status: 'OutOfSync', health: 'Healthy' }]);
    // That refresh decided not to sync (a sync is recorded before the state it leaves is stored).
    expect(noticed.operations).toBe(before.operations);
    expect(await color('observed')).toBe('red');
    await until('healing restored', async () => ((await color('healing')) === 'green' ? true : undefined));
    // The watch's refresh or the next poll (both heal with selfHeal on), whichever ran first.
    expect((await controllers[0]!.operations('healing'))[0]).toMatchObject({ trigger: expect.stringMatching(/^(self-heal|poll)$/), phase: 'Succeeded' });
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
    });
    expect(newCommit).toMatchObject({ trigger: 'poll', phase: 'Succeeded' });
    await drift();
    const healedAt = await until('first heal', async () => ((await color('quiet')) === 'blue' ? Date.now() : undefined));
    // Drift again at once: the refresh defers the second heal (5 s), so the object stays drifted meanwhile.
    const deferred = lines.length;
    await drift();
    await until('the second heal deferred', () => lines.slice(deferred).some((l) => l.startsWith('quiet: drifted again; self-heal in ')));
    expect(await color('quiet')).toBe('red');
    await until('second heal after the back-off', async () => ((await color('quiet')) === 'blue' ? true : undefined));
    // 5 s after the first heal started; we saw its result a few ms after it started.
    expect(Date.now() - healedAt).toBeGreaterThanOrEqual(4_500);
    const heals = (await controllers[0]!.operations('quiet')).filter((h) => h.trigger === 'self-heal');
    expect(heals.length).toBeGreaterThanOrEqual(2);
  });
});
