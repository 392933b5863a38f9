import type { JsonObject, JsonValue } from '../../json.ts';
import {
  AGE_COLUMN,
  ageOf,
  at,
  col,
  formatLabels,
  int,
  list,
  listWithMore,
  NAME_COLUMN,
  nameOf,
  objOf,
  since,
  str,
  strings,
  type Printer,
} from './cells.ts';

/** core/v1 kinds other than Pod, plus Lease and EndpointSlice. */

/** Ingress points of a load balancer status (IP, else hostname), without repeats. */
export function loadBalancerAddresses(status: JsonValue | undefined): string[] {
  const seen = new Set<string>();
  for (const i of list(at(status, 'ingress'))) {
    const address = str(i.ip) || str(i.hostname);
    if (address) seen.add(address);
  }
  return [...seen];
}

function serviceExternalIP(svc: JsonObject): string {
  const externalIPs = strings(at(svc, 'spec.externalIPs'));
  switch (str(at(svc, 'spec.type')) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const all = [...loadBalancerAddresses(at(svc, 'status.loadBalancer')), ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(at(svc, 'spec.externalName'));
    default:
      return '<unknown>';
  }
}

function servicePorts(svc: JsonObject): string {
  const ports = list(at(svc, 'spec.ports')).map((p) => {
    const protocol = str(p.protocol) || 'TCP';
    return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${protocol}` : `${int(p.port)}/${protocol}`;
  });
  return ports.length > 0 ? ports.join(',') : '<none>';
}

const service: Printer = {
  columns: [
    NAME_COLUMN,
    col('Type', 'string', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  row: (o, now) => {
    // clusterIPs is what the apiserver prints; clusterIP stands in when only the legacy field is set
    const clusterIP = strings(at(o, 'spec.clusterIPs'))[0] ?? (str(at(o, 'spec.clusterIP')) || '<none>');
    return {
      cells: [nameOf(o), str(at(o, 'spec.type')) || 'ClusterIP', clusterIP, serviceExternalIP(o), servicePorts(o), ageOf(o, now), formatLabels(at(o, 'spec.selector'))],
    };
  },
};

const namespace: Printer = {
  columns: [NAME_COLUMN, col('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  row: (o, now) => ({ cells: [nameOf(o), str(at(o, 'status.phase')), ageOf(o, now)] }),
};

function nodeStatus(node: JsonObject): string {
  const ready = list(at(node, 'status.conditions')).filter((c) => c.type === 'Ready');
  const status = ready.length === 0 ? ['Unknown'] : ready.slice(-1).map((c) => (c.status === 'True' ? 'Ready' : 'NotReady'));
  if (at(node, 'spec.unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** node-role.kubernetes.io/<role> labels and the legacy kubernetes.io/role=<role>, sorted. */
function nodeRoles(node: JsonObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(objOf(at(node, 'metadata.labels')))) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && typeof v === 'string' && v !== '') roles.add(v);
  }
  return [...roles].sort().join(',') || '<none>';
}

function nodeAddress(node: JsonObject, type: string): string {
  return str(list(at(node, 'status.addresses')).find((a) => a.type === type)?.address) || '<none>';
}

const nodeInfo = (node: JsonObject, field: string): string => str(at(node, `status.nodeInfo.${field}`));

const node: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  row: (o, now) => ({
    cells: [
      nameOf(o),
      nodeStatus(o),
      nodeRoles(o),
      ageOf(o, now),
      nodeInfo(o, 'kubeletVersion'),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      nodeInfo(o, 'osImage') || '<unknown>',
      nodeInfo(o, 'kernelVersion') || '<unknown>',
      nodeInfo(o, 'containerRuntimeVersion') || '<unknown>',
    ],
  }),
};

const keyCount = (v: JsonValue | undefined): number => Object.keys(objOf(v)).length;

const configMap: Printer = {
  columns: [NAME_COLUMN, col('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
  row: (o, now) => ({ cells: [nameOf(o), keyCount(o.data) + keyCount(o.binaryData), ageOf(o, now)] }),
};

const secret: Printer = {
  columns: [NAME_COLUMN, col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'string', 'Data contains the secret data.'), AGE_COLUMN],
  row: (o, now) => {
    // stringData is folded into data by the server; count each key once either way
    const keys = new Set([...Object.keys(objOf(o.data)), ...Object.keys(objOf(o.stringData))]);
    return { cells: [nameOf(o), str(o.type) || 'Opaque', keys.size, ageOf(o, now)] };
  },
};

const serviceAccount: Printer = {
  columns: [
    NAME_COLUMN,
    col('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    AGE_COLUMN,
  ],
  row: (o, now) => ({ cells: [nameOf(o), list(o.secrets).length, ageOf(o, now)] }),
};

/** formatEndpoints: up to three "ip:port" (or bare IPs for port-less subsets). */
function formatEndpoints(o: JsonObject): string {
  const subsets = list(o.subsets);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const ips = list(ss.addresses).map((a) => str(a.ip));
    const ports = list(ss.ports);
    const targets = ports.length === 0 ? ips : ports.flatMap((p) => ips.map((ip) => (ip.includes(':') ? `[${ip}]:${int(p.port)}` : `${ip}:${int(p.port)}`)));
    count += targets.length;
    shown.push(...targets);
  }
  return listWithMore(shown, 3, count);
}

const endpoints: Printer = {
  columns: [NAME_COLUMN, col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), AGE_COLUMN],
  row: (o, now) => ({ cells: [nameOf(o), formatEndpoints(o), ageOf(o, now)] }),
};

const orUnset = (s: string): string => s || '<unset>';

const endpointSlice: Printer = {
  columns: [
    NAME_COLUMN,
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const ports = list(o.ports).map((p) => (typeof p.port === 'number' ? String(p.port) : str(p.name) || '*'));
    const addresses = list(o.endpoints).flatMap((e) => strings(e.addresses));
    return { cells: [nameOf(o), str(o.addressType), orUnset(listWithMore(ports, 3)), orUnset(listWithMore(addresses, 3)), ageOf(o, now)] };
  },
};

function eventSource(o: JsonObject): string {
  const component = str(at(o, 'source.component')) || str(o.reportingController);
  const host = str(at(o, 'source.host')) || str(o.reportingInstance);
  return host ? `${component}, ${host}` : component;
}

const event: Printer = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  row: (o, now) => {
    const first = o.firstTimestamp ? since(o.firstTimestamp, now) : since(o.eventTime, now);
    let last = o.lastTimestamp ? since(o.lastTimestamp, now) : first;
    let count = int(o.count);
    const series = objOf(o.series);
    if (o.series !== undefined && o.series !== null) {
      last = since(series.lastObservedTime, now);
      count = int(series.count);
    } else if (count === 0) {
      count = 1; // singleton events of the events.k8s.io API carry no count
    }
    const kind = str(at(o, 'involvedObject.kind')).toLowerCase();
    const target = str(at(o, 'involvedObject.name')) ? `${kind}/${str(at(o, 'involvedObject.name'))}` : kind;
    return {
      cells: [last, str(o.type), str(o.reason), target, str(at(o, 'involvedObject.fieldPath')), eventSource(o), str(o.message).trim(), first, count, nameOf(o)],
    };
  },
};

const lease: Printer = {
  columns: [NAME_COLUMN, col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
  row: (o, now) => ({ cells: [nameOf(o), str(at(o, 'spec.holderIdentity')), ageOf(o, now)] }),
};

export const PRINTERS: Record<string, Printer> = {
  Service: service,
  Namespace: namespace,
  Node: node,
  ConfigMap: configMap,
  Secret: secret,
  ServiceAccount: serviceAccount,
  Endpoints: endpoints,
  EndpointSlice: endpointSlice,
  Event: event,
  Lease: lease,
};
