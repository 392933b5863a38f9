/**
 * The sync planner, pure: which objects to apply and prune, in which order.
 *
 * Order: sync waves (annotation `sluice.dev/sync-wave`, else Argo CD's `argocd.argoproj.io/sync-wave`,
 * an integer, default 0) ascending;
 * inside a wave, tiers by kind so that what others depend on exists first (Namespaces,
 * CRDs, identities and RBAC, config, storage, Services, workloads, Ingress, autoscalers,
 * then everything else — custom resources after their CRDs). Each tier is one step whose
 * tasks may run concurrently. Prunes of a wave follow its applies, in reverse tier order
 * (workloads go before the ConfigMaps they mount); with PruneLast every prune waits until
 * after the last wave.
 */
import type { JsonObject } from '../json.ts';
import { annotationsOf, keyOf, keyString, type ResourceKey } from './resource-key.ts';
import { isTrackedBy, trackedBy, type AppRef } from './tracking.ts';

export const SYNC_WAVE_ANNOTATION = 'sluice.dev/sync-wave';
/** Argo CD's, read the same way so manifests written for Argo CD keep their order; Sluice's wins when both are set. */
export const ARGOCD_SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

const TIERS: readonly (readonly string[])[] = [
  ['Namespace'],
  ['CustomResourceDefinition'],
  ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass', 'ResourceQuota', 'LimitRange'],
  ['ConfigMap', 'Secret'],
  ['PersistentVolume', 'PersistentVolumeClaim'],
  ['Service', 'Endpoints', 'EndpointSlice'],
  ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Pod', 'Job', 'CronJob'],
  ['Ingress', 'IngressClass', 'NetworkPolicy'],
  ['HorizontalPodAutoscaler', 'PodDisruptionBudget'],
];
/** Everything unlisted (custom resources included) goes here; admission webhooks after it, as they can block the rest. */
const OTHER_TIER = TIERS.length;
const WEBHOOK_TIER = TIERS.length + 1;
const TIER_BY_KIND = new Map(TIERS.flatMap((kinds, tier) => kinds.map((kind) => [kind, tier] as const)));

export function tierOf(kind: string): number {
  if (kind === 'MutatingWebhookConfiguration' || kind === 'ValidatingWebhookConfiguration') return WEBHOOK_TIER;
  return TIER_BY_KIND.get(kind) ?? OTHER_TIER;
}

export interface ApplyTask {
  readonly action: 'apply';
  readonly key: ResourceKey;
  readonly desired: JsonObject;
  readonly live: JsonObject | undefined;
}

export interface PruneTask {
  readonly action: 'prune';
  readonly key: ResourceKey;
  readonly live: JsonObject;
}

export type SyncTask = ApplyTask | PruneTask;

/** Tasks that may run together; steps run one after another. */
export interface SyncStep {
  readonly wave: number;
  readonly tasks: readonly SyncTask[];
}

/** Why an object was left out of the plan. */
export interface PlanProblem {
  readonly key: ResourceKey;
  readonly message: string;
}

export interface SyncPlan {
  readonly steps: readonly SyncStep[];
  /** Objects that cannot be synced (e.g. owned by another app); the operation fails on them. */
  readonly conflicts: readonly PlanProblem[];
  /** Notes that do not fail the operation (e.g. a labelled object another app tracks). */
  readonly skipped: readonly PlanProblem[];
}

export interface PlanInput {
  readonly app: AppRef;
  /** Rendered objects, namespaced and carrying the app's tracking (see withTracking). */
  readonly desired: readonly JsonObject[];
  /** Live objects by keyString: the desired ones that exist, and everything labelled for the app. */
  readonly live: ReadonlyMap<string, JsonObject>;
  readonly prune: boolean;
  readonly pruneLast: boolean;
  /** Selective sync: only these keys (keyString) are applied or pruned. */
  readonly only?: ReadonlySet<string>;
}

export function planSync(input: PlanInput): SyncPlan {
  const conflicts: PlanProblem[] = [];
  const skipped: PlanProblem[] = [];
  const selected = (key: ResourceKey) => input.only === undefined || input.only.has(keyString(key));
  const tasks: { task: SyncTask; wave: number }[] = [];
  const desiredKeys = new Set<string>();

  for (const desired of input.desired) {
    const key = keyOf(desired);
    desiredKeys.add(keyString(key));
    if (!selected(key)) continue;
    const wave = waveOf(desired);
    if (typeof wave === 'string') {
      conflicts.push({ key, message: wave });
      continue;
    }
    const live = input.live.get(keyString(key));
    const owner = live === undefined ? undefined : trackedBy(live);
    if (owner !== undefined && (owner.namespace !== input.app.namespace || owner.name !== input.app.name)) {
      conflicts.push({ key, message: `${keyString(key)} is managed by application ${owner.namespace}/${owner.name}; not applied` });
      continue;
    }
    tasks.push({ task: { action: 'apply', key, desired, live }, wave });
  }

  for (const [id, live] of input.live) {
    if (desiredKeys.has(id)) continue;
    const key = keyOf(live);
    if (!selected(key) || !input.prune) continue;
    if (!isTrackedBy(live, input.app)) {
      const owner = trackedBy(live);
      if (owner !== undefined) skipped.push({ key, message: `${id} carries this app's label but is tracked by ${owner.namespace}/${owner.name}; not pruned` });
      continue;
    }
    if (isBeingDeleted(live)) continue;
    const wave = waveOf(live);
    tasks.push({ task: { action: 'prune', key, live }, wave: typeof wave === 'number' ? wave : 0 });
  }

  return { steps: orderSteps(tasks, input.pruneLast), conflicts, skipped };
}

function orderSteps(tasks: readonly { task: SyncTask; wave: number }[], pruneLast: boolean): SyncStep[] {
  const LAST = Number.POSITIVE_INFINITY;
  const groups = new Map<string, { wave: number; phase: number; tier: number; tasks: SyncTask[] }>();
  for (const { task, wave } of tasks) {
    const stepWave = task.action === 'prune' && pruneLast ? LAST : wave;
    const phase = task.action === 'apply' ? 0 : 1;
    const tier = task.action === 'apply' ? tierOf(task.key.kind) : -tierOf(task.key.kind);
    const id = `${stepWave}|${phase}|${tier}`;
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { wave: stepWave, phase, tier, tasks: [] }));
    group.tasks.push(task);
  }
  return [...groups.values()]
    .sort((a, b) => a.wave - b.wave || a.phase - b.phase || a.tier - b.tier)
    .map((g) => ({ wave: g.wave, tasks: g.tasks.sort((x, y) => compareKeys(x.key, y.key)) }));
}

function compareKeys(a: ResourceKey, b: ResourceKey): number {
  const x = keyString(a);
  const y = keyString(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The object's sync wave, or an error message when the annotation is not an integer. */
function waveOf(object: JsonObject): number | string {
  const annotations = annotationsOf(object);
  const name = annotations[SYNC_WAVE_ANNOTATION] !== undefined ? SYNC_WAVE_ANNOTATION : ARGOCD_SYNC_WAVE_ANNOTATION;
  const raw = annotations[name];
  if (raw === undefined) return 0;
  if (!/^-?\d+$/.test(raw.trim())) return `${keyString(keyOf(object))}: annotation ${name} must be an integer, got "${raw}"`;
  return Number.parseInt(raw, 10);
}

function isBeingDeleted(object: JsonObject): boolean {
  const metadata = object['metadata'];
  return typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) && metadata['deletionTimestamp'] !== undefined;
}
