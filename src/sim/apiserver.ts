import { randomUUID } from 'node:crypto';
import jsonPatch from 'fast-json-patch';
import { isJsonObject, jsonEqual, type JsonObject, type JsonValue } from '../json.ts';
import { applyMergePatch } from '../diff/merge-patch.ts';
import { patchMetaFor, type PatchMeta } from '../diff/patch-meta.ts';
import { applyStrategicMergePatch, PatchError } from '../diff/strategic-merge.ts';
import { rfc3339, systemClock, type Clock } from './clock.ts';
import { applyDefaults } from './defaults.ts';
import { errors, StatusError, type Subject } from './errors.ts';
import { managedFieldsAfterUpdate, serverSideApply, type FieldScope } from './field-manager.ts';
import { hooksFor, pendingFinalizers } from './kind-hooks.ts';
import {
  deletionTimestampOf, finalizersOf, metadataOf, nameOf, namespaceOf, resourceVersionOf, withMetadata,
} from './object-meta.ts';
import { decodeContinue, encodeContinue, firstAfter, itemKey } from './list-pages.ts';
import { admitCreate } from './quota.ts';
import { ResourceRegistry } from './registry.ts';
import { apiVersionOf, storageKey, type ResourceType } from './resources.ts';
import { setPath, toScale } from './scale.ts';
import { isSupportedField, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError, type FieldRequirement, type LabelRequirement } from './selectors.ts';
import { ObjectStore, type StoreEvent, type WatchEventType } from './store.ts';
import { validateObject } from './validation.ts';
import { checkAppliedConverts, checkApplyTypes, checkDecodes, checkPatchDecodes } from './typed-bodies.ts';

export type Subresource = 'status' | 'scale' | 'finalize';
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface WriteOptions {
  readonly dryRun?: boolean;
  /** defaults to the client's program name, as the API server derives it from User-Agent */
  readonly fieldManager?: string;
  readonly force?: boolean;
}

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
}

export interface DeleteOptions {
  readonly dryRun?: boolean;
  /** for pods on a node: how long the kubelet gets to stop them (0 removes at once) */
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: PropagationPolicy;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface ListResult {
  readonly items: JsonObject[];
  readonly resourceVersion: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export interface WatchOptions {
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchSink {
  event(type: WatchEventType, object: JsonObject): void;
  /** the watch cannot go on (410 Gone): the stream ends after this */
  error(status: StatusError): void;
}

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';
const DEFAULT_FIELD_MANAGER = 'unknown';
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The API server's semantics, independent of HTTP: validation, defaulting, optimistic
 * concurrency, generation, patches, server-side apply, finalizers and watch filtering.
 * Calls are synchronous, so each one is atomic with respect to the others.
 */
export class SimApiServer {
  readonly registry: ResourceRegistry;
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** set while simulated kubelets run: pods on a node then terminate gracefully, removed by their kubelet */
  podsTerminateGracefully = false;

  constructor(options: { registry?: ResourceRegistry; store?: ObjectStore; clock?: Clock } = {}) {
    this.registry = options.registry ?? new ResourceRegistry();
    this.store = options.store ?? new ObjectStore();
    this.clock = options.clock ?? systemClock;
    this.bootstrap();
  }

  get(rt: ResourceType, namespace: string, name: string, subresource?: Subresource): JsonObject {
    const obj = this.store.get(storageKey(rt), scopeNamespace(rt, namespace), name);
    if (!obj) throw errors.notFound(subject(rt, name));
    return subresource === 'scale' ? toScale(rt, obj) : present(rt, obj);
  }

  /** A list, paged when limit is set; later pages read the first page's snapshot, as the continue token says. */
  list(rt: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const filter = this.compileFilter(rt, options);
    const scope = rt.namespaced ? namespace : undefined;
    const token = options.continue ? decodeContinue(options.continue) : undefined;
    const snapshot = token ? this.store.listAt(storageKey(rt), scope, token.rv) : this.store.list(storageKey(rt), scope);
    if (snapshot === 'gone') {
      throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    const rv = token?.rv ?? this.store.currentRevision;
    const matching = snapshot.filter(filter);
    const from = token ? matching.slice(firstAfter(matching, token.start)) : matching;
    if (!options.limit || options.limit <= 0 || from.length <= options.limit) {
      return { items: from.map((o) => present(rt, o)), resourceVersion: String(rv) };
    }
    const page = from.slice(0, options.limit);
    return {
      items: page.map((o) => present(rt, o)),
      resourceVersion: String(rv),
      continue: encodeContinue({ rv, start: itemKey(page[page.length - 1]!) }),
      remainingItemCount: from.length - page.length,
    };
  }

  create(rt: ResourceType, namespace: string, body: JsonValue, options: WriteOptions = {}): JsonObject {
    checkDecodes(rt, body);
    return this.createObject(rt, namespace, body, options);
  }

  private createObject(rt: ResourceType, namespace: string, body: JsonValue, options: WriteOptions, managedFields?: JsonValue): JsonObject {
    const obj = this.checkBody(rt, namespace, body);
    const meta = metadataOf(obj);
    if (!nameOf(obj) && typeof meta.generateName === 'string' && meta.generateName) {
      meta.name = generateName(meta.generateName);
    }
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') {
      throw errors.badRequest('resourceVersion should not be set on objects to be created');
    }
    const ns = scopeNamespace(rt, namespace || namespaceOf(obj));
    if (rt.namespaced) this.checkNamespaceOpen(ns);
    const now = rfc3339(this.clock.now());
    const created: JsonObject = {
      ...obj,
      apiVersion: apiVersionOf(rt.group, rt.version),
      kind: rt.kind,
      metadata: {
        ...stripServerFields(meta),
        ...(rt.namespaced ? { namespace: ns } : {}),
        uid: randomUUID(),
        creationTimestamp: now,
        ...(rt.hasGeneration ? { generation: 1 } : {}),
      },
    };
    if (rt.subresources.status) delete created.status;
    applyDefaults(created);
    hooksFor(rt)?.prepareCreate?.(created, this);
    this.validate(rt, created, undefined);
    admitCreate(this.store, rt, created);
    if (this.store.get(storageKey(rt), ns, nameOf(created))) throw errors.alreadyExists(subject(rt, nameOf(created)));
    metadataOf(created).managedFields =
      managedFields ?? managedFieldsAfterUpdate(undefined, created, this.writeContext(rt, options, this.scopeOf(rt), patchMetaOf(rt)));
    return this.commit(rt, undefined, created, options);
  }

  update(rt: ResourceType, namespace: string, name: string, body: JsonValue, options: WriteOptions = {}, subresource?: Subresource): JsonObject {
    checkDecodes(rt, body, subresource);
    const live = this.liveObject(rt, namespace, name);
    if (subresource === 'scale') return this.writeScale(rt, live, body, options);
    const incoming = this.checkBody(rt, namespace, body, name);
    const rv = resourceVersionOf(incoming);
    if (rv && rv !== resourceVersionOf(live)) throw conflictModified(rt, name);
    return this.writeUpdate(rt, live, incoming, options, subresource);
  }

  patch(
    rt: ResourceType, namespace: string, name: string, type: PatchType, patch: JsonValue,
    options: WriteOptions = {}, subresource?: Subresource,
  ): JsonObject {
    if (type === 'apply') return this.apply(rt, namespace, name, patch, options, subresource);
    const live = this.liveObject(rt, namespace, name);
    const base = subresource === 'scale' ? toScale(rt, live) : present(rt, live);
    const patched = this.applyPatch(rt, base, type, patch, subresource);
    checkPatchDecodes(rt, type, patch, patched, subresource);
    const rv = resourceVersionOf(patched);
    if (rv && rv !== resourceVersionOf(live)) throw conflictModified(rt, name);
    if (subresource === 'scale') return this.writeScale(rt, live, patched, options);
    return this.writeUpdate(rt, live, patched, options, subresource);
  }

  delete(rt: ResourceType, namespace: string, name: string, options: DeleteOptions = {}): { object: JsonObject; removed: boolean } {
    const live = this.liveObject(rt, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== metadataOf(live).uid) {
      throw errors.conflict(subject(rt, name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(metadataOf(live).uid)}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== resourceVersionOf(live)) {
      throw errors.conflict(subject(rt, name), `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(resourceVersionOf(live))}`);
    }
    const finalizers = finalizersOf(live);
    const policyFinalizer = options.propagationPolicy === 'Orphan' ? FINALIZER_ORPHAN : options.propagationPolicy === 'Foreground' ? FINALIZER_FOREGROUND : undefined;
    const hooks = hooksFor(rt);
    const grace = this.gracePeriodFor(rt, live, options);
    const keepsForFinalizers = finalizers.length > 0 || policyFinalizer !== undefined || pendingFinalizers(rt, live).length > 0;
    if (!keepsForFinalizers && grace === 0) {
      if (options.dryRun) return { object: present(rt, live), removed: true };
      const last = this.store.remove(storageKey(rt), scopeNamespace(rt, namespace), name)!;
      hooks?.afterRemove?.(last, this);
      return { object: present(rt, last), removed: true };
    }
    const liveGrace = Number(metadataOf(live).deletionGracePeriodSeconds ?? 0);
    const shortensGrace = deletionTimestampOf(live) !== undefined && grace < liveGrace;
    if (deletionTimestampOf(live) && !shortensGrace && (!policyFinalizer || finalizers.includes(policyFinalizer))) {
      return { object: present(rt, live), removed: false };
    }
    const now = this.clock.now();
    let next = withMetadata(live, {
      deletionTimestamp: shortensGrace || !deletionTimestampOf(live) ? rfc3339(new Date(now.getTime() + grace * 1000)) : deletionTimestampOf(live),
      deletionGracePeriodSeconds: grace,
      finalizers: policyFinalizer && !finalizers.includes(policyFinalizer) ? [...finalizers, policyFinalizer] : finalizers.length ? finalizers : undefined,
    });
    next = hooks?.markDeleting?.(next) ?? next;
    const result = this.commit(rt, live, next, options);
    return { object: result, removed: this.store.get(storageKey(rt), scopeNamespace(rt, namespace), name) === undefined && !options.dryRun };
  }

  /**
   * Seconds a deletion waits for the object's kubelet: only pods bound to a node, while
   * kubelets run (terminationGracePeriodSeconds unless the request says otherwise); else 0.
   */
  private gracePeriodFor(rt: ResourceType, live: JsonObject, options: DeleteOptions): number {
    if (!this.podsTerminateGracefully || rt.group !== '' || rt.kind !== 'Pod') return 0;
    const spec = isJsonObject(live.spec) ? live.spec : {};
    const status = isJsonObject(live.status) ? live.status : {};
    if (!spec.nodeName || status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
    const requested = options.gracePeriodSeconds ?? Number(spec.terminationGracePeriodSeconds ?? 30);
    return Math.max(0, Math.floor(requested));
  }

  deleteCollection(rt: ResourceType, namespace: string | undefined, listOptions: ListOptions, options: DeleteOptions): JsonObject[] {
    const { items } = this.list(rt, namespace, { ...listOptions, limit: 0 });
    return items.map((o) => this.delete(rt, namespaceOf(o), nameOf(o), options).object);
  }

  /** Starts a watch; events are delivered synchronously to the sink. Returns the stop function. */
  watch(rt: ResourceType, namespace: string | undefined, options: WatchOptions, sink: WatchSink): () => void {
    const filter = this.compileFilter(rt, options);
    const key = storageKey(rt);
    const ns = rt.namespaced ? namespace : undefined;
    const deliver = (e: StoreEvent) => {
      if (e.resource !== key || (ns !== undefined && e.namespace !== ns)) return;
      const now = filter(e.object);
      const before = e.previous ? filter(e.previous) : false;
      if (e.type === 'MODIFIED') {
        // an object entering or leaving a selector is an ADDED or DELETED to this watcher
        if (now && before) sink.event('MODIFIED', present(rt, e.object));
        else if (now) sink.event('ADDED', present(rt, e.object));
        else if (before) sink.event('DELETED', present(rt, e.object));
      } else if (now) {
        sink.event(e.type, present(rt, e.object));
      }
    };
    const rv = options.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      for (const o of this.store.list(key, ns)) if (filter(o)) sink.event('ADDED', present(rt, o));
    } else {
      const since = Number(rv);
      if (!Number.isInteger(since) || since < 0) throw errors.badRequest(`invalid resource version: ${rv}`);
      const past = this.store.eventsSince(since);
      if (past === 'gone') {
        sink.error(errors.expired(`too old resource version: ${since} (${this.store.oldestResumableRevision})`));
        return () => {};
      }
      for (const e of past) deliver(e);
    }
    return this.store.subscribe(deliver);
  }

  // ---- internals ----

  /** What every cluster has from the start: the system namespaces and the `kubernetes` Service. */
  private bootstrap(): void {
    const system = { fieldManager: 'kube-apiserver' };
    const namespaces = this.registry.lookup('', 'v1', 'namespaces')!;
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create(namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, system);
    }
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    };
    this.create(this.registry.lookup('', 'v1', 'services')!, 'default', service, system);
  }

  private liveObject(rt: ResourceType, namespace: string, name: string): JsonObject {
    const live = this.store.get(storageKey(rt), scopeNamespace(rt, namespace), name);
    if (!live) throw errors.notFound(subject(rt, name));
    return live;
  }

  /** Parses and checks an incoming object body against the URL it was sent to; returns a private copy. */
  private checkBody(rt: ResourceType, namespace: string, body: JsonValue, name?: string): JsonObject {
    if (!isJsonObject(body)) throw errors.badRequest(`the body must be a ${rt.kind} object`);
    const obj = structuredClone(body);
    // a built-in kind is decoded into Go structs, where a null field is simply absent (`data: null`)
    if (!rt.custom) dropNullFields(obj);
    if (obj.kind !== undefined && obj.kind !== rt.kind) {
      throw errors.badRequest(`the kind of the provided object (${String(obj.kind)}) does not match the URL (${rt.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(rt.group, rt.version)) {
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(rt.group, rt.version)})`);
    }
    if (obj.metadata !== undefined && !isJsonObject(obj.metadata)) throw errors.badRequest('metadata must be an object');
    obj.metadata = isJsonObject(obj.metadata) ? obj.metadata : {};
    const bodyNs = namespaceOf(obj);
    if (rt.namespaced && namespace && bodyNs && bodyNs !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (!rt.namespaced) delete obj.metadata.namespace;
    if (name !== undefined && nameOf(obj) && nameOf(obj) !== name) {
      throw errors.badRequest(`the name of the object (${nameOf(obj)}) does not match the name on the URL (${name})`);
    }
    if (name !== undefined) obj.metadata.name = name;
    return obj;
  }

  private checkNamespaceOpen(namespace: string): void {
    const ns = this.store.get('/namespaces', '', namespace);
    if (!ns) throw new StatusError('NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (deletionTimestampOf(ns)) {
      throw errors.forbidden(`unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private validate(rt: ResourceType, obj: JsonObject, old: JsonObject | undefined): void {
    const causes = validateObject(obj, old, { kind: rt.kind, namespaced: rt.namespaced, group: rt.group });
    const hookCauses = hooksFor(rt)?.validate?.(obj, old, this) ?? [];
    const all = [...causes, ...hookCauses];
    if (all.length > 0) throw errors.invalid({ ...subject(rt, nameOf(obj)), kind: rt.kind }, all);
  }

  private applyPatch(rt: ResourceType, base: JsonObject, type: PatchType, patch: JsonValue, subresource?: Subresource): JsonObject {
    try {
      switch (type) {
        case 'json': {
          if (!Array.isArray(patch)) throw errors.badRequest('json patch must be a JSON array of operations');
          const ops = patch as unknown as jsonPatch.Operation[];
          const error = jsonPatch.validate(ops, base);
          if (error) throw new StatusError('Invalid', `the server rejected our request due to an error in our request: ${error.message}`);
          return jsonPatch.applyPatch(structuredClone(base), ops, false, false).newDocument as JsonObject;
        }
        case 'merge': {
          const merged = applyMergePatch(base, patch);
          if (!isJsonObject(merged)) throw errors.badRequest('merge patch must produce an object');
          return merged;
        }
        case 'strategic': {
          const meta = subresource === 'scale' ? patchMetaFor('autoscaling/v1', 'Scale') : patchMetaOf(rt);
          if (!meta) throw errors.unsupportedMediaType('application/strategic-merge-patch+json');
          if (!isJsonObject(patch)) throw errors.badRequest('strategic merge patch must be a JSON object');
          return applyStrategicMergePatch(base, patch, meta);
        }
        default:
          throw errors.badRequest(`unsupported patch type ${type}`);
      }
    } catch (e) {
      if (e instanceof StatusError) throw e;
      if (e instanceof PatchError) throw errors.badRequest(e.message);
      throw new StatusError('Invalid', e instanceof Error ? e.message : String(e));
    }
  }

  private apply(rt: ResourceType, namespace: string, name: string, body: JsonValue, options: WriteOptions, subresource?: Subresource): JsonObject {
    if (!options.fieldManager) throw errors.badRequest('PATCH with apply requires a fieldManager parameter');
    if (subresource === 'scale') throw errors.methodNotAllowed('apply to scale');
    const config = this.checkBody(rt, namespace, body, name);
    if (config.apiVersion === undefined || config.kind === undefined) throw errors.badRequest('apply configuration must set apiVersion and kind');
    checkApplyTypes(rt, config);
    const live = this.store.get(storageKey(rt), scopeNamespace(rt, namespace), name);
    const meta = patchMetaOf(rt);
    const scope = this.scopeOf(rt, subresource);
    const result = serverSideApply({
      ...this.writeContext(rt, options, scope, meta, subresource),
      live: live ? present(rt, live) : undefined,
      config: stripForApply(config),
      force: options.force === true,
      merge: (l, c) => (meta ? applyStrategicMergePatch(l, c, meta) : (applyMergePatch(l, c) as JsonObject)),
    });
    if (!result.ok) {
      const list = result.conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`);
      throw new StatusError('Conflict', `Apply failed with ${list.length} conflict${list.length > 1 ? 's' : ''}: ${list.join('\n')}`, {
        causes: result.conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: c.field })),
      });
    }
    checkAppliedConverts(rt, config, result.object);
    const merged = withMetadata(result.object, { managedFields: result.managedFields });
    if (!live) return this.createObject(rt, namespace, merged, options, result.managedFields);
    return this.writeUpdate(rt, live, merged, options, subresource, result.managedFields);
  }

  private writeUpdate(
    rt: ResourceType, live: JsonObject, incoming: JsonObject, options: WriteOptions,
    subresource?: Subresource, managedFields?: JsonValue,
  ): JsonObject {
    const liveMeta = metadataOf(live);
    let next: JsonObject;
    if (subresource === 'status') {
      next = { ...live, status: incoming.status ?? {} };
      if (rt.group !== 'apps') next = withMetadata(next, { labels: metadataOf(incoming).labels as JsonValue | undefined });
      next = withMetadata(next, { annotations: metadataOf(incoming).annotations as JsonValue | undefined });
    } else if (subresource === 'finalize') {
      next = { ...live, spec: { ...(isJsonObject(live.spec) ? live.spec : {}), finalizers: (isJsonObject(incoming.spec) ? incoming.spec.finalizers : undefined) ?? [] } };
    } else {
      next = { ...incoming, apiVersion: apiVersionOf(rt.group, rt.version), kind: rt.kind };
      if (rt.subresources.status) {
        if (live.status === undefined) delete next.status;
        else next.status = live.status;
      }
      next.metadata = {
        ...metadataOf(incoming),
        name: liveMeta.name!,
        ...(liveMeta.namespace !== undefined ? { namespace: liveMeta.namespace } : {}),
        uid: liveMeta.uid!,
        creationTimestamp: liveMeta.creationTimestamp!,
        ...(liveMeta.deletionTimestamp !== undefined ? { deletionTimestamp: liveMeta.deletionTimestamp, deletionGracePeriodSeconds: liveMeta.deletionGracePeriodSeconds ?? 0 } : {}),
        ...(liveMeta.generation !== undefined ? { generation: liveMeta.generation } : {}),
      };
      delete next.metadata.resourceVersion;
      if (deletionTimestampOf(live) && finalizersOf(next).some((f) => !finalizersOf(live).includes(f))) {
        throw errors.invalid({ ...subject(rt, nameOf(live)), kind: rt.kind }, [
          { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: 'Forbidden: no new finalizers can be added if the object is being deleted' },
        ]);
      }
      applyDefaults(next);
    }
    if (subresource === undefined) hooksFor(rt)?.prepareUpdate?.(next, live, this);
    if (rt.hasGeneration && subresource === undefined && generationChanged(rt, live, next)) {
      next.metadata = { ...metadataOf(next), generation: Number(liveMeta.generation ?? 0) + 1 };
    }
    this.validate(rt, next, live);
    const scope = this.scopeOf(rt, subresource);
    metadataOf(next).managedFields =
      managedFields ?? managedFieldsAfterUpdate(present(rt, live), next, this.writeContext(rt, options, scope, patchMetaOf(rt), subresource));
    return this.commit(rt, live, next, options);
  }

  private writeScale(rt: ResourceType, live: JsonObject, body: JsonValue, options: WriteOptions): JsonObject {
    if (!rt.subresources.scale) throw errors.resourceNotFound();
    if (!isJsonObject(body) || !isJsonObject(body.spec) || typeof body.spec.replicas !== 'number') {
      throw errors.badRequest('a Scale object with spec.replicas is required');
    }
    const rv = isJsonObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    if (typeof rv === 'string' && rv && rv !== resourceVersionOf(live)) throw conflictModified(rt, nameOf(live));
    const next = setPath(present(rt, live), rt.subresources.scale.specReplicasPath, body.spec.replicas);
    return toScale(rt, this.writeUpdate(rt, live, next, options));
  }

  private scopeOf(rt: ResourceType, subresource?: Subresource): FieldScope {
    if (subresource === 'status') return 'status';
    return rt.subresources.status ? 'main' : 'all';
  }

  private writeContext(rt: ResourceType, options: WriteOptions, scope: FieldScope, meta: PatchMeta | undefined, subresource?: Subresource) {
    return {
      manager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
      apiVersion: apiVersionOf(rt.group, rt.version),
      time: rfc3339(this.clock.now()),
      meta,
      scope,
      ...(subresource === 'status' ? { subresource } : {}),
    };
  }

  /** Persists a write (unless dry-run): a no-op write stores nothing, and a deleting object with no finalizers left goes away. */
  private commit(rt: ResourceType, live: JsonObject | undefined, next: JsonObject, options: WriteOptions): JsonObject {
    const key = storageKey(rt);
    const terminating = Number(metadataOf(next).deletionGracePeriodSeconds ?? 0) > 0;
    if (live && deletionTimestampOf(next) && !terminating && finalizersOf(next).length === 0 && pendingFinalizers(rt, next).length === 0) {
      if (options.dryRun) return present(rt, next);
      const last = this.store.remove(key, namespaceOf(live), nameOf(live))!;
      hooksFor(rt)?.afterRemove?.(last, this);
      return present(rt, last);
    }
    if (live && sameExceptVersion(live, next)) return present(rt, live);
    if (options.dryRun) return present(rt, next);
    const stored = this.store.put(key, next, live);
    hooksFor(rt)?.afterWrite?.(stored, this);
    return present(rt, stored);
  }

  private compileFilter(rt: ResourceType, options: { labelSelector?: string; fieldSelector?: string }): (o: JsonObject) => boolean {
    let labels: LabelRequirement[] = [];
    let fields: FieldRequirement[] = [];
    try {
      labels = options.labelSelector ? parseLabelSelector(options.labelSelector) : [];
      fields = options.fieldSelector ? parseFieldSelector(options.fieldSelector) : [];
    } catch (e) {
      if (e instanceof SelectorError) throw errors.badRequest(e.message);
      throw e;
    }
    for (const f of fields) {
      if (!isSupportedField(rt.kind, f.field)) throw errors.badRequest(`field label not supported: ${f.field}`);
    }
    if (labels.length === 0 && fields.length === 0) return () => true;
    return (o) => matchesLabels(labels, metadataOf(o).labels as Record<string, string> | undefined) && matchesFields(fields, o);
  }
}

// ---- pure helpers ----

export function subject(rt: ResourceType, name: string): Subject {
  return { group: rt.group, plural: rt.plural, kind: rt.kind, name };
}

function conflictModified(rt: ResourceType, name: string): StatusError {
  return errors.conflict(subject(rt, name), 'the object has been modified; please apply your changes to the latest version and try again');
}

function scopeNamespace(rt: ResourceType, namespace: string): string {
  return rt.namespaced ? namespace : '';
}

function patchMetaOf(rt: ResourceType): PatchMeta | undefined {
  return rt.custom ? undefined : patchMetaFor(apiVersionOf(rt.group, rt.version), rt.kind);
}

/** The object as the requested version presents it (custom resources are stored once for all versions). */
function present(rt: ResourceType, obj: JsonObject): JsonObject {
  const apiVersion = apiVersionOf(rt.group, rt.version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

function dropNullFields(value: JsonValue): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNullFields(item);
  } else if (isJsonObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else dropNullFields(v);
    }
  }
}

function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

function stripServerFields(meta: JsonObject): JsonObject {
  const { uid: _uid, creationTimestamp: _ct, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, generation: _g, resourceVersion: _rv, selfLink: _sl, ...rest } = meta;
  return rest;
}

function stripForApply(config: JsonObject): JsonObject {
  const meta = metadataOf(config);
  const { managedFields: _mf, ...rest } = stripServerFields(meta);
  return { ...config, metadata: rest };
}

/** Generation follows the spec: anything but metadata and status (and, for Deployments, annotations too). */
function generationChanged(rt: ResourceType, live: JsonObject, next: JsonObject): boolean {
  const strip = (o: JsonObject): JsonObject => {
    const { metadata: _m, status: _s, ...rest } = o;
    return rest;
  };
  if (!jsonEqual(strip(live), strip(next))) return true;
  return rt.kind === 'Deployment' && rt.group === 'apps' && !jsonEqual(metadataOf(live).annotations, metadataOf(next).annotations);
}

/** A write that changes nothing but timestamps of field ownership is not stored (no new resourceVersion). */
function sameExceptVersion(live: JsonObject, next: JsonObject): boolean {
  const normalize = (o: JsonObject): JsonObject => {
    const { resourceVersion: _rv, managedFields, ...meta } = metadataOf(o);
    const owners = Array.isArray(managedFields) ? managedFields.map((e) => (isJsonObject(e) ? { ...e, time: null } : e)) : [];
    return { ...o, metadata: { ...meta, managedFields: owners } };
  };
  return jsonEqual(normalize(live), normalize(next));
}

