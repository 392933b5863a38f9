import type { JsonObject } from '../../json.ts';
import type { SimApiServer } from '../apiserver.ts';
import { nameOf, namespaceOf } from '../object-meta.ts';
import type { SchedulingClock } from '../clock.ts';
import type { StoreEvent } from '../store.ts';
import type { EventRecorder } from './events.ts';
import type { ReconcileResult } from './work-queue.ts';

/** What every simulated controller gets: the API (called in-process), the one clock, an event recorder. */
export interface ControllerContext {
  readonly api: SimApiServer;
  readonly clock: SchedulingClock;
  readonly events: EventRecorder;
}

/**
 * A simulated controller of kube-controller-manager (or a kubelet, or the scheduler): it maps
 * store events to the keys ("namespace/name") it must look at, and reconciles one key at a time.
 */
export interface Controller {
  readonly name: string;
  keysFor(event: StoreEvent): readonly string[];
  reconcile(key: string): ReconcileResult | void;
  /** keys to look at when the controller starts (objects that already exist) */
  initialKeys?(): readonly string[];
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function keyOf(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The keys of objects, for a controller's initialKeys. */
export function keysOf(objects: readonly JsonObject[]): string[] {
  return objects.map((o) => keyOf(namespaceOf(o), nameOf(o)));
}
