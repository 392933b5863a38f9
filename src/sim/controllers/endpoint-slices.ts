import { isJsonObject, jsonEqual, type JsonObject } from '../../json.ts';
import { deletionTimestampOf, labelsOf, nameOf, namespaceOf, uidOf } from '../object-meta.ts';
import { matchesLabels } from '../selectors.ts';
import type { StoreEvent } from '../store.ts';
import { HEADLESS_SERVICE_LABEL, resolveTargetPort, serviceSelector, servicesSelecting } from './endpoints.ts';
import { isPodReady, ownerReferenceTo, podPhase } from './pods.ts';
import { keyOf, keysOf, splitKey, type Controller, type ControllerContext } from './types.ts';

const NAME = 'endpointslice-controller';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

/**
 * The EndpointSlice controller (pkg/controller/endpointslice), beside the Endpoints one: for
 * every Service with a selector, IPv4 slices named `<service>-<suffix>`, owned by the
 * Service, one per set of resolved ports, listing the selected pods that have an IP with
 * their ready / serving / terminating conditions. Simplified: no 100-endpoint split, no
 * topology hints or zones.
 */
export function createEndpointSliceController(ctx: ControllerContext): Controller {
  const { api } = ctx;
  const slicesType = api.registry.lookup('discovery.k8s.io', 'v1', 'endpointslices')!;

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === '/services') return [keyOf(e.namespace, nameOf(e.object))];
    if (e.resource === 'discovery.k8s.io/endpointslices') {
      const service = labelsOf(e.object)[SERVICE_NAME_LABEL];
      return service && labelsOf(e.object)[MANAGED_BY_LABEL] === MANAGED_BY ? [keyOf(e.namespace, service)] : [];
    }
    return e.resource === '/pods' ? servicesSelecting(api, e) : [];
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const service = api.store.get('/services', namespace, name);
    const existing = api.store.list('discovery.k8s.io/endpointslices', namespace).filter((s) => labelsOf(s)[SERVICE_NAME_LABEL] === name && labelsOf(s)[MANAGED_BY_LABEL] === MANAGED_BY);
    const selector = service && !deletionTimestampOf(service) ? serviceSelector(service) : undefined;
    // a Service that is gone takes its slices with it (owner references); one without a selector has none of ours
    const desired = service && selector ? desiredSlices(service, api.store.list('/pods', namespace).filter((p) => matchesLabels(selector, labelsOf(p)))) : [];
    const unused = [...existing];
    for (const want of desired) {
      const match = unused.findIndex((s) => jsonEqual(s.ports ?? [], want.ports));
      const current = match >= 0 ? unused.splice(match, 1)[0]! : undefined;
      if (!current) {
        api.create(slicesType, namespace, want, { fieldManager: NAME });
      } else if (!jsonEqual(current.endpoints ?? [], want.endpoints) || !jsonEqual(labelsOf(current), (want.metadata as JsonObject).labels)) {
        api.update(slicesType, namespace, nameOf(current), { ...current, metadata: { ...(current.metadata as JsonObject), labels: (want.metadata as JsonObject).labels ?? {} }, endpoints: want.endpoints ?? [] }, { fieldManager: NAME });
      }
    }
    for (const extra of unused) api.delete(slicesType, namespace, nameOf(extra));
  }

  return { name: NAME, keysFor, reconcile, initialKeys: () => keysOf(api.store.list('/services')) };
}

/** The slices a Service should have: one per distinct set of ports its pods resolve to. */
export function desiredSlices(service: JsonObject, pods: readonly JsonObject[]): JsonObject[] {
  const spec = isJsonObject(service.spec) ? service.spec : {};
  const servicePorts = Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : [];
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const groups = new Map<string, { ports: JsonObject[]; endpoints: JsonObject[] }>();
  for (const pod of pods) {
    const status = isJsonObject(pod.status) ? pod.status : {};
    const phase = podPhase(pod);
    if (typeof status.podIP !== 'string' || status.podIP === '' || phase === 'Succeeded' || phase === 'Failed') continue;
    const ports = servicePorts.flatMap((sp) => {
      const port = resolveTargetPort(pod, sp);
      return port === undefined ? [] : [{ name: typeof sp.name === 'string' ? sp.name : '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) }];
    });
    const group = groups.get(JSON.stringify(ports)) ?? { ports, endpoints: [] as JsonObject[] };
    group.endpoints.push(endpointOf(pod, nameOf(service), publishNotReady));
    groups.set(JSON.stringify(ports), group);
  }
  const labels: JsonObject = {
    ...labelsOf(service),
    [SERVICE_NAME_LABEL]: nameOf(service),
    [MANAGED_BY_LABEL]: MANAGED_BY,
    ...(spec.clusterIP === 'None' ? { [HEADLESS_SERVICE_LABEL]: '' } : {}),
  };
  // a Service whose pods are all gone still has one, empty, slice
  const entries = groups.size > 0 ? [...groups.values()] : [{ ports: [] as JsonObject[], endpoints: [] as JsonObject[] }];
  return entries.map((g) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { generateName: `${nameOf(service)}-`, namespace: namespaceOf(service), labels, ownerReferences: [ownerReferenceTo(service)] },
    addressType: 'IPv4',
    endpoints: g.endpoints.sort((a, b) => String((a.addresses as string[])[0]).localeCompare(String((b.addresses as string[])[0]), 'en', { numeric: true })),
    ports: g.ports,
  }));
}

function endpointOf(pod: JsonObject, serviceName: string, publishNotReady: boolean): JsonObject {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const status = isJsonObject(pod.status) ? pod.status : {};
  const terminating = deletionTimestampOf(pod) !== undefined;
  const ready = isPodReady(pod);
  const hostname = typeof spec.hostname === 'string' && spec.subdomain === serviceName ? spec.hostname : undefined;
  return {
    addresses: [String(status.podIP)],
    conditions: { ready: publishNotReady || (ready && !terminating), serving: publishNotReady || ready, terminating },
    ...(hostname ? { hostname } : {}),
    ...(typeof spec.nodeName === 'string' && spec.nodeName ? { nodeName: spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: namespaceOf(pod), name: nameOf(pod), uid: uidOf(pod) },
  };
}
