import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { findKubectl, Kubectl } from '../support/kubectl.ts';

const kubectlPath = findKubectl();
// the cluster runs 20× faster than real time: a 2 s readiness delay takes 0.1 s
const SPEED = 20;

const deployment = (name: string, image: string, opts: { fault?: string; progressDeadlineSeconds?: number; replicas?: number } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${opts.replicas ?? 3}
  progressDeadlineSeconds: ${opts.progressDeadlineSeconds ?? 600}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels: { app: ${name} }
      annotations:
        sim.sluice.dev/ready-after: 2s
${opts.fault ? `        sim.sluice.dev/fault: ${opts.fault}\n` : ''}    spec:
      containers:
      - name: app
        image: ${image}
`;

// kubectl is on every machine here; where it is not, these compatibility tests cannot run.
describe.skipIf(!kubectlPath)('kubectl rollout against the simulated controllers', () => {
  let cluster: SimCluster;
  let kubectl: Kubectl;
  let seq = 0;
  let ns = '';

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) });
    kubectl = await Kubectl.create(kubectlPath!, cluster.kubeconfig);
  });
  afterAll(async () => {
    await kubectl.dispose();
    await cluster.stop();
  });

  async function freshNamespace(): Promise<void> {
    ns = `r${++seq}`;
    await kubectl.ok(['create', 'namespace', ns]);
  }
  const k = (...args: string[]) => kubectl.ok(['-n', ns, ...args]);

  it('rollout status succeeds once a healthy rollout completes', async () => {
    await freshNamespace();
    await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('web', 'nginx:1'));
    expect(await k('rollout', 'status', 'deployment/web', '--timeout=60s')).toContain('successfully rolled out');
    await k('set', 'image', 'deployment/web', 'app=nginx:2');
    expect(await k('rollout', 'status', 'deployment/web', '--timeout=60s')).toContain('successfully rolled out');
    expect(await k('get', 'deploy', 'web', '-o', 'jsonpath={.status.updatedReplicas}/{.status.availableReplicas}')).toBe('3/3');
  });

  it('rollout status fails once a never-ready rollout passes its progress deadline', async () => {
    await freshNamespace();
    await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('stuck', 'nginx:1', { fault: 'never-ready', progressDeadlineSeconds: 30 }));
    const r = await kubectl.run(['-n', ns, 'rollout', 'status', 'deployment/stuck', '--timeout=60s']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exceeded its progress deadline');
  });

  it('rollout undo brings back the previous ReplicaSet', async () => {
    await freshNamespace();
    await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('web', 'nginx:1'));
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    const firstRs = (await k('get', 'rs', '-l', 'app=web', '-o', 'name')).trim();
    await k('set', 'image', 'deployment/web', 'app=nginx:2');
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(await k('rollout', 'undo', 'deployment/web')).toContain('rolled back');
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(await k('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1');
    expect((await k('get', 'rs', '-l', 'app=web', '-o', 'name')).trim().split('\n')).toContain(firstRs);
    expect(await k('get', firstRs, '-o', 'jsonpath={.spec.replicas} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}')).toBe('3 3');
    expect(await k('rollout', 'history', 'deployment/web')).toMatch(/2\s+<none>\s*\n3\s+<none>/);
  });

  it('scale and pause/resume behave as on a real cluster', async () => {
    await freshNamespace();
    await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('web', 'nginx:1', { replicas: 2 }));
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    await k('scale', 'deployment/web', '--replicas=5');
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(await k('get', 'deploy', 'web', '-o', 'jsonpath={.status.readyReplicas}')).toBe('5');

    expect(await k('rollout', 'pause', 'deployment/web')).toContain('paused');
    await k('set', 'image', 'deployment/web', 'app=nginx:2');
    await cluster.settle();
    await new Promise((r) => setTimeout(r, 300));
    expect((await k('get', 'rs', '-l', 'app=web', '-o', 'name')).trim().split('\n')).toHaveLength(1);
    expect(await k('rollout', 'resume', 'deployment/web')).toContain('resumed');
    await k('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect(await k('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}')).toBe(Array(5).fill('nginx:2').join(' '));
  });
});
