/** Project resources in an applications file: validated like Applications, errors at their line and path. */
import { describe, expect, it } from 'vitest';
import { formatLoadError, parseApplicationsText } from '../../src/app/load.ts';

const APP = `apiVersion: sluice.dev/v1alpha1
kind: Application
metadata: { name: web }
spec:
  project: team-a
  source: { repoURL: https://git.example.com/team-a/web.git }
  destination: { namespace: team-a-web }
`;

const PROJECT = `apiVersion: sluice.dev/v1alpha1
kind: Project
metadata: { name: team-a }
spec:
  description: Team A
  sourceRepos: [https://git.example.com/team-a/*]
  destinations:
    - { server: https://kubernetes.default.svc, namespace: team-a-* }
    - { name: in-cluster, namespace: '!team-a-secret' }
  clusterResourceWhitelist: [{ group: '', kind: Namespace, name: team-a-* }]
  namespaceResourceBlacklist: [{ group: '', kind: ResourceQuota }]
`;

describe('Projects in an applications file', () => {
  it('load beside the apps, defaulted', () => {
    const r = parseApplicationsText('apps.yaml', `${APP}---\n${PROJECT}`);
    expect(r.ok && r.apps.map((a) => a.spec.project)).toEqual(['team-a']);
    expect(r.ok && r.projects).toEqual([
      {
        name: 'team-a',
        namespace: 'sluice-system',
        spec: {
          description: 'Team A',
          sourceRepos: ['https://git.example.com/team-a/*'],
          destinations: [
            { server: 'https://kubernetes.default.svc', namespace: 'team-a-*' },
            { name: 'in-cluster', namespace: '!team-a-secret' },
          ],
          clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'team-a-*' }],
          clusterResourceBlacklist: [],
          namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
        },
      },
    ]);
  });

  it('keep an empty namespaceResourceWhitelist apart from an absent one (none allowed vs all)', () => {
    const r = parseApplicationsText('p.yaml', PROJECT.replace('  namespaceResourceBlacklist', '  namespaceResourceWhitelist: []\n  namespaceResourceBlacklist'));
    expect(r.ok && r.projects[0]?.spec.namespaceResourceWhitelist).toEqual([]);
  });

  it.each([
    ['an unknown field', PROJECT.replace('  description', '  sourceRepo: [x]\n  description'), 'p.yaml:5: spec.sourceRepo: unknown field "sourceRepo" (did you mean "sourceRepos"?); spec allows description, sourceRepos, destinations, clusterResourceWhitelist, clusterResourceBlacklist, namespaceResourceWhitelist, namespaceResourceBlacklist'],
    ['a destination without a cluster', PROJECT.replace('{ name: in-cluster, ', '{ '), 'p.yaml:9: spec.destinations[1]: needs server or name (a glob; "*" for any cluster)'],
    ['a destination without a namespace', PROJECT.replace(", namespace: '!team-a-secret'", ''), 'p.yaml:9: spec.destinations[1].namespace: is required (a glob; "*" for any namespace)'],
    ['a bad repository glob', PROJECT.replace('[https://git.example.com/team-a/*]', "['https://git.example.com/team-a/{web']"), 'p.yaml:6: spec.sourceRepos[0]: "https://git.example.com/team-a/{web" is not a valid glob: it has an unclosed "{"'],
    ['a bad kind pattern', PROJECT.replace('kind: ResourceQuota', "kind: '[]'"), 'p.yaml:11: spec.namespaceResourceBlacklist[0].kind: "[]" is not a valid pattern: it has a bad character class at position 1'],
    ['a rule without a group', PROJECT.replace("{ group: '', kind: ResourceQuota }", '{ kind: ResourceQuota }'), 'p.yaml:11: spec.namespaceResourceBlacklist[0].group: is required ("" for the core group, "*" for any)'],
    ['an unknown rule field', PROJECT.replace('kind: ResourceQuota', 'kind: ResourceQuota, version: v1'), 'p.yaml:11: spec.namespaceResourceBlacklist[0].version: unknown field "version"; spec.namespaceResourceBlacklist[0] allows group, kind, name'],
    ['no name', PROJECT.replace('{ name: team-a }', '{}'), 'p.yaml:3: metadata.name: is required'],
    ['a duplicate', `${PROJECT}---\n${PROJECT}`, 'p.yaml:15: metadata.name: duplicate Project sluice-system/team-a (first defined at p.yaml:3)'],
  ])('%s is an error at its line and path', (_name, text, want) => {
    const r = parseApplicationsText('p.yaml', text);
    expect(!r.ok && r.errors.map(formatLoadError)).toEqual([want]);
  });

  it('Argo CD AppProjects need --accept-argocd', () => {
    const argo = PROJECT.replace('sluice.dev/v1alpha1', 'argoproj.io/v1alpha1').replace('kind: Project', 'kind: AppProject');
    const r = parseApplicationsText('p.yaml', argo);
    expect(!r.ok && r.errors.map(formatLoadError)).toEqual(['p.yaml:1: apiVersion: is argoproj.io/v1alpha1, an Argo CD AppProject: pass --accept-argocd to read it, or convert it with `sluice convert`']);
    expect(parseApplicationsText('p.yaml', argo, { acceptArgocd: true }).ok).toBe(true);
  });
});
