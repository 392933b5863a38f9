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
import { withLastApplied } from '../diff/three-way.ts';
import type { JsonObject } from '../json.ts';
import type { IgnoreDifference } from '../app/types.ts';
import { assessHealth } from '../health/index.ts';
import { KubeError } from '../kube/errors.ts';
import { refOf, type KubeClient } from '../kube/client.ts';
import { isAbortError } from '../kube/transport.ts';
import type { ObjectRef } from '../kube/types.ts';
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
}

export async function executePlan(kube: KubeClient, plan: SyncPlan, opts: ExecuteOptions): Promise<{ outcomes: ResourceOutcome[]; failure?: string }> {
  const outcomes: ResourceOutcome[] = [];
  const appliedThisWave: { ref: ObjectRef; key: ResourceKey }[] = [];
  let currentWave: number | undefined;
  for (const step of plan.steps) {
    opts.signal?.throwIfAborted();
    if (currentWave !== undefined && step.wave !== currentWave && appliedThisWave.length > 0) {
      const unhealthy = await waitHealthy(kube, appliedThisWave.splice(0), opts);
      if (unhealthy !== undefined) return { outcomes, failure: `wave ${currentWave} did not become healthy: ${unhealthy}` };
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
  return { outcomes };
}

/** A sleep that ends early, rejecting, when the signal fires. */
function abortableSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
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
    const outcome = await applyOnce(kube, task, opts);
    if (outcome.action !== 'failed' || !outcome.message?.includes('does not serve') || attempt >= UNSERVED_KIND_RETRIES) return outcome;
    await sleep(UNSERVED_KIND_DELAY_MS);
  }
}

async function applyOnce(kube: KubeClient, task: ApplyTask, opts: ExecuteOptions): Promise<ResourceOutcome> {
  const ref = refOf(task.desired);
  const compared = opts.diffs?.get(keyString(task.key));
  try {
    if (task.live === undefined) {
      try {
        await kube.create(compared?.status === 'Missing' && compared.predicted !== undefined ? compared.predicted : withLastApplied(task.desired));
        return { key: task.key, action: 'created' };
      } catch (e) {
        // Created by someone else since we looked: compare with what is there now.
        if (!(e instanceof KubeError) || e.reason !== 'AlreadyExists') throw e;
        const live = await kube.get(ref);
        if (live === undefined) throw e;
        return await patchOne(kube, task, diffResource({ desired: task.desired, live, ignore: opts.ignore }), opts);
      }
    }
    const diff = compared !== undefined && compared.status !== 'Missing' ? compared : undefined;
    return await patchOne(kube, task, diff ?? diffResource({ desired: task.desired, live: task.live, ignore: opts.ignore }), opts);
  } catch (e) {
    if (isAbortError(e)) throw e;
    return { key: task.key, action: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
}

async function patchOne(kube: KubeClient, task: ApplyTask, diff: ResourceDiff, opts: ExecuteOptions): Promise<ResourceOutcome> {
  if (diff.status === 'Synced') return { key: task.key, action: 'unchanged' };
  const ref = refOf(task.desired);
  if (opts.serverSideApply) {
    await kube.patch(ref, withLastApplied(task.desired), { type: 'apply', force: true });
  } else {
    if (diff.patch === undefined || Object.keys(diff.patch).length === 0) return { key: task.key, action: 'unchanged' };
    const hold = opts.holds?.get(keyString(task.key));
    await kube.patch(ref, hold === undefined ? diff.patch : applyMergePatch(diff.patch, hold), { type: diff.patchType });
  }
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

/** Polls the objects until all are Healthy or Suspended; the reason they are not, or undefined. */
async function waitHealthy(kube: KubeClient, applied: readonly { ref: ObjectRef; key: ResourceKey }[], opts: ExecuteOptions): Promise<string | undefined> {
  const sleep = opts.sleep ?? abortableSleep(opts.signal);
  const deadline = Date.now() + opts.waveTimeoutMs;
  for (;;) {
    const problems: string[] = [];
    for (const { ref, key } of applied) {
      const health = assessHealth(await kube.get(ref));
      if (health.status === 'Degraded') return `${keyString(key)} is Degraded${health.message ? `: ${health.message}` : ''}`;
      if (health.status !== 'Healthy' && health.status !== 'Suspended') problems.push(`${keyString(key)} is ${health.status}`);
    }
    if (problems.length === 0) return undefined;
    if (Date.now() >= deadline) return `${problems.join(', ')} after ${Math.round(opts.waveTimeoutMs / 1000)} s`;
    await sleep(opts.pollIntervalMs);
  }
}
