/**
 * syncApp's server-side dry run on the embedded cluster: what it sends, and the one write a
 * rejected revision may make (the namespace its objects need to be checked in).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { syncApp, type SyncContext } from '../../src/sync/operation.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';

const CONFIG = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n';
const MISMATCHED = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: other}}
    spec: {containers: [{name: web, image: nginx}]}
`;
/** Types only as far as YAML goes: a server-side apply of it is a 500 from kube-apiserver 1.33's field manager. */
const UNTYPED = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: three
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
`;
const NAMESPACE = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

const writes = (log: readonly SimRequestLogEntry[]) =>
  log.filter((r) => r.method !== 'GET' && !r.query.getAll('dryRun').includes('All')).map((r) => `${r.method} ${r.path} ${r.status}`);

describe.skipIf(!gitAvailable())('the dry run before a sync', () => {
  let cluster: SimCluster;
  let server: GitServer;
  let kube: KubeClient;
  let ctx: SyncContext;
  const log: SimRequestLogEntry[] = [];

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false, onRequest: (r) => log.push(r) });
    server = await startGitServer();
    kube = await kubeClientFor(cluster.url);
    ctx = { git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-dry-run-git-')) }), kube, pollIntervalMs: 20, waveTimeoutMs: 5_000 };
  });
  afterAll(async () => {
    await kube?.close();
    await server?.stop();
    await cluster?.stop();
  });

  it('leaves no namespace behind (CreateNamespace) when an object in it is rejected', async () => {
    const repo = await server.createRepo('fresh-ns');
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/deploy.yaml': MISMATCHED }, 'first');
    const from = log.length;
    const result = await syncApp(ctx, testApplication({ name: 'fresh-ns', repoURL: repo.url }), { trigger: 'manual' });
    expect(result).toMatchObject({ phase: 'Failed', resources: [{ key: { kind: 'Deployment', name: 'web' }, action: 'failed' }] });
    expect(result.message).toMatch(/nothing was applied: apps\/v1 Deployment fresh-ns\/web: 422 Invalid: .*spec\.template\.metadata\.labels/);
    // the namespace exists only for the moment its objects are checked
    expect(writes(log.slice(from))).toEqual(['POST /api/v1/namespaces 201', 'DELETE /api/v1/namespaces/fresh-ns 200']);
    await expect(kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'fresh-ns' })).resolves.toBeUndefined();
    // the dry runs: the namespace, then (once it exists) both objects in it
    const dryRuns = log.slice(from).filter((r) => r.query.getAll('dryRun').includes('All')).map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(dryRuns.sort()).toEqual(['POST /api/v1/namespaces 201', 'POST /api/v1/namespaces/fresh-ns/configmaps 201', 'POST /apis/apps/v1/namespaces/fresh-ns/deployments 422'].sort());
  });

  it('writes nothing at all when the rejected object is outside the namespace the operation creates', async () => {
    const repo = await server.createRepo('outside');
    // a rendered Namespace of its own, and an object in the destination namespace, which exists
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'outside' } });
    await repo.commit({ 'app/ns.yaml': NAMESPACE('outside-extra'), 'app/deploy.yaml': MISMATCHED }, 'first');
    const from = log.length;
    const result = await syncApp(ctx, testApplication({ name: 'outside', repoURL: repo.url }), { trigger: 'manual' });
    expect(result.phase).toBe('Failed');
    expect(writes(log.slice(from))).toEqual([]);
  });

  it('fails a revision whose server-side apply does not type (a 500 from the API server) once, as a rejection, not an outage', async () => {
    const repo = await server.createRepo('untyped');
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'untyped' } });
    await repo.commit({ 'app/config.yaml': CONFIG, 'app/deploy.yaml': UNTYPED }, 'first');
    const from = log.length;
    const app = testApplication({ name: 'untyped', repoURL: repo.url, syncOptions: { serverSideApply: true } });
    const result = await syncApp(ctx, app, { trigger: 'manual' });
    expect(result).toMatchObject({ phase: 'Failed', resources: [{ key: { kind: 'Deployment', name: 'web' }, action: 'failed' }] });
    expect(result.message).toContain('apps/v1 Deployment untyped/web: 500 InternalError: failed to create typed patch object (untyped/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string');
    expect(writes(log.slice(from))).toEqual([]);
    // asked once: the same body gets the same answer, so the client does not retry it
    const deploymentDryRuns = log.slice(from).filter((r) => r.path.endsWith('/deployments/web') && r.query.getAll('dryRun').includes('All'));
    expect(deploymentDryRuns.map((r) => `${r.method} ${r.status}`)).toEqual(['PATCH 500']);
  });

  it('syncs a valid revision into a new namespace it renders, checking every object first', async () => {
    const repo = await server.createRepo('rendered-ns');
    await repo.commit({ 'app/ns.yaml': NAMESPACE('rendered-ns'), 'app/config.yaml': CONFIG }, 'first');
    const from = log.length;
    const result = await syncApp(ctx, testApplication({ name: 'rendered-ns', repoURL: repo.url }), { trigger: 'manual' });
    expect(result.phase).toBe('Succeeded');
    expect(result.warnings).toContain('namespace rendered-ns was created before the objects in it could be checked');
    expect(log.slice(from).some((r) => r.path === '/api/v1/namespaces/rendered-ns/configmaps' && r.query.getAll('dryRun').includes('All') && r.status === 201)).toBe(true);
    expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'rendered-ns', name: 'settings' })).toBeDefined();
  });
});
