import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { assessHealth } from '../../src/health/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { findKubectl } from '../support/kubectl.ts';
import { until } from '../support/wait.ts';

const run = promisify(execFile);
const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));
const kubectl = findKubectl();

describe.skipIf(kubectl === undefined)('the install manifests', () => {
  let cluster: SimCluster;
  let kube: KubeClient;
  let kubeconfig: string;
  beforeAll(async () => {
    // pods start, and probes pass, twenty times faster than real time
    cluster = await startSimCluster({ port: 0, clock: new ScaledClock({ speed: 20 }) });
    kubeconfig = path.join(await mkdtemp(path.join(tmpdir(), 'sluice-install-')), 'kubeconfig');
    await cluster.writeKubeconfig(kubeconfig);
    kube = await kubeClientFor(cluster.url);
  });
  afterAll(async () => {
    await kube?.close();
    await cluster?.stop();
  });

  it('apply with kubectl -k and every object becomes Healthy', async () => {
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const rendered = (await run(kubectl!, ['kustomize', MANIFESTS], { env })).stdout;
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as JsonObject);
    expect(objects.map((o) => o['kind']).sort()).toEqual(
      ['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'CustomResourceDefinition', 'CustomResourceDefinition', 'Deployment', 'Namespace', 'Role', 'RoleBinding', 'Secret', 'Service', 'Service', 'ServiceAccount', 'StatefulSet'],
    );
    // the controller's image is the version package.json names, and a kustomize images: override moves it
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const containers = (objects.find((o) => o['kind'] === 'Deployment')?.['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers;
    expect(containers.map((c) => c.image)).toEqual([`ghcr.io/sluice-dev/sluice:${version}`]);
    const overlay = await mkdtemp(path.join(tmpdir(), 'sluice-overlay-'));
    await writeFile(path.join(overlay, 'kustomization.yaml'), `resources: [${JSON.stringify(path.relative(overlay, MANIFESTS))}]\nimages: [{name: ghcr.io/sluice-dev/sluice, newName: registry.example.com/platform/sluice, newTag: "2.0.0"}]\n`);
    expect((await run(kubectl!, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', overlay], { env })).stdout).toContain('image: registry.example.com/platform/sluice:2.0.0');
    const applied = await run(kubectl!, ['apply', '-k', MANIFESTS], { env });
    expect(applied.stdout.trim().split('\n')).toHaveLength(objects.length);
    for (const object of objects) {
      const metadata = object['metadata'] as JsonObject;
      const ref = { apiVersion: String(object['apiVersion']), kind: String(object['kind']), name: String(metadata['name']), ...(metadata['namespace'] === undefined ? {} : { namespace: String(metadata['namespace']) }) };
      await until(`${ref.kind} ${ref.name} Healthy`, async () => assessHealth(await kube.get(ref)).status === 'Healthy' || undefined, 30_000);
    }
    // the Redis StatefulSet's claim was bound to a volume
    const pvc = await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'sluice-system', name: 'data-sluice-redis-0' });
    expect((pvc?.['status'] as JsonObject | undefined)?.['phase']).toBe('Bound');
  }, 90_000);
});
