/**
 * A rollout of an Application that lives in the cluster: its status carries the rollout,
 * Kubernetes Events on it tell each step, the failure, the rollback and the pin, and the
 * CLI's rollout commands find the app with --from-cluster (brief items 4 and 7).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rolloutCommand } from '../../src/cli/rollout-commands.ts';
import { watchClusterApplications } from '../../src/controller/cluster-apps.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { findKubectl, Kubectl } from '../support/kubectl.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { explaining, until } from '../support/wait.ts';
import { deploymentState } from '../support/workload-state.ts';
import { smallDeployment } from './manifests.ts';
import { applicationEvents, webApplication, webImage } from './reads.ts';

const CRD = fileURLToPath(new URL('../../manifests/crds/application.yaml', import.meta.url));
const SPEED = 10;
/** The controller's recent log lines: what a failed wait shows beside the cluster's state. */
const LOG_TAIL = 60;

describe.skipIf(!gitAvailable() || !redisAvailable() || findKubectl() === undefined)('a rollout of an Application from the cluster', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  let watch: { stop(): void };
  let cacheDir: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    await kube.create(parse(await readFile(CRD, 'utf8')) as JsonObject);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    repo = await git.createRepo('from-cluster');
    cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-rollout-cluster-'));
    controller = await Controller.start({
      apps: [],
      git: new GitSource({ cacheDir: path.join(cacheDir, 'controller') }),
      kube,
      redisUrl: redis.url,
      prefix: 'fc',
      mirrorStatus: true,
      selfHealDebounceMs: 50,
      clock: cluster.clock as ScaledClock,
      log: (line) => {
        logLines.push(line);
        logLines.splice(0, Math.max(0, logLines.length - LOG_TAIL));
      },
    });
    let applying = Promise.resolve();
    watch = await watchClusterApplications(kube, 'sluice-system', (apps, statuses) => {
      applying = applying.then(() => controller.setApps(apps, statuses));
    });
  });
  afterAll(async () => {
    watch?.stop();
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const application = () => kube.get({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'web' });
  const rolloutStatus = async () => ((await application())?.['status'] as { rollout?: { phase: string; revision: string; step: number; steps: number; message: string; fromRevision?: string } } | undefined)?.rollout;
  const events = () => applicationEvents(kube, 'web');
  const cli = async (command: 'rollback' | 'unpin' | 'rollout', args: string[]) => {
    const out: string[] = [];
    const sink = { write: (t: string) => out.push(t) } as unknown as NodeJS.WritableStream;
    const code = await rolloutCommand(command, [...args, '--app', 'web', '--from-cluster', '--server', cluster.url, '--redis', redis.url, '--prefix', 'fc', '--cache-dir', path.join(cacheDir, 'cli'), '--interval', '100'], { out: sink, err: sink });
    return { code, out: out.join('') };
  };
  /** Where the app stood: its Deployment, ReplicaSets and pods, the Events, the rollout, pin and history in Redis, the controller's last log lines. */
  const appState = async () =>
    [
      await deploymentState(kube, 'web', 'web'),
      `events: ${JSON.stringify(await events())}`,
      `rollout: ${JSON.stringify(await controller.rollouts.store.get('web'))}`,
      `pin: ${JSON.stringify(await controller.rollouts.store.pin('web'))}`,
      `history: ${JSON.stringify((await controller.operations('web', 3)).map((h) => ({ id: h.id, trigger: h.trigger, phase: h.phase, revision: h.revision, message: h.message })))}`,
      'controller log:',
      ...logLines,
    ].join('\n');
  const image = () => webImage(kube);

  it('mirrors the rollout in status.rollout, tells it in Events, and answers the CLI with --from-cluster', async () => {
    const good = await repo.commit({ 'web/deploy.yaml': smallDeployment('web:1') }, 'v1');
    await kube.create(webApplication(repo.url, { namespace: 'web' }));
    await until('v1 recorded healthy', async () => (await controller.rollouts.store.healthyRevision('web')) === good, 60_000);

    const bad = await repo.commit({ 'web/deploy.yaml': smallDeployment('web:2', 'crash-loop') }, 'v2 crash-looping');
    await until('the rollout of v2 started', async () => (await controller.rollouts.store.get('web'))?.revision === bad, 30_000);
    // `sluice rollout status` waits like kubectl rollout status, and fails when the rollout was rolled back
    const status = await cli('rollout', ['status']);
    expect(status.code, status.out).toBe(1);
    expect(status.out).toMatch(new RegExp(`web: RolledBack step \\d/2: web: \\d/4 new pods? CrashLoopBackOff after \\d+ s.*; rolled back to ${good.slice(0, 7)}`));
    const mirrored = await until('the rollback in status.rollout', async () => ((await rolloutStatus())?.phase === 'RolledBack' ? rolloutStatus() : undefined), 30_000);
    expect(mirrored).toMatchObject({ revision: bad, fromRevision: good, steps: 2 });
    expect(mirrored!.message).toMatch(/CrashLoopBackOff/);
    const told = await until('the Events', async () => {
      const list = await events();
      return list.some((e) => e.reason === 'RolloutRolledBack') ? list : undefined;
    }, 30_000);
    expect(told.map((e) => e.reason)).toEqual(expect.arrayContaining(['RolloutStarted', 'RolloutRollbackStarted', 'RolloutRolledBack']));
    expect(told.find((e) => e.reason === 'RolloutRollbackStarted')).toMatchObject({ type: 'Warning', message: expect.stringMatching(/CrashLoopBackOff/) });
    expect(await image()).toBe('web:1');

    // a good commit rolls out step by step; each step passed is an Event
    const v3 = await repo.commit({ 'web/deploy.yaml': smallDeployment('web:3') }, 'v3');
    await until('the rollout of v3 started', async () => (await controller.rollouts.store.get('web'))?.revision === v3, 30_000);
    expect((await cli('rollout', ['status'])).code).toBe(0);
    await until('v3 Succeeded in status.rollout', async () => {
      const r = await rolloutStatus();
      return r?.revision === v3 && r.phase === 'Succeeded';
    }, 30_000);
    await until('the step Event', async () => (await events()).some((e) => e.reason === 'RolloutStepPassed'), 30_000);

    // a manual rollback through the CLI pins the app, and says so on the Application
    const rolledBack = await cli('rollback', ['--to', good]);
    expect(rolledBack.code, rolledBack.out).toBe(0);
    expect(rolledBack.out).toContain(`web: pinned to ${good.slice(0, 7)}`);
    await explaining(until('back on v1', async () => (await image()) === 'web:1', 30_000), appState);
    const pinned = await explaining(until('the pin Event', async () => (await events()).find((e) => e.reason === 'RolloutPinned'), 30_000), appState);
    expect(pinned.message).toMatch(new RegExp(`^rolled back to ${good.slice(0, 7)}; pinned( by .+)? until a commit newer than ${v3.slice(0, 7)} or unpin$`));
    const unpinned = await cli('unpin', []);
    expect(unpinned).toMatchObject({ code: 0, out: 'web: unpinned; syncing the branch\n' });
    await until('back on the branch', async () => (await image()) === 'web:3', 30_000);

    // `sluice unpin` is told on the Application like the pin, as kubectl lists it
    const kubectl = await Kubectl.create(findKubectl()!, cluster.kubeconfig);
    try {
      const listed = JSON.parse(await kubectl.ok(['get', 'events', '-n', 'sluice-system', '--field-selector', 'involvedObject.name=web', '-o', 'json'])) as { items: JsonObject[] };
      const unpinEvents = listed.items.filter((e) => e['reason'] === 'RolloutUnpinned');
      expect(unpinEvents).toHaveLength(1);
      expect(unpinEvents[0]).toMatchObject({
        type: 'Normal',
        source: { component: 'sluice' },
        involvedObject: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'web', uid: expect.any(String) },
        message: expect.stringMatching(new RegExp(`^unpinned from ${good.slice(0, 7)}( by .+)?: following the branch again$`)),
      });
      expect(await kubectl.ok(['get', 'events', '-n', 'sluice-system'])).toMatch(/Normal\s+RolloutUnpinned\s+application\/web\s+unpinned from/);
    } finally {
      await kubectl.dispose();
    }
  }, 180_000);
});
