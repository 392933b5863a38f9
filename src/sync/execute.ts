/**
 * Running a sync plan against the cluster: steps in order, the tasks of a step
 * concurrently (bounded). An apply creates a missing object (with the last-applied
 * annotation, as `kubectl apply` does), patches a changed one with the three-way patch,
 * and leaves a synced one alone; a prune deletes. Before a step of a later wave starts,
 * everything applied so far must be healthy: a wave waits for the previous one.
 *
 * The first failure stops the operation after its step: later steps do not run, and the
 * outcome lists exactly what was applied.
 */
import { diffResource, type ResourceDiff } from '../diff/resource-diff.ts';
import { applyMergePatch } from '../diff/merge-patch.ts';
import { forServerSideApply, withLastApplied } from '../diff/three-way.ts';
import type { IgnoreDifference } from '../app/types.ts';
import { assessHealth } from '../health/index.ts';
import { KubeError, UnservedKindError } from '../kube/errors.ts';
import { refOf, type KubeClient } from '../kube/client.ts';
import { isAbortError } from '../kube/transport.ts';
import type { ObjectRef, PatchOptions } from '../kube/types.ts';
import type { JsonObject, JsonValue } from '../json.ts';
import { forEachLimited } from './compare.ts';
import type { ApplyTask, PruneTask, SyncPlan } from './plan.ts';
import { keyString, type ResourceKey } from './resource-key.ts';
import type { ResourceOutcome } from './types.ts';

export interface ExecuteOptions {
  readonly ignore: readonly IgnoreDifference[];
  /** The compare's diffs by keyString, made against the same live objects as the plan: reused rather than recomputed. */
  readonly diffs?: ReadonlyMap<string, ResourceDiff>;
  readonly serverSideApply: boolean;
  readonly concurrency: number;
  /** How long a wave may take to become healthy before the operation fails. */
  readonly waveTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * By keyString: an extra merge into the patch of a changed object (a rollout holds a
   * Deployment paused, a StatefulSet behind its partition, from the write that changes it).
   */
  readonly holds?: ReadonlyMap<string, JsonObject>;
  /** The operation's signal: no step starts and no wait goes on once it fires (the kube client should be bound to it too). */
  readonly signal?: AbortSignal;
  /** Runs after a wave's writes, before its health is awaited (the wave's Sync hooks); its gate stops or suspends the operation. */
  readonly afterWave?: (wave: number) => Promise<Gate>;
  /**
   * `yield`: where the operation would wait (a wave's health, a hook), it looks once and, if
   * the answer is "not yet", returns `waiting` instead, so the caller can persist where it
   * stands and end its job (a controller); `poll` (default): it waits in place (the CLI).
   */
  readonly waits?: WaitMode;
}

export type WaitMode = 'poll' | 'yield';

/**
 * Whether an operation may go past a point: undefined when it may; `failure` when it must
 * stop; `waiting` (yield mode only) when not yet, saying what it waits for.
 */
export type Gate = undefined | { readonly failure: string } | { readonly waiting: string };

export interface ExecuteResult {
  readonly outcomes: ResourceOutcome[];
  readonly failure?: string;
  /**
   * yield mode: the wave whose gate (Sync hooks, health) is not passed yet, and what it waits
   * for; or, with `rollout`, the wave after one that holds workloads for a rollout: that
   * wave is applied, and its held workloads (by keyString) must be rolled out before `wave` starts.
   */
  readonly waiting?: { readonly wave: number; readonly message: string; readonly rollout?: readonly string[] };
}

export async function executePlan(kube: KubeClient, plan: SyncPlan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const outcomes: ResourceOutcome[] = [];
  const appliedThisWave: { ref: ObjectRef; key: ResourceKey }[] = [];
  let currentWave: number | undefined;
  const stopped = (wave: number, gate: Gate): ExecuteResult | undefined =>
    gate === undefined ? undefined : 'failure' in gate ? { outcomes, failure: gate.failure } : { outcomes, waiting: { wave, message: gate.waiting } };
  for (const step of plan.steps) {
    opts.signal?.throwIfAborted();
    if (currentWave !== undefined && step.wave !== currentWave) {
      const hooks = stopped(currentWave, await opts.afterWave?.(currentWave));
      if (hooks !== undefined) return hooks;
      // A held workload counts as Suspended, which the health gate would pass at once: the
      // next wave waits instead for its rollout, which the caller drives (yield mode only).
      const held = opts.waits === 'yield' ? appliedThisWave.map((a) => keyString(a.key)).filter((k) => opts.holds?.has(k)) : [];
      if (held.length > 0) return { outcomes, waiting: { wave: step.wave, message: `waits for the rollout of wave ${currentWave} (${held.join(', ')})`, rollout: held } };
      const health = await healthGate(kube, appliedThisWave, opts);
      const unhealthy = stopped(currentWave, health !== undefined && 'failure' in health ? { failure: `wave ${currentWave} did not become healthy: ${health.failure}` } : health);
      if (unhealthy !== undefined) return unhealthy;
      appliedThisWave.splice(0);
    }
    currentWave = step.wave;
    const results: ResourceOutcome[] = [];
    await forEachLimited(step.tasks, opts.concurrency, async (task) => {
      const outcome = task.action === 'apply' ? await applyOne(kube, task, opts) : await pruneOne(kube, task);
      results.push(outcome);
      if (task.action === 'apply' && outcome.action !== 'failed') appliedThisWave.push({ ref: refOf(task.desired), key: task.key });
    });
    outcomes.push(...results.sort((a, b) => (keyString(a.key) < keyString(b.key) ? -1 : 1)));
    const failed = results.filter((r) => r.action === 'failed');
    if (failed.length > 0) return { outcomes, failure: failed.map((f) => `${keyString(f.key)}: ${f.message ?? 'failed'}`).join('; ') };
  }
  return (currentWave === undefined ? undefined : stopped(currentWave, await opts.afterWave?.(currentWave))) ?? { outcomes };
}

/** A sleep that ends early, rejecting, when the signal fires. */
export function abortableSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/** A CRD applied a moment ago may not be served yet (real API servers establish it asynchronously). */
const UNSERVED_KIND_RETRIES = 20;
const UNSERVED_KIND_DELAY_MS = 500;

async function applyOne(kube: KubeClient, task: ApplyTask, opts: ExecuteOptions): Promise<ResourceOutcome> {
  const sleep = opts.sleep ?? abortableSleep(opts.signal);
  for (let attempt = 0; ; attempt++) {
    try {
      return await applyOnce(kube, task, opts);
    } catch (e) {
      if (isAbortError(e)) throw e;
      if (!(e instanceof UnservedKindError) || attempt >= UNSERVED_KIND_RETRIES) return { key: task.key, action: 'failed', message: e instanceof Error ? e.message : String(e) };
      // Discovery keeps "not served" for a while, but this kind is expected to appear: ask again, at once the first time.
      kube.discovery.invalidate(e.apiVersion);
      if (attempt > 0) await sleep(UNSERVED_KIND_DELAY_MS);
    }
  }
}

/** The write a patch of an existing object makes, or none when it is synced. */
export type PatchRequest =
  | { readonly verb: 'patch'; readonly ref: ObjectRef; readonly body: JsonValue; readonly options: PatchOptions }
  | { readonly verb: 'none' };

/** The one request an apply task makes (the dry run sends the same). */
export type ApplyRequest = { readonly verb: 'create'; readonly body: JsonObject } | PatchRequest;

/** What applying `task` sends: a create of a missing object, or the patch the compare's (or a fresh) diff calls for. */
export function applyRequest(task: ApplyTask, opts: Pick<ExecuteOptions, 'ignore' | 'diffs' | 'serverSideApply' | 'holds'>): ApplyRequest {
  const compared = opts.diffs?.get(keyString(task.key));
  if (task.live === undefined) {
    // Server-side apply creates too, so that the object's fields are owned by Sluice's apply from the start.
    if (opts.serverSideApply) return { verb: 'patch', ref: refOf(task.desired), body: forServerSideApply(task.desired), options: { type: 'apply', force: true } };
    return { verb: 'create', body: compared?.status === 'Missing' && compared.predicted !== undefined ? compared.predicted : withLastApplied(task.desired) };
  }
  const diff = compared !== undefined && compared.status !== 'Missing' ? compared : diffResource({ desired: task.desired, live: task.live, ignore: opts.ignore });
  return patchRequest(task, diff, opts);
}

function patchRequest(task: ApplyTask, diff: ResourceDiff, opts: Pick<ExecuteOptions, 'serverSideApply' | 'holds'>): PatchRequest {
  if (diff.status === 'Synced') return { verb: 'none' };
  const ref = refOf(task.desired);
  const hold = opts.holds?.get(keyString(task.key));
  const held = (body: JsonValue): JsonValue => (hold === undefined ? body : applyMergePatch(body, hold));
  // Applied server-side, the held fields are Sluice's apply's own until the rollout's pacing
  // patches take them over (an update takes ownership); an apply without them (the next
  // revision, a rollback) then leaves them to the pacing, or clears them if still ours.
  // Either way the last-applied annotation, made from the manifest, does not have them.
  if (opts.serverSideApply) return { verb: 'patch', ref, body: held(forServerSideApply(task.desired)), options: { type: 'apply', force: true } };
  if (diff.patch === undefined || Object.keys(diff.patch).length === 0) return { verb: 'none' };
  return { verb: 'patch', ref, body: held(diff.patch), options: { type: diff.patchType } };
}

async function applyOnce(kube: KubeClient, task: ApplyTask, opts: ExecuteOptions): Promise<ResourceOutcome> {
  const request = applyRequest(task, opts);
  if (request.verb !== 'create') {
    const outcome = await send(kube, task, request);
    return task.live === undefined && outcome.action === 'configured' ? { ...outcome, action: 'created' } : outcome;
  }
  try {
    await kube.create(request.body, { answer: 'none' });
    return { key: task.key, action: 'created' };
  } catch (e) {
    // Created by someone else since we looked: compare with what is there now.
    if (!(e instanceof KubeError) || e.reason !== 'AlreadyExists') throw e;
    const live = await kube.get(refOf(task.desired));
    if (live === undefined) throw e;
    return send(kube, task, patchRequest(task, diffResource({ desired: task.desired, live, ignore: opts.ignore }), opts));
  }
}

async function send(kube: KubeClient, task: ApplyTask, request: PatchRequest): Promise<ResourceOutcome> {
  if (request.verb === 'none') return { key: task.key, action: 'unchanged' };
  await kube.patch(request.ref, request.body, { ...request.options, answer: 'none' });
  return { key: task.key, action: 'configured' };
}

async function pruneOne(kube: KubeClient, task: PruneTask): Promise<ResourceOutcome> {
  try {
    await kube.delete(refOf(task.live), { propagationPolicy: 'Background' });
    return { key: task.key, action: 'pruned' };
  } catch (e) {
    if (isAbortError(e)) throw e;
    return { key: task.key, action: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Until all the objects are Healthy or Suspended (a Degraded one fails at once): polled in
 * place up to waveTimeoutMs, or in yield mode looked at once (`waiting` says which are not).
 */
export async function healthGate(kube: KubeClient, applied: readonly { ref: ObjectRef; key: ResourceKey }[], opts: Pick<ExecuteOptions, 'waveTimeoutMs' | 'pollIntervalMs' | 'sleep' | 'signal' | 'waits'>): Promise<Gate> {
  const sleep = opts.sleep ?? abortableSleep(opts.signal);
  const deadline = Date.now() + opts.waveTimeoutMs;
  for (;;) {
    const problems: string[] = [];
    for (const { ref, key } of applied) {
      const health = assessHealth(await kube.get(ref));
      if (health.status === 'Degraded') return { failure: `${keyString(key)} is Degraded${health.message ? `: ${health.message}` : ''}` };
      if (health.status !== 'Healthy' && health.status !== 'Suspended') problems.push(`${keyString(key)} is ${health.status}`);
    }
    if (problems.length === 0) return undefined;
    if (opts.waits === 'yield') return { waiting: problems.join(', ') };
    if (Date.now() >= deadline) return { failure: `${problems.join(', ')} after ${Math.round(opts.waveTimeoutMs / 1000)} s` };
    await sleep(opts.pollIntervalMs);
  }
}
