import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { applicationsFromCluster, formatLoadError } from '../../src/app/load.ts';
import { initialStatus, withHistoryEntry } from '../../src/app/status.ts';
import { parseApplication } from '../../src/app/validate.ts';
import type { JsonObject } from '../../src/json.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { Kubectl, kubectlBinaries } from '../support/kubectl.ts';
import { typeOf } from '../support/sim.ts';

const root = new URL('../../', import.meta.url);
const crdPath = new URL('manifests/crds/application.yaml', root).pathname;
const examplesPath = new URL('examples/apps.yaml', root).pathname;

type Schema = { properties?: Record<string, Schema>; items?: Schema; pattern?: string; enum?: unknown[]; default?: unknown; type?: string; required?: string[] };

async function loadCrd(): Promise<JsonObject> {
  return parseYaml(await readFile(crdPath, 'utf8')) as JsonObject;
}

async function examples(): Promise<JsonObject[]> {
  return parseAllDocuments(await readFile(examplesPath, 'utf8')).map((d) => d.toJS() as JsonObject);
}

function schemaAt(crd: JsonObject, path: string[]): Schema {
  const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: Schema } }[] }).versions;
  let s: Schema | undefined = versions[0]?.schema.openAPIV3Schema;
  for (const p of path) s = p === '[]' ? s?.items : s?.properties?.[p];
  if (!s) throw new Error(`no schema at ${path.join('.')}`);
  return s;
}

describe('the Application CRD schema agrees with parseApplication', () => {
  const withPolicy = (syncPolicy: unknown) => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a' },
    spec: { source: { repoURL: 'https://h/r.git' }, destination: { namespace: 'x' }, syncPolicy },
  });

  it.each(['CreateNamespace=true', 'PruneLast=false', 'ServerSideApply=true', 'Validate=false', 'CreateNamespace', 'PruneLast=yes', 'createNamespace=true'])(
    'syncOptions item %j',
    async (option) => {
      const pattern = new RegExp(schemaAt(await loadCrd(), ['spec', 'syncPolicy', 'syncOptions', '[]']).pattern ?? '');
      expect(pattern.test(option)).toBe(parseApplication(withPolicy({ syncOptions: [option] }), 't').ok);
    },
  );

  it.each(['3m', '90s', '1h30m', '1.5h', '500ms', '5s', '3min', '1d', '180', '-5m', '1h 30m'])('interval %j (the schema checks syntax; the 5s minimum is Sluice\'s)', async (interval) => {
    const pattern = new RegExp(schemaAt(await loadCrd(), ['spec', 'syncPolicy', 'interval']).pattern ?? '');
    const r = parseApplication(withPolicy({ interval }), 't');
    const syntaxOk = r.ok || r.errors.every((e) => /too short/.test(e.message));
    expect(pattern.test(interval)).toBe(syntaxOk);
  });

  it('has the same defaults and required fields', async () => {
    const crd = await loadCrd();
    expect(schemaAt(crd, ['spec', 'source', 'targetRevision']).default).toBe('HEAD');
    expect(schemaAt(crd, ['spec', 'source', 'path']).default).toBe('.');
    expect(schemaAt(crd, ['spec', 'source', 'directory', 'recurse']).default).toBe(true);
    expect(schemaAt(crd, ['spec', 'syncPolicy', 'interval']).default).toBe('3m');
    expect(schemaAt(crd, ['spec']).required).toEqual(['source', 'destination']);
    expect(schemaAt(crd, ['spec', 'destination']).required).toEqual(['namespace']);
    expect(schemaAt(crd, ['spec', 'ignoreDifferences', '[]']).required).toEqual(['group', 'kind']);
    expect(Object.keys(schemaAt(crd, ['spec']).properties ?? {}).sort()).toEqual(['destination', 'ignoreDifferences', 'project', 'rollout', 'source', 'syncPolicy']);
    expect(Object.keys(schemaAt(crd, ['spec', 'source']).properties ?? {}).sort()).toEqual(['chart', 'directory', 'helm', 'path', 'repoURL', 'targetRevision']);
  });
});

describe('the Application CRD in the embedded cluster', () => {
  let cluster: SimCluster;
  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('registers, stores Applications and their status, and reads them back valid', async () => {
    const { api } = cluster;
    api.create(typeOf(api, 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), '', await loadCrd());
    const rt = typeOf(api, 'sluice.dev', 'v1alpha1', 'applications');
    expect(rt).toMatchObject({ kind: 'Application', namespaced: true, shortNames: ['sapp', 'sluiceapp'], subresources: { status: true } });
    expect(rt.printerColumns?.map((c) => c.name)).toEqual(['Sync', 'Health', 'Revision', 'Age', 'Repo', 'Path', 'Destination']);

    api.create(typeOf(api, '', 'v1', 'namespaces'), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    for (const app of await examples()) api.create(rt, 'sluice-system', app);

    const listed = api.list(rt, 'sluice-system').items;
    const loaded = applicationsFromCluster(listed);
    expect(loaded.errors.map(formatLoadError)).toEqual([]);
    expect(loaded.apps.map((a) => a.name)).toEqual(['guestbook-dev', 'guestbook-prod']);
    expect(loaded.apps[1]?.spec.rollout).toMatchObject({ maxSurge: '25%', autoRollback: true });

    const app = loaded.apps[0]!;
    const status = withHistoryEntry({ ...initialStatus(app), sync: { ...initialStatus(app).sync, status: 'Synced', revision: 'abc123' }, health: { status: 'Healthy' } }, {
      revision: 'abc123',
      source: initialStatus(app).sync.comparedTo.source,
      deployedAt: '2026-01-01T00:00:00Z',
    });
    const live = api.get(rt, 'sluice-system', app.name);
    api.update(rt, 'sluice-system', app.name, { ...live, status: status as unknown as JsonObject }, {}, 'status');
    const back = api.get(rt, 'sluice-system', app.name);
    expect(back.status).toEqual(status);
    expect(parseApplication(back, 'cluster').ok).toBe(true);

    // a chart-repository app read back from the cluster (a real API server prunes fields the structural schema does not list; the embedded one does not prune, hence the schema check above)
    const source = { repoURL: 'https://charts.example.com/stable', chart: 'web', targetRevision: '^1.2.0', helm: { releaseName: 'shop', values: 'replicas: 3\n' } };
    api.create(rt, 'sluice-system', { apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', metadata: { name: 'charted' }, spec: { source, destination: { namespace: 'shop' } } });
    const charted = applicationsFromCluster([api.get(rt, 'sluice-system', 'charted')]);
    expect(charted.apps[0]?.spec.source).toMatchObject({ repoURL: source.repoURL, chart: 'web', targetRevision: '^1.2.0', path: '.', helm: { releaseName: 'shop', values: 'replicas: 3\n' } });
  });
});

const binaries = kubectlBinaries();

describe.skipIf(binaries.length === 0)('kubectl and the Application CRD', () => {
  describe.each(binaries)('$label', ({ path }) => {
    let cluster: SimCluster;
    let kubectl: Kubectl;
    beforeAll(async () => {
      cluster = await startSimCluster({ port: 0, controllers: false });
      kubectl = await Kubectl.create(path, cluster.kubeconfig);
    });
    afterAll(async () => {
      await kubectl.dispose();
      await cluster.stop();
    });

    it('applies the CRD and the examples, and lists them by short name with the printer columns', async () => {
      expect(await kubectl.ok(['apply', '-f', crdPath])).toContain('customresourcedefinition.apiextensions.k8s.io/applications.sluice.dev created');
      await kubectl.ok(['create', 'namespace', 'sluice-system']);
      const applied = await kubectl.ok(['apply', '-f', examplesPath]);
      expect(applied).toContain('application.sluice.dev/guestbook-dev created');
      expect(applied).toContain('application.sluice.dev/guestbook-prod created');

      const table = await kubectl.ok(['get', 'sapp', '-n', 'sluice-system']);
      const [header, ...rows] = table.trim().split('\n');
      expect(header?.split(/\s+/)).toEqual(['NAME', 'SYNC', 'HEALTH', 'REVISION', 'AGE']);
      expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['guestbook-dev', 'guestbook-prod']);
      const wide = await kubectl.ok(['get', 'sluiceapp', '-n', 'sluice-system', '-o', 'wide']);
      expect(wide.split('\n')[0]?.split(/\s+/)).toEqual(['NAME', 'SYNC', 'HEALTH', 'REVISION', 'AGE', 'REPO', 'PATH', 'DESTINATION']);
      expect(wide).toMatch(/guestbook-prod\s+.*overlays\/prod\s+guestbook-prod/);

      const json = JSON.parse(await kubectl.ok(['get', 'applications.sluice.dev', 'guestbook-prod', '-n', 'sluice-system', '-o', 'json'])) as unknown;
      const r = parseApplication(json, 'kubectl');
      expect(r.ok && r.app.spec.syncPolicy.syncOptions).toEqual({ createNamespace: true, pruneLast: true, serverSideApply: false });
    });
  });
});
