import { jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './content.ts';
import { child, duplicate, forbidden, index, invalid, notSupported, obj, objects, required, str, type FieldCause } from './field.ts';
import { nameIsDNSSubdomain, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';

/** The parts of core/v1 PodSpec validation a GitOps user trips over: containers, ports, restart policy. */

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

function validatePorts(ports: JsonValue | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  objects(ports).forEach((port, i) => {
    const at = index(path, i);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) causes.push(...msgs.map((m) => invalid(child(at, 'name'), name, m)));
      else if (names.has(name)) causes.push(duplicate(child(at, 'name'), name));
      else names.add(name);
    }
    const containerPort = port.containerPort;
    if (containerPort === undefined || containerPort === null || containerPort === 0) causes.push(required(child(at, 'containerPort')));
    else causes.push(...isValidPortNum(Number(containerPort)).map((m) => invalid(child(at, 'containerPort'), containerPort, m)));
    const hostPort = port.hostPort;
    if (hostPort !== undefined && hostPort !== null && hostPort !== 0) {
      causes.push(...isValidPortNum(Number(hostPort)).map((m) => invalid(child(at, 'hostPort'), hostPort, m)));
    }
    // absent means TCP (defaulting)
    if (port.protocol !== undefined && !PROTOCOLS.includes(str(port.protocol))) causes.push(notSupported(child(at, 'protocol'), port.protocol, PROTOCOLS));
  });
  return causes;
}

/** Regular and init containers share one namespace of names. */
function validateContainers(list: JsonValue | undefined, path: string, seen: Set<string>, requireOne: boolean): FieldCause[] {
  const containers = objects(list);
  if (requireOne && containers.length === 0) return [required(path)];
  return containers.flatMap((c, i) => {
    const at = index(path, i);
    const causes: FieldCause[] = [];
    const name = str(c.name);
    if (!name) causes.push(required(child(at, 'name')));
    else causes.push(...isDNS1123Label(name).map((m) => invalid(child(at, 'name'), name, m)));
    if (seen.has(name)) causes.push(duplicate(child(at, 'name'), name));
    else seen.add(name);
    if (!str(c.image)) causes.push(required(child(at, 'image')));
    causes.push(...validatePorts(c.ports, child(at, 'ports')));
    return causes;
  });
}

export function validatePodSpec(spec: JsonValue | undefined, path: string): FieldCause[] {
  const s = obj(spec);
  const seen = new Set<string>();
  const causes = [
    ...validateContainers(s.initContainers, child(path, 'initContainers'), seen, false),
    ...validateContainers(s.containers, child(path, 'containers'), seen, true),
  ];
  // an absent restartPolicy is the defaulted "Always"
  if (s.restartPolicy !== undefined && !RESTART_POLICIES.includes(str(s.restartPolicy))) {
    causes.push(notSupported(child(path, 'restartPolicy'), s.restartPolicy, RESTART_POLICIES));
  }
  return causes;
}

/** ValidatePodTemplateSpec: note the apiserver reports template labels at "<path>.labels", without "metadata". */
export function validatePodTemplate(template: JsonValue | undefined, path: string): FieldCause[] {
  const t = obj(template);
  const meta = obj(t.metadata);
  return [...validateLabels(meta.labels, child(path, 'labels')), ...validateAnnotations(meta.annotations, child(path, 'annotations')), ...validatePodSpec(t.spec, child(path, 'spec'))];
}

/** restartPolicy of a template as the server sees it (defaulted to Always). */
export function templateRestartPolicy(template: JsonValue | undefined): string {
  return str(obj(obj(template).spec).restartPolicy) || 'Always';
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Copies the fields a pod update may change from `from` onto `to`, so what remains must be equal. */
function neutraliseMutable(to: JsonObject, from: JsonObject): void {
  for (const list of ['containers', 'initContainers']) {
    const [a, b] = [objects(to[list]), objects(from[list])];
    a.forEach((c, i) => {
      const other = b[i];
      if (other && other.image !== undefined) c.image = other.image;
      else delete c.image;
    });
  }
  for (const f of ['activeDeadlineSeconds', 'terminationGracePeriodSeconds', 'schedulingGates']) {
    if (from[f] === undefined) delete to[f];
    else to[f] = from[f] ?? null;
  }
  // binding sets nodeName once; afterwards it is part of the immutable spec
  if (!str(from.nodeName)) delete to.nodeName;
  const [tol, oldTol] = [objects(to.tolerations), objects(from.tolerations)];
  if (oldTol.every((t) => tol.some((n) => jsonEqual(n, t)))) {
    if (from.tolerations === undefined) delete to.tolerations;
    else to.tolerations = from.tolerations ?? null;
  }
}

export function validatePod(pod: JsonObject, old: JsonObject | undefined): FieldCause[] {
  if (!old) return [...validateObjectMeta(pod, true, nameIsDNSSubdomain), ...validatePodSpec(pod.spec, 'spec')];
  const causes = [...validateObjectMetaUpdate(pod, old), ...validatePodSpec(pod.spec, 'spec')];
  const next = structuredClone(obj(pod.spec));
  const before = structuredClone(obj(old.spec));
  neutraliseMutable(next, before);
  neutraliseMutable(before, before);
  if (!jsonEqual(next, before)) causes.push(forbidden('spec', POD_UPDATE_MESSAGE));
  return causes;
}
