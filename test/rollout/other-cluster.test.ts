/**
 * A rollout of an app that deploys to another cluster than the controller's own: its
 * Application (and so its status and Events) lives in the own cluster, its Deployment and
 * pods in "east". The pod watch that wakes the rollout must watch east's pods, the
 * rollout must see east's crash loop and roll back there, and its Events must land on the
 * Application in the own cluster. Both API servers' request logs say who was asked what.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { watchClusterApplications } from '../../src/controller/cluster-apps.ts';
import { kubeconfigEntries } from '../../src/controller/cluster-secrets.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { HOME_CLUSTER } from '../../src/kube/clusters.ts';
import { kubeconfigContexts } from '../../src/kube/kubeconfig.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { kubeconfigFor, startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { smallDeployment } from './manifests.ts';
import { applicationEvents, webApplication, webImage } from './reads.ts';

const CRD = fileURLToPath(new URL('../../manifests/crds/application.yaml', import.meta.url));
const SPEED = 10;

describe.skipIf(!gitAvailable() || !redisAvailable())('a rollout in another cluster than the controller’s own', () => {
  let dir: string;
  let home: SimCluster, east: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let homeKube: KubeClient, eastKube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  let watch: { stop(): void };
  const homeLog: SimRequestLogEntry[] = [];
  const eastLog: SimRequestLogEntry[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-rollout-east-'));
    // the own cluster runs no workload controllers: nothing of the app may land or run there
    [home, east, git, redis] = await Promise.all([
      startSimCluster({ port: 0, controllers: false, onRequest: (r) => homeLog.push(r) }),
      startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }), onRequest: (r) => eastLog.push(r) }),
      startGitServer(),
      startRedis(),
    ]);
    homeKube = KubeClient.forUrl(home.url);
    eastKube = KubeClient.forUrl(east.url);
    await homeKube.create(parse(await readFile(CRD, 'utf8')) as JsonObject);
    await homeKube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor(east.url).replaceAll('sluice-sim', 'east'));
    const { contexts } = kubeconfigContexts({ KUBECONFIG: kubeconfig });
    const registry = [HOME_CLUSTER, ...kubeconfigEntries(contexts)];
    repo = await git.createRepo('east-web');
    controller = await Controller.start({
      apps: [],
      git: new GitSource({ cacheDir: path.join(dir, 'git') }),
      kube: homeKube,
      clusters: () => registry,
      redisUrl: redis.url,
      prefix: 'east',
      mirrorStatus: true,
      selfHealDebounceMs: 50,
      // the rollout paces on the cluster where its pods run
      clock: east.clock as ScaledClock,
      log: () => undefined,
    });
    let applying = Promise.resolve();
    watch = await watchClusterApplications(homeKube, 'sluice-system', (apps, statuses, _errors, projects) => {
      applying = applying.then(() => controller.setApps(apps, statuses, projects));
    });
  }, 60_000);
  afterAll(async () => {
    watch?.stop();
    await controller?.stop();
    await homeKube?.close();
    await eastKube?.close();
    await Promise.all([home?.stop(), east?.stop(), git?.stop(), redis?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const application = async () => homeKube.get({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'web' });
  const events = () => applicationEvents(homeKube, 'web');
  const image = () => webImage(eastKube);
  // the pod watch's informer lists the namespace's pods whole (a look lists by the workload's selector); its watch is logged when it ends
  const podWatches = (log: readonly SimRequestLogEntry[]) => log.filter((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/web/pods' && !r.query.has('labelSelector'));

  it('watches and judges the pods where they run, rolls back there, and tells it on the Application at home', async () => {
    const good = await repo.commit({ 'web/deploy.yaml': smallDeployment('web:1') }, 'v1');
    await homeKube.create(webApplication(repo.url, { name: 'east', namespace: 'web' }));
    await until('v1 recorded healthy', async () => (await controller.rollouts.store.healthyRevision('web')) === good, 60_000);

    const bad = await repo.commit({ 'web/deploy.yaml': smallDeployment('web:2', 'crash-loop') }, 'v2 crash-looping');
    await until('the rollout of v2 started', async () => (await controller.rollouts.store.get('web'))?.revision === bad, 30_000);
    const rolledBack = await until('v2 rolled back', async () => {
      const state = await controller.rollouts.store.get('web');
      return state?.revision === bad && state.phase === 'RolledBack' ? state : undefined;
    }, 60_000);
    // the crash loop was seen in east's pods
    expect(rolledBack.message).toMatch(/CrashLoopBackOff/);
    expect(rolledBack.fromRevision).toBe(good);
    expect(await image()).toBe('web:1');

    // the pod watch is east's; the own cluster was never asked for the app's pods, nor given its Deployment
    expect(podWatches(eastLog).length).toBeGreaterThan(0);
    expect(podWatches(homeLog)).toEqual([]);
    expect(homeLog.filter((r) => r.path.startsWith('/api/v1/namespaces/web') || r.path.startsWith('/apis/apps/v1/namespaces/web'))).toEqual([]);

    // the Events are on the Application, in the own cluster
    const told = await until('the Events', async () => {
      const list = await events();
      return list.some((e) => e.reason === 'RolloutRolledBack') ? list : undefined;
    }, 30_000);
    expect(told.map((e) => e.reason)).toEqual(expect.arrayContaining(['RolloutStarted', 'RolloutRollbackStarted', 'RolloutRolledBack']));
    expect(told.find((e) => e.reason === 'RolloutRollbackStarted')).toMatchObject({ type: 'Warning', message: expect.stringMatching(/CrashLoopBackOff/) });
    expect((await eastKube.list('v1', 'Event', { namespace: 'sluice-system' }).catch(() => ({ items: [] }))).items).toEqual([]);

    // the status says which cluster it compared against, as Argo CD's does
    const comparedTo = await until('status.sync.comparedTo', async () => ((await application())?.['status'] as { sync?: { comparedTo?: JsonObject } } | undefined)?.sync?.comparedTo);
    expect(comparedTo['destination']).toEqual({ server: east.url, name: 'east', namespace: 'web' });
  }, 180_000);
});
