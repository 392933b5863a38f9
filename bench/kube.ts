/**
 * `npm run bench -- kube`: why src/kube has its own HTTP path (see src/kube/transport.ts).
 * The same N gets and N merge patches against the embedded cluster, 32 in flight (and gets
 * one at a time), through KubeClient (undici's Pool), client-node's KubernetesObjectApi, and
 * Node's global fetch. Target: KubeClient faster than KubernetesObjectApi on each.
 */
import { KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { kubeClientFor } from '../src/kube/client.ts';
import { startSimCluster } from '../src/sim/index.ts';
import { newConfigMap } from '../test/support/sim.ts';

const N = Number(process.env.KUBE_BENCH_N ?? 2000);
const CONCURRENCY = 32;
const OBJECTS = 200;
const NS = 'default';

async function timed(label: string, op: (i: number) => Promise<unknown>, concurrency = CONCURRENCY): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < N) await op(next++);
  }));
  const opsPerSecond = Math.round(N / ((performance.now() - started) / 1000));
  console.log(`${label.padEnd(38)} ${String(opsPerSecond).padStart(6)} ops/s  (${concurrency} in flight, ${((1000 * concurrency) / opsPerSecond).toFixed(2)} ms/request)`);
  return opsPerSecond;
}

export async function run(): Promise<number> {
  const cluster = await startSimCluster({ port: 0, controllers: false });
  const client = await kubeClientFor(cluster.url);
  try {
    for (let i = 0; i < OBJECTS; i++) await client.create({ ...newConfigMap(`cm-${i}`, { v: '0' }), metadata: { name: `cm-${i}`, namespace: NS } });
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const header = (i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i % OBJECTS}`, namespace: NS } });
    const ref = (i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: `cm-${i % OBJECTS}` });
    const path = (i: number) => `${cluster.url}/api/v1/namespaces/${NS}/configmaps/cm-${i % OBJECTS}`;

    // warm-up: discovery, JIT, connection pools
    await client.get(ref(0));
    await objects.read(header(0));

    // one at a time: the per-request latency a sequential caller sees
    const oursSerial = await timed('KubeClient.get, sequential', (i) => client.get(ref(i)), 1);
    const koaSerial = await timed('KubernetesObjectApi.read, sequential', (i) => objects.read(header(i)), 1);

    const oursGet = await timed('KubeClient.get', (i) => client.get(ref(i)));
    const koaGet = await timed('KubernetesObjectApi.read', (i) => objects.read(header(i)));
    // global fetch is reported for comparison only (why a Pool rather than fetch)
    await timed('fetch GET', async (i) => (await fetch(path(i))).json());

    const oursPatch = await timed('KubeClient.patch (merge)', (i) => client.patch(ref(i), { data: { v: `a${i}` } }, { type: 'merge' }));
    const koaPatch = await timed('KubernetesObjectApi.patch (merge)', (i) =>
      objects.patch({ ...header(i), data: { v: `b${i}` } }, undefined, undefined, 'sluice', undefined, PatchStrategy.MergePatch));
    await timed('fetch PATCH', async (i) =>
      (await fetch(`${path(i)}?fieldManager=sluice`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { v: `c${i}` } }) })).json());

    const ratios = [oursSerial / koaSerial, oursGet / koaGet, oursPatch / koaPatch];
    console.log(`KubeClient vs KubernetesObjectApi: ${ratios.map((r) => `${r.toFixed(2)}x`).join(', ')} (sequential get, get, patch; target > 1x)`);
    return ratios.every((r) => r > 1) ? 0 : 1;
  } finally {
    await client.close();
    await cluster.stop();
  }
}
