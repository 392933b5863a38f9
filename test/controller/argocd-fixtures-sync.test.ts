/**
 * Real Argo CD Application manifests (test/fixtures/argocd, unchanged) converted with
 * --accept-argocd semantics and synced into embedded clusters. Their repoURLs point at
 * GitHub; this machine reaches no forge, so each is served by the test Git server under a
 * local URL with content WE wrote at the same paths and revisions (no fetched repository
 * content). Destinations go through the cluster registry: the ApplicationSet example's
 * https://1.2.3.4 is registered as a second embedded cluster (nothing is sent to 1.2.3.4).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLoadError, parseApplicationsText } from '../../src/app/load.ts';
import { GitSource } from '../../src/git/index.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { clusterRegistry, resolveDestination, type ClusterEntry } from '../../src/kube/clusters.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { compareApp } from '../../src/sync/compare.ts';
import { syncApp } from '../../src/sync/operation.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/argocd');

const configMap = (name: string, data: Record<string, string>) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`;
const deployment = (name: string, image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ${name}}\n  template:\n    metadata:\n      labels: {app: ${name}}\n    spec:\n      containers:\n        - name: web\n          image: ${image}\n          ports: [{containerPort: 80}]\n`;
const service = (name: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector: {app: ${name}}\n  ports: [{port: 80, targetPort: 80}]\n`;

/** Our stand-in content for each GitHub repository the fixtures name: path → file, per branch. */
const REPOSITORIES: Record<string, Record<string, Record<string, string>>> = {
  'https://github.com/argoproj/argocd-example-apps': {
    main: {
      'guestbook/ui-deployment.yaml': deployment('guestbook-ui', 'registry.example/guestbook-ui:1'),
      'guestbook/ui-service.yaml': service('guestbook-ui'),
      'kustomize-guestbook/kustomization.yaml': 'namePrefix: kustomize-\nresources:\n  - deployment.yaml\n  - service.yaml\n',
      'kustomize-guestbook/deployment.yaml': deployment('guestbook-ui', 'registry.example/guestbook-ui:1'),
      'kustomize-guestbook/service.yaml': service('guestbook-ui'),
    },
    // kustomize.yaml asks for targetRevision master
    master: {},
  },
  'https://github.com/argoproj/argo-cd': {
    main: { 'self-managed-app/settings.yaml': configMap('self-managed', { owner: 'e2e' }) },
    // declarative-setup-sync-policy.yaml asks for targetRevision stable
    stable: { 'manifests/cluster-install/controller.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: application-controller\n', 'manifests/cluster-install/settings.yaml': configMap('install-settings', { mode: 'cluster' }) },
  },
  'https://github.com/infra-team/cluster-deployments': { main: { 'guestbook/engineering-dev/settings.yaml': configMap('guestbook-settings', { env: 'engineering-dev' }) } },
  'https://github.com/YOUR-ORG/my-apps-repo': { main: { 'path-to-child-app/child.yaml': configMap('child', { team: 'b' }) } },
};

/** The fixtures synced, with the objects each must create and the cluster they land in. */
const SYNCED: Record<string, { readonly cluster: 'own' | 'remote'; readonly objects: readonly string[] }> = {
  'declarative-setup-guestbook.yaml': { cluster: 'own', objects: ['Deployment/guestbook/guestbook-ui', 'Service/guestbook/guestbook-ui'] },
  'declarative-setup-sync-policy.yaml': { cluster: 'own', objects: ['ConfigMap/argocd/install-settings', 'ServiceAccount/argocd/application-controller'] },
  'directory.yaml': { cluster: 'own', objects: ['Deployment/default/guestbook-ui', 'Service/default/guestbook-ui'] },
  'e2e-self-managed-app.yaml': { cluster: 'own', objects: ['ConfigMap/argocd-e2e/self-managed'] },
  'kustomize-sync-policy.yaml': { cluster: 'own', objects: ['Deployment/demo/kustomize-guestbook-ui', 'Service/demo/kustomize-guestbook-ui'] },
  'kustomize.yaml': { cluster: 'own', objects: ['Deployment/test1/kustomize-guestbook-ui', 'Service/test1/kustomize-guestbook-ui'] },
  'managed-by-url.yaml': { cluster: 'own', objects: ['ConfigMap/namespace-b/child'] },
  'managed-by-url-local.yaml': { cluster: 'own', objects: ['ConfigMap/namespace-b/child'] },
  'skip-reconcile.yaml': { cluster: 'own', objects: ['Deployment/guestbook/guestbook-ui', 'Service/guestbook/guestbook-ui'] },
  'applicationset-generated.yaml': { cluster: 'remote', objects: ['ConfigMap/guestbook/guestbook-settings'] },
};

describe.skipIf(!gitAvailable())('real Argo CD Applications synced into embedded clusters', () => {
  let git: GitServer;
  let remote: SimCluster;
  let remoteKube: KubeClient;
  let cacheDir: string;
  const localUrl = new Map<string, string>();

  beforeAll(async () => {
    [git, remote] = await Promise.all([startGitServer(), startSimCluster({ port: 0, controllers: false })]);
    remoteKube = KubeClient.forUrl(remote.url);
    cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-argocd-sync-'));
    for (const [github, branches] of Object.entries(REPOSITORIES)) {
      const repo = await git.createRepo(github.split('/').slice(-2).join('-'));
      const files = branches['main']!;
      await repo.commit(files, 'content written for the test');
      for (const [branch, extra] of Object.entries(branches)) if (branch !== 'main') await repo.commit({ ...files, ...extra }, `${branch}`, { branch });
      localUrl.set(github, repo.url);
    }
  });
  afterAll(async () => {
    await remoteKube?.close();
    await Promise.all([git?.stop(), remote?.stop()]);
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('syncs at least 10 of them', () => {
    expect(Object.keys(SYNCED).length).toBeGreaterThanOrEqual(10);
  });

  it.each(Object.keys(SYNCED))('%s', async (file) => {
    const expected = SYNCED[file]!;
    const text = await readFile(path.join(FIXTURES, file), 'utf8');
    const github = /repoURL: (\S+)/.exec(text)![1]!;
    const local = localUrl.get(github.replace(/\.git$/, ''));
    expect(local, `no stand-in repository for ${github}`).toBeDefined();
    const loaded = parseApplicationsText(file, text.replace(github, local!), { acceptArgocd: true });
    expect(loaded.ok, loaded.ok ? '' : loaded.errors.map(formatLoadError).join('\n')).toBe(true);
    if (!loaded.ok) return;
    const [app] = loaded.apps;

    // each fixture gets a cluster of its own: several of them deploy the same objects under the same app name
    const own = await startSimCluster({ port: 0, controllers: false });
    const ownKube = KubeClient.forUrl(own.url);
    try {
      const registry: ClusterEntry[] = clusterRegistry([], [
        { name: 'engineering-dev', server: 'https://1.2.3.4', origin: 'secret', from: 'test registry', settings: { server: remote.url, namespace: 'default', insecure: false, headers: {} } },
      ]);
      const resolved = resolveDestination(registry, app!.spec.destination);
      if (!resolved.ok) throw new Error(resolved.message);
      expect(resolved.cluster.origin === 'home' ? 'own' : 'remote').toBe(expected.cluster);
      const kube = expected.cluster === 'own' ? ownKube : remoteKube;
      if (!app!.spec.syncPolicy.syncOptions.createNamespace) {
        await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: app!.spec.destination.namespace } }).catch(() => undefined);
      }
      const ctx = { git: new GitSource({ cacheDir }), kube, pollIntervalMs: 50, waveTimeoutMs: 10_000 };
      const result = await syncApp(ctx, app!, { trigger: 'manual' });
      expect(result.phase, result.message).toBe('Succeeded');
      const written = result.resources.filter((r) => r.action !== 'unchanged').map((r) => `${r.key.kind}/${r.key.namespace ?? ''}/${r.key.name}`).sort();
      expect(written).toEqual([...expected.objects].sort());
      // CreateNamespace=true (kustomize-sync-policy.yaml) made the namespace; the others' was made above
      expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: app!.spec.destination.namespace })).toBeDefined();
      for (const object of expected.objects) {
        const [kind, namespace, name] = object.split('/') as [string, string, string];
        const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1';
        expect(await kube.get({ apiVersion, kind, namespace, name }), object).toMatchObject({ metadata: { labels: { 'sluice.dev/app': app!.name } } });
      }
      const compared = await compareApp(ctx, app!);
      expect('status' in compared && compared.status).toBe('Synced');
    } finally {
      await ownKube.close();
      await own.stop();
    }
  });
});
