/**
 * `npm run bench -- rollout`: 100 apps, each rolling a 10-replica Deployment in 3 steps
 * ([20, 50, 100] %, maxSurge 2, maxUnavailable 0, stepHold 10 s) on the embedded cluster (a
 * ScaledClock), with the controller, the real Redis and the real Git server in this process.
 * Then every app gets a crash-looping image and is rolled back.
 *
 * Reports: wall and cluster time, process CPU per completed rollout (controller and cluster
 * together: they share the process), API writes per rollout (the controller's requests,
 * counted by a proxy in front of the API server), peak RSS, and how long after a failure is
 * observable in the API (the API server first holds a new pod that breaks the failure budget:
 * with failure.restarts 0, its first restart) the rollback's first write (the pause of the
 * failing Deployment) comes, in cluster time. Target (issue): p99 ≤ 1 s of cluster time.
 */
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { Controller } from '../src/controller/controller.ts';
import { GitSource } from '../src/git/index.ts';
import type { JsonObject } from '../src/json.ts';
import { kubeClientFor } from '../src/kube/client.ts';
import { objectsAt } from '../src/health/fields.ts';
import { podView } from '../src/rollout/observe.ts';
import { judgePods } from '../src/rollout/plan.ts';
import { startGitServer } from '../src/demo/git-server.ts';
import { startRedis } from '../src/queue/redis-server.ts';
import { ScaledClock } from '../src/sim/clock.ts';
import { startSimCluster } from '../src/sim/index.ts';
import { testApplication } from '../test/support/apps.ts';
import { startCountingProxy } from '../test/support/counting-proxy.ts';
import { until } from '../test/support/wait.ts';
import { peakRssKiB } from './lib/proc.ts';
import { formatMs, percentile } from './lib/stats.ts';

const APPS = Number(process.env.ROLLOUT_APPS ?? 100);
const SPEED = Number(process.env.ROLLOUT_SPEED ?? 5);
const TARGET_DETECT_P99_MS = 1_000;

const name = (i: number) => `r${String(i).padStart(3, '0')}`;
function deployment(image: string, fault?: string): string {
  const annotations = { 'sim.sluice.dev/ready-after': '5s', ...(fault === undefined ? {} : { 'sim.sluice.dev/fault': fault }) };
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: ${JSON.stringify(annotations)}}
    spec:
      containers: [{name: web, image: "${image}", resources: {requests: {cpu: 10m, memory: 16Mi}}}]
`;
}

export async function run(): Promise<number> {
  const clock = new ScaledClock({ speed: SPEED });
  const [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock, nodes: 20 }), startGitServer(), startRedis()]);
  const proxy = await startCountingProxy(cluster.url);
  const kube = await kubeClientFor(proxy.url);
  const repo = await git.createRepo('fleet');
  const files = (image: string, fault?: string) => Object.fromEntries(Array.from({ length: APPS }, (_, i) => [`${name(i)}/deploy.yaml`, deployment(image, fault)]));
  await repo.commit(files('web:1'), 'v1');
  const apps = Array.from({ length: APPS }, (_, i) =>
    testApplication({ name: name(i), repoURL: repo.url, path: name(i), intervalMs: 5_000, rollout: { steps: [20, 50, 100], stepHoldMs: 10_000, maxSurge: 2, maxUnavailable: 0, failure: { restarts: 0, notReadyForMs: 600_000 } } }),
  );
  const decidedAt = new Map<string, number>();
  const controller = await Controller.start({
    apps,
    // as `sluice controller` runs it (controller/run.ts): the fleet's polls of one repository share an ls-remote a second
    git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-bench-rollout-')), refsTtlMs: 1_000 }),
    kube,
    redisUrl: redis.url,
    prefix: 'bench',
    concurrency: 16,
    selfHealDebounceMs: 20,
    appBusyRetryMs: Number(process.env.ROLLOUT_BUSY_RETRY_MS ?? 50),
    clock,
    // when each app's rollout decided to roll back (its RollbackStarted notice): splits the detection time in two
    log: (line) => {
      const decided = /^(r\d+): RolloutRollbackStarted:/.exec(line);
      if (decided !== null && !decidedAt.has(decided[1]!)) decidedAt.set(decided[1]!, performance.now());
    },
  });
  const store = controller.rollouts.store;
  // the bench's own watching shares the process with the controller: one read per app, twice a second
  const phases = async (revision: string) =>
    Promise.all(
      apps.map(async (a) => {
        const state = await store.get(a.name);
        return state?.revision === revision ? state.phase : undefined;
      }),
    );
  try {
    await until('the first sync', async () => (await Promise.all(apps.map((a) => store.healthyRevision(a.name)))).every((r) => r !== undefined), 300_000, 200);

    // good rollouts
    const good = await repo.commit(files('web:2'), 'v2');
    const writesBefore = proxy.writes().length;
    const cpuBefore = process.cpuUsage();
    const wallStart = performance.now();
    const clusterStart = clock.now().getTime();
    await until('every rollout to succeed', async () => (await phases(good)).every((p) => p === 'Succeeded'), 600_000, 500);
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallStart;
    const clusterMs = clock.now().getTime() - clusterStart;
    const writes = proxy.writes().slice(writesBefore).filter((w) => !w.path.includes('/events'));

    // failing rollouts: when the API server first holds a new pod whose state breaks the failure
    // budget (the planner's own judge, on the cluster's watch in this process: no client lag), and
    // when the rollback's first write (the pause of the failing Deployment) reaches the API
    const failingSince = new Map<string, number>();
    const policy = apps[0]!.spec.rollout;
    const stopPods = cluster.api.watch(cluster.api.registry.lookup('', 'v1', 'pods')!, undefined, {}, {
      event: (_type, pod) => {
        const ns = String((pod['metadata'] as JsonObject)['namespace']);
        if (failingSince.has(ns)) return;
        const current = objectsAt(pod, 'spec', 'containers').some((c) => c['image'] === 'web:3');
        if (judgePods([podView(pod, current)], policy, clock.now().getTime()).failing.length > 0) failingSince.set(ns, performance.now());
      },
      error: () => undefined,
    });
    // how long this process's event loop kept callbacks waiting meanwhile: the share of the
    // figure that is a starved process (the host's other work, the cluster in this process)
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const bad = await repo.commit(files('web:3', 'crash-loop'), 'v3');
    await until('every rollback', async () => (await phases(bad)).every((p) => p === 'RolledBack' || p === 'Failed'), 600_000, 500);
    stopPods();
    loopDelay.disable();
    const detect: number[] = [];
    const decide: number[] = [];
    for (const a of apps) {
      const since = failingSince.get(a.name);
      const decided = decidedAt.get(a.name);
      if (since === undefined || decided === undefined) continue;
      // the first write to the app's namespace once the rollout decided to roll back: its pause
      // (a look makes no pacing write when it fails, so no earlier step's write can be taken for it)
      const first = proxy.writes(decided).find((w) => w.path.includes(`/namespaces/${a.name}/`) && !w.path.includes('/events'));
      if (first !== undefined) detect.push((first.at - since) * SPEED);
      decide.push((decided - since) * SPEED);
    }
    const rolledBack = (await phases(bad)).filter((p) => p === 'RolledBack').length;
    const p99 = percentile(detect, 99);
    console.log(`rollout: ${APPS} apps × 10 replicas, 3 steps, stepHold 10 s, cluster speed ×${SPEED}`);
    console.log(`  good rollouts: ${APPS} succeeded in ${(wallMs / 1000).toFixed(1)} s wall, ${(clusterMs / 1000).toFixed(0)} s cluster`);
    console.log(`  CPU per rollout (controller + cluster, one process): ${formatMs((cpu.user + cpu.system) / 1000 / APPS)} ms`);
    console.log(`  API writes per rollout (controller): ${(writes.length / APPS).toFixed(1)}`);
    console.log(`  failing rollouts: ${rolledBack}/${APPS} rolled back; failure observable → rollback's first write, cluster time: p50 ${formatMs(percentile(detect, 50))} ms, p99 ${formatMs(p99)} ms (target ≤ ${TARGET_DETECT_P99_MS} ms; ${detect.length} measured)`);
    console.log(`    of which failure observable → rollback decided: p50 ${formatMs(percentile(decide, 50))} ms, p99 ${formatMs(percentile(decide, 99))} ms`);
    console.log(`    event loop delay of this process meanwhile: p50 ${formatMs(loopDelay.percentile(50) / 1e6)} ms, p99 ${formatMs(loopDelay.percentile(99) / 1e6)} ms (wall); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`  peak RSS: ${((peakRssKiB('self') ?? 0) / 1024).toFixed(0)} MiB`);
    return rolledBack === APPS && detect.length === APPS && p99 <= TARGET_DETECT_P99_MS ? 0 : 1;
  } finally {
    await controller.stop();
    await kube.close();
    await Promise.all([proxy.stop(), cluster.stop(), git.stop(), redis.stop()]);
  }
}
