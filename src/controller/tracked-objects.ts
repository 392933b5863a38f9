/**
 * A watch cache of every object Sluice tracks, one informer per kind (label selector
 * `sluice.dev/app`, i.e. "has the label"), indexed by app label. It serves compares
 * without list calls (a fleet's no-change reconcile costs no API requests) and reports
 * changes, which is how drift is noticed within a second.
 */
import type { JsonObject } from '../json.ts';
import type { KubeClient } from '../kube/client.ts';
import { Informer, type InformerEventType } from '../kube/watch.ts';
import type { LiveSource } from '../sync/compare.ts';
import { keyOf, keyString } from '../sync/resource-key.ts';
import { APP_LABEL } from '../sync/tracking.ts';

export type TrackedChange = (appLabel: string, object: JsonObject, type: InformerEventType) => void;

export class TrackedObjects implements LiveSource {
  private readonly informers = new Map<string, Informer>();
  private readonly starting = new Map<string, Promise<void>>();
  /**
   * kind id → app label → object key → the object as JSON text. Text, because a fleet's
   * objects as JS objects cost several times their JSON size in heap; a compare parses
   * only its own app's few objects.
   */
  private readonly index = new Map<string, Map<string, Map<string, string>>>();
  /** app label → how many changes its objects have seen: equal numbers mean the same live objects. */
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly kube: KubeClient,
    private readonly onChange: TrackedChange,
  ) {}

  /** A number that moves whenever an object of the app is added, changed or deleted (or relabelled away). */
  version(appLabel: string): number {
    return this.versions.get(appLabel) ?? 0;
  }

  tracked(kindId: string, appLabel: string): readonly JsonObject[] | undefined {
    if (!this.informers.has(kindId) || this.starting.has(kindId)) return undefined;
    return [...(this.index.get(kindId)?.get(appLabel)?.values() ?? [])].map((text) => JSON.parse(text) as JsonObject);
  }

  /** Every watched object of the app, of every kind (the API's resource tree). */
  objectsOf(appLabel: string): JsonObject[] {
    return [...this.index.values()].flatMap((byApp) => [...(byApp.get(appLabel)?.values() ?? [])].map((text) => JSON.parse(text) as JsonObject));
  }

  /** Starts watching the kinds not yet watched; resolves once each has its first list. */
  async watch(kindIds: readonly string[]): Promise<void> {
    await Promise.all(kindIds.map((id) => this.starting.get(id) ?? (this.informers.has(id) ? undefined : this.start(id))));
  }

  get kinds(): readonly string[] {
    return [...this.informers.keys()];
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
    this.informers.clear();
    this.index.clear();
  }

  private start(kindId: string): Promise<void> {
    const slash = kindId.lastIndexOf('/');
    const informer = new Informer(this.kube, { apiVersion: kindId.slice(0, slash), kind: kindId.slice(slash + 1), labelSelector: APP_LABEL, slim: true });
    const byApp = new Map<string, Map<string, string>>();
    this.index.set(kindId, byApp);
    this.informers.set(kindId, informer);
    informer.onChange((object, type) => {
      const label = labelOf(object);
      const key = keyString(keyOf(object));
      // A relabelled object moves between apps (or, label removed, leaves the watch as a
      // delete): drop it wherever it was, and tell the app that lost it too.
      for (const [app, objects] of byApp) {
        if (app !== label && objects.delete(key)) this.changed(app, object, 'delete');
      }
      if (label === undefined) return;
      if (type === 'delete') byApp.get(label)?.delete(key);
      else {
        let objects = byApp.get(label);
        if (objects === undefined) byApp.set(label, (objects = new Map()));
        objects.set(key, JSON.stringify(object));
      }
      this.changed(label, object, type);
    });
    const started = informer.start().finally(() => this.starting.delete(kindId));
    this.starting.set(kindId, started);
    return started;
  }

  private changed(appLabel: string, object: JsonObject, type: InformerEventType): void {
    this.versions.set(appLabel, this.version(appLabel) + 1);
    this.onChange(appLabel, object, type);
  }
}

function labelOf(object: JsonObject): string | undefined {
  const labels = (object['metadata'] as JsonObject | undefined)?.['labels'];
  const value = typeof labels === 'object' && labels !== null && !Array.isArray(labels) ? labels[APP_LABEL] : undefined;
  return typeof value === 'string' ? value : undefined;
}
