/**
 * One controller, three embedded clusters: its own (Application resources, the cluster
 * Secret), "west" from a kubeconfig context, and "east" from an Argo CD cluster Secret
 * behind a gate that demands the Secret's bearer token and TLS client certificate. West is
 * made to hang mid-sync; east's sync latency is measured with west up and with west hung.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app/types.ts';
import { kubeconfigEntries, watchClusterRegistry, type ClusterRegistryWatch } from '../../src/controller/cluster-secrets.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { kubeconfigContexts } from '../../src/kube/kubeconfig.ts';
import { kubeconfigFor, startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { makeCertificates } from '../support/certificates.ts';
import { startClusterGate, type ClusterGate } from '../support/cluster-gate.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const TOKEN = 'east-token-7f3a';
const CONFIG = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: ${color}\n`;
const APP_PATHS = ['home-a', 'west-a', 'west-b', 'east-a', 'east-b'] as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe.skipIf(!gitAvailable() || !redisAvailable())('several destination clusters', () => {
  let dir: string;
  let home: SimCluster, west: SimCluster, east: SimCluster;
  let westGate: ClusterGate, eastGate: ClusterGate;
  let git: GitServer;
  let redis: TestRedis;
  let repo: TestRepo;
  let registry: ClusterRegistryWatch;
  let controller: Controller;
  const clients = new Map<string, KubeClient>();
  const reported: string[] = [];
  const latencies = { up: [] as number[], hung: [] as number[] };

  const client = (url: string): KubeClient => {
    let c = clients.get(url);
    if (c === undefined) clients.set(url, (c = KubeClient.forUrl(url)));
    return c;
  };
  const color = async (cluster: SimCluster, namespace: string) =>
    ((await client(cluster.url).get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' }))?.['data'] as JsonObject | undefined)?.['color'];
  const state = (app: string) => controller.state(app);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-clusters-'));
    const pem = await makeCertificates(dir, 'kube-east', 'sluice');
    [home, west, east, git, redis] = await Promise.all([
      startSimCluster({ port: 0, controllers: false }),
      startSimCluster({ port: 0, controllers: false }),
      startSimCluster({ port: 0, controllers: false }),
      startGitServer(),
      startRedis(),
    ]);
    westGate = await startClusterGate(west.url);
    eastGate = await startClusterGate(east.url, { bearerToken: TOKEN, tls: { cert: pem.serverCert, key: pem.serverKey, ca: pem.ca } });

    // west: a context of the controller's kubeconfig (the embedded cluster's, pointed at the gate)
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor(westGate.url).replaceAll('sluice-sim', 'west'));
    const { contexts } = kubeconfigContexts({ KUBECONFIG: kubeconfig });

    // east: an Argo CD cluster Secret in the controller's namespace of its own cluster
    const homeKube = client(home.url);
    await homeKube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    const config = { bearerToken: TOKEN, tlsClientConfig: { caData: pem.ca.toString('base64'), certData: pem.clientCert.toString('base64'), keyData: pem.clientKey.toString('base64'), serverName: 'kube-east' } };
    await homeKube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cluster-east', namespace: 'sluice-system', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      data: Object.fromEntries(Object.entries({ name: 'east', server: eastGate.url, config: JSON.stringify(config) }).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    registry = await watchClusterRegistry(homeKube, 'sluice-system', kubeconfigEntries(contexts), (line) => reported.push(line));

    repo = await git.createRepo('fleet');
    await repo.commit(Object.fromEntries(APP_PATHS.map((p) => [`${p}/config.yaml`, CONFIG('blue')])), 'first');
    // The same namespace and name ("a/settings") in each of the three clusters, by three apps.
    const app = (name: string, namespace: string, destination: Omit<Application['spec']['destination'], 'namespace'>, source = name): Application => {
      const base = testApplication({ name, repoURL: repo.url, path: source, namespace, intervalMs: 60_000 });
      return { ...base, spec: { ...base.spec, destination: { ...base.spec.destination, ...destination } } };
    };
    const apps = [
      app('home-a', 'a', {}),
      app('west-a', 'a', { name: 'west' }),
      app('west-b', 'b', { server: westGate.url }),
      app('east-a', 'a', { name: 'east' }),
      app('east-b', 'b', { server: eastGate.url }),
      app('lost', 'late', { name: 'nowhere' }, 'home-a'),
      app('both', 'a', { name: 'east', server: eastGate.url }),
    ];
    controller = await Controller.start({
      apps,
      git: new GitSource({ cacheDir: path.join(dir, 'git') }),
      kube: homeKube,
      clusters: registry.entries,
      // a request to a hung cluster would wait 5 s; the probe finds it hung within about a second
      clusterConnections: { client: { timeoutMs: 5_000 }, probeIntervalMs: 300, probeTimeoutMs: 500 },
      redisUrl: redis.url,
      prefix: 'clusters',
      // two workers: two operations stuck on a hung cluster would stall every other one
      concurrency: 2,
      log: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await registry?.stop();
    for (const c of clients.values()) await c.close();
    await Promise.all([westGate?.stop(), eastGate?.stop()]);
    await Promise.all([home?.stop(), west?.stop(), east?.stop(), git?.stop(), redis?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('registers the kubeconfig context and the cluster Secret, and tells no Secret value', () => {
    expect(registry.entries().map((c) => [c.name, c.origin, c.from])).toEqual([
      ['in-cluster', 'home', 'the controller itself'],
      ['west', 'kubeconfig', 'kubeconfig context west'],
      ['east', 'secret', 'Secret sluice-system/cluster-east'],
    ]);
    expect(reported).toEqual([]);
  });

  it('syncs apps to all three clusters from one controller, the same namespace/name in each kept apart', async () => {
    const clusterOf: Record<string, SimCluster> = { home: home, west, east };
    await until('every app synced', async () => {
      for (const p of APP_PATHS) if ((await state(p))?.sync !== 'Synced') return undefined;
      return true;
    }, 20_000);
    for (const p of APP_PATHS) {
      const cluster = clusterOf[p.split('-')[0]!]!;
      const namespace = p.split('-')[1]!;
      const live = await client(cluster.url).get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' });
      expect(live?.['metadata'], p).toMatchObject({ labels: { 'sluice.dev/app': p } });
    }
    // each cluster's a/settings is its own app's, in the watch cache of that cluster
    const [homeApp, westApp, eastApp] = ['home-a', 'west-a', 'east-a'].map((name) => controller.applications.find((a) => a.name === name)!);
    expect([homeApp, westApp, eastApp].map((a) => controller.liveObjects(a!).map((o) => (o['metadata'] as JsonObject)['labels']))).toEqual([
      [{ 'sluice.dev/app': 'home-a' }],
      [{ 'sluice.dev/app': 'west-a' }],
      [{ 'sluice.dev/app': 'east-a' }],
    ]);
    // east was reached through its gate, which answers 401 without the Secret's token and refuses TLS without its client certificate
    expect(eastGate.forwarded).toBeGreaterThan(0);
  });

  it('says why an app has no cluster: an unknown name, or both name and server (Argo CD rule)', async () => {
    const lost = await until('lost compared', async () => state('lost'));
    expect(lost).toMatchObject({ sync: 'Unknown', health: 'Unknown', message: 'application references destination cluster nowhere which does not exist' });
    const both = await until('both compared', async () => state('both'));
    expect(both).toMatchObject({ sync: 'Unknown', message: `application destination can't have both name and server defined: east ${eastGate.url}` });
  });

  it('reads a cluster Secret added later from its watch: the app that named it syncs there', async () => {
    const data = { name: 'nowhere', server: east.url, config: '{"tlsClientConfig": {"insecure": false}}' };
    await client(home.url).create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cluster-late', namespace: 'sluice-system', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    await until('the Secret read', () => registry.entries().some((c) => c.name === 'nowhere'));
    await controller.requestSync('lost', { trigger: 'manual' });
    await until('lost synced into east', async () => (await color(east, 'late')) === 'blue' && (await state('lost'))?.sync === 'Synced');
  });

  /** Commits a new colour for every app, asks for the syncs (west's first), and resolves with east's sync latency. */
  async function round(color_: string, beforeEast: () => Promise<void> | void): Promise<number> {
    await repo.commit(Object.fromEntries(APP_PATHS.map((p) => [`${p}/config.yaml`, CONFIG(color_)])), color_);
    for (const name of ['west-a', 'west-b']) await controller.requestSync(name, { trigger: 'manual' });
    await beforeEast();
    const started = performance.now();
    for (const name of ['east-a', 'east-b']) await controller.requestSync(name, { trigger: 'manual' });
    await until(`east synced to ${color_}`, async () => (await color(east, 'a')) === color_ && (await color(east, 'b')) === color_, 30_000, 20);
    return performance.now() - started;
  }

  it('a cluster hung mid-sync does not stall the others: its apps go Unknown with the reason, and recover when it is back', async () => {
    for (const c of ['green', 'teal', 'navy']) latencies.up.push(await round(c, () => undefined));
    // west hangs once its syncs are under way (a request of theirs has reached it)
    latencies.hung.push(
      await round('red', async () => {
        const before = westGate.forwarded;
        await until('west syncs under way', async () => westGate.forwarded > before, 30_000, 5);
        westGate.hang();
      }),
    );
    for (const c of ['pink', 'gold']) latencies.hung.push(await round(c, () => undefined));
    console.log(`east sync latency (ms): west up ${latencies.up.map(Math.round).join(', ')} (median ${Math.round(median(latencies.up))}); west hung ${latencies.hung.map(Math.round).join(', ')} (median ${Math.round(median(latencies.hung))})`);

    for (const name of ['west-a', 'west-b']) {
      const s = await until(`${name} Unknown`, async () => {
        const now = await state(name);
        return now?.sync === 'Unknown' ? now : undefined;
      });
      expect(s, name).toMatchObject({ health: 'Unknown', message: expect.stringMatching(new RegExp(`^cluster west \\(${westGate.url}\\) is unreachable: `)) });
    }
    // without the probe and cut requests, each of the two workers would sit on a west request for 5 s or more
    expect(median(latencies.hung)).toBeLessThan(median(latencies.up) + 2_500);

    westGate.open();
    await until('west synced again', async () => {
      for (const name of ['west-a', 'west-b']) if ((await state(name))?.sync !== 'Synced') return undefined;
      return (await color(west, 'a')) === 'gold' && (await color(west, 'b')) === 'gold';
    }, 20_000);
    expect(await state('west-a')).toMatchObject({ health: 'Healthy' });
  }, 120_000);
});
