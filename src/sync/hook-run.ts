/**
 * Running the hooks of one phase against the cluster: wave by wave (hooks.ts orders them),
 * the hooks of a wave together. A hook is created (BeforeHookCreation first deletes the
 * previous run's object and waits until it is gone), waited for until it finishes (Job:
 * Complete or Failed; Pod: Succeeded or Failed; anything else: Healthy or Degraded), its
 * outcome recorded, then deleted as its policies say (HookSucceeded, HookFailed; Jobs with
 * propagationPolicy Background, so their pods go too). The first failed wave stops the phase.
 *
 * Resuming after a crash: a hook object carries the operation that created it
 * (`sluice.dev/hook-operation`), and a finished hook's outcome is kept in the `HookLedger`
 * before its delete policy runs. The next sync of the same revision takes the unfinished
 * operation over (HookLedger.begin): it adopts the objects that operation created instead of
 * creating others, and skips the hooks the ledger says finished, so no hook runs twice
 * needlessly and none is skipped. The same makes a phase resumable without a process dying:
 * in yield mode (`waits: 'yield'`) a hook still running (or an earlier run's object still
 * being deleted) is looked at once and the phase returns `waiting`; running the phase again
 * later, under the same operation, carries on where it stood.
 */
import { assessHealth } from '../health/index.ts';
import { refOf, type KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import { isAbortError } from '../kube/transport.ts';
import type { ObjectRef } from '../kube/types.ts';
import { isJsonObject, type JsonObject } from '../json.ts';
import { HOOK_OPERATION_ANNOTATION, hookObjectFor, hookWaves, type Hook, type HookPhase, type HookRun } from './hooks.ts';
import { annotationsOf, keyOf, keyString, type ResourceKey } from './resource-key.ts';
import { addTracking, type AppRef } from './tracking.ts';
import type { WaitMode } from './execute.ts';

export interface HookOutcome {
  readonly key: ResourceKey;
  readonly phase: HookPhase;
  readonly status: 'Succeeded' | 'Failed';
  readonly message: string;
}

/** The operation that runs an app's hooks, once begun: its id and first start. */
export interface HookOperation {
  readonly operation: string;
  readonly revision: string;
  readonly startedAt: number;
}

/**
 * Where an app's hook-running operation and its finished hooks are remembered (Redis in the
 * controller: queue/hook-ledger.ts). `begin` returns the app's unfinished operation for the
 * same revision when there is one — its process died mid-sync, and the app lock says no
 * other runs — so whichever job syncs that revision next takes its hooks over (same names,
 * same objects, finished ones not run again); otherwise it records `wanted` and returns it.
 * `end` forgets it once the sync has finished, so the next sync runs its hooks anew.
 */
export interface HookLedger {
  begin(app: string, wanted: HookOperation): Promise<HookOperation>;
  end(app: string, operation: string): Promise<void>;
  get(operation: string, hook: string): Promise<HookOutcome | undefined>;
  set(operation: string, hook: string, outcome: HookOutcome): Promise<void>;
}

/** For one process (the CLI's `sluice sync`): nothing outlives it. */
export class MemoryHookLedger implements HookLedger {
  private readonly outcomes = new Map<string, HookOutcome>();
  private readonly active = new Map<string, HookOperation>();
  async begin(app: string, wanted: HookOperation): Promise<HookOperation> {
    const current = this.active.get(app);
    if (current !== undefined && current.revision === wanted.revision) return current;
    this.active.set(app, wanted);
    return wanted;
  }
  async end(app: string, operation: string): Promise<void> {
    if (this.active.get(app)?.operation === operation) this.active.delete(app);
  }
  async get(operation: string, hook: string): Promise<HookOutcome | undefined> {
    return this.outcomes.get(`${operation}|${hook}`);
  }
  async set(operation: string, hook: string, outcome: HookOutcome): Promise<void> {
    this.outcomes.set(`${operation}|${hook}`, outcome);
  }
}

export interface HookRunOptions {
  readonly run: HookRun;
  readonly app: AppRef;
  readonly ledger: HookLedger;
  /** How long one hook may run before the phase fails. */
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** `yield`: do not wait for a hook; the phase says `waiting` instead (see the file's comment). */
  readonly waits?: WaitMode;
}

export interface PhaseResult {
  readonly outcomes: readonly HookOutcome[];
  /** Why the phase failed: the failed hooks and their messages. */
  readonly failure?: string;
  /** yield mode: the hooks of the current wave not finished yet */
  readonly waiting?: string;
}

/** A hook that has not finished (yield mode), and why. */
interface Unfinished {
  readonly key: ResourceKey;
  readonly waiting: string;
}

export async function runHookPhase(kube: KubeClient, hooks: readonly Hook[], phase: HookPhase, opts: HookRunOptions): Promise<PhaseResult> {
  const outcomes: HookOutcome[] = [];
  for (const wave of hookWaves(hooks, phase)) {
    const ran = await Promise.all(wave.map((hook) => runHook(kube, hook, opts).catch((e: unknown) => errorOutcome(hook, e))));
    const unfinished = ran.filter((r): r is Unfinished => 'waiting' in r);
    // as when waiting in place: the wave is judged once all its hooks have finished
    if (unfinished.length > 0) return { outcomes, waiting: unfinished.map((u) => `${phase} hook ${keyString(u.key)}: ${u.waiting}`).join('; ') };
    const results = ran.filter((r): r is HookOutcome => 'status' in r);
    outcomes.push(...results);
    const failed = results.filter((r) => r.status === 'Failed');
    if (failed.length > 0) return { outcomes, failure: failed.map((f) => `${phase} hook ${keyString(f.key)} failed: ${f.message}`).join('; ') };
  }
  return { outcomes };
}

async function runHook(kube: KubeClient, hook: Hook, opts: HookRunOptions): Promise<HookOutcome | Unfinished> {
  const object = hookObjectFor(hook, opts.run, (o) => addTracking(o, opts.app));
  const ref = refOf(object);
  const key = keyOf(object);
  const id = `${hook.phase}|${keyString(key)}`;
  const recorded = await opts.ledger.get(opts.run.operation, id);
  if (recorded !== undefined) {
    await applyDeletePolicy(kube, ref, hook, recorded.status);
    return recorded;
  }
  let live = await kube.get(ref);
  if (live !== undefined && annotationsOf(live)[HOOK_OPERATION_ANNOTATION] !== opts.run.operation && hook.deletePolicies.includes('BeforeHookCreation')) {
    if (!(await deleteAndWait(kube, ref, key, opts))) return { key, waiting: 'the previous run is being deleted' };
    live = undefined;
  }
  // Without BeforeHookCreation an existing object is the hook (Argo CD: a named hook is created once).
  if (live === undefined) live = await createOrGet(kube, object, ref);
  const outcome = await waitFinished(kube, ref, key, hook.phase, opts);
  if ('waiting' in outcome) return outcome;
  await opts.ledger.set(opts.run.operation, id, outcome);
  await applyDeletePolicy(kube, ref, hook, outcome.status);
  return outcome;
}

/** A hook the server would not create or delete fails, naming the server's reason; an aborted operation stops. */
function errorOutcome(hook: Hook, e: unknown): HookOutcome {
  if (isAbortError(e) || !(e instanceof Error)) throw e;
  return { key: keyOf(hook.object), phase: hook.phase, status: 'Failed', message: e.message };
}

async function createOrGet(kube: KubeClient, object: JsonObject, ref: ObjectRef): Promise<JsonObject> {
  try {
    return await kube.create(object);
  } catch (e) {
    if (!(e instanceof KubeError) || e.reason !== 'AlreadyExists') throw e;
    const live = await kube.get(ref);
    if (live === undefined) throw e;
    return live;
  }
}

/**
 * BeforeHookCreation: the previous run's object goes (with its pods), and is gone before the
 * new one is created. False in yield mode while it is still there (the next run deletes again: a no-op).
 */
async function deleteAndWait(kube: KubeClient, ref: ObjectRef, key: ResourceKey, opts: HookRunOptions): Promise<boolean> {
  await kube.delete(ref, { propagationPolicy: 'Background' });
  const deadline = Date.now() + opts.timeoutMs;
  while ((await kube.get(ref)) !== undefined) {
    if (opts.waits === 'yield') return false;
    if (Date.now() >= deadline) throw new Error(`${keyString(key)} from an earlier sync was not deleted within ${Math.round(opts.timeoutMs / 1000)} s`);
    await opts.sleep(opts.pollIntervalMs);
  }
  return true;
}

async function applyDeletePolicy(kube: KubeClient, ref: ObjectRef, hook: Hook, status: HookOutcome['status']): Promise<void> {
  const policy = status === 'Succeeded' ? 'HookSucceeded' : 'HookFailed';
  if (hook.deletePolicies.includes(policy)) await kube.delete(ref, { propagationPolicy: 'Background' });
}

async function waitFinished(kube: KubeClient, ref: ObjectRef, key: ResourceKey, phase: HookPhase, opts: HookRunOptions): Promise<HookOutcome | Unfinished> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const live = await kube.get(ref);
    if (live === undefined) return { key, phase, status: 'Failed', message: 'deleted while it ran' };
    const state = hookState(live);
    if (state.status !== 'Running') return { key, phase, status: state.status, message: state.status === 'Failed' ? await failureDetail(kube, live, state.message) : state.message };
    if (opts.waits === 'yield') return { key, waiting: state.message };
    if (Date.now() >= deadline) return { key, phase, status: 'Failed', message: `still running after ${Math.round(opts.timeoutMs / 1000)} s: ${state.message}` };
    await opts.sleep(opts.pollIntervalMs);
  }
}

/** Whether a hook object has finished, by its kind's health (Job: its conditions; Pod: its phase). */
export function hookState(live: JsonObject): { status: 'Running' | 'Succeeded' | 'Failed'; message: string } {
  const health = assessHealth(live);
  const message = health.message ?? health.status;
  if (health.status === 'Healthy') return { status: 'Succeeded', message };
  if (health.status === 'Degraded') return { status: 'Failed', message };
  return { status: 'Running', message };
}

/** A failed Job's message and the state of its last pod (reason, exit code, message), which says why. */
async function failureDetail(kube: KubeClient, live: JsonObject, message: string): Promise<string> {
  if (live['kind'] !== 'Job') return message;
  const metadata = live['metadata'] as JsonObject;
  const uid = metadata['uid'];
  if (typeof uid !== 'string') return message;
  const namespace = String(metadata['namespace'] ?? '');
  const { items } = await kube.list('v1', 'Pod', { namespace, labelSelector: `batch.kubernetes.io/controller-uid=${uid}` });
  const last = [...items].sort((a, b) => String(created(a)).localeCompare(String(created(b))) || String(nameOf(a)).localeCompare(String(nameOf(b)))).pop();
  return last === undefined ? message : `${message}; last pod ${nameOf(last)}: ${podState(last)}`;
}

/** `container migrate terminated: Error, exit code 1: <message>` for each container that says something. */
export function podState(pod: JsonObject): string {
  const status = isJsonObject(pod['status']) ? pod['status'] : {};
  const statuses = [...arrayOf(status['initContainerStatuses']), ...arrayOf(status['containerStatuses'])];
  const parts: string[] = [];
  for (const cs of statuses) {
    const state = isJsonObject(cs['state']) ? cs['state'] : {};
    const terminated = isJsonObject(state['terminated']) ? state['terminated'] : isJsonObject(cs['lastState']) && isJsonObject(cs['lastState']['terminated']) ? cs['lastState']['terminated'] : undefined;
    const waiting = isJsonObject(state['waiting']) ? state['waiting'] : undefined;
    const name = String(cs['name'] ?? '?');
    if (terminated !== undefined && terminated['exitCode'] !== 0) {
      parts.push(`container ${name} terminated: ${String(terminated['reason'] ?? 'Error')}, exit code ${String(terminated['exitCode'])}${typeof terminated['message'] === 'string' && terminated['message'] !== '' ? `: ${terminated['message']}` : ''}`);
    } else if (waiting !== undefined) {
      parts.push(`container ${name} waiting: ${String(waiting['reason'] ?? '')}${typeof waiting['message'] === 'string' ? `: ${waiting['message']}` : ''}`);
    }
  }
  const phase = String(status['phase'] ?? 'Pending');
  return parts.length === 0 ? `phase ${phase}${typeof status['message'] === 'string' ? `: ${status['message']}` : ''}` : `phase ${phase}, ${parts.join('; ')}`;
}

function arrayOf(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function created(object: JsonObject): unknown {
  return (object['metadata'] as JsonObject | undefined)?.['creationTimestamp'];
}

function nameOf(object: JsonObject): unknown {
  return (object['metadata'] as JsonObject | undefined)?.['name'];
}
