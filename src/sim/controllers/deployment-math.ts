/**
 * The Deployment controller's arithmetic, pure: what kubernetes/kubernetes pkg/controller/deployment
 * (rolling.go, sync.go, progress.go, util/deployment_util.go) computes, minus the API calls. Inputs
 * are plain summaries of ReplicaSets; outputs are the sizes and conditions to write back.
 * One file because the pieces share the summary types and ordering rules; it is all arithmetic.
 */
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { rfc3339 } from '../clock.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** progressDeadlineSeconds equal to MaxInt32 means "no deadline" (HasProgressDeadline). */
export const NO_PROGRESS_DEADLINE = 2_147_483_647;

export const DEPLOYMENT_STRATEGY_TYPES = ['RollingUpdate', 'Recreate'] as const;
export type DeploymentStrategyType = (typeof DEPLOYMENT_STRATEGY_TYPES)[number];

// ---- int-or-percent and fenceposts ----

export type IntOrPercent = number | string;

export class IntOrPercentError extends Error {
  override readonly name = 'IntOrPercentError';
}

/** GetScaledValueFromIntOrPercent: an int as is, "N%" of total rounded up or down; anything else throws. */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new IntOrPercentError(`invalid value for IntOrString: ${value} is not an integer`);
    return value;
  }
  if (!value.endsWith('%')) throw new IntOrPercentError('invalid value for IntOrString: invalid type: string is not a percentage');
  const digits = value.slice(0, -1);
  // strconv.Atoi: optional sign, decimal digits, nothing else
  if (!/^[+-]?\d+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
    throw new IntOrPercentError(`invalid value for IntOrString: invalid value ${JSON.stringify(value)}`);
  }
  const scaled = (Number(digits) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface Fenceposts {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

/**
 * ResolveFenceposts: surge rounds up, unavailable rounds down (absent means 0). When both come to 0
 * unavailable becomes 1, so a rollout can always move even if quota blocks surge pods.
 */
export function resolveFenceposts(maxSurge: IntOrPercent | undefined, maxUnavailable: IntOrPercent | undefined, replicas: number): Fenceposts {
  const surge = scaledValue(maxSurge ?? 0, replicas, true);
  const unavailable = scaledValue(maxUnavailable ?? 0, replicas, false);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

export interface DeploymentStrategy {
  readonly type: DeploymentStrategyType;
  readonly rollingUpdate?: { readonly maxSurge?: IntOrPercent; readonly maxUnavailable?: IntOrPercent };
}

/**
 * MaxSurge(d) and MaxUnavailable(d) as the controller uses them: 0 for Recreate, no unavailability
 * budget at 0 replicas, and never more unavailable than replicas.
 */
export function deploymentLimits(strategy: DeploymentStrategy, replicas: number): Fenceposts {
  if (strategy.type !== 'RollingUpdate') return { maxSurge: 0, maxUnavailable: 0 };
  const ru = strategy.rollingUpdate ?? {};
  const { maxSurge, maxUnavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas);
  return { maxSurge, maxUnavailable: replicas === 0 ? 0 : Math.min(maxUnavailable, replicas) };
}

// ---- ReplicaSet summaries ----

/** The fields of a ReplicaSet the arithmetic reads; each function asks only for what it uses. */
export interface ReplicaSetSummary {
  readonly name: string;
  /** RFC 3339 */
  readonly creationTimestamp: string;
  readonly specReplicas: number;
  readonly statusReplicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

function objectAt(o: JsonObject, key: string): JsonObject {
  const v = o[key];
  return isJsonObject(v) ? v : {};
}

function intAt(o: JsonObject, key: string, fallback: number): number {
  const v = o[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : fallback;
}

/** A ReplicaSet object read into a summary (spec.replicas defaults to 1 as the API does). */
export function replicaSetSummary(rs: JsonObject): ReplicaSetSummary {
  const meta = objectAt(rs, 'metadata');
  const status = objectAt(rs, 'status');
  const annotations = Object.entries(objectAt(meta, 'annotations')).filter((e): e is [string, string] => typeof e[1] === 'string');
  return {
    name: typeof meta.name === 'string' ? meta.name : '',
    creationTimestamp: typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : '',
    specReplicas: intAt(objectAt(rs, 'spec'), 'replicas', 1),
    statusReplicas: intAt(status, 'replicas', 0),
    readyReplicas: intAt(status, 'readyReplicas', 0),
    availableReplicas: intAt(status, 'availableReplicas', 0),
    annotations: Object.fromEntries(annotations),
  };
}

type Dated = Pick<ReplicaSetSummary, 'name' | 'creationTimestamp'>;
type Sized = Dated & Pick<ReplicaSetSummary, 'specReplicas'>;

/** ReplicaSetsByCreationTimestamp: oldest first, name breaking ties. */
function olderFirst(a: Dated, b: Dated): number {
  const byTime = Date.parse(a.creationTimestamp) - Date.parse(b.creationTimestamp);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** ReplicaSetsBySizeNewer / BySizeOlder: largest first, age breaking ties in the given direction. */
function largestFirst(newerOnTies: boolean): (a: Sized, b: Sized) => number {
  return (a, b) => b.specReplicas - a.specReplicas || (newerOnTies ? olderFirst(b, a) : olderFirst(a, b));
}

const sum = (values: readonly number[]): number => values.reduce((total, v) => total + v, 0);

/** strconv.Atoi on an annotation; undefined when absent or unparsable (the sources skip those). */
function intAnnotation(rs: Pick<ReplicaSetSummary, 'annotations'>, key: string): number | undefined {
  const text = rs.annotations?.[key];
  return text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

// ---- revisions ----

/** Revision(rs): 0 without the annotation, undefined when it does not parse. */
export function revisionOf(rs: Pick<ReplicaSetSummary, 'annotations'>): number | undefined {
  return rs.annotations?.[REVISION_ANNOTATION] === undefined ? 0 : intAnnotation(rs, REVISION_ANNOTATION);
}

/** MaxRevision: the highest parsable revision, 0 when none. */
export function maxRevision(replicaSets: readonly Pick<ReplicaSetSummary, 'annotations'>[]): number {
  return replicaSets.reduce((max, rs) => Math.max(max, revisionOf(rs) ?? 0), 0);
}

/** The revision annotation value a new ReplicaSet gets: one past the old ones' maximum. */
export function nextRevision(oldReplicaSets: readonly Pick<ReplicaSetSummary, 'annotations'>[]): string {
  return String(maxRevision(oldReplicaSets) + 1);
}

// ---- rolling update ----

/**
 * reconcileNewReplicaSet + NewRSNewReplicas: the size the new ReplicaSet goes to. Above replicas it
 * comes down to replicas; below, it grows by what surge leaves, never past replicas.
 */
export function newReplicasToScaleUp(input: {
  readonly replicas: number;
  readonly maxSurge: number;
  /** spec.replicas of every ReplicaSet of the Deployment, the new one included */
  readonly allSpecReplicas: readonly number[];
  readonly newSpecReplicas: number;
}): number {
  const { replicas, newSpecReplicas } = input;
  if (newSpecReplicas >= replicas) return replicas;
  const room = replicas + input.maxSurge - sum(input.allSpecReplicas);
  if (room <= 0) return newSpecReplicas;
  return newSpecReplicas + Math.min(room, replicas - newSpecReplicas);
}

export type ScaleDownCandidate = Pick<ReplicaSetSummary, 'name' | 'creationTimestamp' | 'specReplicas' | 'availableReplicas'>;

export interface ScaleDownResult {
  /** every old ReplicaSet given → its spec.replicas after this sync */
  readonly sizes: Readonly<Record<string, number>>;
  /** unavailable old replicas removed first (cleanupUnhealthyReplicas) */
  readonly cleanedUp: number;
  /** available old replicas removed within maxUnavailable (scaleDownOldReplicaSetsForRollingUpdate) */
  readonly scaledDown: number;
}

/** reconcileOldReplicaSets: unhealthy old replicas go first, then old ReplicaSets oldest first. */
export function oldReplicasToScaleDown(input: {
  readonly replicas: number;
  readonly maxUnavailable: number;
  readonly newReplicaSet: Pick<ReplicaSetSummary, 'specReplicas' | 'availableReplicas'>;
  readonly oldReplicaSets: readonly ScaleDownCandidate[];
}): ScaleDownResult {
  const sizes = new Map(input.oldReplicaSets.map((rs) => [rs.name, rs.specReplicas]));
  const result = (cleanedUp: number, scaledDown: number): ScaleDownResult => ({ sizes: Object.fromEntries(sizes), cleanedUp, scaledDown });
  const active = input.oldReplicaSets.filter((rs) => rs.specReplicas > 0).sort(olderFirst);
  const oldPods = sum(active.map((rs) => rs.specReplicas));
  if (oldPods === 0) return result(0, 0);

  const minAvailable = input.replicas - input.maxUnavailable;
  const newUnavailable = input.newReplicaSet.specReplicas - input.newReplicaSet.availableReplicas;
  // unavailable new pods count against the budget, or a crash-looping rollout would eat the old pods
  const maxScaledDown = oldPods + input.newReplicaSet.specReplicas - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return result(0, 0);

  let cleanedUp = 0;
  for (const rs of active) {
    if (cleanedUp >= maxScaledDown) break;
    const spec = sizes.get(rs.name) ?? 0;
    if (spec === 0 || spec === rs.availableReplicas) continue;
    const count = Math.min(maxScaledDown - cleanedUp, spec - rs.availableReplicas);
    // more available than spec (status lagging a scale-down): the sources error and skip the rest
    if (count < 0) return result(cleanedUp, 0);
    sizes.set(rs.name, spec - count);
    cleanedUp += count;
  }

  // only active old ReplicaSets and the new one count as available here, as in the sources
  const available = sum(active.map((rs) => rs.availableReplicas)) + input.newReplicaSet.availableReplicas;
  const budget = available - minAvailable;
  let scaledDown = 0;
  for (const rs of active) {
    if (scaledDown >= budget) break;
    const spec = sizes.get(rs.name) ?? 0;
    if (spec === 0) continue;
    const count = Math.min(spec, budget - scaledDown);
    sizes.set(rs.name, spec - count);
    scaledDown += count;
  }
  return result(cleanedUp, scaledDown);
}

// ---- scaling events (sync.go scale) ----

export type ScaleCandidate = ScaleDownCandidate & Pick<ReplicaSetSummary, 'annotations'>;

/** The desired-replicas and max-replicas annotations every ReplicaSet the controller scales carries. */
export function replicasAnnotations(replicas: number, maxSurge: number): Record<string, string> {
  return { [DESIRED_REPLICAS_ANNOTATION]: String(replicas), [MAX_REPLICAS_ANNOTATION]: String(replicas + maxSurge) };
}

/** isScalingEvent: some active ReplicaSet was annotated for a different replica count. */
export function isScalingEvent(replicas: number, replicaSets: readonly Pick<ScaleCandidate, 'specReplicas' | 'annotations'>[]): boolean {
  return replicaSets.some((rs) => {
    const desired = rs.specReplicas > 0 ? intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION) : undefined;
    return desired !== undefined && desired !== replicas;
  });
}

/** IsSaturated: the new ReplicaSet holds, believes in, and has available all the replicas. */
export function isSaturated(replicas: number, rs: Pick<ScaleCandidate, 'specReplicas' | 'availableReplicas' | 'annotations'> | undefined): boolean {
  return rs !== undefined && intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION) === replicas && rs.specReplicas === replicas && rs.availableReplicas === replicas;
}

/**
 * scale(): the sizes a sync sets when replicas change outside a rollout step (a scaling event or a
 * paused Deployment). A lone active ReplicaSet takes all replicas; a saturated new one retires the
 * old; otherwise a rolling Deployment spreads the difference by each ReplicaSet's share of its
 * max-replicas annotation, leftovers going to the largest (newest on ties up, oldest on ties down).
 */
export function proportionalScale(input: {
  readonly replicas: number;
  /** MaxSurge(d): see deploymentLimits */
  readonly maxSurge: number;
  readonly strategy: DeploymentStrategyType;
  /** d.status.replicas, the stand-in for a missing max-replicas annotation */
  readonly statusReplicas: number;
  readonly newReplicaSet?: ScaleCandidate;
  readonly oldReplicaSets: readonly ScaleCandidate[];
}): Readonly<Record<string, number>> {
  const { replicas, newReplicaSet } = input;
  const oldNewestFirst = [...input.oldReplicaSets].sort((a, b) => olderFirst(b, a));
  const all = newReplicaSet ? [...oldNewestFirst, newReplicaSet] : oldNewestFirst;
  const active = all.filter((rs) => rs.specReplicas > 0);

  // FindActiveOrLatest
  const lone = active.length === 0 ? (newReplicaSet ?? oldNewestFirst[0]) : active.length === 1 ? active[0] : undefined;
  if (lone) return lone.specReplicas === replicas ? {} : { [lone.name]: replicas };
  if (isSaturated(replicas, newReplicaSet)) {
    return Object.fromEntries(active.filter((rs) => rs !== newReplicaSet).map((rs) => [rs.name, 0]));
  }
  if (input.strategy !== 'RollingUpdate') return {};

  const allowed = replicas > 0 ? replicas + input.maxSurge : 0;
  const toAdd = allowed - sum(active.map((rs) => rs.specReplicas));
  const ordered = toAdd === 0 ? active : [...active].sort(largestFirst(toAdd > 0));
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of ordered) {
    const proportion = proportionOf(rs, { ...input, toAdd, added });
    sizes.set(rs.name, rs.specReplicas + proportion);
    added += proportion;
  }
  const first = ordered[0];
  if (first && toAdd !== 0) sizes.set(first.name, Math.max(0, (sizes.get(first.name) ?? 0) + toAdd - added));
  return Object.fromEntries(sizes);
}

/** GetProportion + getReplicaSetFraction: this ReplicaSet's share of the change, within what is left. */
function proportionOf(
  rs: ScaleCandidate,
  d: { readonly replicas: number; readonly maxSurge: number; readonly statusReplicas: number; readonly toAdd: number; readonly added: number },
): number {
  if (rs.specReplicas === 0 || d.toAdd === 0 || d.toAdd === d.added) return 0;
  let fraction: number;
  if (d.replicas === 0) {
    fraction = -rs.specReplicas;
  } else {
    const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? d.statusReplicas;
    // the sources assume a non-zero base; dividing by zero would yield a meaningless int32
    fraction = annotated > 0 ? Math.round((rs.specReplicas * (d.replicas + d.maxSurge)) / annotated) - rs.specReplicas : 0;
  }
  const allowed = d.toAdd - d.added;
  return d.toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

// ---- pod template hash ----

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

function fnv32a(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (const byte of bytes) h = Math.imul(h ^ byte, FNV32_PRIME) >>> 0;
  return h;
}

/** JSON with object keys sorted, so equal templates hash equally whatever their key order. */
function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The pod-template-hash label value: FNV-32a as ComputeHash, but over canonical JSON (Go's struct
 * printer is not reproducible), collisionCount appended as 8 little-endian bytes, then the decimal
 * digits mapped through SafeEncodeString's alphabet. Stable, not byte-identical to a real cluster.
 */
export function podTemplateHash(template: JsonObject, collisionCount?: number): string {
  let hash = fnv32a(FNV32_OFFSET, new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(hash, bytes);
  }
  return [...String(hash)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length] ?? '').join('');
}

/** Semantic.DeepEqual treats empty and nil maps/slices alike; in JSON: null, {} and [] = absent. */
function withoutEmpty(value: JsonValue): JsonValue | undefined {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((v) => withoutEmpty(v) ?? null);
  if (isJsonObject(value)) {
    const entries = Object.entries(value).flatMap(([k, v]) => {
      const kept = withoutEmpty(v);
      return kept === undefined ? [] : [[k, kept] as const];
    });
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value === null ? undefined : value;
}

function withoutHashLabel(template: JsonObject): JsonObject {
  const meta = objectAt(template, 'metadata');
  const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...labels } = objectAt(meta, 'labels');
  return { ...template, metadata: { ...meta, labels } };
}

/** EqualIgnoreHash: two pod templates equal once both lose their pod-template-hash label. */
export function templatesEqualIgnoringHash(a: JsonObject, b: JsonObject): boolean {
  return jsonEqual(withoutEmpty(withoutHashLabel(a)), withoutEmpty(withoutHashLabel(b)));
}

// ---- status and conditions ----

export const DeploymentReason = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export type DeploymentConditionType = 'Progressing' | 'Available' | 'ReplicaFailure';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A type alias (not an interface) so a condition drops straight into a JsonObject status. */
export type DeploymentCondition = {
  readonly type: DeploymentConditionType;
  readonly status: ConditionStatus;
  readonly lastUpdateTime: string;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
};

export type DeploymentStatus = {
  readonly observedGeneration: number;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly unavailableReplicas: number;
  readonly conditions: readonly DeploymentCondition[];
  readonly collisionCount?: number;
};

export function newDeploymentCondition(type: DeploymentConditionType, status: ConditionStatus, reason: string, message: string, now: Date): DeploymentCondition {
  const time = rfc3339(now);
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message };
}

export function getDeploymentCondition(conditions: readonly DeploymentCondition[], type: DeploymentConditionType): DeploymentCondition | undefined {
  return conditions.find((c) => c.type === type);
}

export function removeDeploymentCondition(conditions: readonly DeploymentCondition[], type: DeploymentConditionType): DeploymentCondition[] {
  return conditions.filter((c) => c.type !== type);
}

/**
 * SetDeploymentCondition: same status and reason leaves the old condition (times and message)
 * alone; same status with a new reason keeps lastTransitionTime; the result puts it last.
 */
export function setDeploymentCondition(conditions: readonly DeploymentCondition[], condition: DeploymentCondition): DeploymentCondition[] {
  const current = getDeploymentCondition(conditions, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return [...conditions];
  const next = current && current.status === condition.status ? { ...condition, lastTransitionTime: current.lastTransitionTime } : condition;
  return [...removeDeploymentCondition(conditions, condition.type), next];
}

export function hasProgressDeadline(progressDeadlineSeconds: number | undefined): progressDeadlineSeconds is number {
  return progressDeadlineSeconds !== undefined && progressDeadlineSeconds !== NO_PROGRESS_DEADLINE;
}

/** getNewReplicaSet's Progressing condition: NewReplicaSetCreated, or FoundNewReplicaSet when none is recorded yet. */
export function newReplicaSetConditions(
  input: { readonly conditions: readonly DeploymentCondition[]; readonly replicaSetName: string; readonly created: boolean; readonly progressDeadlineSeconds?: number },
  now: Date,
): DeploymentCondition[] {
  const { conditions, replicaSetName, created } = input;
  if (!hasProgressDeadline(input.progressDeadlineSeconds)) return [...conditions];
  if (created) {
    return setDeploymentCondition(conditions, newDeploymentCondition('Progressing', 'True', DeploymentReason.NewReplicaSetCreated, `Created new replica set ${JSON.stringify(replicaSetName)}`, now));
  }
  if (getDeploymentCondition(conditions, 'Progressing')) return [...conditions];
  return setDeploymentCondition(conditions, newDeploymentCondition('Progressing', 'True', DeploymentReason.FoundNewReplicaSet, `Found new replica set ${JSON.stringify(replicaSetName)}`, now));
}

type StatusCounts = Pick<ReplicaSetSummary, 'specReplicas' | 'statusReplicas' | 'readyReplicas' | 'availableReplicas'>;

/** calculateStatus: counts from the ReplicaSets, previous conditions kept, Available condition set. */
export function calculateStatus(
  input: {
    readonly generation: number;
    readonly replicas: number;
    /** MaxUnavailable(d): see deploymentLimits */
    readonly maxUnavailable: number;
    readonly previous: Pick<DeploymentStatus, 'conditions' | 'collisionCount'>;
    readonly newReplicaSet?: StatusCounts;
    readonly allReplicaSets: readonly StatusCounts[];
  },
  now: Date,
): DeploymentStatus {
  const all = input.allReplicaSets;
  const availableReplicas = sum(all.map((rs) => rs.availableReplicas));
  const available = availableReplicas >= input.replicas - input.maxUnavailable;
  const condition = available
    ? newDeploymentCondition('Available', 'True', DeploymentReason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now)
    : newDeploymentCondition('Available', 'False', DeploymentReason.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now);
  return {
    observedGeneration: input.generation,
    replicas: sum(all.map((rs) => rs.statusReplicas)),
    updatedReplicas: input.newReplicaSet?.statusReplicas ?? 0,
    readyReplicas: sum(all.map((rs) => rs.readyReplicas)),
    availableReplicas,
    // more available than desired happens while scaling down; that is no negative unavailability
    unavailableReplicas: Math.max(0, sum(all.map((rs) => rs.specReplicas)) - availableReplicas),
    conditions: setDeploymentCondition(input.previous.conditions, condition),
    ...(input.previous.collisionCount === undefined ? {} : { collisionCount: input.previous.collisionCount }),
  };
}

type Counts = Pick<DeploymentStatus, 'observedGeneration' | 'replicas' | 'updatedReplicas' | 'availableReplicas'>;

/** DeploymentComplete: every desired replica updated and available, no old pods, generation observed. */
export function deploymentComplete(d: { readonly replicas: number; readonly generation: number }, status: Counts): boolean {
  return status.updatedReplicas === d.replicas && status.replicas === d.replicas && status.availableReplicas === d.replicas && status.observedGeneration >= d.generation;
}

type ProgressCounts = Pick<DeploymentStatus, 'replicas' | 'updatedReplicas' | 'readyReplicas' | 'availableReplicas'>;

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than before. */
export function deploymentProgressing(previous: ProgressCounts, next: ProgressCounts): boolean {
  return (
    next.updatedReplicas > previous.updatedReplicas ||
    next.replicas - next.updatedReplicas < previous.replicas - previous.updatedReplicas ||
    next.readyReplicas > previous.readyReplicas ||
    next.availableReplicas > previous.availableReplicas
  );
}

/** DeploymentTimedOut: the Progressing condition has not been refreshed for progressDeadlineSeconds. */
export function deploymentTimedOut(now: Date, progressDeadlineSeconds: number | undefined, status: Pick<DeploymentStatus, 'conditions'>): boolean {
  if (!hasProgressDeadline(progressDeadlineSeconds)) return false;
  const condition = getDeploymentCondition(status.conditions, 'Progressing');
  // a finished rollout is not re-judged; a timed-out one stays timed out
  if (!condition || condition.reason === DeploymentReason.NewReplicaSetAvailable) return false;
  if (condition.reason === DeploymentReason.ProgressDeadlineExceeded) return true;
  return Date.parse(condition.lastUpdateTime) + progressDeadlineSeconds * 1000 < now.getTime();
}

export interface RolloutStatusInput {
  readonly deploymentName: string;
  readonly newReplicaSetName?: string;
  readonly replicas: number;
  readonly generation: number;
  readonly progressDeadlineSeconds?: number;
  /** the Deployment's status before this sync */
  readonly previous: DeploymentStatus;
  /** calculateStatus for this sync */
  readonly calculated: DeploymentStatus;
}

/**
 * syncRolloutStatus: the Progressing condition after a rollout step. Progress refreshes
 * lastUpdateTime under the same reason (keeping lastTransitionTime while it stays True), which
 * SetDeploymentCondition alone would not do.
 */
export function rolloutStatus(input: RolloutStatusInput, now: Date): DeploymentStatus {
  const { calculated, previous } = input;
  const deadline = hasProgressDeadline(input.progressDeadlineSeconds);
  let conditions = deadline ? [...calculated.conditions] : removeDeploymentCondition(calculated.conditions, 'Progressing');
  const current = getDeploymentCondition(previous.conditions, 'Progressing');
  const subject = input.newReplicaSetName === undefined ? `Deployment ${JSON.stringify(input.deploymentName)}` : `ReplicaSet ${JSON.stringify(input.newReplicaSetName)}`;
  const finished = calculated.replicas === calculated.updatedReplicas && current?.reason === DeploymentReason.NewReplicaSetAvailable;
  if (deadline && !finished) {
    if (deploymentComplete(input, calculated)) {
      conditions = setDeploymentCondition(conditions, newDeploymentCondition('Progressing', 'True', DeploymentReason.NewReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(previous, calculated)) {
      const fresh = newDeploymentCondition('Progressing', 'True', DeploymentReason.ReplicaSetUpdated, `${subject} is progressing.`, now);
      const kept = current?.status === 'True' ? { ...fresh, lastTransitionTime: current.lastTransitionTime } : fresh;
      conditions = [...removeDeploymentCondition(conditions, 'Progressing'), kept];
    } else if (deploymentTimedOut(now, input.progressDeadlineSeconds, { conditions })) {
      conditions = setDeploymentCondition(conditions, newDeploymentCondition('Progressing', 'False', DeploymentReason.ProgressDeadlineExceeded, `${subject} has timed out progressing.`, now));
    }
  }
  return { ...calculated, conditions };
}

/**
 * requeueStuckDeployment: ms until the deadline check is due again (0 = now), or undefined when no
 * check is needed; a controller arms a SchedulingClock timer with it.
 */
export function progressRecheckAfter(input: RolloutStatusInput, now: Date): number | undefined {
  const current = getDeploymentCondition(input.previous.conditions, 'Progressing');
  if (!hasProgressDeadline(input.progressDeadlineSeconds) || !current) return undefined;
  if (deploymentComplete(input, input.calculated) || current.reason === DeploymentReason.ProgressDeadlineExceeded) return undefined;
  const after = Date.parse(current.lastUpdateTime) + input.progressDeadlineSeconds * 1000 - now.getTime();
  // under a second the sources requeue at once (rate-limited); otherwise they add a second of slack
  return after < 1000 ? 0 : after + 1000;
}
