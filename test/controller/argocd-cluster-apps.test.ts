/**
 * `sluice start --from-cluster --accept-argocd`: Argo CD's Application and AppProject
 * objects (argoproj.io/v1alpha1, their CRDs registered in the embedded cluster as a cluster
 * with Argo CD installed has them) are watched beside the sluice.dev ones, converted as files
 * are, one warning per app for what Sluice does not honour; an AppProject is enforced before
 * any write; and Sluice writes no status to Argo CD's objects (the API server's log says so).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { parse } from 'yaml';
import { TokenStore } from '../../src/api/auth.ts';
import { watchClusterApplications } from '../../src/controller/cluster-apps.ts';
import { Controller } from '../../src/controller/controller.ts';
import { runController } from '../../src/controller/run.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { argoCrd } from '../support/argocd-crds.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const CRDS = ['application.yaml', 'project.yaml'].map((f) => fileURLToPath(new URL(`../../manifests/crds/${f}`, import.meta.url)));
const CONFIG = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';
const ADMIN_BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: team-is-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: team-web}]
`;

describe.skipIf(!gitAvailable() || !redisAvailable())('Argo CD Applications and AppProjects from the cluster', () => {
  let dir: string;
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let controller: Controller;
  let watch: { stop(): void };
  const log: SimRequestLogEntry[] = [];
  const warnings: string[][] = [];
  const errors: string[][] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-argocd-cluster-'));
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false, onRequest: (r) => log.push(r) }), startGitServer(), startRedis()]);
    kube = KubeClient.forUrl(cluster.url);
    for (const file of CRDS) await kube.create(parse(await readFile(file, 'utf8')) as JsonObject);
    await kube.create(await argoCrd('Application'));
    await kube.create(await argoCrd('AppProject'));
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    repo = await git.createRepo('argo-apps');
    await repo.commit({ 'guestbook/config.yaml': CONFIG, 'guestbook/nested/extra.yaml': CONFIG.replace('settings', 'extra'), 'escalate/config.yaml': CONFIG, 'escalate/binding.yaml': ADMIN_BINDING }, 'first');
    controller = await Controller.start({
      apps: [],
      git: new GitSource({ cacheDir: path.join(dir, 'git') }),
      kube,
      redisUrl: redis.url,
      prefix: 'argo',
      mirrorStatus: true,
      log: () => undefined,
    });
    let applying = Promise.resolve();
    watch = await watchClusterApplications(
      kube,
      'sluice-system',
      (apps, statuses, loadErrors, projects, loadWarnings) => {
        warnings.push([...loadWarnings]);
        errors.push(loadErrors.map((e) => `${e.where}: ${e.path}: ${e.message}`));
        applying = applying.then(() => controller.setApps(apps, statuses, projects));
      },
      { acceptArgocd: true, debounceMs: 20 },
    );
  }, 60_000);
  afterAll(async () => {
    watch?.stop();
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  const argoApp = (name: string, spec: JsonObject, metadata: JsonObject = {}): JsonObject => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'sluice-system', ...metadata },
    spec,
  });
  const argoWrites = (from: number) => log.slice(from).filter((r) => r.method !== 'GET' && r.path.startsWith('/apis/argoproj.io/'));

  it('syncs an Argo CD Application object as Argo CD would, warns once about what it does not honour, and leaves its status alone', async () => {
    const from = log.length;
    await kube.create(
      argoApp(
        'guestbook',
        {
          project: 'default',
          source: { repoURL: repo.url, targetRevision: 'main', path: 'guestbook' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'], retry: { limit: 5 } },
          revisionHistoryLimit: 3,
        },
        { finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      ),
    );
    await until('guestbook synced', async () => (await controller.state('guestbook'))?.sync === 'Synced', 30_000);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'guestbook', name: 'settings' })).toBeDefined();
    // Argo CD reads a plain directory's top level only
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'guestbook', name: 'extra' })).toBeUndefined();
    // one warning for the app, naming each field left out, and none for what the API server set (uid, resourceVersion …)
    expect(warnings.at(-1)).toEqual([
      'cluster sluice-system/guestbook (Argo CD): Application guestbook: Argo CD fields Sluice does not honour (left out): metadata.finalizers, spec.syncPolicy.retry, spec.revisionHistoryLimit',
    ]);
    expect(errors.at(-1)).toEqual([]);
    // the status is Argo CD's: Sluice wrote nothing to argoproj.io objects
    expect(argoWrites(from).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /apis/argoproj.io/v1alpha1/namespaces/sluice-system/applications']);
    expect((await kube.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'guestbook' }))?.['status']).toBeUndefined();
    // nor did it look for a sluice.dev Application to write one to
    expect(log.slice(from).filter((r) => r.method === 'PATCH' && r.path.includes('/applications/guestbook'))).toEqual([]);
  });

  it('enforces an AppProject from the cluster before any write, and lets go of a deleted Application', async () => {
    await kube.create({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'team', namespace: 'sluice-system' },
      spec: {
        sourceRepos: [`${git.url}/*`],
        destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-*' }],
        roles: [{ name: 'deployer', policies: ['p, proj:team:deployer, applications, sync, team/*, allow'] }],
      },
    });
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-web' } });
    const from = log.length;
    await kube.create(argoApp('escalate', { project: 'team', source: { repoURL: repo.url, targetRevision: 'main', path: 'escalate' }, destination: { name: 'in-cluster', namespace: 'team-web' }, syncPolicy: { automated: {} } }));
    const state = await until('escalate refused', async () => {
      const s = await controller.state('escalate');
      return s?.message?.includes('project team') ? s : undefined;
    }, 30_000);
    expect(state.message).toContain('project team: rbac.authorization.k8s.io/ClusterRoleBinding/team-is-admin: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed by spec.clusterResourceWhitelist, which allows none');
    // the AppProject's unhonoured fields are named once too
    expect(warnings.at(-1)).toContain('cluster sluice-system/team (AppProject): AppProject team: Argo CD fields Sluice does not honour (left out): spec.roles');
    // before any write: nothing but reads reached the app's namespace or cluster-scoped RBAC (dry runs included)
    const touched = log.slice(from).filter((r) => r.method !== 'GET' && (r.path.includes('/namespaces/team-web/') || r.path.includes('clusterrolebindings')));
    expect(touched).toEqual([]);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-web', name: 'settings' })).toBeUndefined();

    await kube.delete({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'escalate' });
    await until('escalate let go', async () => !controller.applications.some((a) => a.name === 'escalate'), 30_000);
  });

  it('is what `sluice start --from-cluster --accept-argocd` runs: the Argo CD Application syncs, its warning logged once', async () => {
    const lines: string[] = [];
    const running = await runController({
      apps: { namespace: 'argo-run', acceptArgocd: true },
      server: cluster.url,
      redisUrl: redis.url,
      concurrency: 2,
      cacheDir: path.join(dir, 'run'),
      api: { host: '127.0.0.1', port: 0, tokens: new TokenStore([]) },
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(String(JSON.parse(line).msg)) }),
      connectTimeoutMs: 20_000,
    });
    if (typeof running === 'string') throw new Error(running);
    try {
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argo-run' } });
      await kube.create({
        ...argoApp('run-web', { source: { repoURL: repo.url, targetRevision: 'main', path: 'guestbook' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'run-web' }, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] }, revisionHistoryLimit: 1 }),
        metadata: { name: 'run-web', namespace: 'argo-run' },
      });
      await until('run-web synced', async () => (await running.controller.state('run-web'))?.sync === 'Synced', 30_000);
      expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'run-web', name: 'settings' })).toBeDefined();
      expect(lines).toContain("controller running: following the Application and Project resources in namespace argo-run, Argo CD's included");
      expect(lines.filter((l) => l.includes('Argo CD fields Sluice does not honour'))).toEqual([
        'cluster argo-run/run-web (Argo CD): Application run-web: Argo CD fields Sluice does not honour (left out): spec.revisionHistoryLimit',
      ]);
    } finally {
      await running.stop();
    }
  });
});
