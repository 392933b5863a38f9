/**
 * How Sluice marks what it manages. A label makes "everything of app X" one list call
 * per kind (for pruning and self-heal watches); an annotation carries the full tracking
 * id, so an object whose label was copied (a cloned manifest, a Helm chart reusing
 * labels) is not mistaken for ours: only the annotation decides ownership.
 */
import { createHash } from 'node:crypto';
import { ensureObject, type JsonObject } from '../json.ts';
import { annotationsOf, keyOf, type ResourceKey } from './resource-key.ts';

export const APP_LABEL = 'sluice.dev/app';
export const TRACKING_ANNOTATION = 'sluice.dev/tracking-id';

export interface AppRef {
  readonly namespace: string;
  readonly name: string;
}

/** Label values are at most 63 characters; longer app names use a stable digest. */
export function appLabelValue(app: AppRef): string {
  const plain = app.name;
  if (plain.length <= 63) return plain;
  return `${plain.slice(0, 46)}-${createHash('sha256').update(`${app.namespace}/${app.name}`).digest('hex').slice(0, 16)}`;
}

/** `<app namespace>/<app name>:<group>/<kind>:<namespace>/<name>`, as Argo CD's annotation tracking does. */
export function trackingId(app: AppRef, key: ResourceKey): string {
  return `${app.namespace}/${app.name}:${key.group}/${key.kind}:${key.namespace}/${key.name}`;
}

/** The app a live object's tracking annotation names, if any. */
export function trackedBy(object: JsonObject): AppRef | undefined {
  const id = annotationsOf(object)[TRACKING_ANNOTATION];
  const match = id === undefined ? null : /^([^/:]*)\/([^:]+):/.exec(id);
  return match === null ? undefined : { namespace: match[1]!, name: match[2]! };
}

/** Whether a live object is tracked by `app` and is the very object its id names (not a copy). */
export function isTrackedBy(object: JsonObject, app: AppRef): boolean {
  return annotationsOf(object)[TRACKING_ANNOTATION] === trackingId(app, keyOf(object));
}

/** A copy of `object` carrying the app's label and tracking annotation. */
export function withTracking(object: JsonObject, app: AppRef): JsonObject {
  return addTracking(structuredClone(object), app);
}

/** Puts the app's label and tracking annotation on `object` itself; returns it. */
export function addTracking(object: JsonObject, app: AppRef): JsonObject {
  const metadata = ensureObject(object, 'metadata');
  ensureObject(metadata, 'labels')[APP_LABEL] = appLabelValue(app);
  ensureObject(metadata, 'annotations')[TRACKING_ANNOTATION] = trackingId(app, keyOf(object));
  return object;
}
