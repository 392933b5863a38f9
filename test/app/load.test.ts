import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationsFromCluster, formatLoadError, loadApplicationsFile, parseApplicationsText } from '../../src/app/load.ts';

const doc = (name: string, extra = '', namespace = '') => `apiVersion: sluice.dev/v1alpha1
kind: Application
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  source:
    repoURL: https://git.example.com/deploy.git
    path: apps/${name}
  destination:
    namespace: ${name}
${extra}`;

function errorsOf(text: string): string[] {
  const r = parseApplicationsText('apps.yaml', text);
  if (r.ok) throw new Error('expected errors');
  return r.errors.map(formatLoadError);
}

describe('parseApplicationsText', () => {
  it('reads several documents, skipping empty ones', () => {
    const r = parseApplicationsText('apps.yaml', `# leading comment\n---\n${doc('a')}---\n---\n${doc('b')}`);
    expect(r.ok && r.apps.map((a) => `${a.namespace}/${a.name}:${a.spec.source.path}`)).toEqual(['sluice-system/a:apps/a', 'sluice-system/b:apps/b']);
  });

  it('reads a List and an ApplicationList', () => {
    const list = (kind: string) =>
      `apiVersion: v1\nkind: ${kind}\nitems:\n` +
      [doc('a'), doc('b')].map((d) => d.trimEnd().replace(/^/gm, '    ').replace(/^ {4}/, '  - ')).join('\n') +
      '\n';
    for (const kind of ['List', 'ApplicationList']) {
      const r = parseApplicationsText('apps.yaml', list(kind));
      expect(r.ok && r.apps.map((a) => a.name), JSON.stringify(r)).toEqual(['a', 'b']);
    }
  });

  it('an empty file holds no Applications', () => {
    expect(parseApplicationsText('apps.yaml', '')).toEqual({ ok: true, apps: [], projects: [], objects: [], warnings: [] });
  });

  it('locates validation errors at the line of the offending key or item', () => {
    const text = `${doc('a')}---\n${doc('b', '  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n      - Prune=true\n    interval: 2s\n')}`;
    expect(errorsOf(text)).toEqual([
      'apps.yaml:25: spec.syncPolicy.syncOptions[1]: unknown sync option "Prune"; Sluice supports CreateNamespace, PruneLast, ServerSideApply',
      'apps.yaml:26: spec.syncPolicy.interval: "2s" is too short: the poll interval must be at least 5s',
    ]);
  });

  it('locates unknown fields at their key, and missing ones at the nearest parent', () => {
    const text = doc('a', '  syncPolicy:\n    automted: { prune: true }\n').replace('  destination:\n    namespace: a\n', '  destination: {}\n');
    expect(errorsOf(text)).toEqual([
      'apps.yaml:9: spec.destination.namespace: is required (the namespace for namespaced objects that do not set one)',
      'apps.yaml:11: spec.syncPolicy.automted: unknown field "automted" (did you mean "automated"?); spec.syncPolicy allows automated, syncOptions, interval',
    ]);
  });

  it('prefixes paths inside a List with items[i]', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: sluice.dev/v1alpha1\n    kind: Application\n    metadata: { name: ok }\n    spec: { source: { repoURL: "https://h/r.git" }, destination: { namespace: x } }\n  - apiVersion: sluice.dev/v1alpha1\n    kind: Applicaton\n    metadata: { name: bad }\n    spec:\n      source: { repoURL: "https://h/r.git", path: /abs }\n      destination: { namespace: x }\n`;
    expect(errorsOf(text)).toEqual([
      'apps.yaml:9: items[1].kind: must be Application, not "Applicaton"',
      'apps.yaml:12: items[1].spec.source.path: "/abs" must be relative to the repository root, not absolute',
    ]);
  });

  it('a List without items is an error', () => {
    expect(errorsOf('apiVersion: v1\nkind: List\nitems: {}\n')).toEqual(['apps.yaml:3: items: a List must have an items list']);
  });

  it.each([
    ['same name, default namespace', doc('a'), doc('a'), 'apps.yaml:15: metadata.name: duplicate Application sluice-system/a (first defined at apps.yaml:4)'],
    ['same name, explicit and default namespace', doc('a', '', 'sluice-system'), doc('a'), 'apps.yaml:16: metadata.name: duplicate Application sluice-system/a (first defined at apps.yaml:4)'],
  ])('rejects duplicates: %s', (_name, first, second, want) => {
    expect(errorsOf(`${first}---\n${second}`)).toEqual([want]);
  });

  it('allows the same name in different namespaces', () => {
    const r = parseApplicationsText('apps.yaml', `${doc('a', '', 'team-a')}---\n${doc('a', '', 'team-b')}`);
    expect(r.ok && r.apps.map((a) => `${a.namespace}/${a.name}`)).toEqual(['team-a/a', 'team-b/a']);
  });

  it.each([
    ['a syntax error', 'apiVersion: sluice.dev/v1alpha1\nkind: [Application\n', /^apps\.yaml:\d+: /],
    ['a duplicate key', `${doc('a')}metadata: {}\n`, /^apps\.yaml:11: Map keys must be unique$/],
    ['a scalar document', 'just text\n', /^apps\.yaml:1: an Application must be an object, not string$/],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`, /^apps\.yaml:1: .*alias/i],
  ])('reports %s with its line', (_name, text, want) => {
    const errors = errorsOf(text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(want);
  });
});

describe('loadApplicationsFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-app-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a file and names it in errors', async () => {
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    await writeFile(good, doc('a'));
    await writeFile(bad, doc('b', '  syncPolicy: { interval: 1x }\n'));
    const r = await loadApplicationsFile(good);
    expect(r.ok && r.apps.map((a) => a.name)).toEqual(['a']);
    const e = await loadApplicationsFile(bad);
    expect(!e.ok && e.errors.map(formatLoadError)).toEqual([`${bad}:11: spec.syncPolicy.interval: "1x" is not a duration (unknown unit "x"; use ns, us, ms, s, m or h, e.g. "3m", "90s", "1h30m")`]);
  });

  it('reports a missing file', async () => {
    const r = await loadApplicationsFile(join(dir, 'nope.yaml'));
    expect(!r.ok && r.errors[0]?.message).toMatch(/^cannot read: .*ENOENT/);
  });

  it('validates examples/apps.yaml', async () => {
    const r = await loadApplicationsFile(new URL('../../examples/apps.yaml', import.meta.url).pathname);
    if (!r.ok) throw new Error(r.errors.map(formatLoadError).join('\n'));
    expect(r.apps.map((a) => [a.name, a.spec.source.path, a.spec.destination.namespace])).toEqual([
      ['guestbook-dev', 'overlays/dev', 'guestbook-dev'],
      ['guestbook-prod', 'overlays/prod', 'guestbook-prod'],
    ]);
    expect(r.apps[1]?.spec.rollout).toMatchObject({ steps: [25, 50, 100] });
  });
});

describe('applicationsFromCluster', () => {
  const cr = (name: string, namespace: string, spec: Record<string, unknown>) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '12', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [] },
    spec,
    status: { sync: { status: 'Synced' } },
  });
  const spec = { source: { repoURL: 'https://h/r.git' }, destination: { namespace: 'x' } };

  it('returns valid apps beside the errors of invalid ones, named by namespace/name', () => {
    const r = applicationsFromCluster([cr('a', 'sluice-system', spec), cr('b', 'team', { ...spec, syncPolicy: { syncOptions: ['Replace=true'] } }), cr('c', 'team', spec)]);
    expect(r.apps.map((a) => `${a.namespace}/${a.name}`)).toEqual(['sluice-system/a', 'team/c']);
    expect(r.errors.map(formatLoadError)).toEqual([
      'cluster team/b: spec.syncPolicy.syncOptions[0]: unknown sync option "Replace"; Sluice supports CreateNamespace, PruneLast, ServerSideApply',
    ]);
    expect(r.invalid).toEqual([{ namespace: 'team', name: 'b', errors: r.errors }]);
  });

  it('groups errors by CR, and leaves a CR without a name out of the named ones', () => {
    const nameless = { ...cr('x', 'team', spec), metadata: { namespace: 'team' } };
    const r = applicationsFromCluster([cr('a', 'n', { source: {} }), nameless, cr('b', 'n', spec)]);
    expect(r.apps.map((a) => a.name)).toEqual(['b']);
    expect(r.invalid.map((i) => [i.name, i.errors.map((e) => e.path)])).toEqual([['a', ['spec.source.repoURL', 'spec.destination']]]);
    expect(r.errors.map(formatLoadError)).toContain('cluster team/#1: metadata.name: is required');
  });

  it('checks duplicates the same way as files do', () => {
    const r = applicationsFromCluster([cr('a', 'n', spec), cr('a', 'n', spec)]);
    expect(r.apps).toHaveLength(1);
    expect(r.errors.map(formatLoadError)).toEqual(['cluster n/a: metadata.name: duplicate Application n/a (first defined at cluster n/a)']);
  });

  it('reads Argo CD Applications only when told to, marks them, and keeps a sluice.dev one of the same name', () => {
    const argo = (name: string, argoSpec: Record<string, unknown>) => ({ ...cr(name, 'n', argoSpec), apiVersion: 'argoproj.io/v1alpha1', status: { sync: { status: 'OutOfSync' } } });
    const objects = [cr('both', 'n', spec), argo('both', spec), argo('only-argo', { ...spec, revisionHistoryLimit: 3 }), argo('bad', { source: {} })];
    expect(applicationsFromCluster(objects).apps.map((a) => a.name)).toEqual(['both']);
    const r = applicationsFromCluster(objects, { acceptArgocd: true });
    expect(r.apps.map((a) => [a.name, a.argocd])).toEqual([['both', undefined], ['only-argo', true]]);
    // what the API server set (uid, resourceVersion, managedFields …) and status are no warning; a left-out field is
    expect(r.warnings).toEqual(['cluster n/only-argo (Argo CD): Application only-argo: Argo CD fields Sluice does not honour (left out): spec.revisionHistoryLimit']);
    expect(r.errors.map(formatLoadError)).toContain('cluster n/both (Argo CD): metadata.name: duplicate Application n/both (first defined at cluster n/both)');
    // an invalid Argo CD Application is reported, but its status is Argo CD's: none is written there (nor on the sluice.dev one it duplicates)
    expect(r.errors.some((e) => e.where === 'cluster n/bad (Argo CD)')).toBe(true);
    expect(r.invalid).toEqual([]);
  });
});
