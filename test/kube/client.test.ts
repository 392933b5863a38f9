import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { KubeClient, kubeClientFor } from '../../src/kube/client.ts';
import { KubeError, UnservedKindError } from '../../src/kube/errors.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { newConfigMap, newCrd } from '../support/sim.ts';

/** KubeClient and its discovery cache against the embedded cluster over real HTTP. */

let cluster: SimCluster;
let client: KubeClient;
let sequence = 0;
const unique = (prefix: string): string => `${prefix}-${++sequence}`;

async function freshNamespace(): Promise<string> {
  const name = unique('ns');
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function configMap(name: string, namespace: string, data: Record<string, string> = {}, labels?: Record<string, string>): JsonObject {
  const cm = newConfigMap(name, data, labels);
  return { ...cm, metadata: { ...(cm.metadata as JsonObject), namespace } };
}

async function failure(promise: Promise<unknown>): Promise<KubeError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof KubeError) return e;
    throw e;
  }
  throw new Error('expected a KubeError');
}

const cmRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
const dataOf = (o: JsonObject | undefined) => o?.data;

beforeAll(async () => {
  cluster = await startSimCluster({ port: 0, controllers: false });
  client = await kubeClientFor(cluster.url);
});

afterAll(async () => {
  await client.close();
  await cluster.stop();
});

describe('discovery', () => {
  it.each([
    { apiVersion: 'v1', kind: 'ConfigMap', want: { group: '', version: 'v1', resource: 'configmaps', namespaced: true } },
    { apiVersion: 'v1', kind: 'Namespace', want: { group: '', version: 'v1', resource: 'namespaces', namespaced: false } },
    { apiVersion: 'apps/v1', kind: 'Deployment', want: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', want: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', namespaced: false } },
  ])('resolves $apiVersion $kind', async ({ apiVersion, kind, want }) => {
    expect(await client.discovery.resolve(apiVersion, kind)).toEqual({ ...want, kind });
  });

  it('answers from the cache after the first load of a group/version', async () => {
    const fresh = await kubeClientFor(cluster.url);
    try {
      await Promise.all(Array.from({ length: 50 }, () => fresh.discovery.resolve('apps/v1', 'Deployment')));
      await fresh.discovery.resolve('apps/v1', 'StatefulSet');
      expect(fresh.discovery.documentLoads).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('names the apiVersion and kind it cannot resolve, as a typed error, after one refresh of an old document', async () => {
    let now = 0;
    const fresh = await kubeClientFor(cluster.url, { discovery: { negativeTtlMs: 10_000, now: () => now } });
    try {
      await fresh.discovery.resolve('apps/v1', 'Deployment');
      now = 20_000;
      const e = await failure(fresh.discovery.resolve('apps/v1', 'Deploymint'));
      expect(e).toBeInstanceOf(UnservedKindError);
      expect(e).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deploymint', groupVersionServed: true });
      expect(e.message).toBe('apps/v1 Deploymint: 404 NotFound: the server does not serve kind Deploymint in apps/v1 (is its CRD installed and established?)');
      expect(fresh.discovery.documentLoads).toBe(2);
      const unserved = await failure(fresh.discovery.resolve('nope.example.com/v1', 'Thing'));
      expect(unserved).toMatchObject({ groupVersionServed: false, message: expect.stringContaining('does not serve nope.example.com/v1') });
    } finally {
      await fresh.close();
    }
  });

  it('keeps a negative answer for negativeTtlMs: repeated lookups of an unserved group make one request', async () => {
    let now = 0;
    const fresh = await kubeClientFor(cluster.url, { discovery: { negativeTtlMs: 10_000, now: () => now } });
    try {
      for (let i = 0; i < 20; i++) await failure(fresh.discovery.resolve('policy.example.com/v1', 'Budget'));
      await Promise.all(Array.from({ length: 20 }, () => failure(fresh.discovery.resolve('policy.example.com/v1', 'Budget'))));
      expect(fresh.discovery.documentLoads).toBe(1);
      now = 10_001;
      await failure(fresh.discovery.resolve('policy.example.com/v1', 'Budget'));
      expect(fresh.discovery.documentLoads).toBe(2);
    } finally {
      await fresh.close();
    }
  });

  it('resolves a CRD created after the group was first looked up, once the negative answer is invalidated', async () => {
    const group = `${unique('widgets')}.sluice.dev`;
    const apiVersion = `${group}/v1`;
    expect((await failure(client.discovery.resolve(apiVersion, 'Widget'))).status).toBe(404);
    await client.create(newCrd({ plural: 'widgets', kind: 'Widget', group }));
    expect(await failure(client.discovery.resolve(apiVersion, 'Widget'))).toBeInstanceOf(UnservedKindError);
    client.discovery.invalidate(apiVersion);
    expect(await client.discovery.resolve(apiVersion, 'Widget')).toEqual({ group, version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true });
    const ns = await freshNamespace();
    await client.create({ apiVersion, kind: 'Widget', metadata: { name: 'w', namespace: ns }, spec: { size: 3 } });
    expect((await client.get({ apiVersion, kind: 'Widget', namespace: ns, name: 'w' }))?.spec).toEqual({ size: 3 });
  });
});

describe('objects', () => {
  it('creates, gets, and answers undefined for a missing object', async () => {
    const ns = await freshNamespace();
    const created = await client.create(configMap('a', ns, { k: 'v' }));
    expect(created.metadata).toMatchObject({ name: 'a', namespace: ns });
    expect(dataOf(await client.get(cmRef(ns, 'a')))).toEqual({ k: 'v' });
    expect(await client.get(cmRef(ns, 'missing'))).toBeUndefined();
    // a cluster-scoped object ignores the namespace it is given
    expect((await client.get({ apiVersion: 'v1', kind: 'Namespace', namespace: 'x', name: ns }))?.kind).toBe('Namespace');
  });

  it('creates from generateName', async () => {
    const ns = await freshNamespace();
    const created = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'hook-', namespace: ns } });
    const name = String((created.metadata as JsonObject).name);
    expect(name).toMatch(/^hook-.+/);
    expect(await client.get(cmRef(ns, name))).toBeDefined();
  });

  it('lists by label selector in one namespace or all, with apiVersion/kind on every item', async () => {
    const [ns1, ns2] = [await freshNamespace(), await freshNamespace()];
    const app = unique('app');
    await client.create(configMap('x', ns1, {}, { app }));
    await client.create(configMap('y', ns2, {}, { app }));
    await client.create(configMap('z', ns2, {}, { app: 'other' }));
    const all = await client.list('v1', 'ConfigMap', { labelSelector: `app=${app}` });
    expect(all.items.map((o) => `${String((o.metadata as JsonObject).namespace)}/${String((o.metadata as JsonObject).name)}`).sort()).toEqual([`${ns1}/x`, `${ns2}/y`]);
    expect(all.items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap')).toBe(true);
    expect(Number(all.resourceVersion)).toBeGreaterThan(0);
    const one = await client.list('v1', 'ConfigMap', { namespace: ns2, labelSelector: `app=${app}` });
    expect(one.items.map((o) => (o.metadata as JsonObject).name)).toEqual(['y']);
    // limit=1 makes the server page; the client follows continue tokens to the same full answer
    const names = (items: readonly JsonObject[]) => items.map((o) => (o.metadata as JsonObject).name);
    const whole = await client.list('v1', 'ConfigMap', { namespace: ns2 });
    const paged = await client.list('v1', 'ConfigMap', { namespace: ns2, limit: 1 });
    expect(names(whole.items)).toContain('z');
    expect(names(paged.items)).toEqual(names(whole.items));
  });

  it('patches with each of the four patch types', async () => {
    const ns = await freshNamespace();
    await client.create(configMap('p', ns, { a: '1' }));
    const ref = cmRef(ns, 'p');
    await client.patch(ref, { data: { b: '2' } }, { type: 'merge' });
    expect(dataOf(await client.get(ref))).toEqual({ a: '1', b: '2' });
    await client.patch(ref, { data: { a: null } }, { type: 'strategic' });
    expect(dataOf(await client.get(ref))).toEqual({ b: '2' });
    await client.patch(ref, [{ op: 'replace', path: '/data/b', value: '3' }], { type: 'json' });
    expect(dataOf(await client.get(ref))).toEqual({ b: '3' });
    const applied = await client.patch(ref, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p', namespace: ns }, data: { c: '4' } }, { type: 'apply', fieldManager: 'sluice-test', force: true });
    expect(applied.data).toEqual({ b: '3', c: '4' });
    const managers = ((applied.metadata as JsonObject).managedFields as JsonObject[]).map((m) => `${String(m.manager)}:${String(m.operation)}`);
    expect(managers).toContain('sluice-test:Apply');
  });

  it('server-side apply without force reports a field conflict as 409 Conflict', async () => {
    const ns = await freshNamespace();
    const ref = cmRef(ns, 'ssa');
    const intent = (value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: ns }, data: { k: value } });
    await client.patch(ref, intent('one'), { type: 'apply', fieldManager: 'first' });
    const e = await failure(client.patch(ref, intent('two'), { type: 'apply', fieldManager: 'second' }));
    expect([e.status, e.reason]).toEqual([409, 'Conflict']);
    await client.patch(ref, intent('two'), { type: 'apply', fieldManager: 'second', force: true });
    expect(dataOf(await client.get(ref))).toEqual({ k: 'two' });
  });

  it('deletes with a propagation policy and answers undefined for an absent object', async () => {
    const ns = await freshNamespace();
    await client.create(configMap('d', ns));
    for (const propagationPolicy of ['Foreground', 'Background', 'Orphan'] as const) {
      await client.create(configMap(propagationPolicy.toLowerCase(), ns));
      await client.delete(cmRef(ns, propagationPolicy.toLowerCase()), { propagationPolicy });
      expect(await client.get(cmRef(ns, propagationPolicy.toLowerCase()))).toBeUndefined();
    }
    expect(await client.delete(cmRef(ns, 'never-was'))).toBeUndefined();
  });

  it('dryRun=All changes nothing for create, patch and delete', async () => {
    const ns = await freshNamespace();
    const echoed = await client.create(configMap('dry', ns, { k: 'v' }), { dryRun: true });
    expect(echoed.data).toEqual({ k: 'v' });
    expect(await client.get(cmRef(ns, 'dry'))).toBeUndefined();
    await client.create(configMap('wet', ns, { k: 'v' }));
    const patched = await client.patch(cmRef(ns, 'wet'), { data: { k: 'changed' } }, { type: 'merge', dryRun: true });
    expect(patched.data).toEqual({ k: 'changed' });
    expect(dataOf(await client.get(cmRef(ns, 'wet')))).toEqual({ k: 'v' });
    await client.patch(cmRef(ns, 'wet'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wet', namespace: ns }, data: { k: 'x' } }, { type: 'apply', dryRun: true, force: true });
    expect(dataOf(await client.get(cmRef(ns, 'wet')))).toEqual({ k: 'v' });
    await client.delete(cmRef(ns, 'wet'), { dryRun: true });
    expect(await client.get(cmRef(ns, 'wet'))).toBeDefined();
  });
});

describe('KubeError', () => {
  it('carries status, reason, message and the object ref for 404, 409 and 422', async () => {
    const ns = await freshNamespace();
    const notFound = await failure(client.patch(cmRef(ns, 'ghost'), { data: {} }, { type: 'merge' }));
    expect([notFound.status, notFound.reason, notFound.subject]).toEqual([404, 'NotFound', `v1 ConfigMap ${ns}/ghost`]);
    expect(notFound.message).toMatch(new RegExp(`^v1 ConfigMap ${ns}/ghost: 404 NotFound: .*ghost`));

    await client.create(configMap('dup', ns));
    const exists = await failure(client.create(configMap('dup', ns)));
    expect([exists.status, exists.reason]).toEqual([409, 'AlreadyExists']);
    expect(exists.message).toContain(`v1 ConfigMap ${ns}/dup: 409 AlreadyExists: `);

    const stale = await failure(client.patch(cmRef(ns, 'dup'), { metadata: { resourceVersion: '1' }, data: { a: 'b' } }, { type: 'merge' }));
    expect([stale.status, stale.reason]).toEqual([409, 'Conflict']);

    const invalid = await failure(client.create(configMap('Not_A_Name', ns)));
    expect([invalid.status, invalid.reason]).toEqual([422, 'Invalid']);
    expect(invalid.details.causes?.length).toBeGreaterThan(0);
    expect(invalid.message).toContain(`v1 ConfigMap ${ns}/Not_A_Name: 422 Invalid: `);
  });

  it("writes as usual when the answer is not read (answer: 'none'), and rejects as usual", async () => {
    const ns = await freshNamespace();
    await expect(client.create(configMap('unread', ns, { a: '1' }), { answer: 'none' })).resolves.toBeUndefined();
    await expect(client.patch(cmRef(ns, 'unread'), { data: { a: '2' } }, { type: 'merge', answer: 'none' })).resolves.toBeUndefined();
    expect(dataOf(await client.get(cmRef(ns, 'unread')))).toEqual({ a: '2' });
    await expect(client.create(configMap('unread-dry', ns), { dryRun: true, answer: 'none' })).resolves.toBeUndefined();
    expect(await client.get(cmRef(ns, 'unread-dry'))).toBeUndefined();
    const invalid = await failure(client.create(configMap('Not_A_Name', ns), { dryRun: true, answer: 'none' }));
    expect([invalid.status, invalid.reason]).toEqual([422, 'Invalid']);
    const exists = await failure(client.create(configMap('unread', ns), { answer: 'none' }));
    expect([exists.status, exists.reason]).toEqual([409, 'AlreadyExists']);
  });

  it('names a manifest without a name before sending anything', async () => {
    const e = await failure(client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }));
    expect([e.status, e.message]).toEqual([400, 'v1 ConfigMap: 400 BadRequest: an object needs apiVersion, kind and metadata.name']);
  });
});

/** A proxy in front of the sim that answers the next `faults` with canned responses (and echoes credentials back, as a careless proxy might). */
class FaultProxy {
  readonly faults: { status: number; retryAfter?: string }[] = [];
  readonly seenAuthorization: string[] = [];
  private readonly server: Server;

  constructor(target: string) {
    const upstream = new URL(target);
    this.server = createServer((req, res) => {
      this.seenAuthorization.push(req.headers.authorization ?? '');
      const fault = this.faults.shift();
      if (fault) {
        req.resume();
        const body = JSON.stringify({ kind: 'Status', status: 'Failure', code: fault.status, reason: fault.status === 429 ? 'TooManyRequests' : fault.status === 409 ? 'Conflict' : 'InternalError', message: `injected; you sent ${req.headers.authorization ?? ''}` });
        res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) }).end(body);
        return;
      }
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(forward);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('transient failures', () => {
  const token = 'sekrit-bearer-token-0123456789';
  let proxy: FaultProxy;
  let faulty: KubeClient;
  let proxyUrl: string;
  const delays: number[] = [];

  beforeAll(async () => {
    proxy = new FaultProxy(cluster.url);
    const url = await proxy.listen();
    proxyUrl = url;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'p', server: url, skipTLSVerify: true }],
      users: [{ name: 'p', token }],
      contexts: [{ name: 'p', cluster: 'p', user: 'p' }],
      currentContext: 'p',
    });
    // sleep is injected: the test records the backoff instead of waiting it out
    faulty = await KubeClient.create(kc, { retry: { attempts: 3, random: () => 0, sleep: async (ms) => void delays.push(ms) } });
  });

  afterAll(async () => {
    faulty.close();
    await proxy.close();
  });

  it('retries 500 and 429 with backoff, honouring Retry-After, and sends the bearer token', async () => {
    delays.length = 0;
    await faulty.create(configMap('target', 'default'));
    proxy.faults.push({ status: 500 }, { status: 429, retryAfter: '2' });
    expect(await faulty.get(cmRef('default', 'target'))).toBeDefined();
    // equal jitter with random()=0 halves the 100 ms base; Retry-After: 2 is a floor of 2 s
    expect(delays).toEqual([50, 2000]);
    expect(proxy.seenAuthorization.at(-1)).toBe(`Bearer ${token}`);
  });

  it('gives up after the attempt bound with the last error, without leaking the token', async () => {
    delays.length = 0;
    proxy.faults.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const e = await failure(faulty.get(cmRef('default', 'x')));
    expect([e.status, e.reason, delays.length]).toEqual([503, 'InternalError', 2]);
    expect(e.message).toContain('injected; you sent Bearer [redacted]');
    expect(e.message).not.toContain(token);
    proxy.faults.length = 0;
  });

  it('sends a plain patch again after a 409 Conflict (it names no resourceVersion), but not a server-side apply', async () => {
    delays.length = 0;
    await faulty.create(configMap('raced', 'default'));
    proxy.faults.push({ status: 409 }, { status: 409 });
    const patched = await faulty.patch(cmRef('default', 'raced'), { data: { a: '1' } }, { type: 'merge' });
    expect([patched['data'], delays]).toEqual([{ a: '1' }, []]);
    proxy.faults.push({ status: 409 });
    const e = await failure(faulty.patch(cmRef('default', 'raced'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'raced' }, data: { a: '2' } }, { type: 'apply', force: true }));
    expect([e.status, e.reason]).toEqual([409, 'Conflict']);
    expect(proxy.faults).toEqual([]);
  });

  it('asks an exec credential plugin for the token (through client-node) and sends it', async () => {
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'exec-token-42' } });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'p', server: proxyUrl, skipTLSVerify: true }],
      users: [{ name: 'p', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`], interactiveMode: 'Never' } }],
      contexts: [{ name: 'p', cluster: 'p', user: 'p' }],
      currentContext: 'p',
    });
    const exec = await KubeClient.create(kc);
    try {
      expect(await exec.get(cmRef('default', 'target'))).toBeDefined();
      expect(proxy.seenAuthorization.at(-1)).toBe('Bearer exec-token-42');
    } finally {
      exec.close();
    }
  });

  it('does not retry a 4xx', async () => {
    delays.length = 0;
    const before = proxy.seenAuthorization.length;
    expect((await failure(faulty.patch(cmRef('default', 'nope'), {}, { type: 'merge' }))).status).toBe(404);
    expect([proxy.seenAuthorization.length - before, delays.length]).toEqual([1, 0]);
  });
});
