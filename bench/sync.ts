/**
 * `npm run bench -- sync`: a cold sync of one 500-object app (ConfigMaps, Secrets, Services,
 * Deployments and ServiceAccounts in 50 files) by Sluice's `syncApp`, against
 * `kubectl apply -R -f DIR -n NS` of the same files, on the same embedded cluster.
 * Target: Sluice ≤ 0.25 × kubectl's wall time.
 *
 * The cluster runs without controllers in its own process (bench/sim-server.ts), so neither
 * client shares a CPU thread with the API server; SYNC_BENCH_SIM=inproc starts it in this
 * process instead. Each run writes into a namespace of its own, alternating kubectl and Sluice
 * so the store grows alike for both. SYNC_BENCH_WARMUP (3) untimed runs per side go first, also
 * alternating: "cold" means a new app (empty namespace, empty git cache), not a new process —
 * Sluice is a long-running controller, kubectl a process per apply. The first warm-up sync (a
 * process that has never synced) is printed beside the gated numbers.
 * Profiling: `node --cpu-prof --import tsx bench/run.ts sync` for Sluice's side;
 * SYNC_BENCH_SIM_PROFILE_DIR=DIR also profiles the API server process, and
 * SYNC_BENCH_PROFILE_DIR=DIR writes a profile of this process covering only the timed syncApp
 * runs (read with `npx tsx bench/profile-summary.ts DIR`).
 *
 * kubectl: a fresh HOME and cache dir per run (cold discovery, as a first apply), namespace
 * created untimed beforehand. Sluice: a fresh KubeClient per run (cold discovery) and
 * CreateNamespace=true inside the timed syncApp; the first timed run also starts from an
 * empty git cache (so it includes the clone), the other two reuse that cache (git resolve is
 * then a ref poll). Gated on the median of SYNC_BENCH_RUNS (9) each: on this 2-core VM single
 * runs of either side vary by ±20 %.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Application } from '../src/app/types.ts';
import { testApplication } from '../test/support/apps.ts';
import { GitSource } from '../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../src/kube/client.ts';
import { kubeconfigFor, startSimCluster } from '../src/sim/index.ts';
import { compareApp, isRenderFailure } from '../src/sync/compare.ts';
import { syncApp } from '../src/sync/operation.ts';
import { startGitServer } from '../test/support/git-server.ts';
import { findKubectl } from './lib/kubectl-peer.ts';
import { cpuTimeMs, exitedChildrenCpuTimeMs, spawnSimServer } from './lib/proc.ts';
import { formatMs, percentile } from './lib/stats.ts';

const FILES = Number(process.env.SYNC_BENCH_FILES ?? 50);
const PER_FILE = Number(process.env.SYNC_BENCH_PER_FILE ?? 10);
const RUNS = Math.max(3, Number(process.env.SYNC_BENCH_RUNS ?? 9));
const WARMUP = Math.max(1, Number(process.env.SYNC_BENCH_WARMUP ?? 3));
const IN_PROCESS = process.env.SYNC_BENCH_SIM === 'inproc';
/** SyncContext.concurrency for experiments; unset uses Sluice's defaults (16 live reads, 8 applies). */
const CONCURRENCY = process.env.SYNC_BENCH_CONCURRENCY === undefined ? {} : { concurrency: Number(process.env.SYNC_BENCH_CONCURRENCY) };
const TARGET_RATIO = 0.25;

/** The kinds the app holds, one in five objects each, with the path to list them. */
const KINDS = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
] as const;

type Kind = (typeof KINDS)[number]['kind'];

// ---------------------------------------------------------------- workload

const b64 = (s: string) => Buffer.from(s).toString('base64');

function manifest(kind: Kind, name: string): string {
  switch (kind) {
    case 'ConfigMap':
      return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: {app: ${name}}\ndata:\n  app.yaml: |\n    name: ${name}\n    port: 8080\n  LOG_FORMAT: json\n`;
    case 'Secret':
      return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: Opaque\ndata:\n  username: ${b64(name)}\n  password: ${b64(`pw-${name}`)}\n`;
    case 'Service':
      return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: ${name}}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n`;
    case 'ServiceAccount':
      return `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;
    case 'Deployment':
      return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      serviceAccountName: ${name}
      containers:
      - name: app
        image: registry.example.com/app:1.0
        ports: [{containerPort: 8080}]
        envFrom: [{configMapRef: {name: ${name}}}, {secretRef: {name: ${name}}}]
`;
  }
}

/**
 * FILES files of PER_FILE documents under nested directories: object i is component
 * `svc-⌊i/5⌋`'s kind i mod 5, so every component has one object of each kind.
 */
export function workload(): Map<string, string> {
  const files = new Map<string, string>();
  let i = 0;
  for (let f = 0; f < FILES; f++) {
    const docs: string[] = [];
    for (let d = 0; d < PER_FILE; d++, i++) docs.push(manifest(KINDS[i % KINDS.length]!.kind, `svc-${String(Math.floor(i / KINDS.length)).padStart(4, '0')}`));
    files.set(`team-${f % 5}/part-${String(f).padStart(3, '0')}.yaml`, docs.join('---\n'));
  }
  return files;
}

function expectedCounts(): Record<Kind, number> {
  const counts = Object.fromEntries(KINDS.map((k) => [k.kind, 0])) as Record<Kind, number>;
  for (let i = 0; i < FILES * PER_FILE; i++) counts[KINDS[i % KINDS.length]!.kind]++;
  return counts;
}

// ---------------------------------------------------------------- cluster

interface Cluster {
  readonly url: string;
  /** The API server's process, when it has one of its own (its CPU time is then measured per run). */
  readonly pid?: number;
  stop(): Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  if (IN_PROCESS) {
    const cluster = await startSimCluster({ port: 0, controllers: false });
    return { url: cluster.url, stop: () => cluster.stop() };
  }
  const profile = process.env.SYNC_BENCH_SIM_PROFILE_DIR;
  return spawnSimServer(profile === undefined ? {} : { cpuProfDir: profile });
}

/**
 * One run of either side: wall time, and CPU time (user + sys) of the client (kubectl's
 * process; Sluice's, this process) and of the API server. On a machine other work loads,
 * wall time swings by ±50 % while CPU time stays put, so the CPU figures say what each
 * side costs and the server's share says how much of it no client change can remove.
 */
interface Run {
  readonly wallMs: number;
  readonly clientCpuMs: number;
  readonly serverCpuMs: number;
}

async function measured(cluster: Cluster, clientCpu: () => number | undefined, fn: () => Promise<number>): Promise<Run> {
  const server = () => (cluster.pid === undefined ? Number.NaN : (cpuTimeMs(cluster.pid) ?? Number.NaN));
  const [client0, server0] = [clientCpu() ?? Number.NaN, server()];
  const wallMs = await fn();
  return { wallMs, clientCpuMs: (clientCpu() ?? Number.NaN) - client0, serverCpuMs: server() - server0 };
}

async function countsIn(kube: KubeClient, namespace: string): Promise<Record<Kind, number>> {
  const entries = await Promise.all(KINDS.map(async (k) => [k.kind, (await kube.list(k.apiVersion, k.kind, { namespace })).items.length] as const));
  return Object.fromEntries(entries) as Record<Kind, number>;
}

/** Fails loudly unless the namespace holds exactly the app's objects, kind by kind. */
async function verify(kube: KubeClient, namespace: string, who: string): Promise<void> {
  const want = expectedCounts();
  const got = await countsIn(kube, namespace);
  const wrong = KINDS.filter((k) => got[k.kind] !== want[k.kind]);
  if (wrong.length > 0) {
    throw new Error(`${who} in ${namespace}: ${wrong.map((k) => `${k.kind} ${got[k.kind]} (want ${want[k.kind]})`).join(', ')}`);
  }
}

// ---------------------------------------------------------------- the two sides

function execTimed(binary: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(performance.now() - t0);
    });
  });
}

/** One cold `kubectl apply -R -f DIR -n NS`: its own HOME, so no discovery cache carries over. */
async function kubectlApply(binary: string, url: string, dir: string, namespace: string, kube: KubeClient): Promise<number> {
  const home = await mkdtemp(join(tmpdir(), 'sluice-bench-sync-kubectl-'));
  try {
    const kubeconfig = join(home, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigFor(url), { mode: 0o600 });
    const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig, KUBECTL_COMMAND_HEADERS: 'false' };
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    return await execTimed(binary, [`--cache-dir=${join(home, 'cache')}`, 'apply', '-R', '-f', dir, '-n', namespace, '-o', 'name'], env);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function application(name: string, repoURL: string, namespace: string): Application {
  return testApplication({ name, repoURL, namespace });
}

/** One cold syncApp into a fresh namespace with a fresh KubeClient (cold discovery); client creation is timed. */
async function sluiceSync(git: GitSource, url: string, repoURL: string, namespace: string): Promise<number> {
  const t0 = performance.now();
  const kube = await kubeClientFor(url);
  try {
    const result = await syncApp({ git, kube, ...CONCURRENCY }, application(namespace, repoURL, namespace), { trigger: 'manual' });
    const elapsed = performance.now() - t0;
    if (result.phase !== 'Succeeded') throw new Error(`sluice sync into ${namespace}: ${result.phase}: ${result.message}`);
    const created = result.resources.filter((r) => r.action === 'created').length;
    if (created !== FILES * PER_FILE) throw new Error(`sluice sync into ${namespace}: ${result.message} (want ${FILES * PER_FILE} created)`);
    return elapsed;
  } finally {
    await kube.close();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Where Sluice's time goes, phase by phase, on one more fresh namespace and a fresh client. */
async function breakdown(work: string, url: string, repoURL: string): Promise<[string, number][]> {
  const freshGit = new GitSource({ cacheDir: join(work, 'git-breakdown') });
  const repo = freshGit.repository(repoURL);
  let sha = '';
  const clone = await timed(async () => (sha = (await repo.resolve('main')).sha));
  const read = await timed(() => repo.readFiles(sha));
  const poll = await timed(() => repo.resolve('main'));
  const kube = await kubeClientFor(url);
  try {
    const app = application('sync-breakdown', repoURL, 'sync-breakdown');
    const compareOnce = () =>
      timed(async () => {
        if (isRenderFailure(await compareApp({ git: freshGit, kube, ...CONCURRENCY }, app))) throw new Error('render failed');
      });
    const coldCompare = await compareOnce();
    const compare = await compareOnce();
    const whole = await timed(() => syncApp({ git: freshGit, kube, ...CONCURRENCY }, app, { trigger: 'manual' }));
    await verify(kube, 'sync-breakdown', 'sluice (breakdown)');
    return [
      ['git first fetch (empty cache)', clone],
      ['git read files at the commit', read],
      ['git resolve, cached (ref poll)', poll],
      ['compare, new client (poll+read+render+discovery+live reads+diff)', coldCompare],
      ['compare again, warm client (discovery cached)', compare],
      ['syncApp, warm client (compare + namespace + 500 creates)', whole],
      ['  of which namespace + creates (≈ syncApp − warm compare)', whole - compare],
    ];
  } finally {
    await kube.close();
  }
}

/** Samples this process's CPU only while `fn` runs (for SYNC_BENCH_PROFILE_DIR); the profiles of several calls are merged by time. */
class WindowProfiler {
  private session: Session | undefined;

  async around<T>(fn: () => Promise<T>): Promise<T> {
    if (process.env.SYNC_BENCH_PROFILE_DIR === undefined) return fn();
    if (this.session === undefined) {
      this.session = new Session();
      this.session.connect();
      await this.session.post('Profiler.enable');
      await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    await this.session.post('Profiler.start');
    try {
      return await fn();
    } finally {
      const { profile } = await this.session.post('Profiler.stop');
      const dir = process.env.SYNC_BENCH_PROFILE_DIR;
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `sync-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    }
  }

  close(): void {
    this.session?.disconnect();
  }
}

// ---------------------------------------------------------------- run

export async function run(): Promise<number> {
  const kubectl = findKubectl();
  if (kubectl === undefined) {
    console.error('sync: kubectl is not on PATH; the peer cannot run');
    return 1;
  }
  const work = await mkdtemp(join(tmpdir(), 'sluice-bench-sync-'));
  const cluster = await startCluster();
  const server = await startGitServer();
  const kube = await kubeClientFor(cluster.url);
  try {
    const files = workload();
    const dir = join(work, 'manifests');
    for (const [path, text] of files) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    const repo = await server.createRepo('sync-bench');
    await repo.commit(Object.fromEntries([...files].map(([path, text]) => [`app/${path}`, text])), 'app');
    const objects = FILES * PER_FILE;
    console.log(`sync: ${objects} objects (${KINDS.map((k) => k.kind).join(', ')}) in ${files.size} files; cluster ${IN_PROCESS ? 'in this process' : 'in its own process'}, no controllers`);
    console.log(`kubectl: ${kubectl}`);

    // Untimed warm-ups: kubectl's binary into the page cache, Sluice's code (and the API server's) through the JIT.
    const warmups: number[] = [];
    for (let i = 0; i < WARMUP; i++) {
      await kubectlApply(kubectl, cluster.url, dir, `kubectl-warmup-${i}`, kube);
      warmups.push(await sluiceSync(new GitSource({ cacheDir: join(work, `git-warmup-${i}`) }), cluster.url, repo.url, `sluice-warmup-${i}`));
    }

    const git = new GitSource({ cacheDir: join(work, 'git') });
    const profiler = new WindowProfiler();
    const kubectlRuns: Run[] = [];
    const sluiceRuns: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const kns = `kubectl-${i}`;
      const sns = `sluice-${i}`;
      kubectlRuns.push(await measured(cluster, exitedChildrenCpuTimeMs, () => kubectlApply(kubectl, cluster.url, dir, kns, kube)));
      sluiceRuns.push(await measured(cluster, () => cpuTimeMs('self'), () => profiler.around(() => sluiceSync(git, cluster.url, repo.url, sns))));
      await verify(kube, kns, 'kubectl');
      await verify(kube, sns, 'sluice');
    }
    profiler.close();
    const phases = await breakdown(work, cluster.url, repo.url);

    const kubectlMs = kubectlRuns.map((r) => r.wallMs);
    const sluiceMs = sluiceRuns.map((r) => r.wallMs);
    const kMed = percentile(kubectlMs, 50);
    const sMed = percentile(sluiceMs, 50);
    const ratio = sMed / kMed;
    const list = (xs: readonly number[]) => xs.map((x) => formatMs(x)).join(', ');
    const row = (label: string, ms: number, note = '') => console.log(`${label.padEnd(64)} ${formatMs(ms).padStart(8)} ms${note ? `   ${note}` : ''}`);
    row(`kubectl apply -R -f DIR -n NS (median of ${RUNS}: ${list(kubectlMs)})`, kMed);
    row(`sluice syncApp (median of ${RUNS}: ${list(sluiceMs)})`, sMed, `${ratio.toFixed(2)}× kubectl  (target ≤ ${TARGET_RATIO}×)`);
    row('sluice syncApp, run 1 only (empty git cache, includes clone)', sluiceMs[0]!, `${(sluiceMs[0]! / kMed).toFixed(2)}× kubectl`);
    row(`sluice first sync of this process (untimed warm-ups: ${list(warmups)})`, warmups[0]!, `${(warmups[0]! / kMed).toFixed(2)}× kubectl, not gated`);
    const cpu = (runs: readonly Run[], of: 'clientCpuMs' | 'serverCpuMs') => percentile(runs.map((r) => r[of]), 50);
    for (const [who, runs] of [['kubectl', kubectlRuns], ['sluice', sluiceRuns]] as const) {
      row(`${who}: CPU ms, median (client; API server)`, cpu(runs, 'clientCpuMs'), `API server ${formatMs(cpu(runs, 'serverCpuMs'))} ms`);
    }
    const costRatio = (cpu(sluiceRuns, 'clientCpuMs') + cpu(sluiceRuns, 'serverCpuMs')) / (cpu(kubectlRuns, 'clientCpuMs') + cpu(kubectlRuns, 'serverCpuMs'));
    console.log(`CPU (client + API server) sluice / kubectl: ${costRatio.toFixed(2)} (not gated; load average ${loadavg().map((l) => l.toFixed(2)).join(', ')})`);
    console.log('sluice breakdown (one extra run, fresh cache and namespace):');
    for (const [label, ms] of phases) row(`  ${label}`, ms);
    console.log(`verified: every namespace holds ${Object.entries(expectedCounts()).map(([k, n]) => `${n} ${k}`).join(', ')}`);
    const ok = ratio <= TARGET_RATIO;
    console.log(`kubectl ${formatMs(kMed)} ms, sluice ${formatMs(sMed)} ms, ratio ${ratio.toFixed(3)}, target ≤ ${TARGET_RATIO}: ${ok ? 'PASS' : 'MISS'}`);
    return ok ? 0 : 1;
  } finally {
    await kube.close();
    await server.stop();
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}
