/**
 * Where a DaemonSet's pods go, pure (pkg/controller/daemon NodeShouldRunDaemonPod and
 * util/daemonset_util.go): the node predicates a daemon pod must pass — nodeName, nodeSelector,
 * required node affinity, taints against the pod's tolerations plus the ones every daemon pod
 * gets — and the pod the controller creates for one node.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { labelsOf, nameOf } from '../object-meta.ts';
import { podFromTemplate } from './pods.ts';

export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
export const NODE_NAME_FIELD = 'metadata.name';

type Effect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {});
const objects = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const str = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : '');

/**
 * AddOrUpdateDaemonPodTolerations: daemon pods survive node problems and cordons, so a
 * NotReady, unreachable, pressured or unschedulable node still runs (and keeps) them.
 */
export function daemonTolerations(podSpec: JsonObject): JsonObject[] {
  const exists = (key: string, effect: Effect): JsonObject => ({ key, operator: 'Exists', effect });
  const extra = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
    ...(podSpec.hostNetwork === true ? [exists('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
  const tolerations = objects(podSpec.tolerations);
  return [...tolerations, ...extra.filter((t) => !tolerations.some((have) => sameToleration(have, t)))];
}

function sameToleration(a: JsonObject, b: JsonObject): boolean {
  return str(a.key) === str(b.key) && (str(a.operator) || 'Equal') === (str(b.operator) || 'Equal') && str(a.value) === str(b.value) && str(a.effect) === str(b.effect);
}

/** ToleratesTaint: an empty effect or key in the toleration matches any; Exists ignores the value. */
export function toleratesTaint(toleration: JsonObject, taint: JsonObject): boolean {
  if (str(toleration.effect) && str(toleration.effect) !== str(taint.effect)) return false;
  if (str(toleration.key) && str(toleration.key) !== str(taint.key)) return false;
  const op = str(toleration.operator) || 'Equal';
  return op === 'Exists' || (op === 'Equal' && str(toleration.value) === str(taint.value));
}

function hasUntoleratedTaint(taints: readonly JsonObject[], tolerations: readonly JsonObject[], effects: readonly Effect[]): boolean {
  return taints.some((t) => effects.includes(str(t.effect) as Effect) && !tolerations.some((tol) => toleratesTaint(tol, t)));
}

/** A NodeSelectorRequirement against a value (undefined: the label is absent). */
function requirementMatches(req: JsonObject, value: string | undefined): boolean {
  const values = Array.isArray(req.values) ? req.values.map(String) : [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [v, bound] = [Number(value), Number(values[0])];
      if (value === undefined || !Number.isInteger(v) || !Number.isInteger(bound)) return false;
      return req.operator === 'Gt' ? v > bound : v < bound;
    }
    default:
      return false;
  }
}

/** A NodeSelectorTerm: all its expressions (labels) and fields (metadata.name) hold; an empty term matches nothing. */
function termMatches(term: JsonObject, node: JsonObject): boolean {
  const expressions = objects(term.matchExpressions);
  const fields = objects(term.matchFields);
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = labelsOf(node);
  return (
    expressions.every((e) => requirementMatches(e, Object.hasOwn(labels, str(e.key)) ? labels[str(e.key)] : undefined)) &&
    fields.every((f) => str(f.key) === NODE_NAME_FIELD && requirementMatches(f, nameOf(node)))
  );
}

/** GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector and any required affinity term. */
export function fitsNodeAffinity(podSpec: JsonObject, node: JsonObject): boolean {
  const labels = labelsOf(node);
  const selector = obj(podSpec.nodeSelector);
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  const required = obj(obj(podSpec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution;
  if (!isJsonObject(required)) return true;
  return objects(required.nodeSelectorTerms).some((t) => termMatches(t, node));
}

export interface NodeFit {
  readonly node: string;
  /** a pod should be created here if there is none */
  readonly shouldRun: boolean;
  /** a pod already here may stay (it tolerates every NoExecute taint) */
  readonly shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod for a DaemonSet's template and one node. */
export function nodeFit(template: JsonValue | undefined, node: JsonObject): NodeFit {
  const spec = obj(obj(template).spec);
  const name = nameOf(node);
  const no: NodeFit = { node: name, shouldRun: false, shouldContinueRunning: false };
  if (str(spec.nodeName) && str(spec.nodeName) !== name) return no;
  if (!fitsNodeAffinity(spec, node)) return no;
  const taints = objects(obj(node.spec).taints);
  const tolerations = daemonTolerations(spec);
  if (!hasUntoleratedTaint(taints, tolerations, ['NoSchedule', 'NoExecute'])) return { node: name, shouldRun: true, shouldContinueRunning: true };
  return { node: name, shouldRun: false, shouldContinueRunning: !hasUntoleratedTaint(taints, tolerations, ['NoExecute']) };
}

/** GetTargetNodeName: spec.nodeName, else the node the metadata.name affinity field pins it to. */
export function targetNodeName(pod: JsonObject): string | undefined {
  const spec = obj(pod.spec);
  if (str(spec.nodeName)) return str(spec.nodeName);
  const terms = objects(obj(obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)).nodeSelectorTerms);
  for (const term of terms) {
    for (const f of objects(term.matchFields)) {
      const values = Array.isArray(f.values) ? f.values : [];
      if (str(f.key) === NODE_NAME_FIELD && f.operator === 'In' && values.length === 1) return String(values[0]);
    }
  }
  return undefined;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become "metadata.name In [node]". */
export function nodeNameAffinity(affinity: JsonValue | undefined, node: string): JsonObject {
  const a = obj(affinity);
  const nodeAffinity = obj(a.nodeAffinity);
  const required = obj(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution);
  const terms = [{ matchFields: [{ key: NODE_NAME_FIELD, operator: 'In', values: [node] }] }];
  return { ...a, nodeAffinity: { ...nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { ...required, nodeSelectorTerms: terms } } };
}

export interface DaemonPodInput {
  readonly ds: JsonObject;
  readonly node: string;
  readonly hash: string;
  readonly templateGeneration: number | undefined;
}

/**
 * CreatePodTemplate + the node pinning of syncNodes: template labels plus the revision hash and
 * template generation, the daemon tolerations, node affinity to the node — and, unlike the real
 * controller (which leaves binding to kube-scheduler), spec.nodeName set directly.
 */
export function newDaemonPod(input: DaemonPodInput): JsonObject {
  const template = obj(obj(input.ds.spec).template);
  const spec = obj(template.spec);
  const labels: Record<string, string> = { 'controller-revision-hash': input.hash };
  if (input.templateGeneration !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(input.templateGeneration);
  const pod = podFromTemplate(template, input.ds, { generateName: `${nameOf(input.ds)}-`, labels });
  const podSpec = obj(pod.spec);
  return { ...pod, spec: { ...podSpec, tolerations: daemonTolerations(spec), affinity: nodeNameAffinity(spec.affinity, input.node), nodeName: input.node } };
}

