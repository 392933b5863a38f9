import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer, type PatchType } from '../../src/sim/apiserver.ts';
import { StatusError } from '../../src/sim/errors.ts';
import { GarbageCollector } from '../../src/sim/garbage-collector.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import { newConfigMap, newCrd, newDeployment, typeOf } from '../support/sim.ts';
import { until } from '../support/wait.ts';

function statusOf(fn: () => unknown): { code: number; reason: string; message: string; causes: string[] } {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) {
      return { code: e.code, reason: e.reason, message: e.message, causes: (e.details?.causes ?? []).map((c) => c.field) };
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

const meta = (o: JsonObject) => o.metadata as Record<string, unknown>;
const spec = (o: JsonObject) => o.spec as Record<string, unknown>;

let api: SimApiServer;
const cm = () => typeOf(api, '', 'v1', 'configmaps');
const deploy = () => typeOf(api, 'apps', 'v1', 'deployments');
const ns = () => typeOf(api, '', 'v1', 'namespaces');

beforeEach(() => {
  api = new SimApiServer();
});

describe('create', () => {
  it('sets uid, creationTimestamp and a global, increasing resourceVersion', () => {
    const a = api.create(cm(), 'default', newConfigMap('a'));
    const b = api.create(deploy(), 'default', newDeployment('b'));
    expect(meta(a).uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta(a).creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(meta(b).resourceVersion)).toBeGreaterThan(Number(meta(a).resourceVersion));
    expect(meta(a).generation).toBeUndefined();
    expect(meta(b).generation).toBe(1);
  });

  it('fills generateName with a random suffix', () => {
    const o = api.create(cm(), 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'job-' } });
    expect(meta(o).name).toMatch(/^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it.each([
    { name: 'an existing name', body: () => newConfigMap('dup'), ns: 'default', code: 409, reason: 'AlreadyExists' },
    { name: 'a missing namespace', body: () => newConfigMap('x'), ns: 'nowhere', code: 404, reason: 'NotFound' },
    { name: 'an invalid name', body: () => newConfigMap('Bad_Name'), ns: 'default', code: 422, reason: 'Invalid' },
    { name: 'a kind that does not match the URL', body: () => ({ ...newConfigMap('k'), kind: 'Secret' }), ns: 'default', code: 400, reason: 'BadRequest' },
    { name: 'a body that is not an object', body: () => ['x'] as unknown as JsonObject, ns: 'default', code: 400, reason: 'BadRequest' },
    { name: 'a resourceVersion', body: () => ({ ...newConfigMap('rv'), metadata: { name: 'rv', resourceVersion: '5' } }), ns: 'default', code: 400, reason: 'BadRequest' },
  ])('rejects $name', ({ body, ns: namespace, code, reason }) => {
    api.create(cm(), 'default', newConfigMap('dup'));
    expect(statusOf(() => api.create(cm(), namespace, body()))).toMatchObject({ code, reason });
  });

  it('reports validation failures with causes per field', () => {
    const bad = newDeployment('web');
    (spec(bad).template as JsonObject).metadata = { labels: { app: 'other' } };
    const s = statusOf(() => api.create(deploy(), 'default', bad));
    expect(s.code).toBe(422);
    expect(s.causes).toContain('spec.template.metadata.labels');
  });

  it('does not persist a dry run', () => {
    const o = api.create(cm(), 'default', newConfigMap('dry'), { dryRun: true });
    expect(meta(o).name).toBe('dry');
    expect(statusOf(() => api.get(cm(), 'default', 'dry')).code).toBe(404);
  });

  it('drops the namespace of cluster-scoped objects and serves them without one', () => {
    api.create(ns(), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', namespace: 'ignored' } });
    expect(meta(api.get(ns(), '', 'team')).namespace).toBeUndefined();
  });
});

describe('update', () => {
  it('answers 409 Conflict for a stale resourceVersion', () => {
    const v1 = api.create(cm(), 'default', newConfigMap('c', { a: '1' }));
    api.update(cm(), 'default', 'c', { ...v1, data: { a: '2' } });
    const s = statusOf(() => api.update(cm(), 'default', 'c', { ...v1, data: { a: '3' } }));
    expect(s).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(s.message).toContain('the object has been modified');
  });

  it('does not store a write that changes nothing', () => {
    const v1 = api.create(cm(), 'default', newConfigMap('same', { a: '1' }));
    const v2 = api.update(cm(), 'default', 'same', v1);
    expect(meta(v2).resourceVersion).toBe(meta(v1).resourceVersion);
  });

  it.each([
    { change: 'the spec', mutate: (o: JsonObject) => void (spec(o).replicas = 5), bumps: true },
    { change: 'a label', mutate: (o: JsonObject) => void ((meta(o).labels as Record<string, string>).extra = 'x'), bumps: false },
    { change: 'an annotation (Deployments only)', mutate: (o: JsonObject) => void (meta(o).annotations = { note: 'x' }), bumps: true },
    { change: 'the status through the main resource (ignored)', mutate: (o: JsonObject) => void (o.status = { replicas: 9 }), bumps: false },
  ])('bumps generation when changing $change: $bumps', ({ mutate, bumps }) => {
    const live = structuredClone(api.create(deploy(), 'default', newDeployment('g')));
    mutate(live);
    const after = api.update(deploy(), 'default', 'g', live);
    expect(meta(after).generation).toBe(bumps ? 2 : 1);
    expect(after.status).toBeUndefined();
  });

  it('writes status only through /status, without bumping generation or touching the spec', () => {
    const live = api.create(deploy(), 'default', newDeployment('s'));
    const next = { ...live, spec: { ...spec(live), replicas: 7 }, status: { replicas: 2, observedGeneration: 1 } };
    const after = api.update(deploy(), 'default', 's', next, {}, 'status');
    expect(after.status).toEqual({ replicas: 2, observedGeneration: 1 });
    expect(spec(after).replicas).toBe(2);
    expect(meta(after).generation).toBe(1);
  });

  it('keeps the selector immutable', () => {
    const live = structuredClone(api.create(deploy(), 'default', newDeployment('imm')));
    spec(live).selector = { matchLabels: { app: 'imm', extra: 'y' } };
    ((spec(live).template as JsonObject).metadata as JsonObject).labels = { app: 'imm', extra: 'y' };
    expect(statusOf(() => api.update(deploy(), 'default', 'imm', live))).toMatchObject({ code: 422, causes: ['spec.selector'] });
  });
});

describe('patch', () => {
  it.each<{ type: PatchType; patch: unknown; want: string[] }>([
    { type: 'strategic', patch: { spec: { template: { spec: { containers: [{ name: 'side', image: 'busybox' }] } } } }, want: ['side', 'app'] },
    { type: 'merge', patch: { spec: { template: { spec: { containers: [{ name: 'only', image: 'busybox' }] } } } }, want: ['only'] },
    { type: 'json', patch: [{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'last', image: 'busybox' } }], want: ['app', 'last'] },
  ])('applies a $type patch', ({ type, patch, want }) => {
    api.create(deploy(), 'default', newDeployment('p'));
    const after = api.patch(deploy(), 'default', 'p', type, patch as JsonObject);
    const containers = (spec(after).template as { spec: { containers: { name: string }[] } }).spec.containers;
    expect(containers.map((c) => c.name)).toEqual(want);
    expect(meta(after).generation).toBe(2);
  });

  it('answers 422 when a JSON patch test fails and 409 when the patch carries a stale resourceVersion', () => {
    api.create(cm(), 'default', newConfigMap('j', { a: '1' }));
    expect(statusOf(() => api.patch(cm(), 'default', 'j', 'json', [{ op: 'test', path: '/data/a', value: '2' }])).code).toBe(422);
    expect(statusOf(() => api.patch(cm(), 'default', 'j', 'merge', { metadata: { resourceVersion: '1' }, data: { a: '3' } })).code).toBe(409);
  });

  it('refuses strategic merge on custom resources (415)', () => {
    api.create(typeOf(api, 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), '', newCrd({ plural: 'gadgets', kind: 'Gadget', group: 'example.com' }));
    const gadgets = typeOf(api, 'example.com', 'v1', 'gadgets');
    api.create(gadgets, 'default', { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { a: 1 } });
    expect(statusOf(() => api.patch(gadgets, 'default', 'g', 'strategic', { spec: { a: 2 } })).code).toBe(415);
    expect(spec(api.patch(gadgets, 'default', 'g', 'merge', { spec: { b: 2 } }))).toEqual({ a: 1, b: 2 });
  });

  it('scales through the scale subresource', () => {
    api.create(deploy(), 'default', newDeployment('sc'));
    const scale = api.get(deploy(), 'default', 'sc', 'scale');
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=sc' } });
    api.patch(deploy(), 'default', 'sc', 'merge', { spec: { replicas: 6 } }, {}, 'scale');
    expect(spec(api.get(deploy(), 'default', 'sc')).replicas).toBe(6);
  });
});

describe('server-side apply', () => {
  const apply = (manager: string, replicas: number, force = false, extraLabel?: string) => {
    const config = newDeployment('ssa');
    spec(config).replicas = replicas;
    if (extraLabel) (meta(config).labels as Record<string, string>).extra = extraLabel;
    return api.patch(deploy(), 'default', 'ssa', 'apply', config, { fieldManager: manager, force });
  };

  it('creates, records the manager, and shares fields applied with the same value', () => {
    const created = apply('alice', 2);
    expect((meta(created).managedFields as { manager: string; operation: string }[])[0]).toMatchObject({ manager: 'alice', operation: 'Apply' });
    const shared = apply('bob', 2);
    expect((meta(shared).managedFields as unknown[]).length).toBe(2);
  });

  it('conflicts on a field another manager owns with a different value, unless forced', () => {
    apply('alice', 2);
    const s = statusOf(() => apply('bob', 3));
    expect(s).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(s.message).toContain('conflict with "alice"');
    expect(s.causes).toEqual(['.spec.replicas']);
    expect(spec(apply('bob', 3, true)).replicas).toBe(3);
    // alice lost ownership of replicas, so her next apply with the old value conflicts with bob
    expect(statusOf(() => apply('alice', 2)).message).toContain('conflict with "bob"');
  });

  it('conflicts with fields another client changed by update', () => {
    apply('alice', 2);
    api.patch(deploy(), 'default', 'ssa', 'merge', { spec: { replicas: 4 } }, { fieldManager: 'hpa' });
    expect(statusOf(() => apply('alice', 2)).message).toContain('conflict with "hpa"');
  });

  it('removes a field the manager stops applying, unless someone else owns it', () => {
    apply('alice', 2, false, 'yes');
    expect((meta(api.get(deploy(), 'default', 'ssa')).labels as Record<string, string>).extra).toBe('yes');
    apply('alice', 2);
    expect((meta(api.get(deploy(), 'default', 'ssa')).labels as Record<string, string>).extra).toBeUndefined();
  });

  it('requires a field manager', () => {
    expect(statusOf(() => api.patch(deploy(), 'default', 'x', 'apply', newDeployment('x'))).code).toBe(400);
  });
});

describe('list', () => {
  beforeEach(() => {
    api.create(cm(), 'default', newConfigMap('a', {}, { tier: 'front', env: 'prod' }));
    api.create(cm(), 'default', newConfigMap('b', {}, { tier: 'back', env: 'prod' }));
    api.create(cm(), 'default', newConfigMap('c', {}, { tier: 'back' }));
    api.create(cm(), 'kube-system', newConfigMap('d', {}, { tier: 'front' }));
  });

  it.each([
    { selector: 'tier=front', want: ['a'] },
    { selector: 'tier==back', want: ['b', 'c'] },
    { selector: 'tier!=front', want: ['b', 'c'] },
    { selector: 'env in (prod,dev)', want: ['a', 'b'] },
    { selector: 'env notin (prod)', want: ['c'] },
    { selector: 'env', want: ['a', 'b'] },
    { selector: '!env', want: ['c'] },
    { selector: 'tier=back,env=prod', want: ['b'] },
  ])('filters by label selector $selector', ({ selector, want }) => {
    expect(api.list(cm(), 'default', { labelSelector: selector }).items.map((o) => meta(o).name)).toEqual(want);
  });

  it('filters by field selector, across namespaces when none is given', () => {
    expect(api.list(cm(), undefined, { fieldSelector: 'metadata.namespace=kube-system' }).items.map((o) => meta(o).name)).toEqual(['d']);
    expect(api.list(cm(), undefined, { fieldSelector: 'metadata.name!=a' }).items.length).toBe(3);
    expect(statusOf(() => api.list(cm(), 'default', { fieldSelector: 'spec.foo=1' })).code).toBe(400);
    expect(statusOf(() => api.list(cm(), 'default', { labelSelector: 'a in (' })).code).toBe(400);
  });

  it('pages with limit and continue', () => {
    const first = api.list(cm(), undefined, { limit: 3 });
    expect(first.items.map((o) => meta(o).name)).toEqual(['a', 'b', 'c']);
    expect(first.remainingItemCount).toBe(1);
    const second = api.list(cm(), undefined, { limit: 3, continue: first.continue! });
    expect(second.items.map((o) => meta(o).name)).toEqual(['d']);
    expect(second.continue).toBeUndefined();
    expect(statusOf(() => api.list(cm(), undefined, { continue: 'garbage' })).code).toBe(400);
  });
});

describe('watch', () => {
  type Seen = { type: string; name: string; rv: number };
  function watchAll(options: { resourceVersion?: string; labelSelector?: string }, server = api) {
    const seen: Seen[] = [];
    const errors: number[] = [];
    const stop = server.watch(typeOf(server, '', 'v1', 'configmaps'), 'default', options, {
      event: (type, o) => seen.push({ type, name: String(meta(o).name), rv: Number(meta(o).resourceVersion) }),
      error: (s) => errors.push(s.code),
    });
    return { seen, errors, stop };
  }

  it('replays current objects as ADDED, then streams changes in order', () => {
    api.create(cm(), 'default', newConfigMap('old'));
    const w = watchAll({});
    const live = api.create(cm(), 'default', newConfigMap('new'));
    api.update(cm(), 'default', 'new', { ...live, data: { x: '1' } });
    api.delete(cm(), 'default', 'new');
    w.stop();
    expect(w.seen.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED old', 'ADDED new', 'MODIFIED new', 'DELETED new']);
    const rvs = w.seen.slice(1).map((e) => e.rv);
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
  });

  it('resumes after a resourceVersion with only later events', () => {
    const a = api.create(cm(), 'default', newConfigMap('a'));
    api.create(cm(), 'default', newConfigMap('b'));
    const w = watchAll({ resourceVersion: String(meta(a).resourceVersion) });
    w.stop();
    expect(w.seen.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED b']);
  });

  it('turns objects entering and leaving a label selector into ADDED and DELETED', () => {
    const w = watchAll({ labelSelector: 'app=web' });
    const o = api.create(cm(), 'default', newConfigMap('x', {}, { app: 'other' }));
    const in1 = api.patch(cm(), 'default', 'x', 'merge', { metadata: { labels: { app: 'web' } } });
    api.patch(cm(), 'default', 'x', 'merge', { metadata: { labels: { app: 'gone' } } });
    w.stop();
    expect(meta(o).name).toBe('x');
    expect(meta(in1).labels).toEqual({ app: 'web' });
    expect(w.seen.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('answers 410 Expired for a continue token older than the kept history', () => {
    const small = new SimApiServer({ store: new ObjectStore(5) });
    const cms = typeOf(small, '', 'v1', 'configmaps');
    for (let i = 0; i < 3; i++) small.create(cms, 'default', newConfigMap(`c${i}`));
    const first = small.list(cms, 'default', { limit: 1 });
    for (let i = 3; i < 20; i++) small.create(cms, 'default', newConfigMap(`c${i}`));
    expect(statusOf(() => small.list(cms, 'default', { limit: 1, continue: first.continue! }))).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('answers 410 Expired for a resourceVersion older than the kept history', () => {
    const small = new SimApiServer({ store: new ObjectStore(5) });
    for (let i = 0; i < 20; i++) small.create(typeOf(small, '', 'v1', 'configmaps'), 'default', newConfigMap(`c${i}`));
    const w = watchAll({ resourceVersion: '1' }, small);
    expect(w.errors).toEqual([410]);
    expect(w.seen).toEqual([]);
  });
});

describe('delete, finalizers and garbage collection', () => {
  let gc: GarbageCollector;
  beforeEach(() => {
    gc = new GarbageCollector(api);
    return () => gc.stop();
  });
  const exists = (rt: ReturnType<typeof cm>, namespace: string, name: string) => {
    try {
      api.get(rt, namespace, name);
      return true;
    } catch {
      return false;
    }
  };
  const owned = (name: string, owner: JsonObject, block = false): JsonObject => ({
    ...newConfigMap(name),
    metadata: {
      name,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: String(meta(owner).name), uid: String(meta(owner).uid), ...(block ? { blockOwnerDeletion: true } : {}) },
      ],
    },
  });

  it('keeps an object with finalizers until they are removed', () => {
    api.create(cm(), 'default', { ...newConfigMap('f'), metadata: { name: 'f', finalizers: ['example.com/hold'] } });
    const r = api.delete(cm(), 'default', 'f');
    expect(r.removed).toBe(false);
    expect(meta(r.object).deletionTimestamp).toBeDefined();
    const live = api.get(cm(), 'default', 'f');
    expect(statusOf(() => api.update(cm(), 'default', 'f', { ...live, metadata: { ...meta(live), finalizers: ['example.com/hold', 'new'] } })).code).toBe(422);
    api.update(cm(), 'default', 'f', { ...live, metadata: { ...meta(live), finalizers: [] } });
    expect(exists(cm(), 'default', 'f')).toBe(false);
  });

  it('checks delete preconditions', () => {
    api.create(cm(), 'default', newConfigMap('pre'));
    expect(statusOf(() => api.delete(cm(), 'default', 'pre', { preconditions: { uid: 'other' } })).code).toBe(409);
  });

  it('deletes dependents in the background when the owner goes', async () => {
    const owner = api.create(deploy(), 'default', newDeployment('o'));
    api.create(cm(), 'default', owned('dep', owner));
    api.delete(deploy(), 'default', 'o');
    await until('the condition', () => !exists(cm(), 'default', 'dep'), 2_000, 5);
  });

  it('orphans dependents with propagationPolicy Orphan', async () => {
    const owner = api.create(deploy(), 'default', newDeployment('o'));
    api.create(cm(), 'default', owned('dep', owner));
    api.delete(deploy(), 'default', 'o', { propagationPolicy: 'Orphan' });
    await until('the condition', () => !exists(deploy(), 'default', 'o'), 2_000, 5);
    expect(meta(api.get(cm(), 'default', 'dep')).ownerReferences).toBeUndefined();
  });

  it('removes the owner last with propagationPolicy Foreground', async () => {
    const owner = api.create(deploy(), 'default', newDeployment('o'));
    api.create(cm(), 'default', { ...owned('dep', owner, true), metadata: { ...meta(owned('dep', owner, true)), finalizers: ['example.com/slow'] } });
    api.delete(deploy(), 'default', 'o', { propagationPolicy: 'Foreground' });
    await until('the condition', () => meta(api.get(cm(), 'default', 'dep')).deletionTimestamp !== undefined, 2_000, 5);
    expect(meta(api.get(deploy(), 'default', 'o')).finalizers).toEqual(['foregroundDeletion']);
    const dep = api.get(cm(), 'default', 'dep');
    api.update(cm(), 'default', 'dep', { ...dep, metadata: { ...meta(dep), finalizers: [] } });
    await until('the condition', () => !exists(deploy(), 'default', 'o'), 2_000, 5);
  });

  it('collects an object whose owner never existed', async () => {
    api.create(cm(), 'default', owned('stray', { metadata: { name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' } }));
    await until('the condition', () => !exists(cm(), 'default', 'stray'), 2_000, 5);
  });

  it('terminates a namespace: refuses new content, empties it, then removes it', async () => {
    api.create(ns(), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    api.create(cm(), 'doomed', { ...newConfigMap('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    api.delete(ns(), '', 'doomed');
    expect((api.get(ns(), '', 'doomed').status as JsonObject).phase).toBe('Terminating');
    expect(statusOf(() => api.create(cm(), 'doomed', newConfigMap('late'))).code).toBe(403);
    await until('the condition', () => meta(api.get(cm(), 'doomed', 'held')).deletionTimestamp !== undefined, 2_000, 5);
    expect(exists(ns(), '', 'doomed')).toBe(true);
    const held = api.get(cm(), 'doomed', 'held');
    api.update(cm(), 'doomed', 'held', { ...held, metadata: { ...meta(held), finalizers: [] } });
    await until('the condition', () => !exists(ns(), '', 'doomed'), 2_000, 5);
  });
});

describe('custom resource definitions', () => {
  const crds = () => typeOf(api, 'apiextensions.k8s.io', 'v1', 'customresourcedefinitions');

  it('serve namespaced and cluster-scoped resources, with a status subresource when declared', () => {
    api.create(crds(), '', newCrd({ plural: 'widgets', kind: 'Widget', group: 'example.com', status: true }));
    api.create(crds(), '', newCrd({ plural: 'clusterwidgets', kind: 'ClusterWidget', group: 'example.com', scope: 'Cluster' }));
    const widgets = typeOf(api, 'example.com', 'v1', 'widgets');
    expect(widgets).toMatchObject({ namespaced: true, custom: true, subresources: { status: true } });
    expect(typeOf(api, 'example.com', 'v1', 'clusterwidgets').namespaced).toBe(false);
    const w = api.create(widgets, 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 }, status: { ok: true } });
    expect(w.status).toBeUndefined();
    expect(meta(w).generation).toBe(1);
    const withStatus = api.update(widgets, 'default', 'w', { ...w, status: { ok: true } }, {}, 'status');
    expect(withStatus.status).toEqual({ ok: true });
    expect(meta(withStatus).generation).toBe(1);
    const crd = api.get(crds(), '', 'widgets.example.com');
    expect((crd.status as { conditions: { type: string; status: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
  });

  it('stop serving, and drop their objects, when the CRD is deleted', () => {
    api.create(crds(), '', newCrd({ plural: 'widgets', kind: 'Widget', group: 'example.com' }));
    api.create(typeOf(api, 'example.com', 'v1', 'widgets'), 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
    api.delete(crds(), '', 'widgets.example.com');
    expect(api.registry.lookup('example.com', 'v1', 'widgets')).toBeUndefined();
    expect(api.store.count('example.com/widgets')).toBe(0);
  });

  it('reject a CRD whose name is not <plural>.<group>', () => {
    const bad = newCrd({ plural: 'widgets', kind: 'Widget', group: 'example.com' });
    (bad.metadata as JsonObject).name = 'wrong.example.com';
    expect(statusOf(() => api.create(crds(), '', bad)).code).toBe(422);
  });
});

describe('services', () => {
  const svc = () => typeOf(api, '', 'v1', 'services');
  const newService = (name: string, type: string, port: JsonObject = { port: 80 }): JsonObject => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, selector: { app: name }, ports: [port] },
  });
  const ports = (o: JsonObject) => spec(o).ports as JsonObject[];
  /** the live object as a client would send it back, with the allocated values left out */
  const withoutAllocations = (live: JsonObject, type: string): JsonObject => {
    const next = structuredClone(live);
    Object.assign(spec(next), { type, clusterIP: undefined, clusterIPs: undefined });
    for (const p of ports(next)) delete p.nodePort;
    return next;
  };

  it('drops node ports when the type changes to ClusterIP, whether the update omits them or not', () => {
    const lb = api.create(svc(), 'default', newService('lb', 'LoadBalancer'));
    expect(ports(lb)[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    const after = api.update(svc(), 'default', 'lb', withoutAllocations(lb, 'ClusterIP'));
    expect(spec(after).type).toBe('ClusterIP');
    expect(ports(after)[0]?.nodePort).toBeUndefined();

    const np = api.create(svc(), 'default', newService('np', 'NodePort'));
    const edited = api.update(svc(), 'default', 'np', { ...np, spec: { ...spec(np), type: 'ClusterIP' } });
    expect(ports(edited)[0]?.nodePort).toBeUndefined();
  });

  it('keeps the allocated node port and cluster IP on an update that omits them', () => {
    const np = api.create(svc(), 'default', newService('np', 'NodePort', { name: 'http', port: 80 }));
    const next = withoutAllocations(np, 'NodePort');
    ports(next)[0]!.port = 8080;
    const after = api.update(svc(), 'default', 'np', next);
    expect(ports(after)[0]).toMatchObject({ port: 8080, nodePort: ports(np)[0]?.nodePort });
    expect(spec(after).clusterIP).toBe(spec(np).clusterIP);
    expect(spec(after).clusterIPs).toEqual(spec(np).clusterIPs);
  });

  it('keeps the cluster IP across a type change and allocates node ports for the new type', () => {
    const ci = api.create(svc(), 'default', newService('ci', 'ClusterIP'));
    const after = api.update(svc(), 'default', 'ci', withoutAllocations(ci, 'NodePort'));
    expect(spec(after).clusterIP).toBe(spec(ci).clusterIP);
    expect(ports(after)[0]?.nodePort).toBeGreaterThanOrEqual(30000);
  });
});
