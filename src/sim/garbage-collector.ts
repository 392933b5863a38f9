import { isJsonObject, type JsonObject } from '../json.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN, type SimApiServer } from './apiserver.ts';
import { StatusError } from './errors.ts';
import {
  deletionTimestampOf, finalizersOf, metadataOf, nameOf, namespaceOf, ownerReferencesOf, uidOf, withMetadata,
} from './object-meta.ts';
import { storageKey, type ResourceType } from './resources.ts';
import type { StoreEvent } from './store.ts';

interface ObjectRef {
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
}

type Task =
  | { readonly kind: 'ownerGone'; readonly uid: string }
  | { readonly kind: 'dangling'; readonly ref: ObjectRef }
  | { readonly kind: 'orphan' | 'foreground'; readonly uid: string }
  | { readonly kind: 'namespace'; readonly name: string };

const MANAGER = 'generic-garbage-collector';
const NAMESPACE_FINALIZER = 'kubernetes';

/**
 * The garbage collector and namespace lifecycle controller of kube-controller-manager:
 * dependents of deleted owners go (Background), owners wait for their dependents
 * (Foreground) or let them go free (Orphan), and a Terminating namespace is emptied
 * before it is removed. Works asynchronously off store events, as the real ones do.
 */
export class GarbageCollector {
  private readonly live = new Map<string, ObjectRef>();
  private readonly dependents = new Map<string, Set<string>>();
  private readonly refsOf = new Map<string, string[]>();
  private readonly queue: Task[] = [];
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly server: SimApiServer) {
    this.unsubscribe = server.store.subscribe((e) => this.observe(e));
  }

  /** work queued or scheduled: tests wait for the cluster to settle */
  get busy(): boolean {
    return this.scheduled || this.queue.length > 0;
  }

  stop(): void {
    this.unsubscribe();
    this.queue.length = 0;
  }

  private observe(e: StoreEvent): void {
    const obj = e.object;
    const uid = uidOf(obj);
    const ref: ObjectRef = { resource: e.resource, namespace: e.namespace, name: nameOf(obj) };
    if (e.type === 'DELETED') {
      this.live.delete(uid);
      this.index(uid, ref, []);
      this.enqueue({ kind: 'ownerGone', uid });
      for (const owner of ownerReferencesOf(obj)) this.enqueue({ kind: 'foreground', uid: owner.uid });
    } else {
      this.live.set(uid, ref);
      const owners = ownerReferencesOf(obj).map((o) => o.uid);
      this.index(uid, ref, owners);
      if (owners.length > 0 && e.type === 'ADDED') this.enqueue({ kind: 'dangling', ref });
      if (deletionTimestampOf(obj)) {
        const finalizers = finalizersOf(obj);
        if (finalizers.includes(FINALIZER_ORPHAN)) this.enqueue({ kind: 'orphan', uid });
        if (finalizers.includes(FINALIZER_FOREGROUND)) this.enqueue({ kind: 'foreground', uid });
        if (e.resource === '/namespaces') this.enqueue({ kind: 'namespace', name: nameOf(obj) });
      }
    }
    if (e.namespace && e.type === 'DELETED') this.enqueue({ kind: 'namespace', name: e.namespace });
  }

  private index(uid: string, ref: ObjectRef, owners: string[]): void {
    const key = refKey(ref);
    for (const old of this.refsOf.get(uid) ?? []) this.dependents.get(old)?.delete(key);
    if (owners.length === 0) this.refsOf.delete(uid);
    else this.refsOf.set(uid, owners);
    for (const owner of owners) {
      let set = this.dependents.get(owner);
      if (!set) {
        set = new Set();
        this.dependents.set(owner, set);
      }
      set.add(key);
    }
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const tasks = this.queue.splice(0);
    for (const task of tasks) {
      try {
        this.run(task);
      } catch (e) {
        // a conflict means someone wrote in between: try again with fresh state
        if (e instanceof StatusError && e.reason === 'Conflict') this.enqueue(task);
        else if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      }
    }
  }

  private run(task: Task): void {
    switch (task.kind) {
      case 'ownerGone':
        for (const dep of this.dependentsOf(task.uid)) this.releaseOrDelete(dep, task.uid);
        this.dependents.delete(task.uid);
        return;
      case 'dangling': {
        const obj = this.fetch(task.ref);
        const owners = obj ? ownerReferencesOf(obj) : [];
        if (obj && owners.length > 0 && owners.every((o) => !this.live.has(o.uid))) this.deleteObject(task.ref, 'Background');
        return;
      }
      case 'orphan':
        return this.orphanDependents(task.uid);
      case 'foreground':
        return this.deleteInForeground(task.uid);
      case 'namespace':
        return this.finishNamespace(task.name);
    }
  }

  private dependentsOf(uid: string): ObjectRef[] {
    return [...(this.dependents.get(uid) ?? [])].map(parseRefKey);
  }

  /** A dependent whose owners are all gone is deleted; one with owners left just loses the reference. */
  private releaseOrDelete(ref: ObjectRef, goneUid: string): void {
    const obj = this.fetch(ref);
    if (!obj) return;
    const remaining = ownerReferencesOf(obj).filter((o) => o.uid !== goneUid && this.live.has(o.uid));
    if (remaining.length === 0) {
      if (!deletionTimestampOf(obj)) this.deleteObject(ref, 'Background');
      return;
    }
    this.writeOwners(ref, obj, goneUid);
  }

  private orphanDependents(uid: string): void {
    const ownerRef = this.live.get(uid);
    const owner = ownerRef && this.fetch(ownerRef);
    if (!owner || !finalizersOf(owner).includes(FINALIZER_ORPHAN)) return;
    for (const dep of this.dependentsOf(uid)) {
      const obj = this.fetch(dep);
      if (obj) this.writeOwners(dep, obj, uid);
    }
    this.removeFinalizer(ownerRef, owner, FINALIZER_ORPHAN);
  }

  private deleteInForeground(uid: string): void {
    const ownerRef = this.live.get(uid);
    const owner = ownerRef && this.fetch(ownerRef);
    if (!owner || !deletionTimestampOf(owner) || !finalizersOf(owner).includes(FINALIZER_FOREGROUND)) return;
    let blocking = 0;
    for (const dep of this.dependentsOf(uid)) {
      const obj = this.fetch(dep);
      if (!obj) continue;
      const ref = ownerReferencesOf(obj).find((o) => o.uid === uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (!deletionTimestampOf(obj)) this.deleteObject(dep, 'Foreground');
    }
    if (blocking === 0) this.removeFinalizer(ownerRef, owner, FINALIZER_FOREGROUND);
  }

  private finishNamespace(name: string): void {
    const ns = this.server.store.get('/namespaces', '', name);
    if (!ns || !deletionTimestampOf(ns)) return;
    let remaining = 0;
    for (const rt of this.namespacedTypes()) {
      for (const obj of this.server.store.list(storageKey(rt), name)) {
        remaining++;
        if (!deletionTimestampOf(obj)) this.server.delete(rt, name, nameOf(obj), { propagationPolicy: 'Background' });
      }
    }
    if (remaining > 0) return;
    const spec = isJsonObject(ns.spec) ? ns.spec : {};
    const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers.map(String) : [];
    if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
    const nsType = this.server.registry.lookup('', 'v1', 'namespaces')!;
    this.server.update(nsType, '', name, { ...ns, spec: { ...spec, finalizers: finalizers.filter((f) => f !== NAMESPACE_FINALIZER) } }, { fieldManager: 'namespace-controller' }, 'finalize');
  }

  private namespacedTypes(): ResourceType[] {
    const seen = new Set<string>();
    return this.server.registry.all().filter((rt) => {
      if (!rt.namespaced || seen.has(storageKey(rt))) return false;
      seen.add(storageKey(rt));
      return true;
    });
  }

  private typeOf(resource: string): ResourceType | undefined {
    return this.server.registry.all().find((rt) => storageKey(rt) === resource);
  }

  private fetch(ref: ObjectRef): JsonObject | undefined {
    return this.server.store.get(ref.resource, ref.namespace, ref.name);
  }

  private deleteObject(ref: ObjectRef, propagationPolicy: 'Background' | 'Foreground'): void {
    const rt = this.typeOf(ref.resource);
    if (rt) this.server.delete(rt, ref.namespace, ref.name, { propagationPolicy });
  }

  private writeOwners(ref: ObjectRef, obj: JsonObject, dropUid: string): void {
    const rt = this.typeOf(ref.resource);
    if (!rt) return;
    const owners = ownerReferencesOf(obj).filter((o) => o.uid !== dropUid);
    const next = withMetadata(obj, { ownerReferences: owners.length ? (owners as unknown as JsonObject[]) : undefined });
    this.server.update(rt, namespaceOf(obj), nameOf(obj), next, { fieldManager: MANAGER });
  }

  private removeFinalizer(ref: ObjectRef, obj: JsonObject, finalizer: string): void {
    const rt = this.typeOf(ref.resource);
    if (!rt) return;
    const finalizers = finalizersOf(obj).filter((f) => f !== finalizer);
    const meta = metadataOf(obj);
    const next = { ...obj, metadata: { ...meta, finalizers } };
    this.server.update(rt, namespaceOf(obj), nameOf(obj), next, { fieldManager: MANAGER });
  }
}

function refKey(ref: ObjectRef): string {
  return `${ref.resource}\u0000${ref.namespace}\u0000${ref.name}`;
}

function parseRefKey(key: string): ObjectRef {
  const [resource = '', namespace = '', name = ''] = key.split('\u0000');
  return { resource, namespace, name };
}
