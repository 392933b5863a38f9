/**
 * The owned objects of the resource tree (ReplicaSets, Jobs, Pods: they carry no Sluice
 * label, so the controller's watch cache has none) kept current per namespace by watches,
 * so that the tree in a `resources` event is whole and moves while a rollout runs: the UI
 * replaces its tree with each event's.
 *
 * An app's namespaces are watched from the first time its tree is read (GET …/resources: the
 * UI's app page) until the server closes; from then on its events carry the whole tree, and a
 * change of an owned object is told, debounced, for every such app whose owners live there.
 * Apps nobody looked at cost no watch (a fleet of thousands would need thousands).
 */
import type { JsonObject } from '../json.ts';
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/watch.ts';
import { OWNED_KINDS } from './resource-tree.ts';

/** How long changes in a namespace gather before its apps' trees are sent (a rollout moves many pods at once). */
const DEBOUNCE_MS = 250;

export class OwnedObjects {
  /** scope (a cluster's server and a namespace, see scopeOf) → one informer per owned kind */
  private readonly watched = new Map<string, Informer[]>();
  /** scope → apps whose owners live there */
  private readonly appsIn = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    /** the client of the cluster the app deploys to */
    private readonly kubeFor: (app: string) => KubeClient,
    /** the apps whose owned objects changed */
    private readonly onChange: (apps: readonly string[]) => void,
  ) {}

  /** The owned objects of the app's owner namespaces, from the watches (started here when new). */
  async objectsIn(app: string, namespaces: readonly string[]): Promise<JsonObject[]> {
    if (namespaces.length === 0) return [];
    const kube = this.kubeFor(app);
    for (const namespace of namespaces) {
      const scope = scopeOf(kube, namespace);
      const apps = this.appsIn.get(scope) ?? new Set<string>();
      apps.add(app);
      this.appsIn.set(scope, apps);
    }
    const informers = await Promise.all(namespaces.map((n) => this.watch(kube, n)));
    return informers.flat().flatMap((i) => i.list());
  }

  /** The same when every one of those namespaces is watched for the app already; else undefined (nobody looks at its tree). */
  async watchedObjectsIn(app: string, namespaces: readonly string[]): Promise<JsonObject[] | undefined> {
    if (namespaces.length === 0) return [];
    if (![...this.appsIn.values()].some((apps) => apps.has(app))) return undefined;
    const kube = this.kubeFor(app);
    return namespaces.every((n) => this.appsIn.get(scopeOf(kube, n))?.has(app) === true) ? this.objectsIn(app, namespaces) : undefined;
  }

  private async watch(kube: KubeClient, namespace: string): Promise<Informer[]> {
    const scope = scopeOf(kube, namespace);
    let informers = this.watched.get(scope);
    if (informers === undefined) {
      informers = OWNED_KINDS.map((k) => new Informer(kube, { apiVersion: k.apiVersion, kind: k.kind, namespace }));
      this.watched.set(scope, informers);
      for (const informer of informers) informer.onChange(() => this.changed(scope));
    }
    await Promise.all(informers.map((i) => i.start()));
    return informers;
  }

  private changed(scope: string): void {
    if (this.closed || this.timers.has(scope)) return;
    const timer = setTimeout(() => {
      this.timers.delete(scope);
      if (!this.closed) this.onChange([...(this.appsIn.get(scope) ?? [])]);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(scope, timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await Promise.all([...this.watched.values()].flat().map((i) => i.stop()));
    this.watched.clear();
  }
}

/** The same namespace in two destination clusters is two scopes. */
function scopeOf(kube: KubeClient, namespace: string): string {
  return `${kube.server} ${namespace}`;
}
