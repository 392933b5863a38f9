import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { Kubectl, kubectlBinaries } from '../support/kubectl.ts';

const binaries = kubectlBinaries();

const deployment = (image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: app
        image: ${image}
        ports: [{ containerPort: 80 }]
${extra}
`;

const service = `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, shortNames: [wd] }
  versions:
  - name: v1
    served: true
    storage: true
    schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
    subresources: { status: {} }
`;

// kubectl is on every machine here; where it is not, these compatibility tests cannot run.
describe.skipIf(binaries.length === 0)('the real kubectl against the embedded cluster', () => {
  describe.each(binaries)('$label', ({ path }) => {
    let cluster: SimCluster;
    let kubectl: Kubectl;
    let ns: string;
    let seq = 0;

    beforeAll(async () => {
      cluster = await startSimCluster({ port: 0, controllers: false });
      kubectl = await Kubectl.create(path, cluster.kubeconfig);
    });
    afterAll(async () => {
      await kubectl.dispose();
      await cluster.stop();
    });

    async function freshNamespace(): Promise<string> {
      ns = `t${++seq}`;
      expect(await kubectl.ok(['create', 'namespace', ns])).toContain(`namespace/${ns} created`);
      return ns;
    }

    it('applies manifests, reports unchanged, and removes fields dropped from the manifest', async () => {
      await freshNamespace();
      const file = await kubectl.file('app.yaml', `${deployment('nginx:1.25', '      nodeSelector: { disk: ssd }')}---\n${service}`);
      const first = await kubectl.ok(['apply', '-n', ns, '-f', file]);
      expect(first).toContain('deployment.apps/web created');
      expect(first).toContain('service/web created');
      const again = await kubectl.ok(['apply', '-n', ns, '-f', file]);
      expect(again).toContain('deployment.apps/web unchanged');
      expect(again).toContain('service/web unchanged');

      await kubectl.file('app.yaml', deployment('nginx:1.26'));
      expect(await kubectl.ok(['apply', '-n', ns, '-f', file])).toContain('deployment.apps/web configured');
      const live = JSON.parse(await kubectl.ok(['get', '-n', ns, 'deployment', 'web', '-o', 'json'])) as {
        metadata: { generation: number }; spec: { template: { spec: { nodeSelector?: object; containers: { image: string }[] } } };
      };
      expect(live.spec.template.spec.containers[0]?.image).toBe('nginx:1.26');
      expect(live.spec.template.spec.nodeSelector).toBeUndefined();
      expect(live.metadata.generation).toBe(2);
    });

    it('gets objects as YAML with server-side defaults and as a Table with the real columns', async () => {
      await freshNamespace();
      await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('nginx:1.25'));
      const yaml = await kubectl.ok(['get', '-n', ns, 'deploy', 'web', '-o', 'yaml']);
      expect(yaml).toContain('progressDeadlineSeconds: 600');
      expect(yaml).toContain('terminationMessagePath: /dev/termination-log');
      expect(yaml).toMatch(/resourceVersion: "\d+"/);
      const table = await kubectl.ok(['get', '-n', ns, 'deployments']);
      expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
      expect(table).toMatch(/web\s+0\/2\s+0\s+0\s+\d+s/);
      const wide = await kubectl.ok(['get', '-n', ns, 'deployments', '-o', 'wide']);
      expect(wide.split('\n')[0]).toContain('SELECTOR');
      expect(wide).toContain('app=web');
    });

    it('watches with get -w: sees creation, change and deletion', async () => {
      await freshNamespace();
      const watcher = kubectl.spawn(['get', '-n', ns, 'configmaps', '-w', '-o', 'custom-columns=NAME:.metadata.name,V:.data.v']);
      let output = '';
      watcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const until = async (text: string) => {
        for (let i = 0; i < 100 && !output.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
        expect(output).toContain(text);
      };
      try {
        await new Promise((r) => setTimeout(r, 300));
        await kubectl.ok(['create', '-n', ns, 'configmap', 'watched', '--from-literal=v=one']);
        await until('one');
        await kubectl.ok(['patch', '-n', ns, 'configmap', 'watched', '-p', '{"data":{"v":"two"}}']);
        await until('two');
      } finally {
        watcher.kill();
      }
      expect(output.indexOf('one')).toBeLessThan(output.indexOf('two'));
    });

    it('deletes, and answers NotFound the way kubectl prints it', async () => {
      await freshNamespace();
      await kubectl.ok(['create', '-n', ns, 'configmap', 'gone']);
      expect(await kubectl.ok(['delete', '-n', ns, 'configmap', 'gone'])).toContain('configmap "gone" deleted');
      const r = await kubectl.run(['get', '-n', ns, 'configmap', 'gone']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('Error from server (NotFound): configmaps "gone" not found');
    });

    it('labels and unlabels', async () => {
      await freshNamespace();
      await kubectl.ok(['create', '-n', ns, 'configmap', 'l']);
      await kubectl.ok(['label', '-n', ns, 'configmap', 'l', 'tier=front']);
      expect(await kubectl.ok(['get', '-n', ns, 'cm', '-l', 'tier=front', '-o', 'name'])).toBe('configmap/l\n');
      const conflict = await kubectl.run(['label', '-n', ns, 'configmap', 'l', 'tier=back']);
      expect(conflict.code).not.toBe(0);
      await kubectl.ok(['label', '-n', ns, 'configmap', 'l', 'tier=back', '--overwrite']);
      await kubectl.ok(['label', '-n', ns, 'configmap', 'l', 'tier-']);
      expect(await kubectl.ok(['get', '-n', ns, 'cm', '-l', 'tier', '-o', 'name'])).toBe('');
    });

    it.each([
      // without $setElementOrder, strategic merge puts the patch's items first (as apimachinery does)
      { type: 'strategic', patch: '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}', want: ['busybox', 'nginx:1.25'] },
      { type: 'merge', patch: '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}}', want: ['busybox'] },
      { type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:2"}]', want: ['nginx:2'] },
    ])('patches with --type $type', async ({ type, patch, want }) => {
      await freshNamespace();
      await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('nginx:1.25'));
      expect(await kubectl.ok(['patch', '-n', ns, 'deploy', 'web', '--type', type, '-p', patch])).toContain('deployment.apps/web patched');
      const images = await kubectl.ok(['get', '-n', ns, 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[*].image}']);
      expect(images.split(' ')).toEqual(want);
    });

    it('scales through the scale subresource', async () => {
      await freshNamespace();
      await kubectl.ok(['apply', '-n', ns, '-f', '-'], deployment('nginx:1.25'));
      expect(await kubectl.ok(['scale', '-n', ns, 'deploy/web', '--replicas=5'])).toContain('scaled');
      expect(await kubectl.ok(['get', '-n', ns, 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('5');
    });

    it('server-side apply reports conflicts with another manager, and --force-conflicts takes over', async () => {
      await freshNamespace();
      const file = await kubectl.file('ssa.yaml', deployment('nginx:1.25'));
      expect(await kubectl.ok(['apply', '--server-side', '-n', ns, '-f', file])).toContain('serverside-applied');
      await kubectl.ok(['patch', '-n', ns, 'deploy', 'web', '-p', '{"spec":{"replicas":7}}']);
      const conflict = await kubectl.run(['apply', '--server-side', '-n', ns, '-f', file]);
      expect(conflict.code).not.toBe(0);
      expect(conflict.stderr).toContain('conflict with "kubectl-patch"');
      expect(conflict.stderr).toContain('.spec.replicas');
      await kubectl.ok(['apply', '--server-side', '--force-conflicts', '-n', ns, '-f', file]);
      expect(await kubectl.ok(['get', '-n', ns, 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    });

    it('lists api-resources, including a CRD once it is created, and serves its objects', async () => {
      const before = await kubectl.ok(['api-resources']);
      expect(before).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
      expect(before).toMatch(/namespaces\s+ns\s+v1\s+false\s+Namespace/);
      expect(before).toMatch(/horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler/);
      await kubectl.ok(['apply', '-f', '-'], crd);
      expect(await kubectl.ok(['api-resources', '--api-group=example.com'])).toMatch(/widgets\s+wd\s+example.com\/v1\s+true\s+Widget/);
      await freshNamespace();
      await kubectl.ok(['apply', '-n', ns, '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w1 }\nspec: { size: 3 }\n');
      expect(await kubectl.ok(['get', '-n', ns, 'wd', 'w1', '-o', 'jsonpath={.spec.size}'])).toBe('3');
      await kubectl.ok(['delete', 'crd', 'widgets.example.com']);
      const gone = await kubectl.run(['get', '-n', ns, 'widgets']);
      expect(gone.code).not.toBe(0);
    });

    it('refuses to create in a missing namespace and deletes a namespace with its contents', async () => {
      const missing = await kubectl.run(['create', '-n', 'nope', 'configmap', 'x']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('namespaces "nope" not found');
      await freshNamespace();
      await kubectl.ok(['create', '-n', ns, 'configmap', 'inside']);
      expect(await kubectl.ok(['delete', 'namespace', ns, '--timeout=10s'])).toContain(`namespace "${ns}" deleted`);
      const r = await kubectl.run(['get', 'namespace', ns]);
      expect(r.stderr).toContain('NotFound');
    });

    it('rejects invalid objects with the API server field errors', async () => {
      await freshNamespace();
      const bad = deployment('nginx').replace('template:\n    metadata: { labels: { app: web } }', 'template:\n    metadata: { labels: { app: other } }');
      const r = await kubectl.run(['apply', '-n', ns, '-f', '-'], bad);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('is invalid');
      expect(r.stderr).toContain('`selector` does not match template `labels`');
    });
  });
});
