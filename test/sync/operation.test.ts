import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, SyncOptions } from '../../src/app/types.ts';
import { testApplication } from '../support/apps.ts';
import type { JsonObject } from '../../src/json.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { appRef, compareApp, isRenderFailure } from '../../src/sync/compare.ts';
import { syncApp, type SyncContext } from '../../src/sync/operation.ts';
import { keyString } from '../../src/sync/resource-key.ts';
import { APP_LABEL, TRACKING_ANNOTATION, withTracking } from '../../src/sync/tracking.ts';
import type { OperationResult } from '../../src/sync/types.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { findKubectl, Kubectl } from '../support/kubectl.ts';
import { SPURIOUS_CASES } from '../diff/three-way-cases.ts';
import { stringify } from 'yaml';
import { newCrd } from '../support/sim.ts';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          env:
            - {name: MODE, value: blue}
`;
const CONFIG = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n  size: large\n';
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n    - port: 80\n      targetPort: 8080\n';

function application(name: string, repoURL: string, namespace: string, overrides: { syncOptions?: Partial<SyncOptions> } = {}): Application {
  return testApplication({ name, repoURL, namespace, ...overrides });
}

function actions(result: OperationResult): Record<string, string> {
  return Object.fromEntries(result.resources.map((r) => [keyString(r.key), r.action]));
}

describe.skipIf(!gitAvailable())('syncApp on the embedded cluster', () => {
  let cluster: SimCluster;
  let server: GitServer;
  let kube: KubeClient;
  let ctx: SyncContext;

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0 });
    server = await startGitServer();
    kube = await kubeClientFor(cluster.url);
    ctx = { git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-sync-git-')) }), kube, pollIntervalMs: 50, waveTimeoutMs: 20_000 };
  });
  afterAll(async () => {
    await kube?.close();
    await server?.stop();
    await cluster?.stop();
  });

  async function get(apiVersion: string, kind: string, namespace: string, name: string): Promise<JsonObject | undefined> {
    return kube.get({ apiVersion, kind, namespace, name });
  }

  it('applies a commit, patches only what changed, keeps fields others own, and prunes what Git dropped', async () => {
    const repo: TestRepo = await server.createRepo('lifecycle');
    await repo.commit({ 'app/deploy.yaml': DEPLOYMENT, 'app/config.yaml': CONFIG, 'app/service.yaml': SERVICE }, 'first');
    const app = application('lifecycle', repo.url, 'lifecycle');

    const first = await syncApp(ctx, app, { trigger: 'manual' });
    expect(first.phase).toBe('Succeeded');
    expect(actions(first)).toEqual({
      'ConfigMap/lifecycle/settings': 'created',
      'Service/lifecycle/web': 'created',
      'apps/Deployment/lifecycle/web': 'created',
    });
    const deployment = (await get('apps/v1', 'Deployment', 'lifecycle', 'web'))!;
    expect((deployment['metadata'] as JsonObject)['labels']).toMatchObject({ [APP_LABEL]: 'lifecycle' });
    expect((deployment['metadata'] as JsonObject)['annotations']).toHaveProperty(TRACKING_ANNOTATION, 'sluice-system/lifecycle:apps/Deployment:lifecycle/web');

    // An HPA (here: someone) scales the Deployment; the manifest never sets replicas.
    await kube.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'lifecycle', name: 'web' }, { spec: { replicas: 5 } }, { type: 'merge' });
    const serviceBefore = (await get('v1', 'Service', 'lifecycle', 'web'))!;

    await repo.commit({ 'app/config.yaml': CONFIG.replace('color: blue', 'color: green'), 'app/deploy.yaml': DEPLOYMENT.replace('value: blue', 'value: green') }, 'second');
    const second = await syncApp(ctx, app, { trigger: 'manual' });
    expect(second.phase).toBe('Succeeded');
    expect(actions(second)).toEqual({
      'ConfigMap/lifecycle/settings': 'configured',
      'Service/lifecycle/web': 'unchanged',
      'apps/Deployment/lifecycle/web': 'configured',
    });
    const after = (await get('apps/v1', 'Deployment', 'lifecycle', 'web'))!;
    expect((after['spec'] as JsonObject)['replicas']).toBe(5);
    expect(JSON.stringify(after)).toContain('"value":"green"');
    expect(((await get('v1', 'ConfigMap', 'lifecycle', 'settings'))!['data'] as JsonObject)).toEqual({ color: 'green', size: 'large' });
    expect(((await get('v1', 'Service', 'lifecycle', 'web'))!['metadata'] as JsonObject)['resourceVersion']).toBe((serviceBefore['metadata'] as JsonObject)['resourceVersion']);

    await repo.commit({ 'app/service.yaml': null }, 'drop the service');
    const third = await syncApp(ctx, app, { trigger: 'manual' });
    expect(actions(third)['Service/lifecycle/web']).toBe('pruned');
    expect(await get('v1', 'Service', 'lifecycle', 'web')).toBeUndefined();

    const refreshed = await compareApp(ctx, app);
    expect(!isRenderFailure(refreshed) && refreshed.status).toBe('Synced');
  });

  it('reports Synced with empty diffs right after syncing every common kind (no spurious diff)', async () => {
    const repo = await server.createRepo('no-spurious');
    const files: Record<string, string> = {};
    for (const c of SPURIOUS_CASES) {
      const manifest = structuredClone(c.manifest);
      delete (manifest['metadata'] as JsonObject)['namespace'];
      files[`app/${c.name}.yaml`] = stringify(manifest);
    }
    await repo.commit(files, 'every kind');
    const app = application('no-spurious', repo.url, 'no-spurious');
    const synced = await syncApp({ ...ctx, waveTimeoutMs: 60_000 }, app, { trigger: 'manual' });
    expect(synced.phase).toBe('Succeeded');
    expect(synced.resources).toHaveLength(SPURIOUS_CASES.length);
    await cluster.settle();
    const refreshed = await compareApp(ctx, app);
    if (isRenderFailure(refreshed)) throw new Error('render failed');
    const differing = refreshed.resources.filter((r) => r.diff.jsonPatch.length > 0).map((r) => `${keyString(r.key)}: ${JSON.stringify(r.diff.jsonPatch)}`);
    expect(differing).toEqual([]);
    expect(refreshed.status).toBe('Synced');
  });

  it('applies nothing from a commit with malformed YAML and says where', async () => {
    const repo = await server.createRepo('broken');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n' }, 'broken');
    const result = await syncApp(ctx, application('broken', repo.url, 'broken'), { trigger: 'manual' });
    expect(result.phase).toBe('Failed');
    expect(result.message).toMatch(/rendering app at [0-9a-f]{7} failed with 1 error; nothing was applied/);
    expect(result.renderErrors[0]).toMatchObject({ file: 'app/bad.yaml', code: 'YAML_SYNTAX' });
    expect(await get('v1', 'ConfigMap', 'broken', 'settings')).toBeUndefined();
  });

  it('applies nothing when two copies of an object meet once the namespace is defaulted, naming both places', async () => {
    const repo = await server.createRepo('twice');
    const inDestination = CONFIG.replace('  name: settings\n', '  name: settings\n  namespace: twice\n');
    await repo.commit({ 'app/a.yaml': CONFIG, 'app/b.yaml': `${SERVICE}---\n${inDestination}` }, 'twice');
    const result = await syncApp(ctx, application('twice', repo.url, 'twice'), { trigger: 'manual' });
    expect(result.phase).toBe('Failed');
    expect(result.message).toBe('nothing was applied: duplicate object ConfigMap/twice/settings once namespaces are defaulted: defined at app/a.yaml:1 (no namespace) and app/b.yaml:11 (namespace twice)');
    expect(await get('v1', 'Service', 'twice', 'web')).toBeUndefined();
    expect(await get('v1', 'ConfigMap', 'twice', 'settings')).toBeUndefined();
  });

  it('heals drift: an edited object is OutOfSync and the next sync restores it', async () => {
    const repo = await server.createRepo('drift');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const app = application('drift', repo.url, 'drift');
    await syncApp(ctx, app, { trigger: 'manual' });
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'drift', name: 'settings' }, { data: { color: 'red' } }, { type: 'merge' });
    const drifted = await compareApp(ctx, app);
    expect(!isRenderFailure(drifted) && drifted.status).toBe('OutOfSync');
    const healed = await syncApp(ctx, app, { trigger: 'self-heal' });
    expect(actions(healed)).toEqual({ 'ConfigMap/drift/settings': 'configured' });
    expect(((await get('v1', 'ConfigMap', 'drift', 'settings'))!['data'] as JsonObject)['color']).toBe('blue');
  });

  it('applies a CRD and its custom resources in one sync, CRD first', async () => {
    const repo = await server.createRepo('crd');
    await repo.commit(
      {
        'app/widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n',
        'app/crd.yaml': stringify(newCrd({ plural: 'widgets', kind: 'Widget', group: 'example.com' })),
      },
      'crd and cr',
    );
    const result = await syncApp(ctx, application('crd', repo.url, 'crd'), { trigger: 'manual' });
    expect(result.phase).toBe('Succeeded');
    expect(result.resources.map((r) => `${r.action} ${keyString(r.key)}`)).toEqual([
      'created apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com',
      'created example.com/Widget/crd/w1',
    ]);
    expect(await get('example.com/v1', 'Widget', 'crd', 'w1')).toMatchObject({ spec: { size: 3 } });
  });

  it('syncs with server-side apply when the app asks for it', async () => {
    const repo = await server.createRepo('ssa');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const app = application('ssa', repo.url, 'ssa', { syncOptions: { serverSideApply: true } });
    expect(actions(await syncApp(ctx, app, { trigger: 'manual' }))).toEqual({ 'ConfigMap/ssa/settings': 'created' });
    await repo.commit({ 'app/config.yaml': CONFIG.replace('size: large', 'size: small') }, 'second');
    expect(actions(await syncApp(ctx, app, { trigger: 'manual' }))).toEqual({ 'ConfigMap/ssa/settings': 'configured' });
    const live = (await get('v1', 'ConfigMap', 'ssa', 'settings'))!;
    expect(live['data']).toEqual({ color: 'blue', size: 'small' });
    const managers = ((live['metadata'] as JsonObject)['managedFields'] as JsonObject[]).map((m) => `${String(m['manager'])}/${String(m['operation'])}`);
    expect(managers).toContain('sluice/Apply');
    expect(actions(await syncApp(ctx, app, { trigger: 'manual' }))).toEqual({ 'ConfigMap/ssa/settings': 'unchanged' });
  });

  it('reads again what a stale watch cache shows drifted or extraneous: a GET, not a no-op patch or a delete of nothing', async () => {
    const repo = await server.createRepo('stale');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/service.yaml': SERVICE }, 'first');
    const app = application('stale', repo.url, 'stale');
    await syncApp(ctx, app, { trigger: 'manual' });
    const current = (await get('v1', 'ConfigMap', 'stale', 'settings'))!;
    const service = (await get('v1', 'Service', 'stale', 'web'))!;
    // A cache a moment behind: the ConfigMap as it was before someone's (since healed) edit, and
    // a tracked Secret another process has pruned already.
    const cached: Record<string, JsonObject[]> = {
      'v1/ConfigMap': [{ ...current, data: { color: 'red', size: 'large' } }],
      'v1/Service': [service],
      'v1/Secret': [withTracking({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gone', namespace: 'stale' } }, appRef(app))],
    };
    const stale: SyncContext = { ...ctx, liveSource: { tracked: (kind) => cached[kind] ?? [] } };
    const compared = await compareApp(stale, app);
    expect(!isRenderFailure(compared) && compared.resources.map((r) => `${keyString(r.key)} ${r.diff.status}`).sort()).toEqual([
      'ConfigMap/stale/settings OutOfSync',
      'Secret/stale/gone Extraneous',
      'Service/stale/web Synced',
    ]);
    const result = await syncApp(stale, app, { trigger: 'self-heal' }, compared);
    expect(actions(result)).toEqual({ 'ConfigMap/stale/settings': 'unchanged', 'Service/stale/web': 'unchanged' });
    expect((await get('v1', 'ConfigMap', 'stale', 'settings'))!['metadata']).toEqual(current['metadata']);
  });

  it('in yield mode, stops before the wave after one that applied a held workload, naming it, and goes on from there when resumed', async () => {
    const repo = await server.createRepo('held-wave');
    const waved = (image: string, color: string) => ({
      'app/deploy.yaml': DEPLOYMENT.replace('nginx:1.25', image).replace('  name: web\n', "  name: web\n  annotations: {sluice.dev/sync-wave: '0'}\n"),
      'app/config.yaml': CONFIG.replace('blue', color).replace('  name: settings\n', "  name: settings\n  annotations: {sluice.dev/sync-wave: '1'}\n"),
    });
    await repo.commit(waved('nginx:1.25', 'blue'), 'first');
    const app = application('held-wave', repo.url, 'held-wave');
    expect((await syncApp(ctx, app, { trigger: 'manual' })).phase).toBe('Succeeded');
    await repo.commit(waved('nginx:1.26', 'green'), 'second');
    const key = 'apps/Deployment/held-wave/web';
    const holds = new Map([[key, { spec: { paused: true } }]]);
    const suspended = await syncApp(ctx, app, { trigger: 'manual', holds, waits: 'yield', operation: 'held-wave:1' });
    if (!('position' in suspended)) throw new Error(`expected the sync to wait, it ended ${suspended.phase}: ${suspended.message}`);
    expect(suspended.position).toMatchObject({ stage: 'Waves', wave: 1, rollout: [key] });
    expect(suspended.message).toBe(`wave 1: waits for the rollout of wave 0 (${key})`);
    const web = await get('apps/v1', 'Deployment', 'held-wave', 'web');
    expect((web?.['spec'] as JsonObject)['paused'], 'applied held').toBe(true);
    expect((await get('v1', 'ConfigMap', 'held-wave', 'settings'))?.['data'], 'wave 1 not applied').toMatchObject({ color: 'blue' });
    // the caller rolled wave 0 out: it resumes without the rollout wait, at wave 1
    const { rollout: _, ...resume } = suspended.position;
    const done = await syncApp(ctx, app, { trigger: 'manual', holds, waits: 'yield', operation: 'held-wave:1', resume });
    expect(done).toMatchObject({ phase: 'Succeeded' });
    expect((await get('v1', 'ConfigMap', 'held-wave', 'settings'))?.['data']).toMatchObject({ color: 'green' });
    expect(actions(done as OperationResult)).toMatchObject({ [key]: 'configured', 'ConfigMap/held-wave/settings': 'configured' });
  });

  it('dry run plans without writing', async () => {
    const repo = await server.createRepo('dry');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    const result = await syncApp(ctx, application('dry', repo.url, 'dry'), { trigger: 'manual', dryRun: true });
    expect(result).toMatchObject({ phase: 'Succeeded', dryRun: true });
    expect(actions(result)).toEqual({ 'ConfigMap/dry/settings': 'created' });
    expect(await get('v1', 'Namespace', '', 'dry')).toBeUndefined();
  });

  it('refuses objects another app manages, applying nothing', async () => {
    const repo = await server.createRepo('owner');
    await repo.commit({ 'app/config.yaml': CONFIG }, 'first');
    await syncApp(ctx, application('owner-a', repo.url, 'shared'), { trigger: 'manual' });
    const other = await syncApp(ctx, application('owner-b', repo.url, 'shared'), { trigger: 'manual' });
    expect(other.phase).toBe('Failed');
    expect(other.message).toContain('ConfigMap/shared/settings is managed by application sluice-system/owner-a; not applied');
  });

  it.skipIf(findKubectl() === undefined)('adopts kubectl-applied objects without a rollout', async () => {
    const kubectl = await Kubectl.create(findKubectl()!, cluster.kubeconfig);
    try {
      await kubectl.ok(['create', 'namespace', 'adopt']);
      await kubectl.ok(['apply', '-n', 'adopt', '-f', '-'], `${DEPLOYMENT}---\n${CONFIG}`);
      const before = (await get('apps/v1', 'Deployment', 'adopt', 'web'))!;
      const repo = await server.createRepo('adopt');
      await repo.commit({ 'app/deploy.yaml': DEPLOYMENT, 'app/config.yaml': CONFIG }, 'same as kubectl applied');
      const result = await syncApp(ctx, application('adopt', repo.url, 'adopt'), { trigger: 'manual' });
      expect(actions(result)).toEqual({ 'ConfigMap/adopt/settings': 'configured', 'apps/Deployment/adopt/web': 'configured' });
      await cluster.settle();
      const after = (await get('apps/v1', 'Deployment', 'adopt', 'web'))!;
      // Only tracking metadata changed: the pod template did not, so no new ReplicaSet rolled out.
      const revision = (o: JsonObject) => ((o['metadata'] as JsonObject)['annotations'] as JsonObject)['deployment.kubernetes.io/revision'];
      expect(revision(after)).toBe(revision(before));
      expect((after['spec'] as JsonObject)['template']).toEqual((before['spec'] as JsonObject)['template']);
      expect((await kube.list('apps/v1', 'ReplicaSet', { namespace: 'adopt' })).items).toHaveLength(1);
      expect((after['metadata'] as JsonObject)['labels']).toHaveProperty(APP_LABEL, 'adopt');
      const again = await syncApp(ctx, application('adopt', repo.url, 'adopt'), { trigger: 'manual' });
      expect(actions(again)).toEqual({ 'ConfigMap/adopt/settings': 'unchanged', 'apps/Deployment/adopt/web': 'unchanged' });
    } finally {
      await kubectl.dispose();
    }
  });
});
