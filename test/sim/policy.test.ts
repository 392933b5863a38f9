import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { budgetStatus } from '../../src/sim/disruption.ts';
import { StatusError } from '../../src/sim/errors.ts';
import { evictPod } from '../../src/sim/eviction.ts';
import { quotaUsed } from '../../src/sim/quota.ts';
import { answerReview } from '../../src/sim/reviews.ts';
import { typeOf } from '../support/sim.ts';

const readyPod = (name: string, labels: Record<string, string>, extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25', ...extra }] },
});

function refusal(f: () => unknown): StatusError {
  try {
    f();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('PodDisruptionBudget arithmetic', () => {
  const pdb = (spec: JsonObject): JsonObject => ({ metadata: { name: 'b', generation: 1 }, spec: { selector: { matchLabels: { app: 'a' } }, ...spec } });
  const pod = (name: string, ready: boolean): JsonObject => ({
    metadata: { name, labels: { app: 'a' } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pods = [pod('p1', true), pod('p2', true), pod('p3', false)];
  const scale = () => ({ key: 'Deployment/a', replicas: 4 });

  it.each<{ name: string; spec: JsonObject; want: JsonObject }>([
    { name: 'minAvailable as a number counts the selected pods', spec: { minAvailable: 1 }, want: { expectedPods: 3, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 } },
    { name: 'minAvailable as a percentage of the controller scale, rounded up', spec: { minAvailable: '50%' }, want: { expectedPods: 4, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 } },
    { name: 'maxUnavailable against the controller scale', spec: { maxUnavailable: 1 }, want: { expectedPods: 4, desiredHealthy: 3, currentHealthy: 2, disruptionsAllowed: 0 } },
    { name: 'maxUnavailable as a percentage, rounded up', spec: { maxUnavailable: '60%' }, want: { expectedPods: 4, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 } },
  ])('$name', ({ spec, want }) => {
    expect(budgetStatus(pdb(spec), pods, {}, scale)).toEqual(want);
  });

  it('a pod just evicted no longer counts as healthy', () => {
    expect(budgetStatus(pdb({ minAvailable: 1 }), pods, { p1: '2026-01-01T00:00:00Z' }, scale).currentHealthy).toBe(1);
  });
});

describe('evictions', () => {
  function setup(): { api: SimApiServer; pods: ReturnType<typeof typeOf> } {
    const api = new SimApiServer();
    const pods = typeOf(api, '', 'v1', 'pods');
    for (const name of ['a', 'b']) {
      const created = api.create(pods, 'default', readyPod(name, { app: 'web' }));
      api.update(pods, 'default', name, { ...created, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, {}, 'status');
    }
    return { api, pods };
  }
  const budget = (api: SimApiServer, status: JsonObject) => {
    const pdbs = typeOf(api, 'policy', 'v1', 'poddisruptionbudgets');
    const created = api.create(pdbs, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
    api.update(pdbs, 'default', 'web', { ...created, status: { observedGeneration: 1, ...status } }, {}, 'status');
  };

  it('deletes a pod no budget covers', () => {
    const { api, pods } = setup();
    expect(evictPod(api, 'default', 'a', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'a' } }, false)).toMatchObject({ status: 'Success', code: 201 });
    expect(() => api.get(pods, 'default', 'a')).toThrow(/not found/);
  });

  it('takes a disruption from the budget, then refuses with 429 while none is left', () => {
    const { api, pods } = setup();
    budget(api, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    evictPod(api, 'default', 'a', {}, false);
    const pdb = api.get(typeOf(api, 'policy', 'v1', 'poddisruptionbudgets'), 'default', 'web');
    expect(pdb.status).toMatchObject({ disruptionsAllowed: 0, disruptedPods: { a: expect.any(String) } });
    const refused = refusal(() => evictPod(api, 'default', 'b', {}, false));
    expect(refused.code).toBe(429);
    expect(refused.toStatus()).toMatchObject({
      reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 2 currently' }] },
    });
    expect(api.get(pods, 'default', 'b')).toBeDefined();
  });

  it('waits for the controller to observe a changed budget', () => {
    const { api } = setup();
    budget(api, { disruptionsAllowed: 1 });
    const pdbs = typeOf(api, 'policy', 'v1', 'poddisruptionbudgets');
    api.patch(pdbs, 'default', 'web', 'merge', { spec: { minAvailable: 2 } });
    expect(refusal(() => evictPod(api, 'default', 'a', {}, false)).toStatus()).toMatchObject({
      details: { causes: [{ message: 'The disruption budget web is still being processed by the server.' }] },
    });
  });
});

describe('ResourceQuota', () => {
  const quota = (hard: JsonObject): JsonObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard } });

  it('counts usage and refuses a create that would go over, in the API server words', () => {
    const api = new SimApiServer();
    const pods = typeOf(api, '', 'v1', 'pods');
    const q = api.create(typeOf(api, '', 'v1', 'resourcequotas'), 'default', quota({ pods: '2', 'requests.cpu': '1' }));
    api.create(pods, 'default', readyPod('a', {}, { resources: { requests: { cpu: '600m' } } }));
    expect(quotaUsed(api.store, q)).toEqual({ pods: '1', 'requests.cpu': '600m' });
    expect(refusal(() => api.create(pods, 'default', readyPod('b', {}, { resources: { requests: { cpu: '500m' } } }))).toStatus()).toMatchObject({
      code: 403, reason: 'Forbidden', message: 'exceeded quota: q, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1',
    });
    expect(refusal(() => api.create(pods, 'default', readyPod('c', {}))).message).toBe('failed quota: q: must specify requests.cpu');
  });

  it('counts objects of any kind by count/<resource>.<group>', () => {
    const api = new SimApiServer();
    api.create(typeOf(api, '', 'v1', 'resourcequotas'), 'default', quota({ 'count/configmaps': '1' }));
    const configMaps = typeOf(api, '', 'v1', 'configmaps');
    api.create(configMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } });
    expect(refusal(() => api.create(configMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two' } })).message)
      .toBe('exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1');
  });
});

describe('reviews', () => {
  it('answers an access review allowed, keeping the request', () => {
    const api = new SimApiServer();
    const rt = typeOf(api, 'authorization.k8s.io', 'v1', 'selfsubjectaccessreviews');
    const spec = { resourceAttributes: { verb: 'delete', resource: 'nodes' } };
    expect(answerReview(rt, { spec }, 'authorization.k8s.io/v1')).toMatchObject({ kind: 'SelfSubjectAccessReview', spec, status: { allowed: true } });
  });
});
