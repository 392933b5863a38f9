/**
 * End to end: an Application whose source is a chart in an OCI registry (a real
 * docker-registry the test starts, charts pushed with `helm push`), synced by the controller
 * to the embedded cluster. The registry speaks plain HTTP, which a credential rule says with
 * insecureOCIForceHttp, as a user would. Pushing a version the app's range admits upgrades it.
 */
import { mkdtempSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app/types.ts';
import { Controller } from '../../src/controller/controller.ts';
import { CredentialStore, GitSource, parseCredentialRules } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { webappChart } from '../support/helm.ts';
import { registryAvailable, startRegistry, type TestRegistry } from '../support/oci-registry.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const SPEED = 10;
const scratch = mkdtempSync(join(tmpdir(), 'sluice-oci-app-'));

if (!registryAvailable()) console.warn('SKIPPED: docker-registry is not installed (apt-get install docker-registry; .ci/run installs it)');

describe.skipIf(!redisAvailable() || !registryAvailable())('an app from a chart in an OCI registry, synced by the controller', () => {
  let cluster: SimCluster;
  let registry: TestRegistry;
  let redis: TestRedis;
  let kube: KubeClient;
  let controller: Controller;

  beforeAll(async () => {
    [cluster, redis, registry] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) }), startRedis(), startRegistry({ path: 'team/charts' })]);
    registry.push(webappChart(scratch, '1.0.0', 'web:1'));
    kube = await kubeClientFor(cluster.url);
    const base = testApplication({ name: 'shop', repoURL: registry.url, intervalMs: 400 });
    const app: Application = { ...base, spec: { ...base.spec, source: { repoURL: registry.url, chart: 'webapp', targetRevision: '^1.0.0', path: '.', recurse: true } } };
    const credentials = new CredentialStore(parseCredentialRules(`- url: oci://${registry.host}\n  insecureOCIForceHttp: true\n`, 'test credentials', {}));
    controller = await Controller.start({
      apps: [app],
      git: new GitSource({ cacheDir: await mkdtemp(join(scratch, 'git-')), refsTtlMs: 200, credentials }),
      kube,
      redisUrl: redis.url,
      prefix: 'ocichart',
      clock: cluster.clock as ScaledClock,
      log: () => undefined,
    });
  }, 60_000);
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), redis?.stop(), registry?.stop()]);
  });

  const image = async () => (((await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'shop' })) as JsonObject | undefined)?.['spec'] as { template: { spec: { containers: { image: string }[] } } } | undefined)?.template.spec.containers[0]!.image;
  const chartVersion = async () => ((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'shop-chart' }))?.['data'] as { version?: string } | undefined)?.version;
  const syncedAt = async (version: string) => {
    const state = await controller.state('shop');
    return state?.sync === 'Synced' && state.health === 'Healthy' && state.revision === version ? state : undefined;
  };

  it('syncs 1.0.0, then upgrades to 1.1.0 when it is pushed', async () => {
    const first = await until('1.0.0 synced and healthy', () => syncedAt('1.0.0'), 60_000);
    expect(first.commit?.message).toBe('webapp 1.0.0');
    expect([await image(), await chartVersion()]).toEqual(['web:1', '1.0.0']);

    registry.push(webappChart(scratch, '1.1.0', 'web:2'));
    await until('1.1.0 synced and healthy', () => syncedAt('1.1.0'), 60_000);
    expect([await image(), await chartVersion()]).toEqual(['web:2', '1.1.0']);
  }, 180_000);
});
