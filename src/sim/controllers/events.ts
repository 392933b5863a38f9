import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../../json.ts';
import type { SimApiServer } from '../apiserver.ts';
import { rfc3339, type Clock } from '../clock.ts';
import { StatusError } from '../errors.ts';
import { metadataOf, nameOf, namespaceOf, resourceVersionOf, uidOf } from '../object-meta.ts';

export type EventType = 'Normal' | 'Warning';

/**
 * Records core/v1 Events about objects, as client-go's recorder does: one Event per
 * (object, type, reason, message), its count and lastTimestamp bumped on repeats.
 */
export class EventRecorder {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly api: SimApiServer,
    private readonly clock: Clock,
  ) {}

  record(obj: JsonObject, type: EventType, reason: string, message: string, component: string): void {
    const events = this.api.registry.lookup('', 'v1', 'events');
    if (!events) return;
    const namespace = namespaceOf(obj) || 'default';
    const now = rfc3339(this.clock.now());
    const dedupe = `${uidOf(obj)}\u0000${type}\u0000${reason}\u0000${message}`;
    const existingName = this.seen.get(dedupe);
    try {
      if (existingName) {
        const existing = this.api.get(events, namespace, existingName);
        this.api.update(events, namespace, existingName, { ...existing, count: Number(existing.count ?? 1) + 1, lastTimestamp: now }, { fieldManager: component });
        return;
      }
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
      // the Event was deleted (or its namespace is going away): record a new one
    }
    const name = `${nameOf(obj)}.${randomBytes(8).toString('hex')}`;
    const meta = metadataOf(obj);
    try {
      this.api.create(events, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: String(obj.apiVersion ?? ''),
          kind: String(obj.kind ?? ''),
          name: nameOf(obj),
          ...(meta.namespace !== undefined ? { namespace: namespaceOf(obj) } : {}),
          uid: uidOf(obj),
          resourceVersion: resourceVersionOf(obj) ?? '',
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component },
        reportingComponent: component,
      }, { fieldManager: component });
      this.seen.set(dedupe, name);
    } catch (e) {
      // events are best effort, as in Kubernetes: a terminating namespace refuses them
      if (!(e instanceof StatusError)) throw e;
    }
  }
}
