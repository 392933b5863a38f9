/**
 * The rollout pod watch against the embedded API server (no controllers: pods stay as
 * written): trouble a pod shows when the watch starts is told once, since it may have come
 * after the look that started the watch read the pods; later changes are told as they come.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { RolloutPodWatch } from '../../src/rollout/pod-watch.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { until } from '../support/wait.ts';

const pod = (namespace: string, name: string): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'web:2' }] },
});
const waiting = (reason: string): JsonObject => ({ status: { phase: 'Pending', containerStatuses: [{ name: 'web', image: 'web:2', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason } } }] } });

describe('the rollout pod watch', () => {
  let cluster: SimCluster;
  let kube: KubeClient;
  let watch: RolloutPodWatch;
  const told: [string, boolean][] = [];

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false });
    kube = await kubeClientFor(cluster.url);
    for (const ns of ['stuck', 'calm']) await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    watch = new RolloutPodWatch((app, urgent) => told.push([app, urgent]));
  });
  afterAll(async () => {
    watch?.stop();
    await kube?.close();
    await cluster?.stop();
  });

  const setStatus = (namespace: string, name: string, status: JsonObject) => kube.patch({ apiVersion: 'v1', kind: 'Pod', namespace, name }, status, { type: 'merge', subresource: 'status' });

  it('tells once, urgently, of a pod already in trouble when it starts watching', async () => {
    await kube.create(pod('stuck', 'web-ok'));
    await kube.create(pod('stuck', 'web-bad'));
    await setStatus('stuck', 'web-bad', waiting('ImagePullBackOff'));
    told.length = 0;
    await watch.watch('web', kube, ['stuck']);
    expect(told).toEqual([['web', true]]);
    await watch.watch('web', kube, []);
  });

  it('tells nothing of calm pods it lists, then each change as it comes', async () => {
    await kube.create(pod('calm', 'web-a'));
    told.length = 0;
    await watch.watch('web', kube, ['calm']);
    expect(told).toEqual([]);
    await setStatus('calm', 'web-a', waiting('CrashLoopBackOff'));
    await until('the crash loop told', () => told.some(([app, urgent]) => app === 'web' && urgent));
  });
});
