import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { watchClusterApplications } from '../../src/controller/cluster-apps.ts';
import { Controller } from '../../src/controller/controller.ts';
import type { JsonObject } from '../../src/json.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';
import { findKubectl, Kubectl } from '../support/kubectl.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const CRD = fileURLToPath(new URL('../../manifests/crds/application.yaml', import.meta.url));
const PROJECT_CRD = fileURLToPath(new URL('../../manifests/crds/project.yaml', import.meta.url));

describe.skipIf(!gitAvailable() || !redisAvailable())('Applications from the cluster', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let controller: Controller;
  let watch: { stop(): void };

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    await kube.create(parse(await readFile(CRD, 'utf8')) as JsonObject);
    await kube.create(parse(await readFile(PROJECT_CRD, 'utf8')) as JsonObject);
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    controller = await Controller.start({
      apps: [],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-cluster-apps-')) }),
      kube,
      redisUrl: redis.url,
      mirrorStatus: true,
      log: () => undefined,
    });
    let applying = Promise.resolve();
    watch = await watchClusterApplications(kube, 'sluice-system', (apps, statuses, _errors, projects) => {
      applying = applying.then(() => controller.setApps(apps, statuses, projects));
    });
  });
  afterAll(async () => {
    watch?.stop();
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  it('syncs an Application created in the cluster, writes its status and history, and lets go of a deleted one', async () => {
    const repo = await git.createRepo('from-cluster');
    const sha = await repo.commit({ 'web/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: "1"\n' }, 'web');
    await kube.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web', namespace: 'sluice-system' },
      spec: {
        source: { repoURL: repo.url, targetRevision: 'main', path: 'web' },
        destination: { namespace: 'web' },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
      },
    });
    await until('the ConfigMap synced', async () => kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'web' }));
    const status = await until('a Synced status with one history entry', async () => {
      const app = await kube.get({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'web' });
      const s = app?.['status'] as JsonObject | undefined;
      return (s?.['sync'] as JsonObject | undefined)?.['status'] === 'Synced' && Array.isArray(s?.['history']) && s['history'].length === 1 ? s : undefined;
    });
    expect(status).toMatchObject({
      sync: { status: 'Synced', revision: sha },
      health: { status: 'Healthy' },
      operationState: { phase: 'Succeeded', syncResult: { revision: sha, resources: [{ kind: 'ConfigMap', name: 'web', action: 'created' }] } },
      history: [{ id: 0, revision: sha }],
    });

    await kube.delete({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'web' });
    await until('the deleted Application let go', async () => controller.applications.length === 0);
  });

  const applicationRef = (name: string) => ({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name });
  const conditionsOf = async (name: string) => ((await kube.get(applicationRef(name)))?.['status'] as JsonObject | undefined)?.['conditions'] as JsonObject[] | undefined;

  it('shows an invalid spec as an InvalidSpecError condition, writes it once, and clears it when the spec is fixed', async () => {
    const repo = await git.createRepo('invalid-spec');
    const sha = await repo.commit({ 'app/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fixed\ndata:\n  a: "1"\n' }, 'fixed');
    // The CRD's schema accepts a 1s interval; Sluice's validation does not.
    const spec = { source: { repoURL: repo.url, targetRevision: 'main', path: 'app' }, destination: { namespace: 'fixed' }, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'], interval: '1s' } };
    await kube.create({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', metadata: { name: 'fixed', namespace: 'sluice-system' }, spec });
    const conditions = await until('an InvalidSpecError on fixed', () => conditionsOf('fixed'));
    expect(conditions).toEqual([{ type: 'InvalidSpecError', message: 'spec.syncPolicy.interval: "1s" is too short: the poll interval must be at least 5s', lastTransitionTime: expect.any(String) }]);
    const invalid = await kube.get(applicationRef('fixed'));
    expect(invalid?.['status']).toMatchObject({ sync: { status: 'Unknown' }, health: { status: 'Unknown' } });
    expect(controller.applications.map((a) => a.name)).not.toContain('fixed');

    // The status write's own watch event must not write again: once a later invalid Application
    // has its condition, the watch has handled that event, and the first one is unchanged.
    await kube.create({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', metadata: { name: 'later', namespace: 'sluice-system' }, spec: { ...spec, syncPolicy: { interval: '2s' } } });
    await until('an InvalidSpecError on later', () => conditionsOf('later'));
    expect((await kube.get(applicationRef('fixed')))?.['metadata']).toMatchObject({ resourceVersion: (invalid?.['metadata'] as JsonObject)['resourceVersion'] });
    await kube.delete(applicationRef('later'));

    await kube.patch(applicationRef('fixed'), { spec: { syncPolicy: { interval: '30s' } } }, { type: 'merge' });
    const status = await until('fixed Synced', async () => {
      const s = (await kube.get(applicationRef('fixed')))?.['status'] as JsonObject | undefined;
      return (s?.['sync'] as JsonObject | undefined)?.['status'] === 'Synced' ? s : undefined;
    });
    expect(status).not.toHaveProperty('conditions');
    expect(status).toMatchObject({ sync: { revision: sha }, health: { status: 'Healthy' } });
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'fixed', name: 'fixed' })).toBeDefined();
    await kube.delete(applicationRef('fixed'));
  });

  it('does not rewrite an unchanged status: polls of a steady app cost no API writes', async () => {
    const repo = await git.createRepo('steady');
    await repo.commit({ 'app/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: steady\ndata:\n  a: "1"\n' }, 'steady');
    await kube.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'steady', namespace: 'sluice-system' },
      spec: { source: { repoURL: repo.url, path: 'app' }, destination: { namespace: 'steady' }, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] } },
    });
    await until('steady Synced', async () => {
      const app = await kube.get({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'steady' });
      return ((app?.['status'] as JsonObject | undefined)?.['sync'] as JsonObject | undefined)?.['status'] === 'Synced' ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 500)); // the refresh after the sync's own writes
    const rv = async () => Number((await kube.list('v1', 'Namespace', { limit: 1 })).resourceVersion);
    const before = await rv();
    for (let i = 0; i < 3; i++) {
      const asked = new Date();
      await controller.requestSync('steady', { trigger: 'poll' });
      await until('steady compared again', async () => ((await controller.state('steady')) && new Date((await controller.state('steady'))!.comparedAt) >= asked ? true : undefined));
    }
    expect(await rv()).toBe(before);
  });

  it("follows the cluster's Projects: a refused kind fails the sync with a SyncError naming it, and allowing it lets the app sync", async () => {
    const repo = await git.createRepo('team-binding');
    await repo.commit(
      {
        'app/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team\ndata:\n  a: "1"\n',
        'app/binding.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: team-view}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: default, namespace: team}]\n',
      },
      'team',
    );
    const projectRef = { apiVersion: 'sluice.dev/v1alpha1', kind: 'Project', namespace: 'sluice-system', name: 'team' };
    await kube.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Project',
      metadata: { name: 'team', namespace: 'sluice-system' },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: 'team' }], clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] },
    });
    await kube.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'team', namespace: 'sluice-system' },
      spec: { project: 'team', source: { repoURL: repo.url, path: 'app' }, destination: { namespace: 'team' }, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] } },
    });
    // (the watch may show the app a moment before its project: then it fails as naming a missing project, and syncs again once the project comes)
    const refusal =
      'project team: rbac.authorization.k8s.io/ClusterRoleBinding/team-view: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed by spec.clusterResourceWhitelist, which does not list it';
    await until('a SyncError on team naming the binding and the rule', async () => (await conditionsOf('team'))?.find((c) => c['type'] === 'SyncError' && String(c['message']).includes(refusal)));
    expect((await controller.operations('team'))[0]).toMatchObject({ phase: 'Failed', message: expect.stringContaining(refusal) });
    expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'team' })).toBeUndefined();

    await kube.patch(projectRef, { spec: { clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', name: 'team-*' }] } }, { type: 'merge' });
    // the project's change polls its apps; the retry of a failed revision waits out its back-off (10 s)
    await until('team synced once its project allows the binding', async () => kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: 'team-view' }), 30_000);
    await until('the SyncError cleared', async () => ((await conditionsOf('team')) ?? []).every((c) => c['type'] !== 'SyncError'));
  }, 60_000);

  it.skipIf(findKubectl() === undefined)('tells a failed render and a failed apply as Warning Events on the Application, once per revision, as kubectl shows them', async () => {
    const repo = await git.createRepo('failing');
    const good = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: failing\ndata:\n  a: "1"\n';
    await repo.commit({ 'app/config.yaml': good }, 'good');
    await kube.create({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'failing', namespace: 'sluice-system' },
      spec: { source: { repoURL: repo.url, path: 'app' }, destination: { namespace: 'failing' }, syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] } },
    });
    await until('failing synced', async () => (await controller.state('failing'))?.sync === 'Synced', 30_000);
    const kubectl = await Kubectl.create(findKubectl()!, cluster.kubeconfig);
    try {
      const events = async () => {
        const list = JSON.parse(await kubectl.ok(['get', 'events', '-n', 'sluice-system', '--field-selector', 'involvedObject.name=failing', '-o', 'json'])) as { items: JsonObject[] };
        return list.items.filter((e) => e['type'] === 'Warning');
      };
      expect(await events()).toEqual([]);

      // a malformed push: a render error at its file and line, however often the app is compared
      const broken = await repo.commit({ 'app/config.yaml': `${good}---\nkind: ConfigMap\nmetadata: {name: [}\n` }, 'broken');
      await controller.requestSync('failing', { trigger: 'poll' });
      const [rendered] = await until('the ComparisonError event', async () => ((await events()).length > 0 ? events() : undefined), 30_000);
      for (let i = 0; i < 2; i++) {
        const asked = new Date();
        await controller.requestSync('failing', { trigger: 'poll' });
        await until('compared again', async () => new Date((await controller.state('failing'))?.comparedAt ?? 0) >= asked, 30_000);
      }
      expect(await events()).toHaveLength(1);
      expect(rendered).toMatchObject({
        reason: 'ComparisonError',
        source: { component: 'sluice' },
        involvedObject: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', namespace: 'sluice-system', name: 'failing' },
      });
      expect(rendered!['message']).toContain(`at ${broken.slice(0, 7)}`);
      expect(rendered!['message']).toContain('app/config.yaml:9');

      // a revision the API server refuses (a ConfigMap's data must be strings): one SyncError
      const refused = await repo.commit({ 'app/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: failing\ndata:\n  a: 1\n' }, 'refused');
      await controller.requestSync('failing', { trigger: 'manual' });
      const failed = await until('the SyncError event', async () => (await events()).find((e) => e['reason'] === 'SyncError'), 30_000);
      expect(failed['message']).toContain(refused.slice(0, 7));

      const described = await kubectl.ok(['describe', 'application', 'failing', '-n', 'sluice-system']);
      expect(described).toMatch(/Events:[\s\S]*Warning\s+ComparisonError\s+.*sluice\s+rendering app at/);
      expect(described).toMatch(/Warning\s+SyncError/);
    } finally {
      await kubectl.dispose();
    }
  }, 120_000);
});
