import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { newCrd } from '../support/sim.ts';
import { until } from '../support/wait.ts';

const CONFIG = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';
const WIDGET = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: gear\nspec:\n  teeth: 12\n';

describe.skipIf(!gitAvailable() || !redisAvailable())('a restarted controller', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  const controllers: Controller[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    // the CRD is installed apart from the app (by an operator's chart, say): the app only has a Widget
    await kube.create(newCrd({ plural: 'widgets', kind: 'Widget', group: 'example.com' }));
  });
  afterAll(async () => {
    for (const c of controllers) await c.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  async function start(repoURL: string): Promise<Controller> {
    const controller = await Controller.start({
      apps: [testApplication({ name: 'gadgets', repoURL, path: 'gadgets', intervalMs: 300 })],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-restart-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'restart',
      log: () => undefined,
    });
    controllers.push(controller);
    return controller;
  }

  const widget = () => kube.get({ apiVersion: 'example.com/v1', kind: 'Widget', namespace: 'gadgets', name: 'gear' });

  it('prunes objects of a kind Git dropped entirely while it was down', async () => {
    const repo = await git.createRepo('gadgets');
    await repo.commit({ 'gadgets/config.yaml': CONFIG, 'gadgets/widget.yaml': WIDGET }, 'config and a widget');
    const first = await start(repo.url);
    await until('the widget synced', async () => (await widget()) !== undefined && (await first.state('gadgets'))?.sync === 'Synced');
    expect((await first.state('gadgets'))?.kinds).toEqual(['example.com/v1/Widget', 'v1/ConfigMap']);
    await first.stop();

    // The last Widget leaves Git while no controller runs: the next one has never watched the
    // kind, and neither renders nor searches it unless the app's state remembers it.
    const removed = await repo.commit({ 'gadgets/config.yaml': CONFIG, 'gadgets/widget.yaml': null }, 'no more widgets');
    const second = await start(repo.url);
    await until('the widget pruned', async () => (await widget()) === undefined);
    await until('synced at the new commit', async () => (await second.state('gadgets'))?.syncedRevision === removed);
    // and once the prune is seen, the kind is no longer the app's
    await until('the kind forgotten', async () => JSON.stringify((await second.state('gadgets'))?.kinds) === JSON.stringify(['v1/ConfigMap']));
  });
});
