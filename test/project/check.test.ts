/** The project rules, table-driven, as Argo CD's AppProject applies them. */
import { describe, expect, it } from 'vitest';
import { parseProject, type Project } from '../../src/app/project.ts';
import type { JsonObject } from '../../src/json.ts';
import {
  checkApplication,
  checkObjects,
  isDestinationPermitted,
  isSourcePermitted,
  kindRefusal,
  permitsChartDownload,
  normalizeRepoURL,
  projectOf,
} from '../../src/project/check.ts';

function project(spec: Record<string, unknown>, name = 'team'): Project {
  const parsed = parseProject({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Project', metadata: { name }, spec }, 'test');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.project;
}

const IN_CLUSTER = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };

describe('sourceRepos', () => {
  it.each([
    [['*'], 'https://git.example.com/any/repo.git', true],
    [[], 'https://git.example.com/any/repo.git', false],
    [['https://git.example.com/team-a/*'], 'https://git.example.com/team-a/web.git', true],
    [['https://git.example.com/team-a/*'], 'https://git.example.com/team-a/sub/web.git', false],
    [['https://git.example.com/team-a/*'], 'https://git.example.com/team-b/web.git', false],
    // normalised: case and the .git suffix do not matter, on either side
    [['https://GIT.example.com/Team-A/web.git'], 'https://git.example.com/team-a/WEB', true],
    // a ! pattern that matches denies, whatever else allows it
    [['*', '!https://git.example.com/secret/*'], 'https://git.example.com/secret/keys.git', false],
    [['*', '!https://git.example.com/secret/*'], 'https://git.example.com/public/site.git', true],
    // a ! pattern alone allows everything it does not deny, as Argo CD evaluates it
    [['!https://git.example.com/secret/*'], 'https://git.example.com/public/site.git', true],
    [['!https://git.example.com/secret/*'], 'https://git.example.com/secret/keys.git', false],
  ])('%j allows %s: %s', (sourceRepos, repo, want) => {
    expect(isSourcePermitted(project({ sourceRepos }), repo)).toBe(want);
  });

  it.each([
    // a commit may make Sluice download a chart only from a repository the project names itself
    [['*'], 'https://charts.example.com', false],
    [['!https://charts.example.com/private'], 'https://charts.example.com', false],
    [['https://charts.example.com'], 'https://charts.example.com/', true],
    [['https://charts.example.com/*', '!https://charts.example.com/private'], 'https://charts.example.com/private', false],
    [['*', 'https://charts.example.com/*'], 'https://charts.example.com/stable', true],
    [['https://git.example.com/*'], 'https://charts.example.com', false],
    [['oci://registry.example.com/*'], 'oci://registry.example.com/charts', true],
    [['*'], 'oci://registry.example.com/charts', false],
  ])('chart downloads with %j from %s: %s', (sourceRepos, repo, want) => {
    expect(permitsChartDownload(project({ sourceRepos }), repo)).toBe(want);
  });

  it('normalises like Argo CD', () => {
    expect(normalizeRepoURL('  HTTPS://Git.Example.com/Org/Repo.GIT ')).toBe('https://git.example.com/org/repo');
  });
});

describe('destinations', () => {
  it.each([
    // destinations, namespace, cluster, permitted
    [[{ server: '*', namespace: '*' }], 'anything', IN_CLUSTER, true],
    [[], 'anything', IN_CLUSTER, false],
    [[{ server: 'https://kubernetes.default.svc', namespace: 'team-a-*' }], 'team-a-web', IN_CLUSTER, true],
    [[{ server: 'https://kubernetes.default.svc', namespace: 'team-a-*' }], 'kube-system', IN_CLUSTER, false],
    [[{ name: 'in-cluster', namespace: 'team-a' }], 'team-a', IN_CLUSTER, true],
    [[{ name: 'prod', namespace: 'team-a' }], 'team-a', IN_CLUSTER, false],
    [[{ server: 'https://prod.example.com', namespace: '*' }], 'team-a', IN_CLUSTER, false],
    // server or name: either one matching is enough
    [[{ server: 'https://other', name: 'in-cluster', namespace: '*' }], 'x', IN_CLUSTER, true],
    // deny: everything but kube-system
    [[{ server: '*', namespace: '*' }, { server: '*', namespace: '!kube-system' }], 'kube-system', IN_CLUSTER, false],
    [[{ server: '*', namespace: '*' }, { server: '*', namespace: '!kube-system' }], 'team-a', IN_CLUSTER, true],
    // a ! namespace alone is also an allow of everything else, as Argo CD matches it
    [[{ server: '*', namespace: '!kube-*' }], 'team-a', IN_CLUSTER, true],
    [[{ server: '*', namespace: '!kube-*' }], 'kube-public', IN_CLUSTER, false],
    // deny a cluster by server
    [[{ server: '*', namespace: '*' }, { server: '!https://kubernetes.default.svc', namespace: '*' }], 'team-a', IN_CLUSTER, false],
    [[{ name: '*', namespace: '*' }, { name: '!in-cluster', namespace: '*' }], 'team-a', IN_CLUSTER, false],
  ])('%j allows namespace %s: %s', (destinations, namespace, cluster, want) => {
    expect(isDestinationPermitted(project({ destinations }), { ...cluster, namespace })).toBe(want);
  });
});

const key = (group: string, kind: string, namespace = '', name = 'x') => ({ group, kind, namespace, name });

describe('kinds', () => {
  it.each([
    // spec, key, refused by (undefined: allowed)
    [{}, key('rbac.authorization.k8s.io', 'ClusterRoleBinding'), 'spec.clusterResourceWhitelist'],
    [{}, key('apps', 'Deployment', 'ns'), undefined], // namespaced: no whitelist means all
    [{ namespaceResourceWhitelist: [] }, key('apps', 'Deployment', 'ns'), 'spec.namespaceResourceWhitelist'], // empty list: none
    [{ namespaceResourceWhitelist: [{ group: 'apps', kind: 'Deployment' }] }, key('apps', 'Deployment', 'ns'), undefined],
    [{ namespaceResourceWhitelist: [{ group: 'apps', kind: 'Deployment' }] }, key('', 'ConfigMap', 'ns'), 'spec.namespaceResourceWhitelist'],
    [{ namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }] }, key('', 'ResourceQuota', 'ns'), 'spec.namespaceResourceBlacklist[0]'],
    [{ clusterResourceWhitelist: [{ group: '*', kind: '*' }] }, key('rbac.authorization.k8s.io', 'ClusterRoleBinding'), undefined],
    [{ clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] }, key('', 'Namespace'), undefined],
    [{ clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] }, key('rbac.authorization.k8s.io', 'ClusterRole'), 'spec.clusterResourceWhitelist'],
    [{ clusterResourceWhitelist: [{ group: 'rbac.*', kind: 'Cluster*' }] }, key('rbac.authorization.k8s.io', 'ClusterRole'), undefined],
    [
      { clusterResourceWhitelist: [{ group: '*', kind: '*' }], clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' }] },
      key('rbac.authorization.k8s.io', 'ClusterRoleBinding'),
      'spec.clusterResourceBlacklist[0]',
    ],
    // an object name glob narrows an entry
    [{ clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'team-a-*' }] }, key('', 'Namespace', '', 'team-a-web'), undefined],
    [{ clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'team-a-*' }] }, key('', 'Namespace', '', 'kube-system'), 'spec.clusterResourceWhitelist'],
    // the group must match too: a core Namespace rule is not a rule for a custom Namespace kind
    [{ clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] }, key('example.com', 'Namespace'), 'spec.clusterResourceWhitelist'],
  ])('%j refuses %j: %s', (spec, resource, want) => {
    expect(kindRefusal(project(spec), resource)?.rule).toBe(want);
  });
});

describe('checking an app and its objects', () => {
  const teamA = project({
    sourceRepos: ['https://git.example.com/team-a/*'],
    destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'team-a-*' }],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
  });
  const obj = (apiVersion: string, kind: string, name: string, namespace?: string): JsonObject => ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });

  it('names the repository and the destination the project refuses', () => {
    const violations = checkApplication({ project: teamA, repoURL: 'https://git.example.com/team-b/web.git', destination: { ...IN_CLUSTER, namespace: 'default' } });
    expect(violations.map((v) => v.rule)).toEqual(['spec.sourceRepos', 'spec.destinations']);
    expect(violations[0]!.message).toBe('project team: repository https://git.example.com/team-b/web.git is not permitted by spec.sourceRepos (https://git.example.com/team-a/*)');
    expect(violations[1]!.message).toBe(
      'project team: destination namespace default on cluster in-cluster (https://kubernetes.default.svc) is not permitted by spec.destinations (server https://kubernetes.default.svc namespace team-a-*)',
    );
  });

  it('names each refused object with its rule, and passes the rest', () => {
    const violations = checkObjects({
      project: teamA,
      cluster: IN_CLUSTER,
      objects: [
        obj('v1', 'ConfigMap', 'ok', 'team-a-web'),
        obj('v1', 'ConfigMap', 'stray', 'kube-system'),
        obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'admin'),
        obj('v1', 'Namespace', 'team-a-web'),
      ],
    });
    expect(violations.map((v) => [v.key?.name, v.rule])).toEqual([
      ['stray', 'spec.destinations'],
      ['admin', 'spec.clusterResourceWhitelist'],
    ]);
  });

  it('checks the namespace CreateNamespace would create as a Namespace object', () => {
    const noNamespaces = project({ sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] });
    expect(checkObjects({ project: noNamespaces, cluster: IN_CLUSTER, objects: [], createNamespace: 'web' })).toMatchObject([
      { key: { kind: 'Namespace', name: 'web' }, rule: 'spec.clusterResourceWhitelist' },
    ]);
    expect(checkObjects({ project: teamA, cluster: IN_CLUSTER, objects: [], createNamespace: 'team-a-web' })).toEqual([]);
  });

  it('checks the objects a sync would prune like those it would write', () => {
    const prunes = [
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', namespace: '', name: 'old-admin' },
      { group: '', kind: 'ConfigMap', namespace: 'kube-system', name: 'old' },
      { group: '', kind: 'ConfigMap', namespace: 'team-a-web', name: 'gone' },
    ];
    expect(checkObjects({ project: teamA, cluster: IN_CLUSTER, objects: [], prunes })).toMatchObject([
      { key: prunes[0], rule: 'spec.clusterResourceWhitelist', message: expect.stringContaining('project team: pruning rbac.authorization.k8s.io/ClusterRoleBinding/old-admin: cluster-scoped kind') },
      { key: prunes[1], rule: 'spec.destinations', message: expect.stringContaining('project team: pruning ConfigMap/kube-system/old: namespace kube-system is not permitted') },
    ]);
  });
});

describe('finding an app’s project', () => {
  const teamA = project({ sourceRepos: ['*'] }, 'team-a');
  it.each([
    [undefined, 'sluice-system', 'default'],
    ['default', 'sluice-system', 'default'],
    ['team-a', 'sluice-system', 'team-a'],
    ['team-a', 'other-namespace', undefined], // projects are looked up in the app's namespace
    ['team-b', 'sluice-system', undefined],
  ])('project %s of an app in %s: %s', (name, namespace, want) => {
    expect(projectOf([teamA], namespace, name)?.name).toBe(want);
  });

  it('the built-in default allows everything; a Project named default replaces it', () => {
    const builtIn = projectOf([], 'sluice-system')!;
    expect(checkApplication({ project: builtIn, repoURL: 'https://any.example.com/x.git', destination: { ...IN_CLUSTER, namespace: 'kube-system' } })).toEqual([]);
    expect(kindRefusal(builtIn, key('rbac.authorization.k8s.io', 'ClusterRoleBinding'))).toBeUndefined();
    const strictDefault = project({ sourceRepos: [] }, 'default');
    expect(projectOf([strictDefault], 'sluice-system')).toBe(strictDefault);
  });
});

describe("Argo CD's documented AppProject (test/fixtures/argocd/operator-manual-project.yaml), converted", async () => {
  const { readFile } = await import('node:fs/promises');
  const { parseApplicationsText } = await import('../../src/app/load.ts');
  const file = new URL('../fixtures/argocd/operator-manual-project.yaml', import.meta.url);
  const loaded = parseApplicationsText('project.yaml', await readFile(file, 'utf8'), { acceptArgocd: true });
  const myProject = loaded.ok ? loaded.projects[0]! : undefined;

  it.each([
    // what the comments in Argo CD's file promise
    [key('apps', 'Deployment', 'guestbook'), undefined],
    [key('apps', 'StatefulSet', 'guestbook'), undefined],
    [key('', 'ConfigMap', 'guestbook'), 'spec.namespaceResourceWhitelist'],
    [key('', 'ResourceQuota', 'guestbook'), 'spec.namespaceResourceWhitelist'],
    [key('', 'Namespace'), undefined],
    [key('rbac.authorization.k8s.io', 'ClusterRole'), 'spec.clusterResourceWhitelist'],
  ])('%j: refused by %s', (resource, want) => {
    expect(kindRefusal(myProject!, resource)?.rule).toBe(want);
  });

  it('lets apps deploy only to guestbook on the cluster Sluice runs in', () => {
    expect(myProject?.namespace).toBe('argocd');
    expect(isDestinationPermitted(myProject!, { ...IN_CLUSTER, namespace: 'guestbook' })).toBe(true);
    expect(isDestinationPermitted(myProject!, { ...IN_CLUSTER, namespace: 'default' })).toBe(false);
    expect(isSourcePermitted(myProject!, 'https://github.com/argoproj/argocd-example-apps.git')).toBe(true);
  });
});
