import { ensureObject, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { SimApiServer } from './apiserver.ts';
import { rfc3339 } from './clock.ts';
import { resourceTypesOfCrd } from './crd.ts';
import { metadataOf, nameOf, uidOf } from './object-meta.ts';
import { storageKey, type ResourceType } from './resources.ts';
import { defaultStorageClass } from './storage-classes.ts';
import type { FieldCause } from './validation.ts';

/**
 * What the API server does differently per kind beyond validation and defaulting
 * (the "strategy" of each registry in kube-apiserver): allocations, derived fields,
 * and the side effects of CRDs on what the server serves.
 */
export interface KindHooks {
  prepareCreate?(obj: JsonObject, server: SimApiServer): void;
  prepareUpdate?(next: JsonObject, live: JsonObject, server: SimApiServer): void;
  validate?(obj: JsonObject, old: JsonObject | undefined, server: SimApiServer): FieldCause[];
  /** when deletion starts (deletionTimestamp set) */
  markDeleting?(obj: JsonObject): JsonObject;
  afterWrite?(stored: JsonObject, server: SimApiServer): void;
  afterRemove?(last: JsonObject, server: SimApiServer): void;
}

/** Finalizers outside metadata.finalizers that hold an object back from removal (a Namespace's spec.finalizers). */
export function pendingFinalizers(rt: ResourceType, obj: JsonObject): string[] {
  if (rt.group !== '' || rt.kind !== 'Namespace') return [];
  const spec = obj.spec;
  return isJsonObject(spec) && Array.isArray(spec.finalizers) ? spec.finalizers.map(String) : [];
}

export function hooksFor(rt: ResourceType): KindHooks | undefined {
  if (rt.custom) return undefined;
  return HOOKS[`${rt.group}/${rt.kind}`];
}

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function labelNamespace(obj: JsonObject): void {
  const meta = metadataOf(obj);
  meta.labels = { ...(isJsonObject(meta.labels) ? meta.labels : {}), [NAMESPACE_NAME_LABEL]: nameOf(obj) };
}


/** Secret stringData is write-only: merged into data (base64) on every write. */
function foldStringData(obj: JsonObject): void {
  if (!isJsonObject(obj.stringData)) return;
  const data = ensureObject(obj, 'data');
  for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  delete obj.stringData;
}

const SERVICE_CIDR_BASE = (10 << 24) | (96 << 16);
const SERVICE_CIDR_SIZE = 1 << 20; // 10.96.0.0/12
const NODE_PORT_RANGE = { min: 30000, max: 32767 };

function ipString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function servicesOf(server: SimApiServer): JsonObject[] {
  return server.store.list('/services');
}

/**
 * Next-fit over the service range, like the API server's bitmap allocator: a cursor per
 * server walks forward and skips addresses in use, so a create costs one membership test
 * instead of a scan of every Service. The in-use set is read from the store when the
 * cursor starts a pass, so addresses of deleted Services come back on the next pass.
 */
const clusterIps = new WeakMap<SimApiServer, { next: number; used: Set<unknown> }>();

function clusterIpsInUse(server: SimApiServer): Set<unknown> {
  return new Set(servicesOf(server).map((s) => (isJsonObject(s.spec) ? s.spec.clusterIP : undefined)));
}

function clusterIpState(server: SimApiServer): { next: number; used: Set<unknown> } {
  let state = clusterIps.get(server);
  if (state === undefined) clusterIps.set(server, (state = { next: 1, used: clusterIpsInUse(server) }));
  return state;
}

function allocateClusterIP(server: SimApiServer): string {
  const state = clusterIpState(server);
  for (let tried = 0; tried < SERVICE_CIDR_SIZE - 2; tried++) {
    if (state.next >= SERVICE_CIDR_SIZE - 1) {
      state.next = 1;
      state.used = clusterIpsInUse(server);
    }
    const ip = ipString(SERVICE_CIDR_BASE + state.next);
    state.next += 1;
    if (!state.used.has(ip)) {
      state.used.add(ip);
      return ip;
    }
  }
  throw new Error('service cluster IP range is exhausted');
}

function allocateNodePort(server: SimApiServer, taken: Set<number>): number {
  for (const svc of servicesOf(server)) {
    const ports = isJsonObject(svc.spec) && Array.isArray(svc.spec.ports) ? svc.spec.ports : [];
    for (const p of ports) if (isJsonObject(p) && typeof p.nodePort === 'number') taken.add(p.nodePort);
  }
  for (let port = NODE_PORT_RANGE.min; port <= NODE_PORT_RANGE.max; port++) {
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('node port range is exhausted');
}

function allocateServiceAddresses(spec: JsonObject, server: SimApiServer): void {
  if (spec.type === 'ExternalName') return;
  if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = allocateClusterIP(server);
  else clusterIpState(server).used.add(spec.clusterIP);
  if (spec.clusterIPs === undefined) spec.clusterIPs = [spec.clusterIP];
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const taken = new Set<number>();
    for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
      if (isJsonObject(p) && p.nodePort === undefined) p.nodePort = allocateNodePort(server, taken);
    }
  }
}

const needsClusterIP = (spec: JsonObject): boolean => spec.type !== 'ExternalName';
const needsNodePort = (spec: JsonObject): boolean => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
const portsOf = (spec: JsonObject): JsonObject[] => (Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : []);
/** a port's nodePort, 0 when unset (Go's zero value) */
const nodePortOf = (p: JsonObject): number => (typeof p.nodePort === 'number' ? p.nodePort : 0);
const nodePortsByName = (spec: JsonObject): Map<string, number> => new Map(portsOf(spec).map((p) => [String(p.name ?? ''), nodePortOf(p)]));

function sameNodePorts(a: JsonObject, b: JsonObject): boolean {
  const [x, y] = [nodePortsByName(a), nodePortsByName(b)];
  return x.size === y.size && [...x].every(([name, port]) => y.get(name) === port);
}

/**
 * Like kube-apiserver (1.20+) on update: a switch to a type without node ports wipes the
 * nodePorts the user left as they were (dropTypeDependentFields), and values the update
 * omits are kept, not reallocated, when both the old and the new type use them
 * (patchAllocatedValues; node ports matched by port name).
 */
function keepServiceAllocations(next: JsonObject, live: JsonObject): void {
  const spec = ensureObject(next, 'spec');
  const old = isJsonObject(live.spec) ? live.spec : {};
  if (needsNodePort(old) && !needsNodePort(spec) && sameNodePorts(old, spec)) {
    for (const p of portsOf(spec)) delete p.nodePort;
  }
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if ((spec.clusterIP === undefined || spec.clusterIP === '') && old.clusterIP !== undefined) spec.clusterIP = old.clusterIP;
    if (spec.clusterIPs === undefined && old.clusterIPs !== undefined && spec.clusterIP === old.clusterIP) spec.clusterIPs = old.clusterIPs;
  }
  if (needsNodePort(old) && needsNodePort(spec)) {
    const oldPorts = new Set(portsOf(old).map(nodePortOf));
    const used = new Set(portsOf(spec).map(nodePortOf).filter((n) => n !== 0 && oldPorts.has(n)));
    const byName = nodePortsByName(old);
    for (const p of portsOf(spec)) {
      const kept = byName.get(String(p.name ?? '')) ?? 0;
      if (nodePortOf(p) === 0 && kept !== 0 && !used.has(kept)) p.nodePort = kept;
    }
  }
}

const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** Jobs get a generated selector on their own uid unless spec.manualSelector is set. */
function generateJobSelector(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  if (spec.manualSelector === true) return;
  const uid = uidOf(obj);
  const name = nameOf(obj);
  spec.selector = { matchLabels: { [JOB_UID_LABEL]: uid } };
  const templateMeta = ensureObject(ensureObject(spec, 'template'), 'metadata');
  templateMeta.labels = {
    ...(isJsonObject(templateMeta.labels) ? templateMeta.labels : {}),
    [JOB_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
    'controller-uid': uid,
    'job-name': name,
  };
}

function crdStatus(obj: JsonObject, now: string): JsonValue {
  const spec = isJsonObject(obj.spec) ? obj.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    acceptedNames: spec.names ?? {},
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: versions.filter((v) => v.storage === true).map((v) => String(v.name)),
  };
}

function crdConflicts(obj: JsonObject, old: JsonObject | undefined, server: SimApiServer): FieldCause[] {
  const types = resourceTypesOfCrd(obj);
  const causes: FieldCause[] = [];
  for (const t of types) {
    const existing = server.registry.lookup(t.group, t.version, t.plural);
    if (existing && !existing.custom) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.group', message: `Invalid value: "${t.group}": ${t.plural}.${t.group} is served by the API server itself` });
    }
  }
  if (old) {
    const oldSpec = isJsonObject(old.spec) ? old.spec : {};
    const newSpec = isJsonObject(obj.spec) ? obj.spec : {};
    if (oldSpec.scope !== newSpec.scope) causes.push({ reason: 'FieldValueInvalid', field: 'spec.scope', message: 'Invalid value: field is immutable' });
  }
  return causes;
}

const HOOKS: Record<string, KindHooks> = {
  '/Namespace': {
    prepareCreate: labelNamespace,
    prepareUpdate: (next, live) => {
      labelNamespace(next);
      // spec.finalizers change only through the finalize subresource
      const liveSpec = isJsonObject(live.spec) ? live.spec : {};
      if (isJsonObject(next.spec) && liveSpec.finalizers !== undefined && next.spec !== liveSpec) {
        next.spec = { ...next.spec, finalizers: liveSpec.finalizers };
      }
    },
    markDeleting: (obj) => ({ ...obj, status: { ...(isJsonObject(obj.status) ? obj.status : {}), phase: 'Terminating' } }),
  },
  '/Secret': { prepareCreate: foldStringData, prepareUpdate: foldStringData },
  '/Service': {
    prepareCreate: (obj, server) => allocateServiceAddresses(ensureObject(obj, 'spec'), server),
    prepareUpdate: (next, live, server) => {
      keepServiceAllocations(next, live);
      allocateServiceAddresses(ensureObject(next, 'spec'), server);
    },
  },
  'batch/Job': { prepareCreate: generateJobSelector },
  // the DefaultStorageClass admission plugin
  '/PersistentVolumeClaim': {
    prepareCreate: (obj, server) => {
      const spec = ensureObject(obj, 'spec');
      const defaultClass = spec.storageClassName === undefined ? defaultStorageClass(server.store) : undefined;
      if (defaultClass) spec.storageClassName = nameOf(defaultClass);
    },
  },
  'apiextensions.k8s.io/CustomResourceDefinition': {
    prepareCreate: (obj, server) => {
      obj.status = crdStatus(obj, rfc3339(server.clock.now()));
    },
    prepareUpdate: (next, live) => {
      const status = isJsonObject(next.status) ? next.status : isJsonObject(live.status) ? live.status : {};
      if (isJsonObject(next.spec)) next.status = { ...status, acceptedNames: next.spec.names ?? {} };
    },
    validate: crdConflicts,
    afterWrite: (stored, server) => server.registry.setCustom(nameOf(stored), resourceTypesOfCrd(stored)),
    afterRemove: (last, server) => {
      const types = resourceTypesOfCrd(last);
      server.registry.removeCustom(nameOf(last));
      const first = types[0];
      if (first) server.store.dropResource(storageKey(first));
    },
  },
};
