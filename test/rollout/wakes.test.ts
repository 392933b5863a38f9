/**
 * A rollout moves on what the controller is told (the watches, its own timed looks, requests),
 * never on the fallback look nor on the debounced refresh the watch asks for on drift: the
 * controller here runs with both an hour away, so a lost wake shows as a rollout that stops.
 * And a manual rollback that a poll reaches before the rollback's own job still goes straight
 * back, in one step.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../src/app/types.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { requestRollout } from '../../src/rollout/commands.ts';
import type { RolloutState } from '../../src/rollout/types.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { explaining, until } from '../support/wait.ts';
import { deploymentState } from '../support/workload-state.ts';
import { smallDeployment } from './manifests.ts';

const SPEED = 10;
/** Cluster time to the fallback look: past any wait here, so nothing may depend on it. */
const NO_FALLBACK_MS = 3_600_000;
const WAIT_MS = 60_000;

describe.skipIf(!gitAvailable() || !redisAvailable())('rollouts woken by what happens, not by the fallback look', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  const logLines: string[] = [];

  const app = (name: string, stepHoldMs: number): Application =>
    // polled once at start only: every later move is a request or a wake
    testApplication({ name, repoURL: repo.url, path: name, intervalMs: 3_600_000, rollout: { steps: [50, 100], stepHoldMs, maxSurge: 1, maxUnavailable: 0 } });

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('wakes');
    await repo.commit({ 'steps/deploy.yaml': smallDeployment('web:1'), 'pinned/deploy.yaml': smallDeployment('web:1'), 'failing/deploy.yaml': smallDeployment('web:1') }, 'v1');
    controller = await Controller.start({
      apps: [app('steps', 5_000), app('pinned', 3_600_000), app('failing', 5_000)],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-wakes-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'wakes',
      // the watch's debounced refresh is for drift: a rollout must not wait on it either
      selfHealDebounceMs: NO_FALLBACK_MS,
      clock: cluster.clock as ScaledClock,
      rolloutRecheckMs: NO_FALLBACK_MS,
      log: (line) => {
        logLines.push(line);
        logLines.splice(0, Math.max(0, logLines.length - 60));
      },
    });
  });
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const rollout = (name: string) => controller.rollouts.store.get(name);
  const image = async (name: string) => (((await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: name, name: 'web' }))?.['spec'] as JsonObject)['template'] as { spec: { containers: { image: string }[] } }).spec.containers[0]!.image;
  const complete = async (name: string) => {
    const status = (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: name, name: 'web' }))?.['status'] as { updatedReplicas?: number; availableReplicas?: number; replicas?: number } | undefined;
    return status?.updatedReplicas === 4 && status.availableReplicas === 4 && status.replicas === 4;
  };
  const explained = <T>(name: string, wait: Promise<T>) =>
    explaining(wait, async () =>
      [
        await deploymentState(kube, name, 'web'),
        `rollout: ${JSON.stringify(await rollout(name))}`,
        `pin: ${JSON.stringify(await controller.rollouts.store.pin(name))}`,
        `history: ${JSON.stringify((await controller.operations(name, 3)).map((h) => ({ id: h.id, trigger: h.trigger, phase: h.phase, revision: h.revision.slice(0, 7) })))}`,
        `state: ${JSON.stringify(await controller.state(name))}`,
        'controller log:',
        ...logLines,
      ].join('\n'),
    );
  const finished = (name: string, revision: string) => explained(name, until(`the rollout of ${revision.slice(0, 7)} in ${name} finished`, async () => {
    const state = await rollout(name);
    return state?.revision === revision && (state.phase === 'Succeeded' || state.phase === 'Failed' || state.phase === 'RolledBack') ? state : undefined;
  }, WAIT_MS));
  const firstSync = (name: string) => until(`the first sync of ${name}`, async () => (await controller.operations(name))[0]?.revision, WAIT_MS);
  /**
   * The app recorded Healthy at the revision it runs (the branch head: the apps share the repo).
   * The first sync creates the Deployment (no rollout); with no debounced refresh here, the
   * test asks for the compares that find it Healthy.
   */
  const healthy = (name: string) =>
    explained(name, until(`${name} recorded healthy`, async () => {
      const [state, recorded] = await Promise.all([controller.state(name), controller.rollouts.store.healthyRevision(name)]);
      if (state?.sync === 'Synced' && state.health === 'Healthy' && recorded === state.revision) return recorded;
      await controller.requestRefresh(name);
      return undefined;
    }, WAIT_MS, 250));

  it('rolls a pushed commit out step by step to the end with the fallback look an hour away', async () => {
    await firstSync('steps');
    await healthy('steps');
    const v2 = await repo.commit({ 'steps/deploy.yaml': smallDeployment('web:2') }, 'steps v2');
    await controller.requestSync('steps', { trigger: 'webhook' });
    const done: RolloutState = await finished('steps', v2);
    expect(done).toMatchObject({ phase: 'Succeeded', steps: 2 });
    expect(await complete('steps')).toBe(true);
    // and the app's own state catches up: Synced and Healthy at v2, without a poll
    await explained('steps', until('steps Synced and Healthy at v2', async () => {
      const state = await controller.state('steps');
      return state?.revision === v2 && state.sync === 'Synced' && state.health === 'Healthy';
    }, WAIT_MS));
  }, 120_000);

  it('rolls a crash-looping commit back with the fallback look an hour away', async () => {
    await firstSync('failing');
    await healthy('failing');
    for (const [version, fault] of [['web:2', 'crash-loop'], ['web:3', 'image-pull']] as const) {
      const bad = await repo.commit({ 'failing/deploy.yaml': smallDeployment(version, fault) }, `failing ${version}`);
      await controller.requestSync('failing', { trigger: 'webhook' });
      expect(await finished('failing', bad)).toMatchObject({ phase: 'RolledBack' });
      await explained('failing', until('back on web:1, complete', async () => (await image('failing')) === 'web:1' && (await complete('failing')), WAIT_MS));
    }
  }, 120_000);

  it('a poll that reaches a fresh pin before the rollback job carries the rollback out in one step, as the rollback job would', async () => {
    await firstSync('pinned');
    const v1 = await healthy('pinned');
    const v2 = await repo.commit({ 'pinned/deploy.yaml': smallDeployment('web:2') }, 'pinned v2');
    await controller.requestSync('pinned', { trigger: 'webhook' });
    // held at its first step for an hour, then promoted to the end
    await explained('pinned', until('v2 held at step 1', async () => (await rollout('pinned'))?.phase === 'Progressing' && (await rollout('pinned'))?.revision === v2, WAIT_MS));
    await requestRollout(controller.commands, 'pinned', 'promote');
    expect(await finished('pinned', v2)).toMatchObject({ phase: 'Succeeded' });

    // what `sluice rollback` does first (rollout/commands.ts pin), then a poll runs before the rollback's own sync job
    await controller.rollouts.store.setPin('pinned', { revision: v1, since: new Date().toISOString(), head: v2 });
    await controller.requestSync('pinned', { trigger: 'poll' });
    const started = await explained('pinned', until('the rollout back to v1', async () => ((await rollout('pinned'))?.revision === v1 ? rollout('pinned') : undefined), WAIT_MS));
    expect(started).toMatchObject({ steps: 1, promoted: true });
    const back = await finished('pinned', v1);
    expect(back).toMatchObject({ phase: 'Succeeded', steps: 1 });
    expect(await image('pinned')).toBe('web:1');
    expect(await complete('pinned')).toBe(true);
    expect((await controller.operations('pinned', 1))[0]).toMatchObject({ trigger: 'rollback', revision: v1 });

    // the rollback's own job, when it comes, finds the app back already and leaves it so
    await controller.requestSync('pinned', { trigger: 'rollback', revision: v1 });
    await explained('pinned', until('the rollback job ran', async () => (await controller.operations('pinned', 2)).filter((h) => h.trigger === 'rollback').length === 2, WAIT_MS));
    expect(await image('pinned')).toBe('web:1');
    expect(await complete('pinned')).toBe(true);
  }, 120_000);
});
