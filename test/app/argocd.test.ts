import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { convertArgoApplication, isArgoApplication } from '../../src/app/argocd.ts';
import { formatLoadError, parseApplicationsText } from '../../src/app/load.ts';
import { parseApplication } from '../../src/app/validate.ts';
import { convertCommand } from '../../src/cli/convert.ts';

type Obj = Record<string, unknown>;

const argo = (spec: Obj, metadata: Obj = { name: 'guestbook', namespace: 'argocd' }): Obj => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata,
  spec: {
    project: 'default',
    source: { repoURL: 'https://github.com/argoproj/argocd-example-apps.git', targetRevision: 'HEAD', path: 'guestbook' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
    ...spec,
  },
});

const SOURCE = { repoURL: 'https://github.com/argoproj/argocd-example-apps.git', targetRevision: 'HEAD', path: 'guestbook', directory: { recurse: false } };

describe('convertArgoApplication', () => {
  const cases: { name: string; input: Obj; spec?: Obj; metadata?: Obj; unhonoured: string[] }[] = [
    { name: 'the plain guestbook: everything honoured, recursion off as in Argo CD', input: argo({}), unhonoured: [] },
    {
      name: 'directory.recurse kept, include/exclude/jsonnet named',
      input: argo({ source: { repoURL: 'https://g.example/r.git', path: 'p', directory: { recurse: true, include: '*.yaml', exclude: 'x', jsonnet: {} } } }),
      spec: { source: { repoURL: 'https://g.example/r.git', path: 'p', directory: { recurse: true } } },
      unhonoured: ['spec.source.directory.include', 'spec.source.directory.exclude', 'spec.source.directory.jsonnet'],
    },
    {
      name: 'helm and chart kept (but the Helm-version and credential fields named); kustomize, plugin and sources named',
      input: argo({ source: { ...SOURCE, chart: 'c', helm: { valueFiles: ['v.yaml'], version: 'v3', passCredentials: true }, kustomize: { namePrefix: 'p-' }, plugin: {} }, sources: [] }),
      spec: { source: { ...SOURCE, chart: 'c', helm: { valueFiles: ['v.yaml'] } } },
      unhonoured: ['spec.source.helm.version', 'spec.source.helm.passCredentials', 'spec.source.kustomize', 'spec.source.plugin', 'spec.sources'],
    },
    {
      name: 'automated prune/selfHeal kept, allowEmpty and retry named; unknown sync options named with their index',
      input: argo({ syncPolicy: { automated: { prune: true, selfHeal: true, allowEmpty: true }, syncOptions: ['Validate=false', 'CreateNamespace=true', 'ServerSideApply=true'], retry: { limit: 5 } } }),
      spec: { syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'] } },
      unhonoured: ['spec.syncPolicy.automated.allowEmpty', 'spec.syncPolicy.retry', 'spec.syncPolicy.syncOptions[0] (Validate=false)'],
    },
    {
      name: 'ignoreDifferences: group defaults to the core group, a jq-only entry is dropped and named',
      input: argo({ ignoreDifferences: [{ kind: 'ConfigMap', jsonPointers: ['/data/x'] }, { kind: 'Secret', jqPathExpressions: ['.data'] }] }),
      spec: { ignoreDifferences: [{ group: '', kind: 'ConfigMap', jsonPointers: ['/data/x'] }] },
      unhonoured: ['spec.ignoreDifferences[1].jqPathExpressions'],
    },
    {
      name: 'metadata: finalizers and argocd.argoproj.io annotations named, others kept',
      input: argo({}, { name: 'g', labels: { a: 'b' }, finalizers: ['resources-finalizer.argocd.argoproj.io'], annotations: { 'argocd.argoproj.io/sync-wave': '1', 'sluice.dev/watch-paths': 'x' } }),
      metadata: { name: 'g', labels: { a: 'b' }, annotations: { 'sluice.dev/watch-paths': 'x' } },
      unhonoured: ['metadata.finalizers', 'metadata.annotations.argocd.argoproj.io/sync-wave'],
    },
    {
      name: 'revisionHistoryLimit, info and operation named; status dropped quietly',
      input: { ...argo({ revisionHistoryLimit: 3, info: [] }), operation: { sync: {} }, status: { health: {} } },
      unhonoured: ['operation', 'spec.info', 'spec.revisionHistoryLimit'],
    },
  ];
  it.each(cases)('$name', ({ input, spec, metadata, unhonoured }) => {
    expect(isArgoApplication(input)).toBe(true);
    const { object, unhonoured: named } = convertArgoApplication(input);
    expect([...named].sort()).toEqual([...unhonoured].sort());
    expect(object.apiVersion).toBe('sluice.dev/v1alpha1');
    expect(object.spec).toMatchObject(spec ?? { project: 'default', source: SOURCE, destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' } });
    if (metadata) expect(object.metadata).toEqual(metadata);
    const parsed = parseApplication(object, 'test');
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
  });

  it('records the project, and applies Argo CD defaults that differ from Sluice', () => {
    const parsed = parseApplication(convertArgoApplication(argo({})).object, 'test');
    expect(parsed.ok && parsed.app.spec).toMatchObject({ project: 'default', source: { recurse: false, path: 'guestbook' }, destination: { namespace: 'guestbook' } });
  });

  it('another cluster is kept, by server or by name, for the registry to resolve at sync time', () => {
    for (const destination of [{ server: 'https://1.2.3.4', namespace: 'g' }, { name: 'prod', namespace: 'g' }]) {
      const parsed = parseApplication(convertArgoApplication(argo({ destination })).object, 'test');
      expect(parsed.ok && parsed.app.spec.destination).toEqual(destination);
    }
  });
});

describe('Argo CD Applications in an applications file', () => {
  const text = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: guestbook }
spec:
  source: { repoURL: https://g.example/r.git, path: g, helm: { valueFiles: [v.yaml] } }
  destination: { namespace: g }
  syncPolicy: { automated: { prune: yes } }
`;

  it('are refused unless accepted, with the way to accept them', () => {
    const r = parseApplicationsText('apps.yaml', text);
    expect(!r.ok && r.errors.map(formatLoadError)).toEqual([
      'apps.yaml:1: apiVersion: is argoproj.io/v1alpha1, an Argo CD Application: pass --accept-argocd to read it, or convert it with `sluice convert`',
    ]);
  });

  it('are validated through parseApplication, errors at the line and path of the Argo CD field', () => {
    const r = parseApplicationsText('apps.yaml', text, { acceptArgocd: true });
    expect(!r.ok && r.errors.map(formatLoadError)).toEqual(['apps.yaml:7: spec.syncPolicy.automated.prune: must be true or false, not string "yes" (remove the quotes)']);
  });

  it('warn once per app', () => {
    const withPlugin = text.replace('prune: yes', 'prune: true').replace('helm: { valueFiles: [v.yaml] }', 'plugin: {}');
    const r = parseApplicationsText('apps.yaml', withPlugin + '---\n' + withPlugin.replace('guestbook', 'other'), { acceptArgocd: true });
    expect(r.ok && r.warnings).toEqual([
      'apps.yaml: Application guestbook: Argo CD fields Sluice does not honour (left out): spec.source.plugin',
      'apps.yaml: Application other: Argo CD fields Sluice does not honour (left out): spec.source.plugin',
    ]);
  });
});

const FIXTURES = join(import.meta.dirname, '../fixtures/argocd');

/** Each real manifest's fields Sluice leaves out, exactly (or the error that refuses it). */
const EXPECTED: Record<string, { unhonoured: string[] } | { error: string }> = {
  'applicationset-generated.yaml': { unhonoured: [] },
  'cmp-plugin.yaml': { unhonoured: ['spec.source.plugin'] },
  'declarative-setup-guestbook.yaml': { unhonoured: [] },
  'declarative-setup-sync-policy.yaml': { unhonoured: [] },
  'directory.yaml': { unhonoured: [] },
  'e2e-self-managed-app.yaml': { unhonoured: [] },
  'helm-chart.yaml': { unhonoured: [] },
  'kustomize-sync-policy.yaml': { unhonoured: ['spec.source.kustomize'] },
  'kustomize.yaml': { unhonoured: ['metadata.finalizers', 'spec.source.kustomize'] },
  'live-child-application.yaml': {
    unhonoured: ['metadata.annotations.argocd.argoproj.io/tracking-id', 'spec.revisionHistoryLimit', 'spec.syncPolicy.automated.allowEmpty'],
  },
  'managed-by-url-local.yaml': { unhonoured: ['metadata.annotations.argocd.argoproj.io/managed-by-url'] },
  'managed-by-url.yaml': { unhonoured: [] },
  'operator-manual-application.yaml': {
    unhonoured: [
      'metadata.finalizers', 'spec.source.helm.passCredentials', 'spec.source.helm.fileParameters', 'spec.source.helm.skipSchemaValidation',
      'spec.source.helm.version', 'spec.source.helm.kubeVersion', 'spec.source.helm.apiVersions', 'spec.source.kustomize', 'spec.source.directory.jsonnet', 'spec.source.directory.exclude',
      'spec.source.directory.include', 'spec.source.plugin', 'spec.sources', 'spec.info', 'spec.syncPolicy.automated.enabled', 'spec.syncPolicy.automated.allowEmpty',
      'spec.syncPolicy.managedNamespaceMetadata', 'spec.syncPolicy.retry', 'spec.revisionHistoryLimit', 'spec.sourceHydrator',
      'spec.syncPolicy.syncOptions[0] (Validate=false)', 'spec.syncPolicy.syncOptions[2] (PrunePropagationPolicy=foreground)',
      'spec.syncPolicy.syncOptions[4] (RespectIgnoreDifferences=true)', 'spec.syncPolicy.syncOptions[5] (ApplyOutOfSyncOnly=true)',
      'spec.syncPolicy.syncOptions[6] (SkipDryRunOnMissingResource=true)', 'spec.syncPolicy.syncOptions[7] (Replace=true)', 'spec.ignoreDifferences[1].jqPathExpressions',
    ],
  },
  'operator-manual-project.yaml': {
    unhonoured: ['metadata.finalizers', 'spec.orphanedResources', 'spec.roles', 'spec.syncWindows', 'spec.permitOnlyProjectScopedClusters', 'spec.sourceNamespaces'],
  },
  'skip-reconcile.yaml': { unhonoured: ['metadata.annotations.argocd.argoproj.io/skip-reconcile'] },
  'webhook-helm-chart.yaml': { unhonoured: [] },
};

describe('real Argo CD Applications (test/fixtures/argocd)', async () => {
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.yaml')).sort();

  it('every fixture has an expectation, and at least 10 convert', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    expect(Object.values(EXPECTED).filter((e) => 'unhonoured' in e).length).toBeGreaterThanOrEqual(11);
  });

  it.each(files)('%s', async (file) => {
    const text = await readFile(join(FIXTURES, file), 'utf8');
    const r = parseApplicationsText(file, text, { acceptArgocd: true });
    const expected = EXPECTED[file]!;
    if ('error' in expected) {
      expect(!r.ok && r.errors.map(formatLoadError).join('\n')).toContain(`${file}${expected.error}`);
      return;
    }
    expect(r.ok, r.ok ? '' : r.errors.map(formatLoadError).join('\n')).toBe(true);
    if (!r.ok) return;
    const { kind, metadata } = parseYaml(text) as { kind: string; metadata: { name: string } };
    expect(r.warnings).toEqual(expected.unhonoured.length === 0 ? [] : [`${file}: ${kind} ${metadata.name}: Argo CD fields Sluice does not honour (left out): ${expected.unhonoured.join(', ')}`]);
    // the converted form is a sluice.dev Application (or Project) as it stands: no flag needed to read it back
    const again = parseApplicationsText(file, r.objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    expect(again.ok && [again.apps, again.projects]).toEqual([r.apps, r.projects]);
  });
});

describe('sluice convert', () => {
  const capture = () => {
    const chunks = { out: '', err: '' };
    const stream = (key: 'out' | 'err') => new Writable({ write: (c: Buffer, _e, done) => ((chunks[key] += c.toString()), done()) });
    return { out: stream('out'), err: stream('err'), chunks };
  };

  it('prints the sluice.dev form and warns on stderr', async () => {
    const { out, err, chunks } = capture();
    expect(await convertCommand([join(FIXTURES, 'kustomize.yaml')], out, err)).toBe(0);
    expect(parseYaml(chunks.out)).toEqual({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'kustomize-inline-guestbook', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: 'https://github.com/argoproj/argocd-example-apps.git', targetRevision: 'master', path: 'kustomize-guestbook', directory: { recurse: false } },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'test1' },
      },
    });
    expect(chunks.err).toMatch(/^warning: .*kustomize\.yaml: Application kustomize-inline-guestbook: .*: metadata\.finalizers, spec\.source\.kustomize\n$/);
  });

  it('prints an AppProject as a sluice.dev Project, naming what it leaves out', async () => {
    const { out, err, chunks } = capture();
    expect(await convertCommand([join(FIXTURES, 'operator-manual-project.yaml')], out, err)).toBe(0);
    expect(parseYaml(chunks.out)).toEqual({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Project',
      metadata: { name: 'my-project', namespace: 'argocd' },
      spec: {
        description: 'Example Project',
        sourceRepos: ['*'],
        destinations: [{ namespace: 'guestbook', server: 'https://kubernetes.default.svc', name: 'in-cluster' }],
        clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
        namespaceResourceBlacklist: [
          { group: '', kind: 'ResourceQuota' },
          { group: '', kind: 'LimitRange' },
          { group: '', kind: 'NetworkPolicy' },
        ],
        namespaceResourceWhitelist: [
          { group: 'apps', kind: 'Deployment' },
          { group: 'apps', kind: 'StatefulSet' },
        ],
      },
    });
    expect(chunks.err).toMatch(/^warning: .*operator-manual-project\.yaml: AppProject my-project: Argo CD fields Sluice does not honour \(left out\): metadata\.finalizers, spec\.orphanedResources, spec\.roles, spec\.syncWindows, .*\n$/);
  });

  it('exits 1 with the errors of an invalid one, 2 without a file', async () => {
    const { out, err, chunks } = capture();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-convert-'));
    const invalid = join(dir, 'ftp.yaml');
    await writeFile(invalid, (await readFile(join(FIXTURES, 'webhook-helm-chart.yaml'), 'utf8')).replace('oci://', 'ftp://'));
    expect(await convertCommand([invalid], out, err)).toBe(1);
    expect(chunks.out).toBe('');
    expect(chunks.err).toContain('ftp.yaml:8: spec.source.repoURL: scheme "ftp" is not supported');
    await rm(dir, { recursive: true });
    expect(await convertCommand([], out, err)).toBe(2);
  });
});
