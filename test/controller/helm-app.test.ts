/**
 * End to end: Applications whose path is a Helm chart, synced by the controller from a real
 * git server to the embedded cluster, rendered by the bundled Helm with the app's helm
 * settings and the embedded cluster's own version and API groups as `.Capabilities`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app/types.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { FIXTURES, readTree } from '../support/helm.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

function chartApp(name: string, repoURL: string, path: string, helm: Application['spec']['source']['helm']): Application {
  const app = testApplication({ name, repoURL, path, intervalMs: 400 });
  return { ...app, spec: { ...app.spec, source: { ...app.spec.source, ...(helm !== undefined ? { helm } : {}) } } };
}

describe.skipIf(!gitAvailable() || !redisAvailable())('a Helm chart app, synced by the controller', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0 }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('charts');
    const files = Object.fromEntries([...readTree(join(FIXTURES, 'precedence'), 'charts/web'), ...readTree(join(FIXTURES, 'capabilities'), 'charts/facts')]);
    await repo.commit({ ...files, 'env/prod.yaml': 'a: from-prod\n' }, 'charts');
    const apps = [
      chartApp('web', repo.url, 'charts/web', {
        releaseName: 'shop',
        valueFiles: ['values-one.yaml', '/env/prod.yaml'],
        ignoreMissingValueFiles: false,
        values: 'e: from-inline\n',
        parameters: [{ name: 'count', value: '3', forceString: false }],
        skipCrds: false,
      }),
      chartApp('facts', repo.url, 'charts/facts', undefined),
    ];
    controller = await Controller.start({
      apps,
      git: new GitSource({ cacheDir: await mkdtemp(join(tmpdir(), 'sluice-helm-app-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'helm',
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const data = async (namespace: string, name: string) =>
    (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name }))?.['data'] as JsonObject | undefined;

  it('renders the chart with the app\'s values and syncs it; a new commit of a value file syncs again', async () => {
    const first = await until('chart synced', async () => data('web', 'shop-values'), 60_000);
    expect(first).toMatchObject({ a: 'from-prod', b: 'from-values-one', e: 'from-inline', count: 'int64=3' });
    const state = await until('Synced', async () => {
      const s = await controller.state('web');
      return s?.sync === 'Synced' ? s : undefined;
    }, 60_000);
    expect(state.resources).toEqual([expect.objectContaining({ key: 'ConfigMap/web/shop-values', status: 'Synced' })]);

    await repo.commit({ 'env/prod.yaml': 'a: from-prod-2\n' }, 'prod values');
    await until('new values applied', async () => ((await data('web', 'shop-values'))?.['a'] === 'from-prod-2' ? true : undefined), 60_000);
  });

  it('answers .Capabilities with the destination cluster\'s version and API groups; the release is named after the app', async () => {
    const version = (await kube.getDocument('/version'))?.['gitVersion'];
    const facts = await until('facts synced', async () => data('facts', 'facts-facts'), 60_000);
    expect(facts).toEqual({ kubeVersion: version, minor: expect.any(String), hasCronJob: 'true', hasWidgets: 'false' });
    const pdb = await kube.get({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: 'facts', name: 'facts' });
    expect(pdb).toBeDefined();
  });
});
