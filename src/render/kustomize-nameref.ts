/**
 * Name references from transformer configurations (`nameReference:`), fixed once at the end
 * of the build as kustomize's FixBackReferences does: a referrer field holding a name the
 * referred object once had takes the object's final name (and, for a `{name, namespace}`
 * mapping, its namespace). Candidates are narrowed as kustomize's nameref filter does: by
 * kind, by an earlier name, then to the referrer's namespace unless either side is
 * cluster-scoped or the candidate is a ServiceAccount. kustomize then tells apart several
 * candidates with different names by the prefixes and suffixes they were given; that step is
 * not reproduced, so such a reference fails the render here.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { NameBackReference } from './kustomize-config.ts';
import { selects, visitFieldSpec } from './kustomize-fieldspec.ts';
import { CLUSTER_SCOPED_KINDS } from './kustomize-fields.ts';
import type { Item } from './kustomize-merge.ts';
import { kindOf, nameOf, namespaceOf, sameNamespace } from './kustomize-transforms.ts';

export class NameReferenceError extends Error {}

function hadName(item: Item, name: string): boolean {
  return item.previousIds.some((id) => id.name === name) || item.originalName === name;
}

/** Mutates the referrers' objects. */
export function fixConfiguredReferences(items: readonly Item[], refs: readonly NameBackReference[]): void {
  for (const ref of refs) {
    const ofKind = items.filter((i) => selects(ref, i.object));
    if (ofKind.length === 0) continue;
    for (const referrer of items) {
      const referrerScoped = CLUSTER_SCOPED_KINDS.has(kindOf(referrer.object));
      const inScope = (c: Item) => referrerScoped || CLUSTER_SCOPED_KINDS.has(kindOf(c.object)) || kindOf(c.object) === 'ServiceAccount' || sameNamespace(namespaceOf(c.object), namespaceOf(referrer.object));
      const select = (name: string, pool: readonly Item[]): Item | undefined => {
        const found = pool.filter((c) => hadName(c, name) && inScope(c));
        const first = found[0];
        if (first === undefined || found.every((c) => nameOf(c.object) === nameOf(first.object) && namespaceOf(c.object) === namespaceOf(first.object))) return first;
        throw new NameReferenceError(`found multiple possible referrals for ${JSON.stringify(name)} in ${kindOf(referrer.object)} ${JSON.stringify(nameOf(referrer.object))}: ${found.map((c) => `${kindOf(c.object)} ${nameOf(c.object)}`).join(', ')}`);
      };
      const fixName = (value: JsonValue): JsonValue => {
        if (typeof value !== 'string') return value;
        const hit = select(value, ofKind);
        return hit === undefined ? value : nameOf(hit.object);
      };
      const fixMapping = (value: JsonObject): void => {
        const name = value['name'];
        if (typeof name !== 'string') return;
        const ns = value['namespace'];
        const pool = typeof ns === 'string' ? candidatesIn(ofKind, ns) : ofKind;
        const hit = select(name, pool);
        if (hit === undefined) return;
        value['name'] = nameOf(hit.object);
        if (namespaceOf(hit.object) !== '') value['namespace'] = namespaceOf(hit.object);
      };
      for (const spec of ref.fieldSpecs) {
        visitFieldSpec(referrer.object, spec, (holder, key) => {
          const value = holder[key];
          if (value === undefined || value === null) return;
          if (Array.isArray(value)) holder[key] = value.map((v) => (isJsonObject(v) ? (fixMapping(v), v) : fixName(v)));
          else if (isJsonObject(value)) fixMapping(value);
          else holder[key] = fixName(value);
        });
      }
    }
  }
}

/** Candidates in `namespace` as they were when first read, else as they are now (kustomize's two groupings). */
function candidatesIn(items: readonly Item[], namespace: string): Item[] {
  const original = items.filter((i) => (i.previousIds[0]?.namespace ?? i.originalNamespace) === namespace);
  return original.length > 0 ? original : items.filter((i) => namespaceOf(i.object) === namespace);
}
