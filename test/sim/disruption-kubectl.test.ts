import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { Kubectl, kubectlBinaries } from '../support/kubectl.ts';
import { until } from '../support/wait.ts';

const binaries = kubectlBinaries();

const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{ name: app, image: nginx:1.25 }]
`;

/**
 * kubectl's cluster-administration commands against the embedded cluster: creating the
 * policy kinds, asking what it may do, and draining a node whose pods a
 * PodDisruptionBudget protects.
 */
describe.skipIf(binaries.length === 0)('kubectl drain, auth and the policy kinds', () => {
  describe.each(binaries)('$label', ({ label, path }) => {
    let cluster: SimCluster;
    let kubectl: Kubectl;

    beforeAll(async () => {
      // two nodes, time ×20: a replacement pod is Ready within a second of real time
      cluster = await startSimCluster({ port: 0, nodes: 2, clock: new ScaledClock({ speed: 20 }) });
      kubectl = await Kubectl.create(path, cluster.kubeconfig);
    });
    afterAll(async () => {
      await kubectl?.dispose();
      await cluster?.stop();
    });

    it('creates a PodDisruptionBudget, a PriorityClass and a ResourceQuota, and lists them with their columns', async () => {
      await kubectl.ok(['create', 'namespace', 'made']);
      expect(await kubectl.ok(['create', '-n', 'made', 'pdb', 'web', '--selector=app=web', '--min-available=1'])).toContain('poddisruptionbudget.policy/web created');
      expect(await kubectl.ok(['create', 'priorityclass', 'high', '--value=1000', '--description=important'])).toContain('priorityclass.scheduling.k8s.io/high created');
      expect(await kubectl.ok(['create', '-n', 'made', 'quota', 'small', '--hard=pods=10,requests.cpu=2'])).toContain('resourcequota/small created');
      expect(await kubectl.ok(['get', '-n', 'made', 'pdb'])).toMatch(/NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\nweb\s+1\s+N\/A\s+0\s+/);
      expect(await kubectl.ok(['get', 'pc', 'high'])).toMatch(/NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\nhigh\s+1000\s+false\s+\S+\s+PreemptLowerPriority/);
      const quota = await until('quota usage', async () => {
        const out = await kubectl.ok(['get', '-n', 'made', 'quota', 'small']);
        return out.includes('pods: 0/10') ? out : undefined;
      });
      expect(quota).toMatch(/small\s+\S+\s+pods: 0\/10, requests.cpu: 0\/2/);
    });

    it('answers kubectl auth can-i: the embedded cluster authorizes everything', async () => {
      expect((await kubectl.ok(['auth', 'can-i', 'create', 'deployments', '-n', 'made'])).trim()).toBe('yes');
      expect((await kubectl.ok(['auth', 'can-i', 'delete', 'nodes'])).trim()).toBe('yes');
      expect(await kubectl.ok(['auth', 'can-i', '--list', '-n', 'made'])).toMatch(/\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
    });

    // drain waits 5 s between refused evictions: run it with the two kubectl versions the issue names
    it.runIf(label === 'kubectl 1.33' || label === 'kubectl 1.35')('drains a node: evicts what the PodDisruptionBudget allows and waits for the rest', async () => {
      await kubectl.ok(['create', 'namespace', 'drain']);
      // both replicas on sim-node-1: the other node is cordoned while they are placed
      await kubectl.ok(['cordon', 'sim-node-2']);
      await kubectl.ok(['apply', '-n', 'drain', '-f', '-'], deployment('web'));
      await kubectl.ok(['rollout', 'status', '-n', 'drain', 'deployment/web', '--timeout=60s']);
      await kubectl.ok(['uncordon', 'sim-node-2']);
      await kubectl.ok(['create', '-n', 'drain', 'pdb', 'web', '--selector=app=web', '--min-available=1']);
      await until('the budget to allow one disruption', async () => (await kubectl.ok(['get', '-n', 'drain', 'pdb', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1');

      const drain = await kubectl.run(['drain', 'sim-node-1', '--ignore-daemonsets', '--timeout=90s']);
      expect(drain.code, drain.stderr).toBe(0);
      // the second eviction was refused until the first pod's replacement was Ready on sim-node-2
      expect(drain.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
      expect(drain.stdout).toContain('node/sim-node-1 drained');
      const nodes = await kubectl.ok(['get', 'pods', '-n', 'drain', '-o', 'jsonpath={.items[*].spec.nodeName}']);
      expect(nodes.split(' ').sort()).toEqual(['sim-node-2', 'sim-node-2']);
      expect(await kubectl.ok(['get', 'node', 'sim-node-1'])).toContain('SchedulingDisabled');
    }, 120_000);
  });
});
