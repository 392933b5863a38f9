import { isJsonObject, type JsonObject } from '../../json.ts';
import type { SimApiServer } from '../apiserver.ts';
import { labelsOf, metadataOf, nameOf, namespaceOf, ownerReferencesOf, uidOf, withMetadata } from '../object-meta.ts';
import type { ResourceType } from '../resources.ts';
import { labelSelectorFromJson, matchesLabels, SelectorError, type LabelRequirement } from '../selectors.ts';
import { controllerRef, ownerReferenceTo } from './pods.ts';

/** A workload selector: empty selects nothing (validation requires one anyway). */
export function selects(selector: readonly LabelRequirement[], obj: JsonObject): boolean {
  return selector.length > 0 && matchesLabels(selector, labelsOf(obj));
}

/**
 * The objects an owner controls (ControllerRefManager): those it already controls and still
 * selects, plus orphans it selects, which it adopts; those it controls but no longer selects
 * are released.
 */
export function claim(input: {
  readonly api: SimApiServer;
  readonly type: ResourceType;
  readonly owner: JsonObject;
  readonly candidates: readonly JsonObject[];
  readonly selector: readonly LabelRequirement[];
  readonly manager: string;
}): JsonObject[] {
  const { api, type, owner, selector, manager } = input;
  const ownerUid = uidOf(owner);
  const write = (obj: JsonObject) => api.update(type, namespaceOf(obj), nameOf(obj), obj, { fieldManager: manager });
  const claimed: JsonObject[] = [];
  for (const obj of input.candidates) {
    const ref = controllerRef(obj);
    const matches = selects(selector, obj);
    if (ref?.uid === ownerUid) {
      if (matches) claimed.push(obj);
      else write(withMetadata(obj, { ownerReferences: ownerReferencesOf(obj).filter((r) => r.uid !== ownerUid) as unknown as JsonObject[] }));
    } else if (!ref && matches && !metadataOf(obj).deletionTimestamp && !metadataOf(owner).deletionTimestamp) {
      claimed.push(write(withMetadata(obj, { ownerReferences: [...(ownerReferencesOf(obj) as unknown as JsonObject[]), ownerReferenceTo(owner)] })));
    }
  }
  return claimed;
}

/**
 * A workload's spec.selector (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job). One the
 * API server would reject — only an object stored before validation could have it — selects
 * nothing, rather than stopping the controller.
 */
export function selectorOf(workload: JsonObject): LabelRequirement[] {
  try {
    return labelSelectorFromJson(isJsonObject(workload.spec) ? workload.spec.selector : undefined);
  } catch (e) {
    if (e instanceof SelectorError) return [];
    throw e;
  }
}
