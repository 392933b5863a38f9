import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { deletionTimestampOf, labelsOf, nameOf, namespaceOf, uidOf } from '../object-meta.ts';
import { matchesLabels, type LabelRequirement } from '../selectors.ts';
import type { StoreEvent } from '../store.ts';
import { isPodReady, podPhase } from './pods.ts';
import { keyOf, splitKey, type Controller, type ControllerContext, keysOf } from './types.ts';

const NAME = 'endpoint-controller';
export const HEADLESS_SERVICE_LABEL = 'service.kubernetes.io/headless';

/**
 * The Endpoints controller (pkg/controller/endpoint): for every Service with a selector, an
 * Endpoints object of the same name listing the selected pods — ready ones in addresses, the
 * others in notReadyAddresses — with each service port resolved against the pod's
 * containers. Endpoints carry no owner reference; the controller deletes them with the Service.
 */
export function createEndpointsController(ctx: ControllerContext): Controller {
  const { api } = ctx;
  const endpointsType = api.registry.lookup('', 'v1', 'endpoints')!;

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === '/services' || e.resource === '/endpoints') return [keyOf(e.namespace, nameOf(e.object))];
    return e.resource === '/pods' ? servicesSelecting(api, e) : [];
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const service = api.store.get('/services', namespace, name);
    const existing = api.store.get('/endpoints', namespace, name);
    if (!service) {
      if (existing) api.delete(endpointsType, namespace, name);
      return;
    }
    const selector = serviceSelector(service);
    if (!selector) return; // Endpoints of a selector-less Service belong to whoever wrote them
    const pods = api.store.list('/pods', namespace).filter((p) => matchesLabels(selector, labelsOf(p)));
    const desired = endpointsFor(service, pods);
    if (!existing) {
      api.create(endpointsType, namespace, desired, { fieldManager: NAME });
      return;
    }
    const meta = isJsonObject(existing.metadata) ? existing.metadata : {};
    const want = isJsonObject(desired.metadata) ? desired.metadata : {};
    if (jsonEqual(existing.subsets, desired.subsets) && jsonEqual(meta.labels, want.labels)) return;
    const next: JsonObject = { ...existing, metadata: { ...meta, labels: want.labels ?? {} } };
    if (desired.subsets === undefined) delete next.subsets;
    else next.subsets = desired.subsets;
    api.update(endpointsType, namespace, name, next, { fieldManager: NAME });
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => keysOf(api.store.list('/services')),
  };
}

/** spec.selector as requirements; undefined when absent or empty (an empty map does not survive storage in Kubernetes). */
export function serviceSelector(service: JsonObject): LabelRequirement[] | undefined {
  const spec = isJsonObject(service.spec) ? service.spec : {};
  if (!isJsonObject(spec.selector)) return undefined;
  const reqs = Object.entries(spec.selector).map(([key, value]): LabelRequirement => ({ key, operator: 'Equals', values: [String(value)] }));
  return reqs.length > 0 ? reqs : undefined;
}

/** The Endpoints object a Service should have: its labels (plus the headless marker) and the repacked subsets. */
export function endpointsFor(service: JsonObject, pods: readonly JsonObject[]): JsonObject {
  const spec = isJsonObject(service.spec) ? service.spec : {};
  const labels: JsonObject = { ...labelsOf(service), ...(spec.clusterIP === 'None' ? { [HEADLESS_SERVICE_LABEL]: '' } : {}) };
  const subsets = endpointSubsets(service, pods);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: nameOf(service), namespace: namespaceOf(service), labels },
    ...(subsets.length > 0 ? { subsets } : {}),
  };
}

/**
 * Subsets as RepackSubsets leaves them: pods grouped by the ports they serve, addresses
 * sorted by IP. Pods without an IP, finished, or terminating (unless the Service publishes
 * not-ready addresses) are left out, as are pods serving none of the Service's ports.
 */
export function endpointSubsets(service: JsonObject, pods: readonly JsonObject[]): JsonObject[] {
  const spec = isJsonObject(service.spec) ? service.spec : {};
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const servicePorts = Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : [];
  const groups = new Map<string, { ports: JsonObject[]; ready: JsonObject[]; notReady: JsonObject[] }>();
  for (const pod of pods) {
    if (!shouldBeInEndpoints(pod, publishNotReady)) continue;
    const ports = servicePorts.flatMap((sp) => {
      const port = resolveTargetPort(pod, sp);
      return port === undefined ? [] : [endpointPort(sp, port)];
    });
    if (ports.length === 0 && (servicePorts.length > 0 || spec.clusterIP !== 'None')) continue;
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, ready: [], notReady: [] };
    (isPodReady(pod) || publishNotReady ? group.ready : group.notReady).push(endpointAddress(pod, nameOf(service)));
    groups.set(key, group);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => ({
      ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    }));
}

function shouldBeInEndpoints(pod: JsonObject, includeTerminating: boolean): boolean {
  const status = isJsonObject(pod.status) ? pod.status : {};
  if (typeof status.podIP !== 'string' || status.podIP === '') return false;
  if (!includeTerminating && deletionTimestampOf(pod) !== undefined) return false;
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** FindPort: a numeric targetPort as is; a named one from the pod's container ports of the same protocol. */
export function resolveTargetPort(pod: JsonObject, servicePort: JsonObject): number | undefined {
  const target: JsonValue | undefined = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  const protocol = servicePort.protocol ?? 'TCP';
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  for (const c of Array.isArray(spec.containers) ? spec.containers.filter(isJsonObject) : []) {
    for (const p of Array.isArray(c.ports) ? c.ports.filter(isJsonObject) : []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol && typeof p.containerPort === 'number') return p.containerPort;
    }
  }
  return undefined;
}

function endpointPort(servicePort: JsonObject, port: number): JsonObject {
  return {
    ...(typeof servicePort.name === 'string' && servicePort.name ? { name: servicePort.name } : {}),
    port,
    protocol: servicePort.protocol ?? 'TCP',
    ...(servicePort.appProtocol !== undefined ? { appProtocol: servicePort.appProtocol } : {}),
  };
}

function endpointAddress(pod: JsonObject, serviceName: string): JsonObject {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const status = isJsonObject(pod.status) ? pod.status : {};
  // a pod in the Service's subdomain is addressable by its hostname
  const hostname = typeof spec.hostname === 'string' && spec.subdomain === serviceName ? spec.hostname : undefined;
  return {
    ip: String(status.podIP),
    ...(hostname ? { hostname } : {}),
    ...(typeof spec.nodeName === 'string' && spec.nodeName ? { nodeName: spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: namespaceOf(pod), name: nameOf(pod), uid: uidOf(pod) },
  };
}

function byIp(a: JsonObject, b: JsonObject): number {
  const key = (o: JsonObject) => String(o.ip).split('.').map((n) => n.padStart(3, '0')).join('.');
  return key(a).localeCompare(key(b)) || String((a.targetRef as JsonObject).uid).localeCompare(String((b.targetRef as JsonObject).uid));
}

/** Keys of the Services whose selector matches a pod event's pod, as it is or as it was (its labels may have moved). */
export function servicesSelecting(api: ControllerContext['api'], e: StoreEvent): string[] {
  const labels = [e.object, e.previous].flatMap((p) => (p ? [labelsOf(p)] : []));
  return api.store
    .list('/services', e.namespace)
    .filter((svc) => {
      const selector = serviceSelector(svc);
      return selector !== undefined && labels.some((l) => matchesLabels(selector, l));
    })
    .map((svc) => keyOf(e.namespace, nameOf(svc)));
}
