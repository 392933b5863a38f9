/**
 * `npm run bench -- controller`: a fleet of CONTROLLER_BENCH_APPS (1,000) apps × 20
 * objects on one Git repository, synced by one controller process (`controller-process.ts`,
 * started as `sluice start` runs: node with Sluice's heap flags and the tsx loader) through Redis against the
 * embedded API server in a process of its own. Reports the cold sync of the whole fleet,
 * then a no-change reconcile of every app (time, and API writes, which must be 0), and the
 * controller process's peak RSS next to that of an idle process loading the same code.
 * Targets (issue 5): cold sync ≤ 60 s; no-change reconcile ≤ 5 s with 0 writes; RSS ≤ 250 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { isAppState, type AppState } from '../src/controller/state.ts';
import { startGitServer } from '../src/demo/git-server.ts';
import { kubeClientFor, type KubeClient } from '../src/kube/client.ts';
import { SluiceQueue } from '../src/queue/producer.ts';
import { startRedis } from '../src/queue/redis-server.ts';
import { HistoryStore } from '../src/store/history.ts';
import { stopProcess } from '../src/child-process.ts';
import { HEAP_FLAGS } from '../src/cli/heap.ts';
import { appName, manifests } from './lib/fleet-apps.ts';
import { peakRssKiB, spawnSimServer } from './lib/proc.ts';

const APPS = Number(process.env.CONTROLLER_BENCH_APPS ?? 1000);
const CONCURRENCY = Number(process.env.CONTROLLER_BENCH_CONCURRENCY ?? 8);
const TARGET_COLD_MS = 60_000;
const TARGET_RECONCILE_MS = 5_000;
const TARGET_RSS_MB = 250;
/** The heap settings Sluice ships with (src/cli/heap.ts); CONTROLLER_BENCH_NODE_FLAGS='' measures V8's defaults. */
const NODE_FLAGS = process.env.CONTROLLER_BENCH_NODE_FLAGS ?? HEAP_FLAGS.join(' ');
const CHILD = fileURLToPath(new URL('./controller-process.ts', import.meta.url));
const IDLE = fileURLToPath(new URL('./lib/idle-controller.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The API server's current resourceVersion: every write moves it by one. */
async function resourceVersion(kube: KubeClient): Promise<number> {
  return Number((await kube.list('v1', 'Namespace', { limit: 1 })).resourceVersion);
}

async function until(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startProcess(env: Record<string, string>, script: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...NODE_FLAGS.split(' ').filter(Boolean), '--import', 'tsx', script], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`controller process exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', () => resolve(child));
  });
}

/** Peak RSS of a process that loads the controller's code and does nothing: the floor under the fleet's figure. */
async function idleRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', IDLE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const kib = peakRssKiB(child.pid!) ?? 0;
  await stopProcess(child);
  return kib / 1024;
}

export async function run(): Promise<number> {
  const sim = await spawnSimServer();
  const redis = await startRedis();
  const git = await startGitServer();
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-bench-controller-'));
  const kube = await kubeClientFor(sim.url);
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const states = new HistoryStore(connection);
  const queue = new SluiceQueue({ connection: redis.url });
  let child: ChildProcess | undefined;
  try {
    const repo = await git.createRepo('fleet');
    const files: Record<string, string> = {};
    for (let i = 0; i < APPS; i++) files[`${appName(i)}/objects.yaml`] = manifests(appName(i));
    const sha = await repo.commit(files, 'fleet');
    const names = Array.from({ length: APPS }, (_, i) => appName(i));
    const all = async (): Promise<(AppState | undefined)[]> => (await Promise.all(names.map((n) => states.getState(n)))).map((s) => (isAppState(s) ? s : undefined));
    console.log(`controller: ${APPS} apps × 20 objects (${APPS * 20} objects) on one repository, ${CONCURRENCY} operations at a time; controller and API server in processes of their own; controller node flags: ${NODE_FLAGS || '(none)'}`);

    const coldStart = performance.now();
    child = await startProcess(
      { SIM_URL: sim.url, REDIS_URL: redis.url, REPO_URL: repo.url, APPS: String(APPS), CONCURRENCY: String(CONCURRENCY), CACHE_DIR: cacheDir },
      CHILD,
    );
    await until('cold sync', 10 * 60_000, async () => (await all()).every((s) => s?.syncedRevision === sha));
    const coldMs = performance.now() - coldStart;

    await new Promise((r) => setTimeout(r, 2_000)); // the watch's refreshes after the cold sync drain
    const rvBefore = await resourceVersion(kube);
    const reconcileFrom = new Date();
    const startedAt = performance.now();
    await Promise.all(names.map((n) => queue.requestSync(n, { trigger: 'poll' })));
    await until('no-change reconcile', 5 * 60_000, async () => (await all()).every((s) => s !== undefined && new Date(s.comparedAt) >= reconcileFrom));
    const reconcileMs = performance.now() - startedAt;
    const writes = (await resourceVersion(kube)) - rvBefore;
    const notSynced = (await all()).filter((s) => s?.sync !== 'Synced').length;
    const rssMb = (peakRssKiB(child.pid!) ?? 0) / 1024;
    const idleMb = await idleRssMb();

    console.log(`cold sync of the fleet          ${(coldMs / 1000).toFixed(1).padStart(7)} s   (${Math.round((APPS * 20) / (coldMs / 1000))} objects/s)   target ≤ ${TARGET_COLD_MS / 1000} s`);
    console.log(`no-change reconcile of all apps ${(reconcileMs / 1000).toFixed(2).padStart(7)} s   API writes ${writes}, apps not Synced ${notSynced}   target ≤ ${TARGET_RECONCILE_MS / 1000} s, 0 writes`);
    console.log(`controller process peak RSS     ${rssMb.toFixed(0).padStart(7)} MB  (an idle process with the same code: ${idleMb.toFixed(0)} MB)   target ≤ ${TARGET_RSS_MB} MB`);
    const met = { cold: coldMs <= TARGET_COLD_MS, reconcile: reconcileMs <= TARGET_RECONCILE_MS && writes === 0 && notSynced === 0, rss: rssMb <= TARGET_RSS_MB };
    console.log(Object.entries(met).map(([k, ok]) => `${k}: ${ok ? 'met' : 'MISSED'}`).join(', '));
    return Object.values(met).every(Boolean) ? 0 : 1;
  } finally {
    if (child) await stopProcess(child);
    await queue.close();
    connection.disconnect();
    await kube.close();
    await git.stop();
    await redis.stop();
    await sim.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
}
