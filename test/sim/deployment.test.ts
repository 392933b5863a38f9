import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { startControllers } from '../../src/sim/controllers/index.ts';
import type { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { isPodActive, isPodReady } from '../../src/sim/controllers/pods.ts';
import { GarbageCollector } from '../../src/sim/garbage-collector.ts';
import { newDeployment, typeOf } from '../support/sim.ts';

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;

// the whole simulated cluster (scheduler, kubelets, controllers) on a virtual clock; pods are Ready 5 s after start
beforeEach(() => {
  clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
  api = new SimApiServer({ clock });
  const gc = new GarbageCollector(api);
  const running = startControllers(api, gc, { clock });
  manager = running.manager;
  return () => {
    running.control.stop();
    manager.stop();
    gc.stop();
  };
});

const deployments = () => typeOf(api, 'apps', 'v1', 'deployments');
const get = (name: string) => api.get(deployments(), 'default', name);
const status = (name: string) => (get(name).status ?? {}) as Record<string, unknown>;
const activePods = () => api.store.list('/pods', 'default').filter(isPodActive);

function deployment(name: string, replicas: number, image: string, strategy?: JsonObject): JsonObject {
  const d = newDeployment(name, image, replicas);
  const spec = d.spec as { strategy?: JsonObject; template: { metadata: JsonObject } };
  if (strategy) spec.strategy = strategy;
  spec.template.metadata.annotations = { 'sim.sluice.dev/ready-after': '5s' };
  return d;
}

function setImage(name: string, image: string): void {
  api.patch(deployments(), 'default', name, 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } });
}

/** Advances the clock in small steps, checking the rolling-update invariant after every store event. */
async function rollWatching(ms: number, check: (pods: JsonObject[]) => void): Promise<void> {
  // a failed check inside a controller's write would be swallowed by its work queue: keep the first
  let violation: unknown;
  const stop = api.store.subscribe((e) => {
    if (e.resource !== '/pods' || violation) return;
    try {
      check(activePods());
    } catch (error) {
      violation = error;
    }
  });
  try {
    await manager.advance(clock, ms);
  } finally {
    stop();
  }
  if (violation) throw violation;
}

describe('Deployment controller', () => {
  it('rolls out a new Deployment to ready and available, with conditions and revision 1', async () => {
    api.create(deployments(), 'default', deployment('web', 3, 'nginx:1'));
    await manager.advance(clock, 10_000);
    expect(status('web')).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const conditions = status('web').conditions as { type: string; status: string; reason: string }[];
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }));
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }));
    expect((get('web').metadata as JsonObject).annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1' });
  });

  it.each([
    { replicas: 10, maxSurge: '25%', maxUnavailable: '25%', maxPods: 13, minAvailable: 8 },
    { replicas: 10, maxSurge: 0, maxUnavailable: 1, maxPods: 10, minAvailable: 9 },
    { replicas: 4, maxSurge: 1, maxUnavailable: 0, maxPods: 5, minAvailable: 4 },
    { replicas: 5, maxSurge: '100%', maxUnavailable: 0, maxPods: 10, minAvailable: 5 },
  ])('keeps ≤ $maxPods pods and ≥ $minAvailable ready at every event rolling $replicas replicas (surge $maxSurge, unavailable $maxUnavailable)', async ({ replicas, maxSurge, maxUnavailable, maxPods, minAvailable }) => {
    api.create(deployments(), 'default', deployment('web', replicas, 'nginx:1', { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } }));
    await manager.advance(clock, 10_000);
    setImage('web', 'nginx:2');
    let observed = 0;
    await rollWatching(120_000, (pods) => {
      observed++;
      expect(pods.length).toBeLessThanOrEqual(maxPods);
      expect(pods.filter(isPodReady).length).toBeGreaterThanOrEqual(minAvailable);
    });
    expect(observed).toBeGreaterThan(replicas * 2);
    const images = activePods().map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image);
    expect(images).toEqual(Array(replicas).fill('nginx:2'));
    expect(status('web')).toMatchObject({ replicas, updatedReplicas: replicas, availableReplicas: replicas, observedGeneration: 2 });
    expect((get('web').metadata as JsonObject).annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '2' });
  });

  it('stalls within bounds and reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    const d = deployment('web', 4, 'nginx:1');
    (d.spec as JsonObject).progressDeadlineSeconds = 30;
    api.create(deployments(), 'default', d);
    await manager.advance(clock, 10_000);
    api.patch(deployments(), 'default', 'web', 'strategic', {
      spec: { template: { metadata: { annotations: { 'sim.sluice.dev/fault': 'never-ready' } }, spec: { containers: [{ name: 'app', image: 'broken:1' }] } } },
    });
    await rollWatching(60_000, (pods) => {
      expect(pods.length).toBeLessThanOrEqual(5);
      expect(pods.filter(isPodReady).length).toBeGreaterThanOrEqual(3);
    });
    const conditions = status('web').conditions as { type: string; status: string; reason: string }[];
    expect(conditions).toContainEqual(expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }));
  });

  it('rolls back to the previous template by reusing its ReplicaSet', async () => {
    api.create(deployments(), 'default', deployment('web', 2, 'nginx:1'));
    await manager.advance(clock, 10_000);
    setImage('web', 'nginx:2');
    await manager.advance(clock, 60_000);
    const before = api.store.list('apps/replicasets', 'default').map((rs) => (rs.metadata as JsonObject).name).sort();
    setImage('web', 'nginx:1');
    await manager.advance(clock, 60_000);
    const after = api.store.list('apps/replicasets', 'default').map((rs) => (rs.metadata as JsonObject).name).sort();
    expect(after).toEqual(before);
    expect((get('web').metadata as JsonObject).annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3' });
    expect(activePods().map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image)).toEqual(['nginx:1', 'nginx:1']);
  });

  it('scales proportionally in the middle of a rollout and honours pause', async () => {
    api.create(deployments(), 'default', deployment('web', 10, 'nginx:1'));
    await manager.advance(clock, 10_000);
    api.patch(deployments(), 'default', 'web', 'merge', { spec: { paused: true } });
    setImage('web', 'nginx:2');
    await manager.advance(clock, 30_000);
    expect(api.store.list('apps/replicasets', 'default')).toHaveLength(1);
    api.patch(deployments(), 'default', 'web', 'merge', { spec: { paused: false } });
    await manager.advance(clock, 2_000);
    api.patch(deployments(), 'default', 'web', 'merge', { spec: { replicas: 20 } });
    await manager.advance(clock, 120_000);
    expect(status('web')).toMatchObject({ replicas: 20, updatedReplicas: 20, availableReplicas: 20 });
  });

  it('Recreate stops every old pod before starting new ones', async () => {
    api.create(deployments(), 'default', deployment('web', 3, 'nginx:1', { type: 'Recreate' }));
    await manager.advance(clock, 10_000);
    setImage('web', 'nginx:2');
    await rollWatching(60_000, (pods) => {
      const images = new Set(pods.map((p) => (p.spec as { containers: { image: string }[] }).containers[0]?.image));
      expect(images.size).toBeLessThanOrEqual(1);
    });
    expect(status('web')).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    const d = deployment('web', 1, 'nginx:0');
    (d.spec as JsonObject).revisionHistoryLimit = 2;
    api.create(deployments(), 'default', d);
    for (let i = 1; i <= 5; i++) {
      await manager.advance(clock, 20_000);
      setImage('web', `nginx:${i}`);
    }
    await manager.advance(clock, 30_000);
    expect(api.store.list('apps/replicasets', 'default')).toHaveLength(3);
  });
});
