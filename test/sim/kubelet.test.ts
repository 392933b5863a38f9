import { afterEach, describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject } from '../../src/json.ts';
import { rfc3339 } from '../../src/sim/clock.ts';
import { controllerContext } from '../support/sim.ts';
import { SimControl, type SimControlOptions } from '../../src/sim/controllers/control.ts';
import { ANNOTATION_FAULT, ANNOTATION_FAULT_OVERRIDE, ANNOTATION_READY_AFTER, ANNOTATION_RUN_FOR, parseDuration } from '../../src/sim/controllers/faults.ts';
import { createKubelet } from '../../src/sim/controllers/kubelet.ts';
import { goDuration, livenessKillAfterMs, probeOf, readyAfterMs, startedAfterMs } from '../../src/sim/controllers/kubelet-timing.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { createNodes } from '../../src/sim/controllers/nodes.ts';
import { podCondition } from '../../src/sim/controllers/pods.ts';
import { createScheduler } from '../../src/sim/controllers/scheduler.ts';

const START = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => rfc3339(new Date(START.getTime() + ms));

interface PodOptions {
  readonly annotations?: Record<string, string>;
  readonly container?: JsonObject;
  readonly spec?: JsonObject;
}

function newPod(name: string, options: PodOptions = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...options.container }], ...options.spec },
  };
}

let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});

/** An in-process cluster: 3 nodes, the scheduler and the kubelets, on a virtual clock. */
function cluster(control: SimControlOptions = {}) {
  const ctx = controllerContext(START);
  const { api, clock } = ctx;
  createNodes(ctx);
  const manager = new ControllerManager(ctx, [createScheduler(ctx), createKubelet(ctx)]);
  manager.start();
  const sim = new SimControl(ctx, control);
  stops.push(() => manager.stop(), () => sim.stop());
  const podsType = api.registry.lookup('', 'v1', 'pods')!;
  const pod = (name: string): JsonObject => {
    const p = api.store.get('/pods', 'default', name);
    if (!p) throw new Error(`pod ${name} is gone`);
    return p;
  };
  return {
    clock, api, ctx, manager, sim, pod,
    exists: (name: string) => api.store.get('/pods', 'default', name) !== undefined,
    create: (p: JsonObject) => api.create(podsType, 'default', p),
    /** advances the virtual clock to START + ms */
    until: (ms: number) => manager.advance(clock, START.getTime() + ms - clock.now().getTime()),
    status: (name: string) => (pod(name).status ?? {}) as JsonObject,
    container: (name: string, index = 0) => ((pod(name).status as { containerStatuses: JsonObject[] }).containerStatuses[index] ?? {}) as JsonObject,
    events: (name: string) => api.store.list('/events', 'default')
      .filter((e) => (e.involvedObject as JsonObject).name === name)
      .map((e) => ({ reason: String(e.reason), message: String(e.message), count: Number(e.count) })),
  };
}

type Cluster = ReturnType<typeof cluster>;

const readyOf = (c: Cluster, name: string) => podCondition(c.pod(name), 'Ready');
const stateOf = (status: JsonObject) => Object.keys(isJsonObject(status.state) ? status.state : {})[0];

describe('pure timing rules', () => {
  it.each([
    { text: '5s', want: 5000 },
    { text: '500ms', want: 500 },
    { text: '1m30s', want: 90_000 },
    { text: '2.5s', want: 2500 },
    { text: '1h', want: 3_600_000 },
    { text: '5', want: undefined },
    { text: 'soon', want: undefined },
  ])('parseDuration($text)', ({ text, want }) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each([
    { ms: 500, want: '500ms' },
    { ms: 10_000, want: '10s' },
    { ms: 80_000, want: '1m20s' },
    { ms: 300_000, want: '5m0s' },
  ])('goDuration($ms)', ({ ms, want }) => {
    expect(goDuration(ms)).toBe(want);
  });

  const probe = (p: JsonObject) => probeOf({ readinessProbe: { periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...p } }, 'readinessProbe');
  it.each<{ name: string; probe: JsonObject | undefined; want: number }>([
    { name: 'no probe: at the start', probe: undefined, want: 0 },
    { name: 'no initial delay: the immediate probe', probe: { initialDelaySeconds: 0 }, want: 0 },
    { name: 'delay 5 s, period 10 s: the first tick after the delay', probe: { initialDelaySeconds: 5 }, want: 10_000 },
    { name: 'delay 10 s, period 5 s: a tick falls on the delay', probe: { initialDelaySeconds: 10, periodSeconds: 5 }, want: 10_000 },
    { name: 'three successes needed, period 2 s', probe: { periodSeconds: 2, successThreshold: 3 }, want: 4000 },
  ])('readyAfterMs: $name', ({ probe: p, want }) => {
    expect(readyAfterMs(p ? probe(p) : undefined, 0)).toBe(want);
  });

  it('startup and liveness probes wait for their first tick', () => {
    const startup = probeOf({ startupProbe: { periodSeconds: 5, successThreshold: 1, failureThreshold: 3 } }, 'startupProbe');
    expect(startedAfterMs(startup)).toBe(5000);
    expect(readyAfterMs(undefined, startedAfterMs(startup))).toBe(5000);
    const liveness = probeOf({ livenessProbe: { periodSeconds: 5, failureThreshold: 3 } }, 'livenessProbe')!;
    expect(livenessKillAfterMs(liveness, 0)).toBe(15_000);
    expect(livenessKillAfterMs({ ...liveness, initialDelayMs: 12_000 }, 0)).toBe(25_000);
  });
});

describe('pod start-up', () => {
  it('pulls for 500 ms, then runs and is Ready at once without a probe', async () => {
    const c = cluster();
    c.create(newPod('web'));
    await c.until(0);
    expect(c.status('web').phase).toBe('Pending');
    expect(c.status('web').podIP).toMatch(/^10\.244\.\d\.2$/);
    expect(c.status('web').hostIP).toMatch(/^172\.18\.0\.\d$/);
    expect(c.status('web').startTime).toBe(at(0));
    expect(c.container('web').state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(readyOf(c, 'web')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });

    await c.until(499);
    expect(c.status('web').phase).toBe('Pending');
    await c.until(500);
    expect(c.status('web').phase).toBe('Running');
    expect(c.container('web')).toMatchObject({ ready: true, started: true, restartCount: 0, state: { running: { startedAt: at(500) } } });
    expect(c.container('web').containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const conditions = (c.status('web').conditions as JsonObject[]).map((x) => [x.type, x.status]);
    expect(conditions).toEqual([
      ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
    ]);
    expect(c.events('web').map((e) => e.reason).sort()).toEqual(['Created', 'Pulled', 'Pulling', 'Scheduled', 'Started']);
    expect(c.status('web').qosClass).toBe('BestEffort');
  });

  it.each<{ name: string; container: JsonObject; annotations: Record<string, string>; readyAt: number }>([
    { name: 'no probe', container: {}, annotations: {}, readyAt: 500 },
    { name: 'probe, initialDelaySeconds 5, periodSeconds 10', container: { readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 5 } }, annotations: {}, readyAt: 10_500 },
    { name: 'probe, initialDelaySeconds 10, periodSeconds 5', container: { readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 10, periodSeconds: 5 } }, annotations: {}, readyAt: 10_500 },
    { name: 'ready-after 5s', container: {}, annotations: { [ANNOTATION_READY_AFTER]: '5s' }, readyAt: 5500 },
    { name: 'ready-after overrides the probe', container: { readinessProbe: { httpGet: { port: 80 }, initialDelaySeconds: 30 } }, annotations: { [ANNOTATION_READY_AFTER]: '2s' }, readyAt: 2500 },
    { name: 'startup probe first', container: { startupProbe: { httpGet: { port: 80 }, periodSeconds: 3 } }, annotations: {}, readyAt: 3500 },
  ])('Ready timing: $name', async ({ container, annotations, readyAt }) => {
    const c = cluster();
    c.create(newPod('web', { container, annotations }));
    await c.until(readyAt - 1);
    expect(readyOf(c, 'web')?.status).toBe('False');
    expect(c.container('web').ready).toBe(false);
    await c.until(readyAt);
    expect(readyOf(c, 'web')).toMatchObject({ status: 'True', lastTransitionTime: at(readyAt) });
    expect(c.container('web')).toMatchObject({ ready: true, started: true });
  });

  it('runs init containers one after the other first', async () => {
    const c = cluster();
    c.create(newPod('web', { spec: { initContainers: [{ name: 'migrate', image: 'migrate:1' }, { name: 'seed', image: 'seed:1' }] } }));
    await c.until(700);
    const init = () => c.status('web').initContainerStatuses as JsonObject[];
    expect(init().map(stateOf)).toEqual(['running', 'waiting']);
    expect(c.container('web').state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(podCondition(c.pod('web'), 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [migrate seed]' });
    // each init container: 500 ms pull, 500 ms run
    await c.until(1999);
    expect(c.status('web').phase).toBe('Pending');
    await c.until(2000);
    expect(init().map((s) => [stateOf(s), s.ready])).toEqual([['terminated', true], ['terminated', true]]);
    expect(podCondition(c.pod('web'), 'Initialized')).toMatchObject({ status: 'True', lastTransitionTime: at(2000) });
    await c.until(2500);
    expect(c.status('web').phase).toBe('Running');
    expect(readyOf(c, 'web')?.status).toBe('True');
  });

  it('a sidecar (restartPolicy Always init container) runs beside the app and stops when a Job pod is done', async () => {
    const c = cluster();
    c.create(newPod('job', {
      annotations: { [ANNOTATION_RUN_FOR]: '2s' },
      spec: { restartPolicy: 'Never', initContainers: [{ name: 'proxy', image: 'envoy:1', restartPolicy: 'Always' }] },
    }));
    // sidecar: pulled by 0.5 s and running; the app then pulls until 1 s and runs 2 s
    await c.until(1000);
    expect((c.status('job').initContainerStatuses as JsonObject[]).map(stateOf)).toEqual(['running']);
    expect(c.status('job').phase).toBe('Running');
    await c.until(3000);
    expect(c.status('job').phase).toBe('Succeeded');
    expect((c.status('job').initContainerStatuses as JsonObject[])[0]).toMatchObject({ state: { terminated: { exitCode: 0, finishedAt: at(3000) } } });
  });
});

/** Watches a pod: (time, restartCount, state) at every status write. */
function history(c: Cluster, name: string): { t: number; restarts: number; state: string; reason?: string }[] {
  const seen: { t: number; restarts: number; state: string; reason?: string }[] = [];
  c.api.store.subscribe((e) => {
    if (e.resource !== '/pods' || (e.object.metadata as JsonObject).name !== name || !isJsonObject(e.object.status)) return;
    const s = (e.object.status.containerStatuses as JsonObject[] | undefined)?.[0];
    if (!s) return;
    const state = (s.state ?? {}) as Record<string, JsonObject>;
    const kind = Object.keys(state)[0] ?? '';
    const reason = state[kind]?.reason;
    seen.push({ t: c.clock.now().getTime() - START.getTime(), restarts: Number(s.restartCount), state: kind, ...(typeof reason === 'string' ? { reason } : {}) });
  });
  return seen;
}

function restartTimes(seen: ReturnType<typeof history>): number[] {
  const times: number[] = [];
  let last = 0;
  for (const h of seen) {
    if (h.restarts > last) times.push(h.t);
    last = h.restarts;
  }
  return times;
}

describe('faults', () => {
  it('crash-loop: exits 1 after 1 s, restarts at once, then backs off 10 s, 20 s … 300 s', async () => {
    const c = cluster();
    const seen = history(c, 'crash');
    c.create(newPod('crash', { annotations: { [ANNOTATION_FAULT]: 'crash-loop' } }));
    await c.until(1500);
    expect(c.container('crash')).toMatchObject({ restartCount: 1, state: { running: { startedAt: at(1500) } } });
    expect(c.container('crash').lastState).toMatchObject({ terminated: { exitCode: 1, reason: 'Error', startedAt: at(500), finishedAt: at(1500) } });
    await c.until(2500);
    const uid = String((c.pod('crash').metadata as JsonObject).uid);
    expect(c.container('crash').state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=app pod=crash_default(${uid})` } });
    expect(c.status('crash').phase).toBe('Running');
    expect(readyOf(c, 'crash')?.status).toBe('False');
    await c.until(1_000_000);
    expect(restartTimes(seen)).toEqual([1500, 12_500, 33_500, 74_500, 155_500, 316_500, 617_500, 918_500]);
    const waits = seen.filter((h) => h.reason === 'CrashLoopBackOff').map((h) => h.t);
    expect(waits.slice(0, 3)).toEqual([2500, 13_500, 34_500]);
    expect(c.container('crash').state).toMatchObject({ waiting: { message: expect.stringMatching(/^back-off 5m0s /) } });
    // one per back-off: at 2.5 s, 13.5 s … 919.5 s
    expect(c.events('crash').map((e) => e.message)).toContain('Container image "nginx:1.27" already present on machine');
    expect(c.events('crash').find((e) => e.reason === 'BackOff')).toMatchObject({ message: `Back-off restarting failed container app in pod crash_default(${uid})`, count: 8 });
  });

  it('oom: the same loop with exit code 137, OOMKilled', async () => {
    const c = cluster();
    c.create(newPod('hog', { annotations: { [ANNOTATION_FAULT]: 'oom' } }));
    await c.until(2500);
    expect(c.container('hog')).toMatchObject({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect(c.container('hog').lastState).toMatchObject({ terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: at(2500) } });
  });

  it('crash-loop with a livenessProbe: killed after failureThreshold × periodSeconds', async () => {
    const c = cluster();
    const seen = history(c, 'hang');
    c.create(newPod('hang', {
      annotations: { [ANNOTATION_FAULT]: 'crash-loop' },
      container: { livenessProbe: { httpGet: { port: 80 }, periodSeconds: 5, failureThreshold: 3 } },
    }));
    await c.until(15_499);
    expect(c.container('hang').restartCount).toBe(0);
    await c.until(15_500);
    expect(c.container('hang')).toMatchObject({ restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'Error' } } });
    expect(c.events('hang').map((e) => e.reason)).toEqual(expect.arrayContaining(['Unhealthy', 'Killing']));
    expect(c.events('hang').find((e) => e.reason === 'Killing')?.message).toBe('Container app failed liveness probe, will be restarted');
    await c.until(60_000);
    // second kill at 30.5 s, then 10 s of back-off
    expect(restartTimes(seen)).toEqual([15_500, 40_500]);
  });

  it('never-ready: Running, never Ready, an Unhealthy Event every period', async () => {
    const c = cluster();
    c.create(newPod('shy', { annotations: { [ANNOTATION_FAULT]: 'never-ready' } }));
    await c.until(60_000);
    expect(c.status('shy').phase).toBe('Running');
    expect(readyOf(c, 'shy')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    expect(c.container('shy')).toMatchObject({ ready: false, started: true, restartCount: 0 });
    // probes at 0.5 s, 10.5 s … 50.5 s
    expect(c.events('shy').find((e) => e.reason === 'Unhealthy')).toMatchObject({ message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 6 });
  });

  it('image-pull: ErrImagePull, ImagePullBackOff 1 s later, retried after 10 s, 20 s …; never starts', async () => {
    const c = cluster();
    const seen = history(c, 'typo');
    c.create(newPod('typo', { annotations: { [ANNOTATION_FAULT]: 'image-pull' }, container: { image: 'ngnix:1.27' } }));
    await c.until(500);
    expect(c.container('typo').state).toMatchObject({ waiting: { reason: 'ErrImagePull' } });
    await c.until(1500);
    expect(c.container('typo').state).toEqual({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ngnix:1.27"' } });
    await c.until(100_000);
    expect(c.status('typo').phase).toBe('Pending');
    expect(seen.filter((h) => h.reason === 'ErrImagePull').map((h) => h.t)).toEqual([500, 11_000, 31_500, 72_000]);
    expect(seen.filter((h) => h.reason === 'ImagePullBackOff').map((h) => h.t)).toEqual([1500, 12_000, 32_500, 73_000]);
    const reasons = c.events('typo').map((e) => `${e.reason}: ${e.message}`);
    expect(reasons).toEqual(expect.arrayContaining(['Failed: Error: ErrImagePull', 'BackOff: Back-off pulling image "ngnix:1.27"', 'Failed: Error: ImagePullBackOff']));
    expect(seen.some((h) => h.state === 'running')).toBe(false);
  });

  it.each([
    { name: 'Never, exit 0', restartPolicy: 'Never', fault: undefined, phase: 'Succeeded', exitCode: 0, reason: 'Completed' },
    { name: 'OnFailure, exit 0', restartPolicy: 'OnFailure', fault: undefined, phase: 'Succeeded', exitCode: 0, reason: 'Completed' },
    { name: 'Never, fail', restartPolicy: 'Never', fault: 'fail', phase: 'Failed', exitCode: 1, reason: 'Error' },
  ])('run-for 3s, restartPolicy $name → $phase', async ({ restartPolicy, fault, phase, exitCode, reason }) => {
    const c = cluster();
    c.create(newPod('job', { spec: { restartPolicy }, annotations: { [ANNOTATION_RUN_FOR]: '3s', ...(fault ? { [ANNOTATION_FAULT]: fault } : {}) } }));
    await c.until(3499);
    expect(c.status('job').phase).toBe('Running');
    await c.until(3500);
    expect(c.status('job').phase).toBe(phase);
    expect(c.container('job')).toMatchObject({ ready: false, restartCount: 0, state: { terminated: { exitCode, reason, startedAt: at(500), finishedAt: at(3500) } } });
    if (phase === 'Succeeded') expect(readyOf(c, 'job')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('run-for with fail and OnFailure restarts the container', async () => {
    const c = cluster();
    c.create(newPod('job', { spec: { restartPolicy: 'OnFailure' }, annotations: { [ANNOTATION_RUN_FOR]: '3s', [ANNOTATION_FAULT]: 'fail' } }));
    await c.until(6500);
    expect(c.status('job').phase).toBe('Running');
    expect(c.container('job')).toMatchObject({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } });
  });
});

describe('graceful deletion', () => {
  it('stops the containers within 1 s, reports the final status, then removes the pod', async () => {
    const c = cluster();
    c.create(newPod('web'));
    await c.until(10_000);
    const deleted: JsonObject[] = [];
    c.api.store.subscribe((e) => e.type === 'DELETED' && e.resource === '/pods' && deleted.push(e.object));
    c.sim.deletePod('default', 'web');
    await c.until(10_999);
    expect((c.pod('web').metadata as JsonObject).deletionGracePeriodSeconds).toBe(30);
    expect(c.events('web').find((e) => e.reason === 'Killing')?.message).toBe('Stopping container app');
    await c.until(11_000);
    expect(c.exists('web')).toBe(false);
    const last = deleted[0]!;
    expect((last.status as JsonObject).phase).toBe('Succeeded');
    expect(((last.status as JsonObject).containerStatuses as JsonObject[])[0]).toMatchObject({ ready: false, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: at(11_000) } } });
  });

  it('a shorter grace period stops sooner; grace 0 removes at once', async () => {
    const c = cluster();
    c.create(newPod('a', { spec: { terminationGracePeriodSeconds: 0 } }));
    c.create(newPod('b'));
    await c.until(1000);
    c.sim.deletePod('default', 'a');
    expect(c.exists('a')).toBe(false);
    c.sim.deletePod('default', 'b', { gracePeriodSeconds: 0 });
    expect(c.exists('b')).toBe(false);
  });
});

describe('node failure', () => {
  const onNode1 = (name: string, extra: PodOptions = {}) => newPod(name, { ...extra, spec: { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' }, ...extra.spec } });

  it('failNode: node Unknown and tainted, its pods not Ready, no new pods there; recoverNode undoes it', async () => {
    const c = cluster();
    c.create(onNode1('web'));
    await c.until(1000);
    c.sim.failNode('sim-node-1');
    await c.until(2000);
    const node = c.api.store.get('/nodes', '', 'sim-node-1')!;
    const ready = ((node.status as JsonObject).conditions as JsonObject[]).find((x) => x.type === 'Ready');
    expect(ready).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: at(1000) });
    expect((node.spec as JsonObject).taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: at(1000) },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at(1000) },
    ]);
    expect(readyOf(c, 'web')).toMatchObject({ status: 'False', lastTransitionTime: at(1000) });
    expect(c.events('web').map((e) => e.reason)).toContain('NodeNotReady');

    c.create(onNode1('late'));
    await c.until(3000);
    expect(podCondition(c.pod('late'), 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) didn't match Pod's node affinity/selector.",
    });

    c.sim.recoverNode('sim-node-1');
    await c.until(4000);
    expect((c.api.store.get('/nodes', '', 'sim-node-1')!.spec as JsonObject).taints).toBeUndefined();
    expect(readyOf(c, 'web')).toMatchObject({ status: 'True', lastTransitionTime: at(3000) });
    expect((c.pod('late').spec as JsonObject).nodeName).toBe('sim-node-1');
    expect(c.status('late').phase).toBe('Running');
  });

  it('evicts its pods after the timeout (or their own tolerationSeconds), with grace 0', async () => {
    const c = cluster({ podEvictionTimeoutMs: 20_000 });
    const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' };
    c.create(onNode1('plain'));
    c.create(onNode1('patient', { spec: { tolerations: [{ ...unreachable, tolerationSeconds: 45 }] } }));
    c.create(onNode1('daemon', { spec: { tolerations: [unreachable] } }));
    await c.until(1000);
    c.sim.failNode('sim-node-1');
    await c.until(20_999);
    expect(c.exists('plain')).toBe(true);
    await c.until(21_000);
    expect(c.exists('plain')).toBe(false);
    expect(c.events('plain').find((e) => e.reason === 'TaintManagerEviction')?.message).toBe('Marking for deletion Pod default/plain');
    await c.until(45_999);
    expect(c.exists('patient')).toBe(true);
    await c.until(46_000);
    expect(c.exists('patient')).toBe(false);
    await c.until(600_000);
    expect(c.exists('daemon')).toBe(true);
  });

  it('pods on a failed node make no progress until it recovers', async () => {
    const c = cluster();
    const seen = history(c, 'crash');
    c.create(onNode1('crash', { annotations: { [ANNOTATION_FAULT]: 'crash-loop' } }));
    await c.until(3000);
    c.sim.failNode('sim-node-1');
    c.create(onNode1('pinned', { spec: { nodeName: 'sim-node-1' } }));
    await c.until(29_000);
    expect(restartTimes(seen)).toEqual([1500]);
    expect(c.status('pinned')).toEqual({});
    c.sim.recoverNode('sim-node-1');
    await c.until(29_000);
    // the restart due at 12.5 s happens now
    expect(restartTimes(seen)).toEqual([1500, 29_000]);
    expect(c.status('pinned')).toMatchObject({ phase: 'Pending', startTime: at(29_000) });
    await c.until(29_500);
    expect(c.status('pinned').phase).toBe('Running');
  });
});

describe('run-time faults', () => {
  it('setFault overrides the annotation from then on; undefined goes back to it', async () => {
    const c = cluster();
    const seen = history(c, 'web');
    c.create(newPod('web'));
    await c.until(10_000);
    c.sim.setFault('default', 'web', 'crash-loop');
    expect((c.pod('web').metadata as JsonObject).annotations).toEqual({ [ANNOTATION_FAULT_OVERRIDE]: 'crash-loop' });
    await c.until(11_000);
    // a container running past its short run exits as soon as the fault is set
    expect(restartTimes(seen)).toEqual([10_000]);
    expect(c.container('web').state).toMatchObject({ waiting: { reason: 'CrashLoopBackOff' } });
    c.sim.setFault('default', 'web', 'none');
    await c.until(60_000);
    // the back-off still runs out first; then the container stays up
    expect(restartTimes(seen)).toEqual([10_000, 21_000]);
    expect(c.container('web')).toMatchObject({ ready: true, state: { running: { startedAt: at(21_000) } } });
    c.sim.setFault('default', 'web', undefined);
    await c.until(61_000);
    expect((c.pod('web').metadata as JsonObject).annotations).toEqual({});
  });

  it('never-ready at run time: a probe needs failureThreshold × periodSeconds to notice', async () => {
    const c = cluster();
    c.create(newPod('plain'));
    c.create(newPod('probed', { container: { readinessProbe: { httpGet: { port: 80 }, periodSeconds: 5, failureThreshold: 2 } } }));
    await c.until(10_000);
    c.sim.setFault('default', 'plain', 'never-ready');
    c.sim.setFault('default', 'probed', 'never-ready');
    await c.until(10_000);
    expect(readyOf(c, 'plain')).toMatchObject({ status: 'False', lastTransitionTime: at(10_000) });
    expect(readyOf(c, 'probed')?.status).toBe('True');
    await c.until(20_000);
    expect(readyOf(c, 'probed')).toMatchObject({ status: 'False', lastTransitionTime: at(20_000) });
    expect(c.events('probed').find((e) => e.reason === 'Unhealthy')).toBeDefined();
  });
});
