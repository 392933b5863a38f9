/**
 * The API server checks every write of an operation before the first one is made
 * (server-side dry run, `dryRun=All`): each create and patch the executor would send is
 * sent first as a dry run, concurrently, and any rejection — a 422 from validation, a 413
 * for an object too large, a 404 for a namespace that does not exist, a webhook's denial —
 * stops the operation before anything is written. The answers are the server's own, so
 * Sluice needs no copy of its validation rules.
 *
 * Objects in a namespace the same operation creates (CreateNamespace, or a Namespace in the
 * render) cannot be checked while that namespace is missing: the server answers 404 for the
 * namespace before it validates the object. Such namespaces are checked first (a dry-run
 * create that succeeds means the namespace is new); if every other write passes, those
 * namespaces are created for real and then the objects in them are checked; when one of
 * those is rejected, the namespaces are deleted again, so a rejected revision leaves the
 * cluster as it was (an empty namespace existed for the moment of the check). The
 * alternative, skipping the check of everything in a new namespace, would leave every first
 * sync of a new app unchecked.
 *
 * Sync hooks are checked as they will be created, whatever their phase.
 *
 * Not checked: prunes (a delete has nothing to validate), and objects of kinds not served
 * yet because a CRD of the same operation defines them.
 */
import type { JsonObject } from '../json.ts';
import type { KubeClient } from '../kube/client.ts';
import { KubeError, UnservedKindError } from '../kube/errors.ts';
import { forEachLimited } from './compare.ts';
import { applyRequest, type ApplyRequest, type ExecuteOptions } from './execute.ts';
import type { SyncPlan } from './plan.ts';
import { keyOf, keyString, type ResourceKey } from './resource-key.ts';

export interface DryRunOptions extends Pick<ExecuteOptions, 'ignore' | 'diffs' | 'serverSideApply' | 'concurrency' | 'holds'> {
  /** CreateNamespace=true: the destination namespace, which the operation creates unless the render has it. */
  readonly createNamespace?: string;
  /** Objects the operation creates besides the plan's (its sync hooks, as they will be created). */
  readonly creates?: readonly JsonObject[];
}

/** One write the server refused: the object, the fields it named, and its message. */
export interface Rejection {
  readonly key: ResourceKey;
  readonly message: string;
  readonly fields: readonly string[];
  /** No answer, 429 or 5xx: the server could not check, which says nothing about the revision. */
  readonly transient: boolean;
}

export interface DryRunResult {
  readonly rejections: readonly Rejection[];
  /** Writes the server accepted. */
  readonly checked: number;
  /** Namespaces created so that the objects in them could be checked (see above). */
  readonly createdNamespaces: readonly string[];
}

interface Write {
  readonly key: ResourceKey;
  readonly request: Exclude<ApplyRequest, { verb: 'none' }>;
}

/** The namespace object CreateNamespace=true creates: untracked, so never pruned. */
export function plainNamespace(name: string): JsonObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export async function dryRunPlan(kube: KubeClient, plan: SyncPlan, opts: DryRunOptions): Promise<DryRunResult> {
  const writes = plannedWrites(plan, opts);
  const namespaceCreates = writes.filter((w) => w.request.verb === 'create' && w.key.group === '' && w.key.kind === 'Namespace');
  const first = await check(kube, namespaceCreates, opts.concurrency);
  const newNamespaces = new Set(first.accepted.map((w) => w.key.name));
  const inNewNamespace = (w: Write) => newNamespaces.has(w.key.namespace);
  const rest = writes.filter((w) => !namespaceCreates.includes(w));
  const second = await check(kube, rest.filter((w) => !inNewNamespace(w)), opts.concurrency);
  const rejections = [...first.rejections, ...second.rejections];
  const deferred = rest.filter(inNewNamespace);
  if (rejections.length > 0 || deferred.length === 0) {
    return { rejections, checked: first.accepted.length + second.accepted.length, createdNamespaces: [] };
  }
  const needed = first.accepted.filter((w) => deferred.some((d) => d.key.namespace === w.key.name));
  const created: string[] = [];
  for (const ns of needed) {
    try {
      if (ns.request.verb === 'create') await kube.create(ns.request.body);
      created.push(ns.key.name);
    } catch (e) {
      if (!(e instanceof KubeError) || e.reason !== 'AlreadyExists') return { rejections: [rejection(ns.key, e)], checked: 0, createdNamespaces: created };
    }
  }
  const third = await check(kube, deferred, opts.concurrency);
  if (third.rejections.length > 0) await removeNamespaces(kube, created);
  return {
    rejections: third.rejections,
    checked: first.accepted.length + second.accepted.length + third.accepted.length,
    createdNamespaces: third.rejections.length > 0 ? [] : created,
  };
}

/** A rejected revision leaves the cluster as it was: the namespaces made only for checking go again (they are still empty). */
async function removeNamespaces(kube: KubeClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    try {
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name });
    } catch (e) {
      if (!(e instanceof KubeError) || e.reason !== 'NotFound') throw e;
    }
  }
}

/** Every create and patch the executor would send for this plan, plus CreateNamespace's namespace. */
function plannedWrites(plan: SyncPlan, opts: DryRunOptions): Write[] {
  const writes: Write[] = [];
  for (const step of plan.steps) {
    for (const task of step.tasks) {
      if (task.action !== 'apply') continue;
      const request = applyRequest(task, opts);
      if (request.verb !== 'none') writes.push({ key: task.key, request });
    }
  }
  for (const body of opts.creates ?? []) writes.push({ key: keyOf(body), request: { verb: 'create', body } });
  const ns = opts.createNamespace;
  const rendered = plan.steps.some((s) => s.tasks.some((t) => t.action === 'apply' && t.key.group === '' && t.key.kind === 'Namespace' && t.key.name === ns));
  if (ns !== undefined && !rendered) {
    writes.push({ key: { group: '', kind: 'Namespace', namespace: '', name: ns }, request: { verb: 'create', body: plainNamespace(ns) } });
  }
  return writes;
}

/** Dry-runs the writes concurrently: those the server accepted, and its rejections. */
async function check(kube: KubeClient, writes: readonly Write[], concurrency: number): Promise<{ accepted: Write[]; rejections: Rejection[] }> {
  const accepted: Write[] = [];
  const rejections: Rejection[] = [];
  await forEachLimited(writes, concurrency, async (write) => {
    const { request } = write;
    try {
      if (request.verb === 'create') await kube.create(request.body, { dryRun: true, answer: 'none' });
      else await kube.patch(request.ref, request.body, { ...request.options, dryRun: true, answer: 'none' });
      accepted.push(write);
    } catch (e) {
      // A kind a CRD of this operation defines is not served yet: nothing can check it now.
      if (e instanceof UnservedKindError) return;
      // Created by someone since the compare: the executor patches it instead; nothing more to know here.
      if (e instanceof KubeError && e.reason === 'AlreadyExists') return;
      rejections.push(rejection(write.key, e, request.verb === 'patch' && request.options.type !== 'apply'));
    }
  });
  rejections.sort((a, b) => (keyString(a.key) < keyString(b.key) ? -1 : 1));
  return { accepted, rejections };
}

/**
 * A 409 Conflict on a patch that names no resourceVersion is the server losing a race with
 * another writer (its own retries ran out), not a verdict on the body: transient. On a
 * server-side apply it is a field-manager conflict, which the same body meets again.
 */
function rejection(key: ResourceKey, e: unknown, plainPatch = false): Rejection {
  if (!(e instanceof KubeError)) throw e;
  const fields = [...new Set((e.details.causes ?? []).flatMap((c) => (c.field ? [c.field] : [])))];
  const lostRace = plainPatch && e.status === 409 && e.reason === 'Conflict';
  return { key, message: e.message, fields, transient: e.transient || lostRace };
}
