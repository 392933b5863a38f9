/**
 * `npm run bench -- sim`: load on the embedded API server over real HTTP, with the server in
 * its own process. Creates, strategic-merge patches (ConfigMaps, then the heavier Deployment
 * template path) with watchers attached, LISTs, and kubectl on the same work as the peer.
 *
 * Knobs (environment): SIM_BENCH_OBJECTS (10000), SIM_BENCH_DEPLOYMENTS (objects/5),
 * SIM_BENCH_WATCHERS (10), SIM_BENCH_CONCURRENCY (32), SIM_BENCH_PEER_OBJECTS (1000),
 * SIM_BENCH_LIST_REPEATS (5), SIM_BENCH_PAGE_SIZE (500), SIM_BENCH_MIN_WRITES (2000), and
 * SIM_BENCH_CPU_PROF=1|<dir> to run the server under `node --cpu-prof` and print its hot spots
 * (`npx tsx bench/profile-summary.ts <dir>` summarises a kept profile again).
 */
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderSummary, summarizeDir } from './lib/cpuprofile.ts';
import { KubeHttp, resourceVersionOf, runPool } from './lib/http-client.ts';
import { findKubectl, runKubectlPeer, type PeerResult } from './lib/kubectl-peer.ts';
import { peakRssKiB, spawnSimServer, startCpuMeter } from './lib/proc.ts';
import { renderReport, type ListResult, type WriteResult } from './lib/sim-report.ts';
import {
  configFrom, configMap, configMapName, configMapPatch, deployment, deploymentName, deploymentPatch, type SimBenchConfig,
} from './lib/sim-workload.ts';
import { checkStream, WatchStream, type EventType } from './lib/watch-client.ts';

/** How long watchers may trail the last write before the run counts their events as lost. */
const WATCH_DRAIN_TIMEOUT_MS = 20_000;
const STRATEGIC = 'application/strategic-merge-patch+json';
const NAMESPACE = 'sluice-bench';

interface Context {
  readonly config: SimBenchConfig;
  readonly url: string;
  readonly serverPid: number;
  readonly http: KubeHttp;
}

interface WritePhase {
  readonly name: string;
  readonly count: number;
  /** collection path the watchers watch and the writes go to */
  readonly collection: string;
  readonly expectedType: EventType;
  /** whether the writes/s target applies (the issue's ConfigMap workload) */
  readonly gated: boolean;
  /** sends write i; returns the resourceVersion the server gave it */
  readonly write: (i: number) => Promise<number>;
}

export async function run(): Promise<number> {
  const config = configFrom(process.env);
  const machine = { cores: availableParallelism(), loadAvg1: loadavg()[0] ?? 0 };
  const profDir = config.cpuProf === '1' ? await mkdtemp(join(tmpdir(), 'sluice-bench-prof-')) : config.cpuProf;
  const server = await spawnSimServer(profDir ? { cpuProfDir: profDir } : {});
  const http = new KubeHttp(server.url, { maxSockets: config.concurrency });
  const started = performance.now();
  try {
    const ctx: Context = { config, url: server.url, serverPid: server.pid, http };
    const writes = await runWritePhases(ctx);
    const lists = await runListPhases(ctx);
    const peer = await runPeer(ctx);
    const report = renderReport({
      config, machine, writes, lists, peer,
      rss: { serverKiB: peakRssKiB(server.pid), clientKiB: peakRssKiB('self') },
      elapsedMs: performance.now() - started,
    });
    console.log(report.text);
    return report.pass ? 0 : 1;
  } finally {
    http.close();
    await server.stop();
    if (profDir) {
      const summary = await summarizeDir(profDir);
      if (summary) console.log(`\n${renderSummary(summary)}`);
    }
  }
}

async function runWritePhases(ctx: Context): Promise<WriteResult[]> {
  const { config, http } = ctx;
  const ns = await createNamespace(http, NAMESPACE);
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const deploys = `/apis/apps/v1/namespaces/${ns}/deployments`;
  const post = (path: string, obj: object) => http.json('POST', path, { body: JSON.stringify(obj) }).then(resourceVersionOf);
  const patch = (path: string, body: object) =>
    http.json('PATCH', path, { body: JSON.stringify(body), contentType: STRATEGIC }).then(resourceVersionOf);
  const phases: WritePhase[] = [
    { name: 'create ConfigMap', count: config.objects, collection: cms, expectedType: 'ADDED', gated: true,
      write: (i) => post(cms, configMap(i)) },
    { name: 'patch ConfigMap (SMP)', count: config.objects, collection: cms, expectedType: 'MODIFIED', gated: true,
      write: (i) => patch(`${cms}/${configMapName(i)}`, configMapPatch(i)) },
    { name: 'create Deployment', count: config.deployments, collection: deploys, expectedType: 'ADDED', gated: false,
      write: (i) => post(deploys, deployment(i)) },
    { name: 'patch Deployment (SMP image)', count: config.deployments, collection: deploys, expectedType: 'MODIFIED', gated: false,
      write: (i) => patch(`${deploys}/${deploymentName(i)}`, deploymentPatch()) },
  ];
  const results: WriteResult[] = [];
  for (const phase of phases.filter((p) => p.count > 0)) results.push(await runWritePhase(ctx, phase));
  return results;
}

/** Watchers open at the revision before the phase, then the writes, then wait for every watcher to catch up. */
async function runWritePhase(ctx: Context, phase: WritePhase): Promise<WriteResult> {
  const { config, url, http } = ctx;
  const since = await currentRevision(http, phase.collection);
  const watchers = await Promise.all(
    Array.from({ length: config.watchers }, () => WatchStream.open(url, `${phase.collection}?watch=1&resourceVersion=${since}`)),
  );
  const rvs = new Array<number>(phase.count);
  const cpu = startCpuMeter(ctx.serverPid);
  const pool = await runPool(phase.count, config.concurrency, async (i) => {
    rvs[i] = await phase.write(i);
  });
  await Promise.all(watchers.map((w) => w.waitForCount(phase.count, WATCH_DRAIN_TIMEOUT_MS)));
  const cpuShare = cpu();
  for (const w of watchers) w.close();
  const lastEventAt = Math.max(0, ...watchers.map((w) => w.lastEventAt));
  return {
    name: phase.name,
    gated: phase.gated,
    pool,
    cpu: cpuShare,
    checks: watchers.map((w) => checkStream(w, rvs, phase.expectedType)),
    eventsDelivered: watchers.reduce((n, w) => n + w.rvs.length, 0),
    fanOutMs: lastEventAt - pool.startedAt,
    watchLagMs: lastEventAt - (pool.startedAt + pool.elapsedMs),
  };
}

async function runListPhases(ctx: Context): Promise<ListResult[]> {
  const { config, http } = ctx;
  const path = `/api/v1/namespaces/${NAMESPACE}/configmaps`;
  let bytes = 0;
  const fullCpu = startCpuMeter(ctx.serverPid);
  const full = await runPool(config.listRepeats, 1, async () => {
    const res = await http.send('GET', path);
    bytes = res.body.length;
    expectItems(JSON.parse(res.body), config.objects, 'full LIST');
  });
  const fullShare = fullCpu();
  const pageLatencies: number[] = [];
  const pagedCpu = startCpuMeter(ctx.serverPid);
  const paged = await runPool(config.listRepeats, 1, async () => {
    let items = 0;
    let token: string | undefined;
    do {
      const t0 = performance.now();
      const query = `limit=${config.pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const page = await http.json('GET', `${path}?${query}`);
      pageLatencies.push(performance.now() - t0);
      items += (page.items as unknown[]).length;
      token = (page.metadata as { continue?: string }).continue;
    } while (token);
    if (items !== config.objects) throw new Error(`paginated LIST returned ${items} items, expected ${config.objects}`);
  });
  const pagedShare = pagedCpu();
  return [
    { name: `LIST full (${config.objects} items)`, passes: full, cpu: fullShare, latencies: full.latencies, items: config.objects, bytes },
    { name: `LIST paginated (limit=${config.pageSize})`, passes: paged, cpu: pagedShare, latencies: Float64Array.from(pageLatencies), items: config.objects, bytes },
  ];
}

async function runPeer(ctx: Context): Promise<PeerResult | string> {
  const kubectl = findKubectl();
  if (!kubectl) return 'kubectl not found on PATH: peer comparison skipped';
  if (ctx.config.peerObjects === 0) return 'SIM_BENCH_PEER_OBJECTS=0: peer comparison skipped';
  return runKubectlPeer({
    kubectl,
    url: ctx.url,
    http: ctx.http,
    objects: ctx.config.peerObjects,
    namespace: (suffix) => createNamespace(ctx.http, `${NAMESPACE}-${suffix}`),
  });
}

async function createNamespace(http: KubeHttp, name: string): Promise<string> {
  await http.json('POST', '/api/v1/namespaces', { body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) });
  return name;
}

/** The store's current revision, read from a one-item LIST of the collection. */
async function currentRevision(http: KubeHttp, collection: string): Promise<number> {
  const list = await http.json('GET', `${collection}?limit=1`);
  return resourceVersionOf(list);
}

function expectItems(list: { items?: unknown[] }, want: number, what: string): void {
  const got = list.items?.length ?? 0;
  if (got !== want) throw new Error(`${what} returned ${got} items, expected ${want}`);
}
