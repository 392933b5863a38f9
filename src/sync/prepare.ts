/**
 * From rendered objects to what Sluice applies, pure: the destination namespace goes on
 * namespaced objects that name none, cluster-scoped objects lose a stray namespace (as
 * kubectl ignores it), and every object gets the app's tracking.
 *
 * Scope comes from the cluster's discovery (`scopeOf`); a kind the cluster does not serve
 * yet may be defined by a CRD in the same render, whose `spec.scope` then decides.
 *
 * Duplicates are found again here, after namespace defaulting: the renderer compares
 * namespaces as written, so one copy without a namespace and another naming the destination
 * namespace (or two copies of a cluster-scoped object naming different namespaces) pass it
 * and meet only now. Applied, the later copy would win by order and the diff never settle.
 */
import { isJsonObject, type JsonObject } from '../json.ts';
import type { RenderedObject } from '../render/types.ts';
import { groupOf, keyOf, keyString, type ResourceKey } from './resource-key.ts';
import { addTracking, type AppRef } from './tracking.ts';

export type Scope = 'Namespaced' | 'Cluster';
/** Discovery's answer for (apiVersion, kind); undefined when the cluster does not serve it. */
export type ScopeLookup = (apiVersion: string, kind: string) => Scope | undefined;

/** A rendered object; `source` (the renderer's file and line) names it in messages. */
export type Rendered = Pick<RenderedObject, 'object'> & { readonly source?: Pick<RenderedObject['source'], 'file' | 'line'> };

export interface PreparedObjects {
  /** One per key, in render order. */
  readonly objects: JsonObject[];
  /** What cannot be applied: kinds neither the cluster nor the render's CRDs know, and duplicates after namespace defaulting. */
  readonly problems: readonly { key: ResourceKey; message: string }[];
}

export function prepareDesired(app: AppRef, destinationNamespace: string, rendered: readonly Rendered[], scopeOf: ScopeLookup): PreparedObjects {
  const crdScopes = scopesFromCrds(rendered.map((r) => r.object));
  const objects: JsonObject[] = [];
  const problems: { key: ResourceKey; message: string }[] = [];
  const first = new Map<string, Rendered>();
  for (const item of rendered) {
    const original = item.object;
    const apiVersion = String(original['apiVersion']);
    const kind = String(original['kind']);
    const scope = scopeOf(apiVersion, kind) ?? crdScopes.get(`${groupOf(apiVersion)}/${kind}`);
    if (scope === undefined) {
      const key = keyOf(original);
      problems.push({ key, message: `${keyString(key)}: the cluster does not serve ${apiVersion} ${kind}, and no CustomResourceDefinition in this app defines it` });
      continue;
    }
    const object = structuredClone(original);
    const metadata = object['metadata'] as JsonObject;
    if (scope === 'Namespaced' && (typeof metadata['namespace'] !== 'string' || metadata['namespace'] === '')) {
      metadata['namespace'] = destinationNamespace;
    } else if (scope === 'Cluster') {
      delete metadata['namespace'];
    }
    const key = keyOf(object);
    const id = keyString(key);
    const seen = first.get(id);
    if (seen !== undefined) {
      problems.push({ key, message: `duplicate object ${id} once namespaces are defaulted: defined at ${where(seen)} and ${where(item)}` });
      continue;
    }
    first.set(id, item);
    objects.push(addTracking(object, app));
  }
  return { objects, problems };
}

/** `file:line (namespace as written)`, so the user sees why two different-looking copies collide. */
function where(item: Rendered): string {
  const metadata = item.object['metadata'];
  const ns = isJsonObject(metadata) && typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? `namespace ${metadata['namespace']}` : 'no namespace';
  const place = item.source === undefined ? 'an object' : `${item.source.file}:${item.source.line}`;
  return `${place} (${ns})`;
}

function scopesFromCrds(rendered: readonly JsonObject[]): Map<string, Scope> {
  const scopes = new Map<string, Scope>();
  for (const object of rendered) {
    if (object['kind'] !== 'CustomResourceDefinition') continue;
    const spec = object['spec'];
    if (!isJsonObject(spec) || !isJsonObject(spec['names'])) continue;
    const kind = spec['names']['kind'];
    if (typeof spec['group'] !== 'string' || typeof kind !== 'string') continue;
    scopes.set(`${spec['group']}/${kind}`, spec['scope'] === 'Cluster' ? 'Cluster' : 'Namespaced');
  }
  return scopes;
}
