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
  /** namespace → one informer per owned kind */
  private readonly watched = new Map<string, Informer[]>();
  /** namespace → apps whose owners live there */
  private readonly appsIn = new Map<string, Set<string>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly kube: () => KubeClient,
    /** the apps whose owned objects changed */
    private readonly onChange: (apps: readonly string[]) => void,
  ) {}

  /** The owned objects of the app's owner namespaces, from the watches (started here when new). */
  async objectsIn(app: string, namespaces: readonly string[]): Promise<JsonObject[]> {
    for (const namespace of namespaces) {
      const apps = this.appsIn.get(namespace) ?? new Set<string>();
      apps.add(app);
      this.appsIn.set(namespace, apps);
    }
    const informers = await Promise.all(namespaces.map((n) => this.watch(n)));
    return informers.flat().flatMap((i) => i.list());
  }

  /** The same when every one of those namespaces is watched for the app already; else undefined (nobody looks at its tree). */
  async watchedObjectsIn(app: string, namespaces: readonly string[]): Promise<JsonObject[] | undefined> {
    return namespaces.every((n) => this.appsIn.get(n)?.has(app) === true) ? this.objectsIn(app, namespaces) : undefined;
  }

  private async watch(namespace: string): Promise<Informer[]> {
    let informers = this.watched.get(namespace);
    if (informers === undefined) {
      informers = OWNED_KINDS.map((k) => new Informer(this.kube(), { apiVersion: k.apiVersion, kind: k.kind, namespace }));
      this.watched.set(namespace, informers);
      for (const informer of informers) informer.onChange(() => this.changed(namespace));
    }
    await Promise.all(informers.map((i) => i.start()));
    return informers;
  }

  private changed(namespace: string): void {
    if (this.closed || this.timers.has(namespace)) return;
    const timer = setTimeout(() => {
      this.timers.delete(namespace);
      if (!this.closed) this.onChange([...(this.appsIn.get(namespace) ?? [])]);
    }, DEBOUNCE_MS);
    timer.unref();
    this.timers.set(namespace, timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await Promise.all([...this.watched.values()].flat().map((i) => i.stop()));
    this.watched.clear();
  }
}
