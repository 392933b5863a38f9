import { jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum } from './content.ts';
import { child, duplicate, forbidden, index, invalid, key, notSupported, obj, objects, required, str, tooLong, type FieldCause } from './field.ts';
import { nameIsDNS1035Label, nameIsDNSSubdomain, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';

/** core/v1 Service, ConfigMap and Secret. */

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
export const MAX_SECRET_SIZE = 1024 * 1024;

function validateTargetPort(target: JsonValue | undefined, path: string): FieldCause[] {
  if (typeof target === 'number') return isValidPortNum(target).map((m) => invalid(path, target, m));
  if (typeof target === 'string') return isValidPortName(target).map((m) => invalid(path, target, m));
  return []; // absent: defaulted to the port
}

function validateServicePorts(spec: JsonObject, type: string): FieldCause[] {
  const ports = objects(spec.ports);
  const requireName = ports.length > 1;
  const names = new Set<string>();
  const seen = new Set<string>();
  return ports.flatMap((p, i) => {
    const at = index('spec.ports', i);
    const causes: FieldCause[] = [];
    const name = str(p.name);
    if (requireName && !name) causes.push(required(child(at, 'name')));
    else if (name) {
      causes.push(...isDNS1123Label(name).map((m) => invalid(child(at, 'name'), name, m)));
      if (names.has(name)) causes.push(duplicate(child(at, 'name'), name));
      names.add(name);
    }
    const port = typeof p.port === 'number' ? p.port : 0;
    causes.push(...isValidPortNum(port).map((m) => invalid(child(at, 'port'), port, m)));
    const protocol = p.protocol === undefined ? 'TCP' : str(p.protocol);
    if (!PROTOCOLS.includes(protocol)) causes.push(notSupported(child(at, 'protocol'), p.protocol, PROTOCOLS));
    causes.push(...validateTargetPort(p.targetPort, child(at, 'targetPort')));
    if (type === 'ClusterIP' && p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) {
      causes.push(forbidden(child(at, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    }
    const identity = `${port}/${protocol}`;
    if (seen.has(identity)) causes.push(duplicate(at, { port, protocol }));
    seen.add(identity);
    return causes;
  });
}

function primaryClusterIP(spec: JsonObject): { ips: JsonValue; primary: string } {
  const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : spec.clusterIP !== undefined ? [str(spec.clusterIP)] : [];
  return { ips, primary: str(ips[0]) };
}

export function validateService(svc: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const spec = obj(svc.spec);
  const causes = old ? validateObjectMetaUpdate(svc, old) : validateObjectMeta(svc, true, nameIsDNS1035Label);
  const type = spec.type === undefined ? 'ClusterIP' : str(spec.type);
  if (!SERVICE_TYPES.includes(type)) causes.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  const headless = spec.clusterIP === 'None';
  // headless and ExternalName services may have no ports
  if (objects(spec.ports).length === 0 && !headless && type !== 'ExternalName') causes.push(required('spec.ports'));
  causes.push(...validateServicePorts(spec, type));
  if (type === 'ExternalName') {
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (!cname) causes.push(required('spec.externalName'));
    else causes.push(...isDNS1123Subdomain(cname).map((m) => invalid('spec.externalName', cname, m)));
  }
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  if (old) causes.push(...validateClusterIPUpdate(spec, obj(old.spec)));
  return causes;
}

/** A Service keeps its primary cluster IP for life (the server re-fills an omitted one before this runs). */
function validateClusterIPUpdate(spec: JsonObject, oldSpec: JsonObject): FieldCause[] {
  if (spec.type === 'ExternalName' || oldSpec.type === 'ExternalName') return [];
  if (spec.clusterIP === 'None' && oldSpec.clusterIP === 'None') return [];
  const [now, before] = [primaryClusterIP(spec), primaryClusterIP(oldSpec)];
  if (!before.primary || now.primary === before.primary) return [];
  return [invalid('spec.clusterIPs[0]', now.ips, 'may not change once set')];
}

function validateDataKeys(data: JsonValue | undefined, path: string): FieldCause[] {
  return Object.keys(obj(data)).flatMap((k) => isConfigMapKey(k).map((m) => invalid(key(path, k), k, m)));
}

/** `immutable: true` freezes data, binaryData and the flag itself. */
function validateImmutableData(o: JsonObject, old: JsonObject, fields: readonly string[]): FieldCause[] {
  if (old.immutable !== true) return [];
  const message = 'field is immutable when `immutable` is set';
  const causes = o.immutable === true ? [] : [forbidden('immutable', message)];
  return [...causes, ...fields.filter((f) => !jsonEqual(o[f], old[f])).map((f) => forbidden(f, message))];
}

export function validateConfigMap(cm: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const causes = old ? validateObjectMetaUpdate(cm, old) : validateObjectMeta(cm, true, nameIsDNSSubdomain);
  causes.push(...validateDataKeys(cm.data, 'data'), ...validateDataKeys(cm.binaryData, 'binaryData'));
  const binary = obj(cm.binaryData);
  for (const k of Object.keys(obj(cm.data))) {
    if (Object.hasOwn(binary, k)) causes.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
  }
  const size = [...Object.values(obj(cm.data)), ...Object.values(binary)].reduce<number>((n, v) => n + Buffer.byteLength(str(v)), 0);
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('', MAX_SECRET_SIZE));
  if (old) causes.push(...validateImmutableData(cm, old, ['data', 'binaryData']));
  return causes;
}

/** Keys a typed Secret must carry. */
const SECRET_REQUIRED_KEYS: Record<string, readonly string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(secret: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const causes = old ? validateObjectMetaUpdate(secret, old) : validateObjectMeta(secret, true, nameIsDNSSubdomain);
  const data = obj(secret.data);
  causes.push(...validateDataKeys(data, 'data'), ...validateDataKeys(secret.stringData, 'data'));
  let size = 0;
  // a value that is not base64 never gets here: the body does not decode (validation/go-decode.ts)
  for (const v of Object.values(data)) size += Math.floor((str(v).replace(/[\r\n=]/g, '').length * 3) / 4);
  if (size > MAX_SECRET_SIZE) causes.push(tooLong('data', MAX_SECRET_SIZE));
  const type = secret.type === undefined ? 'Opaque' : str(secret.type);
  const present = new Set([...Object.keys(data), ...Object.keys(obj(secret.stringData))]);
  for (const k of SECRET_REQUIRED_KEYS[type] ?? []) if (!present.has(k)) causes.push(required(key('data', k)));
  if (type === 'kubernetes.io/service-account-token' && !str(obj(obj(secret.metadata).annotations)['kubernetes.io/service-account.name'])) {
    causes.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (old) {
    const oldType = old.type === undefined ? 'Opaque' : str(old.type);
    if (type !== oldType) causes.push(invalid('type', type, 'field is immutable'));
    causes.push(...validateImmutableData(secret, old, ['data']));
  }
  return causes;
}
