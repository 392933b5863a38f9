/**
 * The StatefulSet controller's decisions, pure: what kubernetes/kubernetes
 * pkg/controller/statefulset (stateful_set_control.go updateStatefulSet, stateful_set_utils.go)
 * does to a set's pods in one sync — which ordinal to create at which revision, which pod to
 * delete — and the status it reports, minus the API calls. `now` is passed in.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { deletionTimestampOf, labelsOf, metadataOf, nameOf } from '../object-meta.ts';
import { scaledValue, type IntOrPercent } from './deployment-math.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from './controller-history.ts';
import { isPodAvailable, isPodReady, podPhase } from './pods.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** missing ordinals one sync plans at most (the simulator's bound; a real controller lists them all) */
const MAX_MISSING_SLOTS = 500;

export const POD_MANAGEMENT_POLICIES = ['OrderedReady', 'Parallel'] as const;
export type PodManagementPolicy = (typeof POD_MANAGEMENT_POLICIES)[number];
export type ClaimRetention = 'Retain' | 'Delete';

export type StatefulSetStrategy =
  | { readonly type: 'RollingUpdate'; readonly partition: number; readonly maxUnavailable?: IntOrPercent; readonly hasRollingUpdate: boolean }
  | { readonly type: 'OnDelete' };

/** The parts of a StatefulSet the controller reads, defaults applied. */
export interface StatefulSetView {
  readonly name: string;
  readonly namespace: string;
  readonly generation: number;
  readonly replicas: number;
  readonly startOrdinal: number;
  readonly podManagementPolicy: PodManagementPolicy;
  readonly strategy: StatefulSetStrategy;
  readonly minReadySeconds: number;
  readonly serviceName: string;
  readonly claimTemplates: readonly JsonObject[];
  readonly retention: { readonly whenDeleted: ClaimRetention; readonly whenScaled: ClaimRetention };
  readonly deleting: boolean;
  readonly status: { readonly currentRevision?: string; readonly currentReplicas: number; readonly collisionCount?: number };
}

const num = (v: JsonValue | undefined, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {});
const retention = (v: JsonValue | undefined): ClaimRetention => (v === 'Delete' ? 'Delete' : 'Retain');

export function statefulSetView(set: JsonObject): StatefulSetView {
  const spec = obj(set.spec);
  const status = obj(set.status);
  const strategy = obj(spec.updateStrategy);
  const ru = isJsonObject(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
  const maxUnavailable = ru?.maxUnavailable;
  const policy = obj(spec.persistentVolumeClaimRetentionPolicy);
  return {
    name: nameOf(set),
    namespace: String(metadataOf(set).namespace ?? ''),
    generation: num(metadataOf(set).generation, 0),
    replicas: num(spec.replicas, 1),
    startOrdinal: num(obj(spec.ordinals).start, 0),
    podManagementPolicy: spec.podManagementPolicy === 'Parallel' ? 'Parallel' : 'OrderedReady',
    strategy:
      strategy.type === 'OnDelete'
        ? { type: 'OnDelete' }
        : {
            type: 'RollingUpdate',
            partition: num(ru?.partition, 0),
            hasRollingUpdate: ru !== undefined,
            ...(typeof maxUnavailable === 'number' || typeof maxUnavailable === 'string' ? { maxUnavailable } : {}),
          },
    minReadySeconds: num(spec.minReadySeconds, 0),
    serviceName: typeof spec.serviceName === 'string' ? spec.serviceName : '',
    claimTemplates: Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates.filter(isJsonObject) : [],
    retention: { whenDeleted: retention(policy.whenDeleted), whenScaled: retention(policy.whenScaled) },
    deleting: deletionTimestampOf(set) !== undefined,
    status: {
      ...(typeof status.currentRevision === 'string' ? { currentRevision: status.currentRevision } : {}),
      currentReplicas: num(status.currentReplicas, 0),
      ...(typeof status.collisionCount === 'number' ? { collisionCount: status.collisionCount } : {}),
    },
  };
}

// ---- identity ----

const ORDINAL_NAME = /^(.*)-([0-9]+)$/;
const MAX_INT32 = 2 ** 31 - 1;

/** getParentNameAndOrdinal: "web-3" → {parent: "web", ordinal: 3}; ordinal -1 when the name has none. */
export function parentAndOrdinal(podName: string): { parent: string; ordinal: number } {
  const m = ORDINAL_NAME.exec(podName);
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return { parent: m[1] ?? '', ordinal: ordinal <= MAX_INT32 ? ordinal : -1 };
}

export const podName = (set: string, ordinal: number): string => `${set}-${ordinal}`;
export const claimName = (claim: string, set: string, ordinal: number): string => `${claim}-${set}-${ordinal}`;

/** isMemberOf: the pod's name says it belongs to this set. */
export function isMemberOf(setName: string, pod: JsonObject): boolean {
  return parentAndOrdinal(nameOf(pod)).parent === setName;
}

/** What updateIdentity writes on a pod: its name as a label and its ordinal as another. */
export function identityLabels(set: string, ordinal: number): Record<string, string> {
  return { [POD_NAME_LABEL]: podName(set, ordinal), [POD_INDEX_LABEL]: String(ordinal) };
}

// ---- pods as the algorithm sees them ----

export interface MemberPod {
  readonly name: string;
  readonly ordinal: number;
  readonly revision: string;
  readonly phase: string;
  /** isRunningAndReady */
  readonly ready: boolean;
  /** isRunningAndAvailable: ready for minReadySeconds */
  readonly available: boolean;
  readonly terminating: boolean;
  /** identityMatches (the label part; name and namespace hold by construction) */
  readonly identityOk: boolean;
}

export function memberPod(pod: JsonObject, set: Pick<StatefulSetView, 'name' | 'minReadySeconds'>, now: Date): MemberPod {
  const name = nameOf(pod);
  const { ordinal } = parentAndOrdinal(name);
  const labels = labelsOf(pod);
  const phase = podPhase(pod);
  const expected = identityLabels(set.name, ordinal);
  return {
    name,
    ordinal,
    revision: labels[CONTROLLER_REVISION_HASH_LABEL] ?? '',
    phase,
    ready: phase === 'Running' && isPodReady(pod),
    available: isPodAvailable(pod, set.minReadySeconds, now),
    terminating: deletionTimestampOf(pod) !== undefined,
    identityOk: Object.entries(expected).every(([k, v]) => labels[k] === v),
  };
}

/** isUnavailable: not available for minReadySeconds, or on its way out. */
const unavailable = (p: MemberPod): boolean => !p.available || p.terminating;
const finished = (p: MemberPod): boolean => p.phase === 'Failed' || p.phase === 'Succeeded';

// ---- the plan ----

export type RevisionChoice = 'current' | 'update';

export type StatefulSetAction =
  | { readonly type: 'createPod'; readonly ordinal: number; readonly revision: RevisionChoice }
  | { readonly type: 'deletePod'; readonly pod: string; readonly cause: 'finished' | 'scaleDown' | 'update' }
  | { readonly type: 'createMissingClaims'; readonly pod: string }
  | { readonly type: 'fixIdentity'; readonly pod: string };

/** One slot of [start, start+replicas): the pod there, or the one to create at a revision. */
type Slot = { readonly kind: 'pod'; readonly pod: MemberPod } | { readonly kind: 'missing'; readonly ordinal: number; readonly revision: RevisionChoice };

interface Step {
  readonly actions: StatefulSetAction[];
  /** in OrderedReady mode, nothing after this may happen in this sync */
  readonly block: boolean;
}

export interface PlanInput {
  readonly set: StatefulSetView;
  /** the set's claimed member pods */
  readonly pods: readonly MemberPod[];
  readonly updateRevision: string;
}

/**
 * updateStatefulSet: create missing ordinals (ordinals below the partition at the current
 * revision), replace finished pods, delete ordinals past the end from the highest down, then
 * roll pods of other revisions from the highest ordinal down to the partition. OrderedReady
 * stops at the first pod that is not Running, Ready and available; Parallel does not wait.
 */
export function planStatefulSet(input: PlanInput): StatefulSetAction[] {
  const { set, updateRevision } = input;
  if (set.deleting) return [];
  const { slots, condemned, truncated } = partitionPods(set, input.pods);
  const firstUnavailable = [...slots.flatMap((s) => (s.kind === 'pod' ? [s.pod] : [])), ...[...condemned].reverse()].find(unavailable);
  const monotonic = set.podManagementPolicy === 'OrderedReady';
  const actions: StatefulSetAction[] = [];
  for (const slot of slots) {
    const step = processReplica(slot, monotonic);
    actions.push(...step.actions);
    if (monotonic && step.block) return actions;
  }
  for (const pod of condemned) {
    const step = processCondemned(pod, firstUnavailable, monotonic);
    actions.push(...step.actions);
    if (monotonic && step.block) return actions;
  }
  // a missing top ordinal holds every update back (rollOneAtATime), as the slots cut off would
  if (set.strategy.type === 'OnDelete' || truncated) return actions;
  const deleted = new Set(actions.flatMap((a) => (a.type === 'deletePod' ? [a.pod] : [])));
  const live = slots.map((s): Slot => (s.kind === 'pod' && deleted.has(s.pod.name) ? { kind: 'pod', pod: { ...s.pod, terminating: true } } : s));
  const update = set.strategy.maxUnavailable === undefined ? rollOneAtATime(set, live, updateRevision) : rollWithMaxUnavailable(set, live, updateRevision);
  return [...actions, ...update];
}

/**
 * The slots of [start, start+replicas) and the pods past them. Slots stop after
 * MAX_MISSING_SLOTS missing ordinals past the last pod (`truncated`): a huge `replicas` costs
 * a sync no more than that, and the rest are planned by later syncs.
 */
function partitionPods(set: StatefulSetView, pods: readonly MemberPod[]): { slots: Slot[]; condemned: MemberPod[]; truncated: boolean } {
  const end = set.startOrdinal + set.replicas;
  const byOrdinal = new Map(pods.filter((p) => p.ordinal >= set.startOrdinal && p.ordinal < end).map((p) => [p.ordinal, p]));
  let lastPod = set.startOrdinal - 1;
  for (const ordinal of byOrdinal.keys()) lastPod = Math.max(lastPod, ordinal);
  const slotsEnd = Math.min(end, lastPod + 1 + MAX_MISSING_SLOTS);
  const slots: Slot[] = [];
  for (let ordinal = set.startOrdinal; ordinal < slotsEnd; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    slots.push(pod ? { kind: 'pod', pod } : { kind: 'missing', ordinal, revision: revisionForNewPod(set, ordinal) });
  }
  const condemned = pods.filter((p) => p.ordinal >= 0 && (p.ordinal < set.startOrdinal || p.ordinal >= end)).sort((a, b) => b.ordinal - a.ordinal);
  return { slots, condemned, truncated: slotsEnd < end };
}

/** newVersionedStatefulSetPod: ordinals below the partition are (re)created at the current revision. */
export function revisionForNewPod(set: StatefulSetView, ordinal: number): RevisionChoice {
  const s = set.strategy;
  if (s.type !== 'RollingUpdate') return 'update';
  const below = s.hasRollingUpdate ? set.startOrdinal + s.partition : set.startOrdinal + set.status.currentReplicas;
  return ordinal < below ? 'current' : 'update';
}

function processReplica(slot: Slot, monotonic: boolean): Step {
  if (slot.kind === 'missing') return { actions: [{ type: 'createPod', ordinal: slot.ordinal, revision: slot.revision }], block: monotonic };
  const pod = slot.pod;
  // a finished pod (Failed, or Succeeded after an eviction) is deleted and recreated next sync
  if (finished(pod)) return { actions: pod.terminating ? [] : [{ type: 'deletePod', pod: pod.name, cause: 'finished' }], block: true };
  const actions: StatefulSetAction[] = pod.phase === 'Pending' ? [{ type: 'createMissingClaims', pod: pod.name }] : [];
  if (monotonic && (pod.terminating || !pod.ready || !pod.available)) return { actions, block: true };
  if (!pod.identityOk) actions.push({ type: 'fixIdentity', pod: pod.name });
  return { actions, block: false };
}

function processCondemned(pod: MemberPod, firstUnavailable: MemberPod | undefined, monotonic: boolean): Step {
  if (pod.terminating) return { actions: [], block: monotonic };
  // an unhealthy pod blocks scale down unless it is the one to go first
  if (monotonic && (!pod.ready || !pod.available) && pod !== firstUnavailable) return { actions: [], block: true };
  return { actions: [{ type: 'deletePod', pod: pod.name, cause: 'scaleDown' }], block: true };
}

const slotRevision = (s: Slot, updateRevision: string): string => (s.kind === 'pod' ? s.pod.revision : s.revision === 'update' ? updateRevision : '');
const slotUnavailable = (s: Slot): boolean => s.kind === 'missing' || unavailable(s.pod);
const updateFloor = (set: StatefulSetView): number => (set.strategy.type === 'RollingUpdate' && set.strategy.hasRollingUpdate ? set.strategy.partition : 0);

/** The default RollingUpdate: delete the highest pod not at the update revision, once all above it are available. */
function rollOneAtATime(set: StatefulSetView, slots: readonly Slot[], updateRevision: string): StatefulSetAction[] {
  for (let i = slots.length - 1; i >= updateFloor(set); i--) {
    const slot = slots[i]!;
    if (slotRevision(slot, updateRevision) !== updateRevision && !(slot.kind === 'pod' && slot.pod.terminating)) {
      return slot.kind === 'pod' ? [{ type: 'deletePod', pod: slot.pod.name, cause: 'update' }] : [];
    }
    if (slotUnavailable(slot)) return [];
  }
  return [];
}

/** getStatefulSetMaxUnavailable: int or percent of replicas rounded down, never below 1. */
export function statefulSetMaxUnavailable(value: IntOrPercent | undefined, replicas: number): number {
  return Math.max(1, scaledValue(value ?? 1, replicas, false));
}

/** With maxUnavailable (MaxUnavailableStatefulSet): delete up to maxUnavailable minus the unavailable, top down. */
function rollWithMaxUnavailable(set: StatefulSetView, slots: readonly Slot[], updateRevision: string): StatefulSetAction[] {
  const s = set.strategy;
  const max = statefulSetMaxUnavailable(s.type === 'RollingUpdate' ? s.maxUnavailable : undefined, set.replicas);
  const budget = max - slots.filter(slotUnavailable).length;
  const actions: StatefulSetAction[] = [];
  for (let i = slots.length - 1; i >= updateFloor(set) && actions.length < budget; i--) {
    const slot = slots[i]!;
    if (slot.kind === 'pod' && slot.pod.revision !== updateRevision && !slot.pod.terminating) {
      actions.push({ type: 'deletePod', pod: slot.pod.name, cause: 'update' });
    }
  }
  return actions;
}

// ---- status ----

export interface StatefulSetStatus {
  readonly observedGeneration: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly currentReplicas: number;
  readonly updatedReplicas: number;
  readonly availableReplicas: number;
  readonly currentRevision: string;
  readonly updateRevision: string;
  readonly collisionCount: number;
}

export interface StatusInput {
  readonly set: StatefulSetView;
  readonly pods: readonly MemberPod[];
  readonly currentRevision: string;
  readonly updateRevision: string;
  readonly collisionCount: number;
}

/**
 * updateStatus + completeRollingUpdate: counts over the member pods; once every pod is at the
 * update revision and ready, the update revision becomes the current one (RollingUpdate only).
 */
export function statefulSetStatus(input: StatusInput): StatefulSetStatus {
  const pods = input.pods.filter((p) => p.ordinal >= 0);
  const live = pods.filter((p) => !p.terminating);
  const replicas = pods.length;
  const readyReplicas = pods.filter((p) => p.ready).length;
  const updatedReplicas = live.filter((p) => p.revision === input.updateRevision).length;
  const complete = input.set.strategy.type === 'RollingUpdate' && updatedReplicas === replicas && readyReplicas === replicas;
  return {
    observedGeneration: input.set.generation,
    replicas,
    readyReplicas,
    currentReplicas: complete ? updatedReplicas : live.filter((p) => p.revision === input.currentRevision).length,
    updatedReplicas,
    availableReplicas: pods.filter((p) => p.ready && p.available).length,
    currentRevision: complete ? input.updateRevision : input.currentRevision,
    updateRevision: input.updateRevision,
    collisionCount: input.collisionCount,
  };
}
