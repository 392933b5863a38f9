/**
 * End to end: an Application whose source is a chart in a Helm chart repository the test
 * serves itself, synced by the controller to the embedded cluster. Publishing a version the
 * app's range admits upgrades the app; a version whose pods crash-loop is rolled back to the
 * last healthy version and marked bad; a manual rollback names a version.
 */
import { mkdtempSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app/types.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { rollback } from '../../src/rollout/commands.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { serveChartRepo, webappChart, type ServedChartRepo } from '../support/helm.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const SPEED = 10;
const scratch = mkdtempSync(join(tmpdir(), 'sluice-chart-app-'));

const webapp = (version: string, image: string, fault?: string): string => webappChart(scratch, version, image, fault);

describe.skipIf(!redisAvailable())('an app from a Helm chart repository, synced by the controller', () => {
  let cluster: SimCluster;
  let charts: ServedChartRepo;
  let redis: TestRedis;
  let kube: KubeClient;
  let controller: Controller;
  let app: Application;

  beforeAll(async () => {
    [cluster, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) }), startRedis()]);
    charts = await serveChartRepo([webapp('1.0.0', 'web:1')]);
    kube = await kubeClientFor(cluster.url);
    const base = testApplication({ name: 'shop', repoURL: charts.url, intervalMs: 400, rollout: { steps: [50, 100], stepHoldMs: 3_000, failure: { restarts: 1, notReadyForMs: 30_000 } } });
    app = { ...base, spec: { ...base.spec, source: { repoURL: charts.url, chart: 'webapp', targetRevision: '^1.0.0', path: '.', recurse: true } } };
    controller = await Controller.start({
      apps: [app],
      git: new GitSource({ cacheDir: await mkdtemp(join(scratch, 'git-')), refsTtlMs: 200 }),
      kube,
      redisUrl: redis.url,
      prefix: 'chartrepo',
      clock: cluster.clock as ScaledClock,
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), redis?.stop(), charts?.close()]);
  });

  const deployment = async () => (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'shop' })) as JsonObject | undefined;
  const image = async () => ((await deployment())?.['spec'] as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec.containers[0]!.image;
  const chartVersion = async () => ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'shop-chart' }))?.['data'] as { version?: string } | undefined)?.version;
  const healthyAt = async (version: string) => {
    const state = await controller.state('shop');
    return state?.sync === 'Synced' && state.health === 'Healthy' && state.revision === version && (await controller.rollouts.store.healthyRevision('shop')) === version;
  };

  it('syncs 1.0.0, upgrades to 1.1.0 when it is published, rolls a crash-looping 1.2.0 back and keeps it off; a rollback names a version', async () => {
    await until('1.0.0 synced and healthy', () => healthyAt('1.0.0'), 60_000);
    expect([await image(), await chartVersion()]).toEqual(['web:1', '1.0.0']);

    charts.publish(webapp('1.1.0', 'web:2'));
    await until('1.1.0 rolled out', () => healthyAt('1.1.0'), 60_000);
    expect([await image(), await chartVersion()]).toEqual(['web:2', '1.1.0']);

    charts.publish(webapp('1.2.0', 'web:broken', 'crash-loop'));
    const rolledBack = await until('1.2.0 rolled back', async () => {
      const state = await controller.rollouts.store.get('shop');
      return state?.revision === '1.2.0' && !['Progressing', 'RollingBack'].includes(state.phase) ? state : undefined;
    }, 90_000);
    expect(rolledBack).toMatchObject({ phase: 'RolledBack', fromRevision: '1.1.0' });
    expect(await controller.rollouts.store.badRevisions('shop')).toEqual(['1.2.0']);
    // the app stays on 1.1.0 while the index's newest match is the bad 1.2.0, and says why
    const kept = await until('healthy on 1.1.0 again', async () => {
      const state = await controller.state('shop');
      return state?.health === 'Healthy' && state.message?.includes('revision 1.2.0 was rolled back and is not applied again') && (await image()) === 'web:2' ? state : undefined;
    }, 60_000);
    expect([kept.revision, kept.syncedRevision, kept.commit?.message]).toEqual(['1.2.0', '1.1.0', 'webapp 1.2.0']);
    expect([await image(), await chartVersion()]).toEqual(['web:2', '1.1.0']);
    expect((await controller.operations('shop')).filter((h) => h.revision === '1.2.0').map((h) => h.trigger)).toEqual(['poll']);

    const to = await rollback(controller.commands, app, '1.0.0', 'tester');
    expect(to).toBe('1.0.0');
    await until('rolled back to 1.0.0 by hand', async () => (await image()) === 'web:1' && (await chartVersion()) === '1.0.0', 60_000);
    // the pinned sync runs as the rollback or as the next poll (whichever the queue took first)
    const latest = await until('the sync of 1.0.0 in the history', async () => {
      const newest = (await controller.operations('shop'))[0];
      return newest?.revision === '1.0.0' && newest.phase === 'Succeeded' ? newest : undefined;
    }, 30_000);
    expect(['rollback', 'poll']).toContain(latest.trigger);
    expect(await controller.rollouts.store.pin('shop')).toMatchObject({ revision: '1.0.0', head: '1.2.0', by: 'tester' });
  }, 240_000);
});
