/**
 * Projects as a security boundary, end to end on the embedded cluster: an app its project
 * refuses (repository, namespace, kind, CreateNamespace) fails before its first write —
 * the API server's request log shows no write and no server-side dry run for it — and an
 * app its project allows syncs.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProject, type Project } from '../../src/app/project.ts';
import type { Application } from '../../src/app/types.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { syncApp, type SyncContext } from '../../src/sync/operation.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';

const CONFIG = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';
const ELSEWHERE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: kube-system\ndata:\n  color: red\n';
const ADMIN_BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: team-a-is-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: team-a-web}]
`;

/** Every request that is not a read: writes and server-side dry runs alike. */
const nonReads = (log: readonly SimRequestLogEntry[]) => log.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}${r.query.has('dryRun') ? ' (dry run)' : ''}`);

function project(spec: Record<string, unknown>): Project {
  const parsed = parseProject({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Project', metadata: { name: 'team-a', namespace: 'sluice-system' }, spec }, 'test');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.project;
}

function inProject(app: Application, name = 'team-a'): Application {
  return { ...app, spec: { ...app.spec, project: name } };
}

describe.skipIf(!gitAvailable())('projects before a sync', () => {
  let cluster: SimCluster;
  let server: GitServer;
  let kube: KubeClient;
  let base: Omit<SyncContext, 'projects'>;
  let teamA: Project;
  const log: SimRequestLogEntry[] = [];

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false, onRequest: (r) => log.push(r) });
    server = await startGitServer();
    kube = await kubeClientFor(cluster.url);
    base = { git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-projects-git-')) }), kube, pollIntervalMs: 20, waveTimeoutMs: 5_000 };
    // a team project: its own repositories, its own namespaces, no cluster-scoped kinds but Namespace
    teamA = project({
      sourceRepos: [`${server.url}/team-a-*`],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a-*' }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
    });
  });
  afterAll(async () => {
    await kube?.close();
    await server?.stop();
    await cluster?.stop();
  });

  async function syncLogged(app: Application, projects: readonly Project[], previousKinds?: readonly string[]) {
    const from = log.length;
    const result = await syncApp({ ...base, projects, ...(previousKinds === undefined ? {} : { previousKinds }) }, app, { trigger: 'manual' });
    return { result, requests: nonReads(log.slice(from)) };
  }

  it('refuses a repository the project does not list, before fetching it', async () => {
    const repo = await server.createRepo('other-team-web');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-web1', repoURL: repo.url })), [teamA]);
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain(`project team-a: repository ${repo.url} is not permitted by spec.sourceRepos (${server.url}/team-a-*)`);
    expect(result.revision).toBeUndefined(); // not even resolved
    expect(requests).toEqual([]);
  });

  it('refuses a destination namespace the project does not list', async () => {
    const repo = await server.createRepo('team-a-ops');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'ops', namespace: 'kube-system', repoURL: repo.url })), [teamA]);
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(/project team-a: destination namespace kube-system on cluster in-cluster \(https:\/\/kubernetes\.default\.svc\) is not permitted by spec\.destinations/);
    expect(requests).toEqual([]);
  });

  it('refuses an object the render puts in a namespace the project does not list', async () => {
    const repo = await server.createRepo('team-a-sneaky');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/elsewhere.yaml': ELSEWHERE }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-sneaky', repoURL: repo.url })), [teamA]);
    expect(result).toMatchObject({ phase: 'Failed', resources: [{ key: { kind: 'ConfigMap', namespace: 'kube-system', name: 'elsewhere' }, action: 'failed' }] });
    expect(result.message).toContain('project team-a: ConfigMap/kube-system/elsewhere: namespace kube-system is not permitted by spec.destinations');
    expect(requests).toEqual([]);
  });

  it('refuses a ClusterRoleBinding from a team project, and everything else of the revision with it', async () => {
    const repo = await server.createRepo('team-a-escalate');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/binding.yaml': ADMIN_BINDING }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-escalate', repoURL: repo.url })), [teamA]);
    expect(result).toMatchObject({ phase: 'Failed', resources: [{ key: { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', name: 'team-a-is-admin' } }] });
    expect(result.message).toContain(
      'project team-a: rbac.authorization.k8s.io/ClusterRoleBinding/team-a-is-admin: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed by spec.clusterResourceWhitelist, which does not list it',
    );
    expect(requests).toEqual([]);
    await expect(kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a-escalate', name: 'settings' })).resolves.toBeUndefined();
  });

  it('checks hooks like the rest: a PreSync hook the project refuses runs no hook and writes nothing', async () => {
    const repo = await server.createRepo('team-a-hook');
    const hookBinding = ADMIN_BINDING.replace('metadata: {name: team-a-is-admin}', 'metadata: {name: team-a-is-admin, annotations: {argocd.argoproj.io/hook: PreSync}}');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/binding.yaml': hookBinding }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-hook', repoURL: repo.url })), [teamA]);
    expect(result.phase).toBe('Failed');
    expect(result.message).toContain('rbac.authorization.k8s.io/ClusterRoleBinding/team-a-is-admin: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed');
    expect(requests).toEqual([]);
  });

  it('refuses CreateNamespace when the project does not allow kind Namespace', async () => {
    const strict = project({ sourceRepos: ['*'], destinations: [{ name: 'in-cluster', namespace: 'team-a-*' }] });
    const repo = await server.createRepo('team-a-new-ns');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-new-ns', repoURL: repo.url })), [strict]);
    expect(result).toMatchObject({ phase: 'Failed', resources: [{ key: { kind: 'Namespace', name: 'team-a-new-ns' }, action: 'failed' }] });
    expect(result.message).toContain('project team-a: CreateNamespace=true would create Namespace team-a-new-ns: cluster-scoped kind Namespace is not allowed by spec.clusterResourceWhitelist, which allows none');
    expect(requests).toEqual([]);
    // once the namespace exists, nothing needs creating and the same project lets the app sync
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a-new-ns' } });
    const again = await syncLogged(inProject(testApplication({ name: 'team-a-new-ns', repoURL: repo.url })), [strict]);
    expect(again.result.phase).toBe('Succeeded');
  });

  it('checks prunes: a live object of a kind the project denies is not deleted, and nothing else is written', async () => {
    const QUOTA = 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: quota\nspec:\n  hard: {pods: "10"}\n';
    const repo = await server.createRepo('team-a-quota');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/quota.yaml': QUOTA }, 'first');
    // deployed while the app was in the default project, which allows everything
    const first = await syncLogged(testApplication({ name: 'team-a-quota', repoURL: repo.url }), [teamA]);
    expect(first.result.phase, first.result.message).toBe('Succeeded');
    // Git drops the quota and changes the ConfigMap; the app has moved to a project that denies ResourceQuota
    await repo.commit({ 'app/config.yaml': CONFIG.replace('blue', 'green'), 'app/quota.yaml': null }, 'drop the quota');
    // the kinds it managed before, as the controller's state keeps them: ResourceQuota is not among the kinds always searched
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-quota', repoURL: repo.url })), [teamA], ['v1/ResourceQuota']);
    expect(result).toMatchObject({ phase: 'Failed', resources: [{ key: { kind: 'ResourceQuota', namespace: 'team-a-quota', name: 'quota' }, action: 'failed' }] });
    expect(result.message).toContain('project team-a: pruning ResourceQuota/team-a-quota/quota: namespaced kind ResourceQuota is denied by spec.namespaceResourceBlacklist[0] (group: "", kind: "ResourceQuota")');
    expect(result.message).toContain('nothing was applied');
    expect(requests).toEqual([]);
    await expect(kube.get({ apiVersion: 'v1', kind: 'ResourceQuota', namespace: 'team-a-quota', name: 'quota' })).resolves.toBeDefined();
    const config = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a-quota', name: 'settings' });
    expect(config?.['data']).toEqual({ color: 'blue' });
    // without prune the quota is left alone and the rest syncs, as before
    const noPrune = await syncApp({ ...base, projects: [teamA], previousKinds: ['v1/ResourceQuota'] }, inProject(testApplication({ name: 'team-a-quota', repoURL: repo.url })), { trigger: 'manual', prune: false });
    expect(noPrune.phase, noPrune.message).toBe('Succeeded');
  });

  it('fails an app whose project does not exist, as Argo CD does', async () => {
    const repo = await server.createRepo('team-b-web');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-b-web', repoURL: repo.url }), 'team-b'), [teamA]);
    expect(result.phase).toBe('Failed');
    expect(result.message).toBe('Application referencing project team-b which does not exist; nothing was applied');
    expect(requests).toEqual([]);
  });

  it('syncs an app its project allows, creating its namespace', async () => {
    const repo = await server.createRepo('team-a-web');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const { result, requests } = await syncLogged(inProject(testApplication({ name: 'team-a-web', repoURL: repo.url })), [teamA]);
    expect(result.phase, result.message).toBe('Succeeded');
    expect(requests).toContain('POST /api/v1/namespaces/team-a-web/configmaps');
    await expect(kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team-a-web', name: 'settings' })).resolves.toBeDefined();
  });

  it('lets the built-in default project sync anything, as before projects', async () => {
    const repo = await server.createRepo('anything');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/binding.yaml': ADMIN_BINDING, 'app/elsewhere.yaml': ELSEWHERE }, 'first');
    const { result } = await syncLogged(testApplication({ name: 'anything', repoURL: repo.url }), []);
    expect(result.phase, result.message).toBe('Succeeded');
  });
});
