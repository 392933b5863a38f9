import { isJsonObject, type JsonObject } from '../../json.ts';
import { deletionTimestampOf, finalizersOf, nameOf, namespaceOf, withMetadata } from '../object-meta.ts';
import type { ResourceType } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import { keyOf, splitKey, type Controller, type ControllerContext } from './types.ts';
import type { ReconcileResult } from './work-queue.ts';

const NAME = 'service-controller';
export const LOAD_BALANCER_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
const ADDRESS_PREFIX = '172.18.255.';
const FIRST_HOST = 1;
const LAST_HOST = 254;
const RETRY_MS = 10_000;

export interface LoadBalancerOptions {
  /** cluster-clock time from asking for a load balancer to its address showing in status */
  readonly delayMs?: number;
}

type Kind = 'Service' | 'Ingress';

/**
 * A cloud provider's load balancers, as the cloud-controller-manager service controller and
 * an ingress controller report them: a Service of type LoadBalancer (with no
 * loadBalancerClass) and every Ingress get an address from 172.18.255.0/24 in
 * status.loadBalancer.ingress, `delayMs` of clock time after they ask. Services hold the
 * load-balancer-cleanup finalizer while they have one, so deletion releases it first.
 */
export function createLoadBalancerController(ctx: ControllerContext, options: LoadBalancerOptions = {}): Controller {
  const { api, clock, events } = ctx;
  const delayMs = options.delayMs ?? 2_000;
  const servicesType = api.registry.lookup('', 'v1', 'services')!;
  const ingressesType = api.registry.lookup('networking.k8s.io', 'v1', 'ingresses')!;
  /** when each pending load balancer is ready, by key */
  const pending = new Map<string, number>();

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === '/services') return [`Service:${keyOf(e.namespace, nameOf(e.object))}`];
    if (e.resource === 'networking.k8s.io/ingresses') return [`Ingress:${keyOf(e.namespace, nameOf(e.object))}`];
    return [];
  }

  function reconcile(key: string): ReconcileResult | void {
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon) as Kind;
    const { namespace, name } = splitKey(key.slice(colon + 1));
    const obj = api.store.get(kind === 'Service' ? '/services' : 'networking.k8s.io/ingresses', namespace, name);
    if (!obj) {
      pending.delete(key);
      return;
    }
    if (kind === 'Ingress') return deletionTimestampOf(obj) ? undefined : ensure(key, kind, obj);
    if (!wantsLoadBalancer(obj)) return release(key, obj);
    if (!finalizersOf(obj).includes(LOAD_BALANCER_FINALIZER)) {
      const withFinalizer = withMetadata(obj, { finalizers: [...finalizersOf(obj), LOAD_BALANCER_FINALIZER] });
      return ensure(key, kind, api.update(servicesType, namespace, name, withFinalizer, { fieldManager: NAME }));
    }
    return ensure(key, kind, obj);
  }

  /** EnsureLoadBalancer: ask once, then after delayMs publish an address. */
  function ensure(key: string, kind: Kind, obj: JsonObject): ReconcileResult | void {
    if (loadBalancerAddresses(obj).length > 0) {
      pending.delete(key);
      return;
    }
    const now = clock.now().getTime();
    const due = pending.get(key);
    if (due === undefined) {
      pending.set(key, now + delayMs);
      if (kind === 'Service') events.record(obj, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', NAME);
      else events.record(obj, 'Normal', 'Sync', 'Scheduled for sync', NAME);
      return { requeueAfterMs: delayMs };
    }
    if (now < due) return { requeueAfterMs: due - now };
    const requested = isJsonObject(obj.spec) && typeof obj.spec.loadBalancerIP === 'string' ? obj.spec.loadBalancerIP : undefined;
    const ip = allocateAddress(addressesInUse(), requested);
    if (!ip) {
      if (kind === 'Service') events.record(obj, 'Warning', 'SyncLoadBalancerFailed', 'Error syncing load balancer: failed to ensure load balancer: no available IPs', NAME);
      return { requeueAfterMs: RETRY_MS };
    }
    const entry: JsonObject = kind === 'Service' ? { ip, ipMode: 'VIP' } : { ip };
    writeStatus(kind, obj, { ingress: [entry] });
    pending.delete(key);
    if (kind === 'Service') events.record(obj, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', NAME);
  }

  /** EnsureLoadBalancerDeleted: the Service no longer wants one (type changed, or it is being deleted). */
  function release(key: string, svc: JsonObject): void {
    pending.delete(key);
    const hasFinalizer = finalizersOf(svc).includes(LOAD_BALANCER_FINALIZER);
    const hasAddress = loadBalancerAddresses(svc).length > 0;
    if (!hasFinalizer && !hasAddress) return;
    events.record(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer', NAME);
    if (hasAddress) writeStatus('Service', svc, {});
    if (hasFinalizer) {
      const latest = api.store.get('/services', namespaceOf(svc), nameOf(svc));
      const rest = latest ? finalizersOf(latest).filter((f) => f !== LOAD_BALANCER_FINALIZER) : [];
      if (latest) api.update(servicesType, namespaceOf(svc), nameOf(svc), withMetadata(latest, { finalizers: rest.length ? rest : undefined }), { fieldManager: NAME });
    }
    events.record(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer', NAME);
  }

  function writeStatus(kind: Kind, obj: JsonObject, loadBalancer: JsonObject): void {
    const type: ResourceType = kind === 'Service' ? servicesType : ingressesType;
    const latest = api.store.get(kind === 'Service' ? '/services' : 'networking.k8s.io/ingresses', namespaceOf(obj), nameOf(obj));
    if (!latest) return;
    const status = { ...(isJsonObject(latest.status) ? latest.status : {}), loadBalancer };
    api.update(type, namespaceOf(obj), nameOf(obj), { ...latest, status }, { fieldManager: NAME }, 'status');
  }

  function addressesInUse(): Set<string> {
    return new Set([...api.store.list('/services'), ...api.store.list('networking.k8s.io/ingresses')].flatMap(loadBalancerAddresses));
  }

  return {
    name: NAME,
    keysFor,
    reconcile,
    initialKeys: () => [
      ...api.store.list('/services').map((s) => `Service:${keyOf(namespaceOf(s), nameOf(s))}`),
      ...api.store.list('networking.k8s.io/ingresses').map((i) => `Ingress:${keyOf(namespaceOf(i), nameOf(i))}`),
    ],
  };
}

/** A Service the default load-balancer implementation serves: type LoadBalancer, no other class, not being deleted. */
export function wantsLoadBalancer(svc: JsonObject): boolean {
  const spec = isJsonObject(svc.spec) ? svc.spec : {};
  return spec.type === 'LoadBalancer' && spec.loadBalancerClass === undefined && deletionTimestampOf(svc) === undefined;
}

/** The IPs in status.loadBalancer.ingress. */
export function loadBalancerAddresses(obj: JsonObject): string[] {
  const status = isJsonObject(obj.status) ? obj.status : {};
  const lb = isJsonObject(status.loadBalancer) ? status.loadBalancer : {};
  const ingress = Array.isArray(lb.ingress) ? lb.ingress.filter(isJsonObject) : [];
  return ingress.flatMap((i) => (typeof i.ip === 'string' ? [i.ip] : []));
}

/** The requested address when it is in the pool and free, else the lowest free one; undefined when the pool is used up. */
export function allocateAddress(used: ReadonlySet<string>, requested?: string): string | undefined {
  if (requested?.startsWith(ADDRESS_PREFIX) && !used.has(requested)) {
    const host = Number(requested.slice(ADDRESS_PREFIX.length));
    if (Number.isInteger(host) && host >= FIRST_HOST && host <= LAST_HOST) return requested;
  }
  for (let host = FIRST_HOST; host <= LAST_HOST; host++) {
    const ip = `${ADDRESS_PREFIX}${host}`;
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
