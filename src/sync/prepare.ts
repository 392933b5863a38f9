/**
 * From rendered objects to what Sluice applies, pure: the destination namespace goes on
 * namespaced objects that name none, cluster-scoped objects lose a stray namespace (as
 * kubectl ignores it), and every object gets the app's tracking.
 *
 * Scope comes from the cluster's discovery (`scopeOf`); a kind the cluster does not serve
 * yet may be defined by a CRD in the same render, whose `spec.scope` then decides.
 */
import { isJsonObject, type JsonObject } from '../json.ts';
import { groupOf, keyOf, keyString, type ResourceKey } from './resource-key.ts';
import { addTracking, type AppRef } from './tracking.ts';

export type Scope = 'Namespaced' | 'Cluster';
/** Discovery's answer for (apiVersion, kind); undefined when the cluster does not serve it. */
export type ScopeLookup = (apiVersion: string, kind: string) => Scope | undefined;

export interface PreparedObjects {
  readonly objects: JsonObject[];
  /** Kinds neither the cluster nor the render's CRDs know: they cannot be applied. */
  readonly unknown: readonly { key: ResourceKey; message: string }[];
}

export function prepareDesired(app: AppRef, destinationNamespace: string, rendered: readonly JsonObject[], scopeOf: ScopeLookup): PreparedObjects {
  const crdScopes = scopesFromCrds(rendered);
  const objects: JsonObject[] = [];
  const unknown: { key: ResourceKey; message: string }[] = [];
  for (const original of rendered) {
    const apiVersion = String(original['apiVersion']);
    const kind = String(original['kind']);
    const scope = scopeOf(apiVersion, kind) ?? crdScopes.get(`${groupOf(apiVersion)}/${kind}`);
    if (scope === undefined) {
      const key = keyOf(original);
      unknown.push({ key, message: `${keyString(key)}: the cluster does not serve ${apiVersion} ${kind}, and no CustomResourceDefinition in this app defines it` });
      continue;
    }
    const object = structuredClone(original);
    const metadata = object['metadata'] as JsonObject;
    if (scope === 'Namespaced' && (typeof metadata['namespace'] !== 'string' || metadata['namespace'] === '')) {
      metadata['namespace'] = destinationNamespace;
    } else if (scope === 'Cluster') {
      delete metadata['namespace'];
    }
    objects.push(addTracking(object, app));
  }
  return { objects, unknown };
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
