/**
 * `npm run bench -- controller`: a fleet of CONTROLLER_BENCH_APPS (1,000) apps × 20
 * objects on one Git repository, synced by one controller process through Redis against
 * the embedded API server in its own process. Reports the cold sync of the whole fleet,
 * then a no-change reconcile of every app (time, and API writes, which must be 0), and the
 * controller process's peak RSS.
 * Targets (issue 5): cold sync ≤ 60 s; no-change reconcile ≤ 5 s with 0 writes; RSS ≤ 250 MB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Application } from '../src/app/types.ts';
import { Controller } from '../src/controller/controller.ts';
import { startGitServer } from '../src/demo/git-server.ts';
import { GitSource } from '../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../src/kube/client.ts';
import { startRedis } from '../src/queue/redis-server.ts';
import { spawnSimServer } from './lib/proc.ts';

const APPS = Number(process.env.CONTROLLER_BENCH_APPS ?? 1000);
const CONCURRENCY = Number(process.env.CONTROLLER_BENCH_CONCURRENCY ?? 8);
const TARGET_COLD_MS = 60_000;
const TARGET_RECONCILE_MS = 5_000;
const TARGET_RSS_MB = 250;

const appName = (i: number) => `app-${String(i).padStart(4, '0')}`;

/** 20 objects: 10 ConfigMaps, 4 Secrets, 3 Services, 2 ServiceAccounts, 1 Deployment. */
function manifests(app: string): string {
  const docs: string[] = [];
  for (let i = 0; i < 10; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-cfg-${i}\ndata:\n  key: "value ${i}"\n  mode: "0644"\n`);
  for (let i = 0; i < 4; i++) docs.push(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${app}-secret-${i}\ntype: Opaque\nstringData:\n  token: t-${i}\n`);
  for (let i = 0; i < 3; i++) docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}-svc-${i}\nspec:\n  selector: {app: ${app}}\n  ports:\n    - port: ${8080 + i}\n      targetPort: 8080\n`);
  for (let i = 0; i < 2; i++) docs.push(`apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${app}-sa-${i}\n`);
  docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ${app}}\n  template:\n    metadata:\n      labels: {app: ${app}}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.25\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n`);
  return docs.join('---\n');
}

function application(i: number, repoURL: string): Application {
  const name = appName(i);
  return {
    name,
    namespace: 'sluice-system',
    spec: {
      source: { repoURL, targetRevision: 'main', path: name, recurse: true },
      destination: { namespace: `ns-${String(i % 50).padStart(2, '0')}` },
      syncPolicy: {
        automated: { prune: true, selfHeal: false },
        syncOptions: { createNamespace: true, pruneLast: false, serverSideApply: false },
        intervalMs: 3_600_000,
      },
      ignoreDifferences: [],
    },
  };
}

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

export async function run(): Promise<number> {
  const sim = await spawnSimServer();
  const redis = await startRedis();
  const git = await startGitServer();
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-bench-controller-'));
  const kube = await kubeClientFor(sim.url);
  let controller: Controller | undefined;
  try {
    const repo = await git.createRepo('fleet');
    const files: Record<string, string> = {};
    for (let i = 0; i < APPS; i++) files[`${appName(i)}/objects.yaml`] = manifests(appName(i));
    const sha = await repo.commit(files, 'fleet');
    const apps = Array.from({ length: APPS }, (_, i) => application(i, repo.url));
    console.log(`controller: ${APPS} apps × 20 objects (${APPS * 20} objects) on one repository, ${CONCURRENCY} operations at a time; API server in its own process`);

    const coldStart = performance.now();
    controller = await Controller.start({
      apps,
      git: new GitSource({ cacheDir, refsTtlMs: 1_000 }),
      kube,
      redisUrl: redis.url,
      concurrency: CONCURRENCY,
      log: () => undefined,
    });
    const c = controller;
    const allSynced = async () => (await Promise.all(apps.map((a) => c.state(a.name)))).every((s) => s?.syncedRevision === sha);
    await until('cold sync', 10 * 60_000, allSynced);
    const coldMs = performance.now() - coldStart;
    const objects = (await kube.list('v1', 'ConfigMap', { labelSelector: 'sluice.dev/app' })).items.length;

    await new Promise((r) => setTimeout(r, 2_000)); // let the watch-triggered refreshes of the cold sync drain
    const rvBefore = await resourceVersion(kube);
    const reconcileStart = new Date();
    const startedAt = performance.now();
    await Promise.all(apps.map((a) => c.requestSync(a.name, { trigger: 'poll' })));
    await until('no-change reconcile', 5 * 60_000, async () =>
      (await Promise.all(apps.map((a) => c.state(a.name)))).every((s) => s !== undefined && new Date(s.comparedAt) >= reconcileStart),
    );
    const reconcileMs = performance.now() - startedAt;
    const writes = (await resourceVersion(kube)) - rvBefore;
    const outOfSync = (await Promise.all(apps.map((a) => c.state(a.name)))).filter((s) => s?.sync !== 'Synced').length;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    console.log(`memory now: rss ${(mem.rss / 1048576).toFixed(0)} MB, heap used ${(mem.heapUsed / 1048576).toFixed(0)} MB of ${(mem.heapTotal / 1048576).toFixed(0)}, external ${(mem.external / 1048576).toFixed(0)} MB, array buffers ${(mem.arrayBuffers / 1048576).toFixed(0)} MB`);

    console.log(`cold sync of the fleet          ${(coldMs / 1000).toFixed(1).padStart(7)} s   (${Math.round((APPS * 20) / (coldMs / 1000))} objects/s; ${objects} ConfigMaps tracked)   target ≤ ${TARGET_COLD_MS / 1000} s`);
    console.log(`no-change reconcile of all apps ${(reconcileMs / 1000).toFixed(2).padStart(7)} s   API writes ${writes}, apps not Synced ${outOfSync}   target ≤ ${TARGET_RECONCILE_MS / 1000} s, 0 writes`);
    console.log(`controller process peak RSS     ${rssMb.toFixed(0).padStart(7)} MB  (controller, the Git server's node wrapper, this bench)   target ≤ ${TARGET_RSS_MB} MB`);
    const met = { cold: coldMs <= TARGET_COLD_MS, reconcile: reconcileMs <= TARGET_RECONCILE_MS && writes === 0 && outOfSync === 0, rss: rssMb <= TARGET_RSS_MB };
    console.log(Object.entries(met).map(([k, ok]) => `${k}: ${ok ? 'met' : 'MISSED'}`).join(', '));
    return Object.values(met).every(Boolean) ? 0 : 1;
  } finally {
    await controller?.stop();
    kube.close();
    await git.stop();
    await redis.stop();
    await sim.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
}
