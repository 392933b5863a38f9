import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Application } from '../../src/app/types.ts';
import { rolloutCommand } from '../../src/cli/rollout-commands.ts';
import { Controller } from '../../src/controller/controller.ts';
import { SluiceQueue } from '../../src/queue/producer.ts';
import { requestRollout, rollback, rolloutView, unpin, type CommandContext } from '../../src/rollout/commands.ts';
import { rolloutDurationMs, type RolloutState } from '../../src/rollout/types.ts';
import { HistoryStore } from '../../src/store/history.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { Informer } from '../../src/kube/watch.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

/** Cluster time runs this much faster than the wall clock. */
const SPEED = 10;

/** `ownStrategy: false` leaves the rolling-update bounds to the app's rollout policy. */
function deployment(opts: { image: string; replicas?: number; annotations?: Record<string, string>; ownStrategy?: boolean }): string {
  const annotations = { 'sim.sluice.dev/ready-after': '5s', ...opts.annotations };
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${opts.replicas ?? 10}
${opts.ownStrategy === false ? '' : '  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 2, maxUnavailable: 0}}\n'}  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: ${JSON.stringify(annotations)}
    spec:
      containers: [{name: web, image: "${opts.image}"}]
`;
}
function statefulSet(image: string): string {
  return `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 4
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {sim.sluice.dev/ready-after: 3s}
    spec:
      containers: [{name: db, image: "${image}"}]
`;
}
function daemonSet(image: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata:
      labels: {app: agent}
      annotations: {sim.sluice.dev/ready-after: 3s}
    spec:
      containers: [{name: agent, image: "${image}"}]
`;
}
const config = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: ${color}}\n`;

interface PodCount {
  readonly at: string;
  readonly running: number;
  readonly available: number;
}

describe.skipIf(!gitAvailable() || !redisAvailable())('progressive rollouts on the embedded cluster', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  /** a second controller process's worth on the same Redis (must-show 5): the app lock gives each app one driver */
  let second: Controller;
  const compares = () => [controller, second].reduce((n, c) => n + c.compareCounts.full + c.compareCounts.reused, 0);
  let apps: Application[];
  /** rollouts either controller reported finished (the metrics hook) */
  const finished: RolloutState[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('rollouts');
    await repo.commit(
      {
        'steps/deploy.yaml': deployment({ image: 'web:1', ownStrategy: false }),
        'steps/config.yaml': config('blue'),
        'bad/deploy.yaml': deployment({ image: 'web:1', replicas: 4 }),
        'bad/config.yaml': config('blue'),
        'pinned/config.yaml': config('blue'),
        'ordered/db.yaml': statefulSet('db:1'),
        'ordered/agent.yaml': daemonSet('agent:1'),
        'manual/deploy.yaml': deployment({ image: 'web:1', replicas: 4 }),
        'server-side/deploy.yaml': deployment({ image: 'web:1', replicas: 4 }),
      },
      'first',
    );
    apps = [
      testApplication({ name: 'steps', repoURL: repo.url, path: 'steps', intervalMs: 400, rollout: { steps: [20, 50, 100], stepHoldMs: 10_000, maxSurge: 2, maxUnavailable: 0 } }),
      testApplication({ name: 'bad', repoURL: repo.url, path: 'bad', intervalMs: 400, rollout: { steps: [50, 100], stepHoldMs: 5_000, failure: { restarts: 1, notReadyForMs: 30_000 } } }),
      testApplication({ name: 'pinned', repoURL: repo.url, path: 'pinned', intervalMs: 400 }),
      testApplication({ name: 'manual', repoURL: repo.url, path: 'manual', intervalMs: 400, rollout: { steps: [50, 100], stepHoldMs: 3_600_000 } }),
      testApplication({ name: 'ordered', repoURL: repo.url, path: 'ordered', intervalMs: 400, rollout: { steps: [50, 100], stepHoldMs: 5_000 } }),
      testApplication({ name: 'server-side', repoURL: repo.url, path: 'server-side', intervalMs: 400, syncOptions: { serverSideApply: true }, rollout: { steps: [50, 100], stepHoldMs: 5_000 } }),
    ];
    const start = async () =>
      Controller.start({
        apps,
        git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-rollout-git-')) }),
        kube,
        redisUrl: redis.url,
        prefix: 'rollout',
        selfHealDebounceMs: 50,
        clock: cluster.clock as ScaledClock,
        log: () => undefined,
        onRolloutFinished: (state) => finished.push(state),
      });
    [controller, second] = [await start(), await start()];
  });
  afterAll(async () => {
    await Promise.all([controller?.stop(), second?.stop()]);
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const get = (kind: string, ns: string, name: string) => kube.get({ apiVersion: kind === 'ConfigMap' ? 'v1' : 'apps/v1', kind, namespace: ns, name });
  const image = async (ns: string) => (((await get('Deployment', ns, 'web'))?.['spec'] as JsonObject)['template'] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image;
  const complete = async (ns: string, replicas: number) => {
    const status = (await get('Deployment', ns, 'web'))?.['status'] as { updatedReplicas?: number; availableReplicas?: number; replicas?: number } | undefined;
    return status?.updatedReplicas === replicas && status.availableReplicas === replicas && status.replicas === replicas;
  };

  it('rolls a Deployment out in steps within maxSurge/maxUnavailable, holding each step, one driver across two controllers (must-shows 1, 5)', async () => {
    await until('first revision running', () => complete('steps', 10), 30_000);
    await until('first revision recorded healthy', async () => (await controller.rollouts.store.healthyRevision('steps')) !== undefined, 10_000);
    const counts: PodCount[] = [];
    const pods = new Informer(kube, { apiVersion: 'v1', kind: 'Pod', namespace: 'steps' });
    let listed = false;
    pods.onChange(() => {
      if (!listed) return; // the first list arrives one pod at a time
      const live = pods.list().filter((p) => (p['metadata'] as JsonObject)['deletionTimestamp'] === undefined);
      const available = live.filter((p) => ((p['status'] as JsonObject | undefined)?.['conditions'] as JsonObject[] | undefined)?.some((c) => c['type'] === 'Ready' && c['status'] === 'True'));
      counts.push({ at: cluster.clock.now().toISOString(), running: live.length, available: available.length });
    });
    await pods.start();
    listed = true;
    const revision = await repo.commit({ 'steps/deploy.yaml': deployment({ image: 'web:2', ownStrategy: false }) }, 'web:2');
    const done = await until('the rollout to succeed', async () => {
      const state = await controller.rollouts.store.get('steps');
      return state?.revision === revision && state.phase === 'Succeeded' ? state : undefined;
    }, 60_000);
    await pods.stop();
    expect(await image('steps')).toBe('web:2');
    expect(await complete('steps', 10)).toBe(true);
    expect(counts.length).toBeGreaterThan(20);
    expect(Math.max(...counts.map((c) => c.running))).toBeLessThanOrEqual(12);
    expect(Math.min(...counts.map((c) => c.available))).toBeGreaterThanOrEqual(10);
    // the timeline, on the cluster clock: each step passes no sooner than stepHold after the one before started
    const events = (await controller.rollouts.store.events('steps')).filter((e) => e.revision === revision).reverse();
    expect(events.map((e) => e.type)).toEqual(['Started', 'StepPassed', 'StepPassed', 'Succeeded']);
    for (let i = 1; i < events.length; i++) expect(Date.parse(events[i]!.at) - Date.parse(events[i - 1]!.at)).toBeGreaterThanOrEqual(10_000);
    expect(done.workloads[0]).toMatchObject({ desired: 10, updated: 10, stepTarget: 10, maxSurge: 2, maxUnavailable: 0 });
    // reported once, by whichever controller finished it, with its length on the cluster clock (3 holds of 10 s)
    const reported = finished.filter((s) => s.revision === revision);
    expect(reported.map((s) => s.phase)).toEqual(['Succeeded']);
    expect(rolloutDurationMs(reported[0]!)).toBeGreaterThanOrEqual(30_000);
  }, 90_000);

  it('rolls the whole app back from a crash-looping image through the failure budget, and never re-applies it (must-shows 2, 3)', async () => {
    await until('first revision running', () => complete('bad', 4), 30_000);
    await until('first revision recorded healthy', async () => (await controller.rollouts.store.healthyRevision('bad')) !== undefined, 10_000);
    const good = await controller.rollouts.store.healthyRevision('bad');
    const badRevision = await repo.commit({ 'bad/deploy.yaml': deployment({ image: 'web:broken', replicas: 4, annotations: { 'sim.sluice.dev/fault': 'crash-loop' } }), 'bad/config.yaml': config('red') }, 'broken');
    const rolledBack = await until('the rollback', async () => {
      const state = await controller.rollouts.store.get('bad');
      return state?.revision === badRevision && (state.phase === 'RolledBack' || state.phase === 'Failed') ? state : undefined;
    }, 60_000);
    expect(rolledBack.phase).toBe('RolledBack');
    expect(rolledBack.message).toMatch(new RegExp(`^web: \\d/4 new pods? CrashLoopBackOff after \\d+ s.*; rolled back to ${good!.slice(0, 7)}$`));
    // failed on the budget, long before the 10-minute progress deadline
    expect(Date.parse(rolledBack.finishedAt!) - Date.parse(rolledBack.startedAt)).toBeLessThan(120_000);
    expect((await get('ConfigMap', 'bad', 'settings'))?.['data']).toEqual({ color: 'blue' });
    expect(await image('bad')).toBe('web:1');
    await until('the app Healthy again on the good revision', async () => (await complete('bad', 4)) && (await controller.state('bad'))?.health === 'Healthy', 30_000);
    expect(await controller.rollouts.store.badRevisions('bad')).toEqual([badRevision]);
    expect(finished.filter((s) => s.revision === badRevision).map((s) => s.phase)).toEqual(['RolledBack']);

    const polled = compares();
    await until('three more polls', async () => compares() >= polled + 3, 10_000);
    const applied = (await controller.operations('bad')).filter((h) => h.revision === badRevision);
    expect(applied.map((h) => h.trigger)).toEqual(['poll']);
    expect(await image('bad')).toBe('web:1');

    const fixed = await repo.commit({ 'bad/deploy.yaml': deployment({ image: 'web:3', replicas: 4 }), 'bad/config.yaml': config('green') }, 'fixed');
    await until('the next good commit rolled out', async () => {
      const state = await controller.rollouts.store.get('bad');
      return state?.revision === fixed && state.phase === 'Succeeded';
    }, 60_000);
    expect(await image('bad')).toBe('web:3');
    expect((await get('ConfigMap', 'bad', 'settings'))?.['data']).toEqual({ color: 'green' });

    // a never-ready image fails on notReadyFor (30 s here) and goes back to the commit that just succeeded
    const neverReady = await repo.commit({ 'bad/deploy.yaml': deployment({ image: 'web:4', replicas: 4, annotations: { 'sim.sluice.dev/fault': 'never-ready' } }), 'bad/config.yaml': config('yellow') }, 'never ready');
    const back = await until('the second rollback', async () => {
      const state = await controller.rollouts.store.get('bad');
      return state?.revision === neverReady && !['Progressing', 'RollingBack'].includes(state.phase) ? state : undefined;
    }, 60_000);
    expect(back).toMatchObject({ phase: 'RolledBack', fromRevision: fixed });
    // not Ready for notReadyFor (30 s): the first step's new pods are created one after another, so
    // when the look comes (later on a loaded machine) one or both of them have used up the budget
    expect(back.message).toMatch(/^web: [12]\/4 new pods? not Ready after \d+ s; rolled back to /);
    expect(await image('bad')).toBe('web:3');
    expect((await get('ConfigMap', 'bad', 'settings'))?.['data']).toEqual({ color: 'green' });
    await until('the app Healthy again after the never-ready rollback', async () => (await complete('bad', 4)) && (await controller.state('bad'))?.health === 'Healthy', 30_000);
    const polledAgain = compares();
    await until('three more polls after it', async () => compares() >= polledAgain + 3, 10_000);
    expect((await controller.operations('bad')).filter((h) => h.revision === neverReady).map((h) => h.trigger), 'the never-ready commit applied once').toEqual(['poll']);
    expect(await image('bad')).toBe('web:3');
    expect(await controller.rollouts.store.badRevisions('bad')).toEqual(expect.arrayContaining([badRevision, neverReady]));
  }, 180_000);

  it('keeps a manual rollback pinned through polls with auto-sync on, until unpin or a newer commit (must-show 6)', async () => {
    const app = apps.find((a) => a.name === 'pinned')!;
    const client = new Redis(redis.url);
    const queue = new SluiceQueue({ connection: redis.url, prefix: 'rollout' });
    const ctx: CommandContext = { store: controller.rollouts.store, history: new HistoryStore(client, { prefix: 'rollout' }), queue, git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-pin-git-')) }) };
    const color = async () => ((await get('ConfigMap', 'pinned', 'settings'))?.['data'] as { color?: string } | undefined)?.color;
    try {
      await until('first commit synced', async () => (await color()) === 'blue', 20_000);
      const first = (await controller.operations('pinned')).find((h) => h.phase === 'Succeeded')!;
      await repo.commit({ 'pinned/config.yaml': config('green') }, 'green');
      await until('the newer commit synced', async () => (await color()) === 'green', 20_000);

      // back to the first sync, by its history id
      const revision = await rollback(ctx, app, first.id, 'tester');
      expect(revision).toBe(first.revision);
      await until('rolled back', async () => (await color()) === 'blue', 20_000);
      const polled = compares();
      await until('three more polls', async () => compares() >= polled + 3, 10_000);
      expect(await color()).toBe('blue');
      expect((await rolloutView(ctx, 'pinned')).pinned).toMatchObject({ revision, by: 'tester' });

      expect(await unpin(ctx, app)).toBe(true);
      await until('the branch again after unpin', async () => (await color()) === 'green', 20_000);

      // the same through the CLI, then a newer commit releases the pin
      const out: string[] = [];
      const io = { out: { write: (t: string) => out.push(t) } as unknown as NodeJS.WritableStream, err: { write: (t: string) => out.push(t) } as unknown as NodeJS.WritableStream };
      const appsFile = path.join(await mkdtemp(path.join(tmpdir(), 'sluice-pin-apps-')), 'apps.yaml');
      await (await import('node:fs/promises')).writeFile(appsFile, `apiVersion: sluice.dev/v1alpha1\nkind: Application\nmetadata: {name: pinned}\nspec:\n  source: {repoURL: "${repo.url}", targetRevision: main, path: pinned}\n  destination: {namespace: pinned}\n  syncPolicy: {automated: {prune: true}}\n`);
      expect(await rolloutCommand('rollback', ['--apps', appsFile, '--app', 'pinned', '--to', revision.slice(0, 12), '--redis', redis.url, '--prefix', 'rollout', '--cache-dir', path.dirname(appsFile)], io), out.join('')).toBe(0);
      await until('rolled back from the CLI', async () => (await color()) === 'blue', 20_000);
      await repo.commit({ 'pinned/config.yaml': config('yellow') }, 'yellow');
      await until('the newer commit released the pin', async () => (await color()) === 'yellow', 20_000);
      expect((await rolloutView(ctx, 'pinned')).pinned).toBeUndefined();
      expect((await controller.rollouts.store.events('pinned')).map((e) => e.type)).toEqual(['Unpinned', 'Pinned', 'Unpinned', 'Pinned']);
    } finally {
      await queue.close();
      client.disconnect();
    }
  }, 120_000);

  it('rolls a StatefulSet through its partition and a DaemonSet gated the same way (must-show 7)', async () => {
    const status = async (kind: string, name: string) => (await kube.get({ apiVersion: 'apps/v1', kind, namespace: 'ordered', name }))?.['status'] as Record<string, number | string> | undefined;
    await until('first revision running', async () => (await status('StatefulSet', 'db'))?.['readyReplicas'] === 4 && (await status('DaemonSet', 'agent'))?.['numberReady'] === 3, 30_000);
    await until('first revision recorded healthy', async () => (await controller.rollouts.store.healthyRevision('ordered')) !== undefined, 10_000);
    const partitions: number[] = [];
    const sets = new Informer(kube, { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'ordered' });
    sets.onChange((o) => {
      const partition = ((((o['spec'] as JsonObject)['updateStrategy'] as JsonObject | undefined)?.['rollingUpdate'] as JsonObject | undefined)?.['partition'] as number | undefined) ?? 0;
      if (partitions.at(-1) !== partition) partitions.push(partition);
    });
    await sets.start();
    const revision = await repo.commit({ 'ordered/db.yaml': statefulSet('db:2'), 'ordered/agent.yaml': daemonSet('agent:2') }, 'db:2, agent:2');
    const done = await until('the rollout to succeed', async () => {
      const state = await controller.rollouts.store.get('ordered');
      return state?.revision === revision && !['Progressing', 'RollingBack'].includes(state.phase) ? state : undefined;
    }, 60_000);
    await sets.stop();
    expect(done.phase).toBe('Succeeded');
    // held behind the partition when the template changed, half the pods at step 1, then all
    expect(partitions).toEqual([0, 4, 2, 0]);
    expect(done.workloads.map((w) => [w.kind, w.updated, w.desired])).toEqual([
      ['DaemonSet', 3, 3],
      ['StatefulSet', 4, 4],
    ]);
    const events = (await controller.rollouts.store.events('ordered')).filter((e) => e.revision === revision).reverse();
    expect(events.map((e) => e.type)).toEqual(['Started', 'StepPassed', 'Succeeded']);
    expect(Date.parse(events[2]!.at) - Date.parse(events[1]!.at)).toBeGreaterThanOrEqual(5_000);
  }, 90_000);

  it('holds a Deployment at step boundaries when the app applies server-side (ServerSideApply=true)', async () => {
    await until('first revision running', () => complete('server-side', 4), 30_000);
    await until('first revision recorded healthy', async () => (await controller.rollouts.store.healthyRevision('server-side')) !== undefined, 10_000);
    // the Deployment's spec.paused and how many pods run the new image, at every change of either
    const seen: string[] = [];
    const watch = async (kind: string) => {
      const informer = new Informer(kube, { apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, namespace: 'server-side' });
      await informer.start();
      return informer;
    };
    const [deployments, pods] = await Promise.all([watch('Deployment'), watch('Pod')]);
    const record = () => {
      const paused = (deployments.list()[0]?.['spec'] as JsonObject | undefined)?.['paused'] === true;
      const updated = pods.list().filter((p) => (p['metadata'] as JsonObject)['deletionTimestamp'] === undefined && JSON.stringify(p['spec']).includes('web:2')).length;
      const line = `${paused ? 'paused' : 'running'} ${updated}`;
      if (seen.at(-1) !== line) seen.push(line);
    };
    deployments.onChange(record);
    pods.onChange(record);
    const revision = await repo.commit({ 'server-side/deploy.yaml': deployment({ image: 'web:2', replicas: 4 }) }, 'web:2 server-side');
    const done = await until('the rollout to succeed', async () => {
      const state = await controller.rollouts.store.get('server-side');
      return state?.revision === revision && !['Progressing', 'RollingBack'].includes(state.phase) ? state : undefined;
    }, 60_000);
    await Promise.all([deployments.stop(), pods.stop()]);
    expect(done.phase).toBe('Succeeded');
    expect(await image('server-side')).toBe('web:2');
    // the first change is the held apply (no new pod before the driver resumed it), paused again at step 1 with
    // the step's 2 new pods (maxSurge 2 may add up to 2 more in the controller's last move), then all 4
    expect(seen[0], seen.join(', ')).toBe('paused 0');
    const pausedAtStep = seen.filter((l) => l.startsWith('paused ') && l !== 'paused 0').map((l) => Number(l.split(' ')[1]));
    expect(pausedAtStep.length, seen.join(', ')).toBeGreaterThan(0);
    expect(Math.max(...pausedAtStep)).toBeLessThanOrEqual(4);
    expect(Math.min(...pausedAtStep)).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toBe('running 4');
    const events = (await controller.rollouts.store.events('server-side')).filter((e) => e.revision === revision).reverse();
    expect(events.map((e) => e.type)).toEqual(['Started', 'StepPassed', 'Succeeded']);
    expect(Date.parse(events[2]!.at) - Date.parse(events[1]!.at)).toBeGreaterThanOrEqual(5_000);
    // the held field is not drift: the app compares Synced once the rollout is done
    await until('Synced and Healthy', async () => {
      const state = await controller.state('server-side');
      return state?.sync === 'Synced' && state.health === 'Healthy';
    }, 20_000);
  }, 90_000);

  it('promotes past an hour-long hold, pauses and resumes, and aborts into a rollback, on request through Redis', async () => {
    const queue = new SluiceQueue({ connection: redis.url, prefix: 'rollout' });
    const ctx = { store: controller.rollouts.store, queue };
    const stateOf = async (revision: string) => {
      const state = await controller.rollouts.store.get('manual');
      return state?.revision === revision ? state : undefined;
    };
    try {
      await until('first revision running', () => complete('manual', 4), 30_000);
      await until('first revision recorded healthy', async () => (await controller.rollouts.store.healthyRevision('manual')) !== undefined, 10_000);

      const v2 = await repo.commit({ 'manual/deploy.yaml': deployment({ image: 'web:2', replicas: 4 }) }, 'v2');
      await until('step 1 holding', async () => ((await stateOf(v2))?.reachedAt !== undefined ? true : undefined), 30_000);
      await requestRollout(ctx, 'manual', 'promote');
      await until('promoted to the end', async () => (await stateOf(v2))?.phase === 'Succeeded', 30_000);

      const v3 = await repo.commit({ 'manual/deploy.yaml': deployment({ image: 'web:3', replicas: 4 }) }, 'v3');
      await until('v3 started', async () => (await stateOf(v3)) !== undefined, 30_000);
      await requestRollout(ctx, 'manual', 'pause');
      const paused = await until('paused', async () => ((await stateOf(v3))?.phase === 'Paused' ? stateOf(v3) : undefined), 30_000);
      expect(paused!.step).toBe(0);
      await requestRollout(ctx, 'manual', 'resume');
      await until('progressing again', async () => (await stateOf(v3))?.phase === 'Progressing', 30_000);
      await requestRollout(ctx, 'manual', 'promote');
      await until('v3 done', async () => (await stateOf(v3))?.phase === 'Succeeded', 30_000);

      const v4 = await repo.commit({ 'manual/deploy.yaml': deployment({ image: 'web:4', replicas: 4 }) }, 'v4');
      await until('v4 started', async () => (await stateOf(v4)) !== undefined, 30_000);
      await requestRollout(ctx, 'manual', 'abort');
      const aborted = await until('rolled back', async () => ((await stateOf(v4))?.phase === 'RolledBack' ? stateOf(v4) : undefined), 30_000);
      expect(aborted!.message).toMatch(/^rollout of [0-9a-f]{7} aborted on request at step 1\/2; rolled back to /);
      expect(aborted!.fromRevision).toBe(v3);
      expect(await image('manual')).toBe('web:3');
      await expect(requestRollout(ctx, 'manual', 'promote')).rejects.toThrow(/no rollout in progress \(the last one, of [0-9a-f]{7}, is RolledBack\)/);
    } finally {
      await queue.close();
    }
  }, 150_000);
});
