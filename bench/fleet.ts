/**
 * `npm run bench -- fleet`: a 1,000-pod fleet (100 Deployments × 10 replicas) created, then rolled
 * to a new image, on a VirtualClock (the fastest clock: time jumps from timer to timer). Reports
 * wall time, simulated time, API writes per second of wall time, and peak RSS.
 * Targets (issue): the rollout in ≤ 20 s of wall time, under 500 MB.
 */
import type { JsonObject } from '../src/json.ts';
import { VirtualClock } from '../src/sim/clock.ts';
import { startSimCluster } from '../src/sim/index.ts';

const DEPLOYMENTS = Number(process.env.FLEET_DEPLOYMENTS ?? 100);
const REPLICAS = Number(process.env.FLEET_REPLICAS ?? 10);
const NODES = Number(process.env.FLEET_NODES ?? 20);
const TARGET_WALL_MS = 20_000;
const TARGET_RSS_MB = 500;

function deployment(i: number, image: string): JsonObject {
  const name = `app-${String(i).padStart(3, '0')}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'fleet' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'sim.sluice.dev/ready-after': '5s' } },
        spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

export async function run(): Promise<number> {
  const clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
  // 110 pods fit a node: a 1,000-pod fleet plus its surge needs a dozen; 20 leaves room
  const cluster = await startSimCluster({ port: 0, clock, nodes: NODES });
  const { api } = cluster;
  const deployments = api.registry.lookup('apps', 'v1', 'deployments')!;
  api.create(api.registry.lookup('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fleet' } });
  const rolledOut = (image: string) =>
    api.store.list('apps/deployments', 'fleet').every((d) => {
      const s = (d.status ?? {}) as Record<string, number>;
      const spec = d.spec as { template: { spec: { containers: { image: string }[] } } };
      const observed = (s.observedGeneration ?? 0) >= Number((d.metadata as JsonObject).generation ?? 0);
      return observed && spec.template.spec.containers[0]?.image === image && s.updatedReplicas === REPLICAS && s.availableReplicas === REPLICAS && s.replicas === REPLICAS;
    });

  async function phase(label: string, act: () => void, image: string): Promise<{ wallMs: number; simMs: number; writes: number }> {
    const startWall = performance.now();
    const startSim = clock.now().getTime();
    const startRv = api.store.currentRevision;
    act();
    for (let i = 0; i < 10_000 && !rolledOut(image); i++) await cluster.advance(1_000);
    const result = { wallMs: performance.now() - startWall, simMs: clock.now().getTime() - startSim, writes: api.store.currentRevision - startRv };
    if (!rolledOut(image)) throw new Error(`${label}: the fleet did not converge`);
    return result;
  }

  const create = await phase('create', () => {
    for (let i = 0; i < DEPLOYMENTS; i++) api.create(deployments, 'fleet', deployment(i, 'nginx:1'));
  }, 'nginx:1');
  const roll = await phase('roll', () => {
    for (const d of api.store.list('apps/deployments', 'fleet')) {
      const name = String((d.metadata as JsonObject).name);
      api.patch(deployments, 'fleet', name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } } });
    }
  }, 'nginx:2');
  const pods = api.store.count('/pods');
  const rssMb = process.resourceUsage().maxRSS / 1024;
  await cluster.stop();

  const line = (label: string, p: { wallMs: number; simMs: number; writes: number }) =>
    `${label.padEnd(28)} wall ${(p.wallMs / 1000).toFixed(2).padStart(6)} s   simulated ${(p.simMs / 1000).toFixed(0).padStart(5)} s   API writes ${String(p.writes).padStart(7)}   ${Math.round(p.writes / (p.wallMs / 1000)).toLocaleString('en-US').padStart(7)} writes/s`;
  console.log(`fleet: ${DEPLOYMENTS} Deployments × ${REPLICAS} replicas (${DEPLOYMENTS * REPLICAS} pods), ${NODES} nodes, ready 5 s after start, VirtualClock`);
  console.log(line('create and roll out', create));
  console.log(line('roll to a new image', roll));
  console.log(`pods at the end: ${pods}; peak RSS ${rssMb.toFixed(0)} MB (API server, controllers and kubelets in one process)`);
  const wallOk = roll.wallMs <= TARGET_WALL_MS;
  const rssOk = rssMb < TARGET_RSS_MB;
  console.log(`${wallOk ? 'PASS' : 'FAIL'}  rollout wall time ${(roll.wallMs / 1000).toFixed(2)} s (target ≤ ${TARGET_WALL_MS / 1000} s)`);
  console.log(`${rssOk ? 'PASS' : 'FAIL'}  peak RSS ${rssMb.toFixed(0)} MB (target < ${TARGET_RSS_MB} MB)`);
  return wallOk && rssOk ? 0 : 1;
}
