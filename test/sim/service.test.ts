import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { rfc3339, VirtualClock, type SchedulingClock } from '../../src/sim/clock.ts';
import { createEndpointSliceController } from '../../src/sim/controllers/endpoint-slices.ts';
import { createEndpointsController, endpointSubsets, HEADLESS_SERVICE_LABEL } from '../../src/sim/controllers/endpoints.ts';
import { EventRecorder } from '../../src/sim/controllers/events.ts';
import { allocateAddress, createLoadBalancerController, LOAD_BALANCER_FINALIZER } from '../../src/sim/controllers/load-balancer.ts';
import { ControllerManager } from '../../src/sim/controllers/manager.ts';
import { metadataOf, nameOf, namespaceOf } from '../../src/sim/object-meta.ts';
import { typeOf } from '../support/sim.ts';

const NOT_READY = 'test.sluice.dev/not-ready';

/**
 * TEST DOUBLE for the kubelet's network side (the real kubelet is another component): 1 s
 * after a pod is created it is Running with its own IP (10.244.1.<n>, in creation order)
 * and Ready, unless it carries the `not-ready` annotation. setReady flips readiness later.
 */
function fakeNetworkKubelet(api: SimApiServer, clock: SchedulingClock): { stop: () => void; setReady: (name: string, ready: boolean) => void } {
  const pods = typeOf(api, '', 'v1', 'pods');
  let next = 1;
  const write = (namespace: string, name: string, patch: (status: JsonObject, now: string) => JsonObject) => {
    const live = api.store.get('/pods', namespace, name);
    if (!live) return;
    api.update(pods, namespace, name, { ...live, status: patch((live.status ?? {}) as JsonObject, rfc3339(clock.now())) }, { fieldManager: 'fake-kubelet' }, 'status');
  };
  const readyStatus = (status: JsonObject, ready: boolean, now: string): JsonObject => ({
    ...status, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
  });
  const stop = api.store.subscribe((e) => {
    if (e.resource !== '/pods' || e.type !== 'ADDED') return;
    const [namespace, name, ip] = [namespaceOf(e.object), nameOf(e.object), `10.244.1.${next++}`];
    const ready = !(metadataOf(e.object).annotations as Record<string, string> | undefined)?.[NOT_READY];
    clock.setTimer(1_000, () => write(namespace, name, (s, now) => readyStatus({ ...s, phase: 'Running', podIP: ip, podIPs: [{ ip }] }, ready, now)));
  });
  return { stop, setReady: (name, ready) => write('default', name, (s, now) => readyStatus(s, ready, now)) };
}

let clock: VirtualClock;
let api: SimApiServer;
let manager: ControllerManager;
let kubelet: ReturnType<typeof fakeNetworkKubelet>;

beforeEach(() => {
  clock = new VirtualClock(new Date('2026-01-01T00:00:00Z'));
  api = new SimApiServer({ clock });
  const ctx = { api, clock, events: new EventRecorder(api, clock) };
  manager = new ControllerManager(ctx, [createEndpointsController(ctx), createEndpointSliceController(ctx), createLoadBalancerController(ctx)]);
  manager.start();
  kubelet = fakeNetworkKubelet(api, clock);
  return () => {
    kubelet.stop();
    manager.stop();
  };
});

const services = () => typeOf(api, '', 'v1', 'services');
const podType = () => typeOf(api, '', 'v1', 'pods');
const endpointsType = () => typeOf(api, '', 'v1', 'endpoints');
const endpoints = (name = 'web') => api.store.get('/endpoints', 'default', name);
const subsets = (name = 'web') => (endpoints(name)?.subsets ?? []) as { addresses?: { targetRef: { name: string } }[]; notReadyAddresses?: { targetRef: { name: string } }[] }[];
const ready = (name = 'web') => subsets(name).flatMap((s) => s.addresses ?? []).map((a) => a.targetRef.name).sort();
const notReady = (name = 'web') => subsets(name).flatMap((s) => s.notReadyAddresses ?? []).map((a) => a.targetRef.name).sort();
const eventsOf = (reason: string) => api.store.list('/events', 'default').filter((e) => e.reason === reason);
const lbStatus = (name: string) => ((api.get(services(), 'default', name).status ?? {}) as { loadBalancer?: JsonObject }).loadBalancer;

function newPod(name: string, labels: Record<string, string>, options: { notReady?: boolean; ports?: JsonObject[] } = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, ...(options.notReady ? { annotations: { [NOT_READY]: 'true' } } : {}) },
    spec: { nodeName: 'sim-node-1', containers: [{ name: 'app', image: 'nginx:1.27', ports: options.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
  };
}

function newService(name: string, spec: JsonObject): JsonObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { team: 'web' } }, spec };
}

const webService = newService('web', {
  selector: { app: 'web' },
  ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }],
});

describe('EndpointSlice controller', () => {
  const slices = () => api.store.list('discovery.k8s.io/endpointslices', 'default');

  it('keeps one IPv4 slice per Service beside its Endpoints, owned by the Service, with pod conditions', async () => {
    const service = api.create(services(), 'default', webService);
    api.create(podType(), 'default', newPod('web-1', { app: 'web' }));
    api.create(podType(), 'default', newPod('web-2', { app: 'web' }, { notReady: true }));
    await manager.advance(clock, 1_500);
    expect(slices()).toHaveLength(1);
    const [slice] = slices();
    expect(slice).toMatchObject({
      metadata: {
        labels: { team: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ownerReferences: [{ kind: 'Service', name: 'web', uid: metadataOf(service).uid, controller: true }],
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.1.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'sim-node-1', targetRef: { kind: 'Pod', name: 'web-1' } },
        { addresses: ['10.244.1.2'], conditions: { ready: false, serving: false, terminating: false }, targetRef: { kind: 'Pod', name: 'web-2' } },
      ],
    });
    expect(String(metadataOf(slice!).name)).toMatch(/^web-[a-z0-9]{5}$/);

    api.delete(podType(), 'default', 'web-2');
    await manager.advance(clock, 1);
    expect(slices().map((s) => (s.endpoints as JsonObject[]).length)).toEqual([1]);
    api.create(services(), 'default', newService('external', { ports: [{ port: 5432 }] }));
    await manager.advance(clock, 1);
    expect(slices().map((s) => metadataOf(s).labels)).toEqual([expect.objectContaining({ 'kubernetes.io/service-name': 'web' })]);
  });
});

describe('Endpoints controller', () => {
  it('lists ready pods in addresses and the others in notReadyAddresses, with ports resolved', async () => {
    api.create(services(), 'default', webService);
    api.create(podType(), 'default', newPod('web-1', { app: 'web' }));
    api.create(podType(), 'default', newPod('web-2', { app: 'web' }, { notReady: true }));
    api.create(podType(), 'default', newPod('db-1', { app: 'db' }));
    await manager.advance(clock, 500);
    expect(endpoints()).toMatchObject({ metadata: { labels: { team: 'web' } } });
    expect(endpoints()).not.toHaveProperty('subsets'); // no pod has an IP yet
    await manager.advance(clock, 1_000);
    expect(endpoints()?.subsets).toEqual([{
      addresses: [{ ip: '10.244.1.1', nodeName: 'sim-node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: metadataOf(api.get(podType(), 'default', 'web-1')).uid } }],
      notReadyAddresses: [expect.objectContaining({ ip: '10.244.1.2', targetRef: expect.objectContaining({ name: 'web-2' }) })],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }],
    }]);
    expect(endpoints()?.metadata).not.toHaveProperty('ownerReferences');
  });

  it('follows readiness, labels, deletions and selector changes', async () => {
    api.create(services(), 'default', webService);
    for (const name of ['web-1', 'web-2', 'web-3']) api.create(podType(), 'default', newPod(name, { app: 'web' }));
    await manager.advance(clock, 2_000);
    expect(ready()).toEqual(['web-1', 'web-2', 'web-3']);

    kubelet.setReady('web-2', false);
    await manager.advance(clock, 1);
    expect([ready(), notReady()]).toEqual([['web-1', 'web-3'], ['web-2']]);

    api.patch(podType(), 'default', 'web-3', 'merge', { metadata: { labels: { app: 'canary' } } });
    await manager.advance(clock, 1);
    expect(ready()).toEqual(['web-1']);

    // a terminating pod (held here by a finalizer) leaves at once
    api.patch(podType(), 'default', 'web-1', 'merge', { metadata: { finalizers: ['test.sluice.dev/hold'] } });
    api.delete(podType(), 'default', 'web-1');
    await manager.advance(clock, 1);
    expect([ready(), notReady()]).toEqual([[], ['web-2']]);

    api.patch(services(), 'default', 'web', 'merge', { spec: { selector: { app: 'canary' } } });
    await manager.advance(clock, 1);
    expect([ready(), notReady()]).toEqual([['web-3'], []]);
  });

  it('deletes the Endpoints with the Service, and recreates them if someone deletes them', async () => {
    api.create(services(), 'default', webService);
    api.create(podType(), 'default', newPod('web-1', { app: 'web' }));
    await manager.advance(clock, 2_000);
    api.delete(endpointsType(), 'default', 'web');
    await manager.advance(clock, 1);
    expect(ready()).toEqual(['web-1']);
    api.delete(services(), 'default', 'web');
    await manager.advance(clock, 1);
    expect(endpoints()).toBeUndefined();
  });

  it('leaves the Endpoints of a Service without selector to their owner', async () => {
    api.create(services(), 'default', newService('external', { ports: [{ port: 5432 }] }));
    api.create(endpointsType(), 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external' }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432 }] }] });
    await manager.advance(clock, 1_000);
    expect(endpoints('external')?.subsets).toEqual([{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    expect(endpoints('kubernetes')).toBeUndefined();
  });

  it('marks headless Services and publishes hostnames of pods in their subdomain', async () => {
    api.create(services(), 'default', newService('db', { clusterIP: 'None', selector: { app: 'db' } }));
    const pod = newPod('db-0', { app: 'db' });
    Object.assign(pod.spec as JsonObject, { hostname: 'db-0', subdomain: 'db' });
    api.create(podType(), 'default', pod);
    await manager.advance(clock, 2_000);
    expect(endpoints('db')?.metadata).toMatchObject({ labels: { team: 'web', [HEADLESS_SERVICE_LABEL]: '' } });
    expect(endpoints('db')?.subsets).toEqual([{ addresses: [expect.objectContaining({ ip: '10.244.1.1', hostname: 'db-0' })] }]);
  });
});

describe('endpointSubsets', () => {
  const running = (name: string, ip: string, ports: JsonObject[], extra: JsonObject = {}): JsonObject => ({
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...extra },
    spec: { containers: [{ name: 'app', ports }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const http = [{ name: 'http', containerPort: 8080 }];
  const names = (ss: JsonObject[]) => ss.map((s) => ({
    ready: ((s.addresses ?? []) as { targetRef: { name: string } }[]).map((a) => a.targetRef.name),
    ports: ((s.ports ?? []) as { port: number }[]).map((p) => p.port),
  }));

  it.each([
    {
      name: 'pods serving different ports land in different subsets',
      service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } as JsonObject,
      pods: [running('a', '10.0.0.2', http), running('b', '10.0.0.1', [{ name: 'http', containerPort: 9000 }])],
      want: [{ ready: ['a'], ports: [8080] }, { ready: ['b'], ports: [9000] }],
    },
    {
      name: 'a pod without the named port is left out',
      service: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } as JsonObject,
      pods: [running('a', '10.0.0.2', http), running('b', '10.0.0.1', [{ name: 'web', containerPort: 80 }])],
      want: [{ ready: ['a'], ports: [8080] }],
    },
    {
      name: 'addresses sorted by IP, numerically',
      service: { ports: [{ port: 80, targetPort: 8080 }] } as JsonObject,
      pods: [running('a', '10.0.0.10', http), running('b', '10.0.0.9', http)],
      want: [{ ready: ['b', 'a'], ports: [8080] }],
    },
    {
      name: 'finished and IP-less pods are left out',
      service: { ports: [{ port: 80, targetPort: 8080 }] } as JsonObject,
      pods: [{ ...running('a', '10.0.0.1', http), status: { phase: 'Succeeded', podIP: '10.0.0.1' } }, { ...running('b', '', http) }],
      want: [],
    },
    {
      name: 'publishNotReadyAddresses keeps terminating and unready pods as ready',
      service: { publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 8080 }] } as JsonObject,
      pods: [{ ...running('a', '10.0.0.1', http, { deletionTimestamp: '2026-01-01T00:00:00Z' }), status: { phase: 'Running', podIP: '10.0.0.1' } }],
      want: [{ ready: ['a'], ports: [8080] }],
    },
  ])('$name', ({ service, pods, want }) => {
    expect(names(endpointSubsets({ metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ...service } }, pods))).toEqual(want);
  });
});

describe('LoadBalancer controller', () => {
  const lbService = (name: string, extra: JsonObject = {}) => newService(name, { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], ...extra });

  it('gives a LoadBalancer Service an address after the delay, with events and the cleanup finalizer', async () => {
    api.create(services(), 'default', lbService('web'));
    api.create(services(), 'default', newService('internal', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    await manager.advance(clock, 1_999);
    expect(lbStatus('web')).toBeUndefined();
    expect(eventsOf('EnsuringLoadBalancer').map((e) => [(e.involvedObject as JsonObject).name, e.message])).toEqual([['web', 'Ensuring load balancer']]);
    expect(metadataOf(api.get(services(), 'default', 'web')).finalizers).toEqual([LOAD_BALANCER_FINALIZER]);
    await manager.advance(clock, 1);
    expect(lbStatus('web')).toEqual({ ingress: [{ ip: '172.18.255.1', ipMode: 'VIP' }] });
    expect(eventsOf('EnsuredLoadBalancer')).toHaveLength(1);
    expect(lbStatus('internal')).toBeUndefined();

    api.create(services(), 'default', lbService('api'));
    await manager.advance(clock, 2_000);
    expect(lbStatus('api')).toEqual({ ingress: [{ ip: '172.18.255.2', ipMode: 'VIP' }] });
  });

  it('releases the load balancer when the type changes away, and on deletion', async () => {
    api.create(services(), 'default', lbService('web'));
    api.create(services(), 'default', lbService('api'));
    await manager.advance(clock, 2_000);
    // NodePort: the sim's API server keeps allocated nodePorts, so it refuses a switch to ClusterIP
    api.patch(services(), 'default', 'web', 'merge', { spec: { type: 'NodePort' } });
    await manager.advance(clock, 1);
    expect(lbStatus('web')).toEqual({});
    expect(metadataOf(api.get(services(), 'default', 'web')).finalizers).toBeUndefined();
    expect(eventsOf('DeletedLoadBalancer')).toHaveLength(1);

    api.delete(services(), 'default', 'api');
    await manager.advance(clock, 1);
    expect(api.store.get('/services', 'default', 'api')).toBeUndefined();
    expect(endpoints('api')).toBeUndefined();
  });

  it('ignores Services of another loadBalancerClass', async () => {
    api.create(services(), 'default', lbService('web', { loadBalancerClass: 'example.com/other' }));
    await manager.advance(clock, 5_000);
    expect(lbStatus('web')).toBeUndefined();
    expect(metadataOf(api.get(services(), 'default', 'web')).finalizers).toBeUndefined();
  });

  it('takes delayMs from its options', async () => {
    manager.stop();
    const ctx = { api, clock, events: new EventRecorder(api, clock) };
    manager = new ControllerManager(ctx, [createLoadBalancerController(ctx, { delayMs: 500 })]);
    manager.start();
    api.create(services(), 'default', lbService('web'));
    await manager.advance(clock, 500);
    expect(lbStatus('web')).toEqual({ ingress: [{ ip: '172.18.255.1', ipMode: 'VIP' }] });
  });

  it('gives an Ingress an address after the delay', async () => {
    const ingresses = typeOf(api, 'networking.k8s.io', 'v1', 'ingresses');
    api.create(services(), 'default', lbService('web'));
    api.create(ingresses, 'default', {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' },
      spec: { rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    });
    await manager.advance(clock, 1_000);
    expect(api.get(ingresses, 'default', 'web').status).toBeUndefined();
    await manager.advance(clock, 1_000);
    expect(api.get(ingresses, 'default', 'web').status).toEqual({ loadBalancer: { ingress: [{ ip: '172.18.255.2' }] } });
  });
});

describe('allocateAddress', () => {
  it.each([
    { name: 'lowest free', used: ['172.18.255.1', '172.18.255.3'], requested: undefined, want: '172.18.255.2' },
    { name: 'the requested one when free', used: ['172.18.255.1'], requested: '172.18.255.42', want: '172.18.255.42' },
    { name: 'not a taken one', used: ['172.18.255.1', '172.18.255.42'], requested: '172.18.255.42', want: '172.18.255.2' },
    { name: 'not one outside the pool', used: [], requested: '10.0.0.1', want: '172.18.255.1' },
    { name: 'none when the pool is used up', used: Array.from({ length: 254 }, (_, i) => `172.18.255.${i + 1}`), requested: undefined, want: undefined },
  ])('$name', ({ used, requested, want }) => {
    expect(allocateAddress(new Set(used), requested)).toBe(want);
  });
});
