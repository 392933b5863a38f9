/**
 * Kubernetes Events on an Application resource, as `kubectl describe application` and
 * `kubectl get events` show them: the one writer for everything Sluice tells about an app
 * there (a failed render or apply, rollout steps, rollbacks, pins). Events are notices,
 * not state: a write that fails is reported to the caller's log and never fails the work.
 */
import { APPLICATION_API_VERSION, APPLICATION_KIND } from '../app/types.ts';
import type { JsonObject } from '../json.ts';
import type { KubeClient } from '../kube/client.ts';

/** The Application an Event is about; `kubectl describe` finds Events by the object's uid too. */
export interface ApplicationRef {
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
}

export type AppEventType = 'Normal' | 'Warning';

export interface AppEvent {
  readonly type: AppEventType;
  /** CamelCase, machine-readable (`ComparisonError`, `RolloutStepPassed`…) */
  readonly reason: string;
  readonly message: string;
}

/**
 * Kubernetes' limit on an event's message (events.k8s.io/v1 `note`: 1 kB); client-go's
 * recorders cut core/v1 messages to the same length, ending them in " ...".
 */
export const MAX_EVENT_MESSAGE_BYTES = 1024;
const CUT = ' ...';

/** `message` cut to at most `max` UTF-8 bytes (never inside a character), marked as cut. */
export function boundedEventMessage(message: string, max = MAX_EVENT_MESSAGE_BYTES): string {
  if (Buffer.byteLength(message) <= max) return message;
  let kept = '';
  let bytes = 0;
  for (const ch of message) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > max - CUT.length) break;
    kept += ch;
    bytes += size;
  }
  return kept + CUT;
}

/**
 * Pure: the core/v1 Event about `app`, in its namespace. Named as client-go's recorder names
 * Events, `<object>.<hex time in ns>` (a generateName would have to end in an alphanumeric);
 * `sequence` tells apart Events of one millisecond.
 */
export function applicationEvent(app: ApplicationRef, event: AppEvent, now: Date, sequence = 0): JsonObject {
  // Event timestamps are metav1.Time: RFC 3339 to the second
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${app.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16)}`, namespace: app.namespace },
    involvedObject: { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace: app.namespace, name: app.name, ...(app.uid === undefined ? {} : { uid: app.uid }) },
    reason: event.reason,
    message: boundedEventMessage(event.message),
    type: event.type,
    source: { component: 'sluice' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

let written = 0;

/**
 * Writes the Event about the Application as it is in the cluster now (read for its uid, which
 * `kubectl describe` selects Events by); none when it is gone. A failure is handed to `log`.
 */
export async function recordApplicationEvent(kube: KubeClient, app: ApplicationRef, event: AppEvent, now: Date, log: (line: string) => void): Promise<void> {
  try {
    const live = await kube.get({ apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace: app.namespace, name: app.name });
    const uid = (live?.['metadata'] as { uid?: unknown } | undefined)?.uid;
    if (typeof uid !== 'string') return;
    await kube.create(applicationEvent({ ...app, uid }, event, now, written++));
  } catch (e) {
    log(`${app.name}: could not record the event ${event.reason}: ${(e as Error).message}`);
  }
}
