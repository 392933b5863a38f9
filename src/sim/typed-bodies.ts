import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { PatchType, Subresource } from './apiserver.ts';
import { errors } from './errors.ts';
import { metadataOf, nameOf } from './object-meta.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { applyTypeError } from './validation/apply-types.ts';
import { goSprintV, jsonDecodeError, unstructuredConvertError } from './validation/go-decode.ts';

/**
 * Bodies of built-in kinds must decode into their Go types before anything else looks at
 * them; each request path fails the way kube-apiserver's handler for it does.
 */

/** The kind a body of this resource (or of its scale subresource) decodes into. */
function bodyKind(rt: ResourceType, subresource?: Subresource): { apiVersion: string; version: string; kind: string } {
  if (subresource === 'scale') return { apiVersion: 'autoscaling/v1', version: 'v1', kind: 'Scale' };
  return { apiVersion: apiVersionOf(rt.group, rt.version), version: rt.version, kind: rt.kind };
}

/** A create or update body that does not decode into its Go type is a 400, before any other check (handlers' transformDecodeError). */
export function checkDecodes(rt: ResourceType, body: JsonValue, subresource?: Subresource): void {
  if (!isJsonObject(body)) return;
  const { apiVersion, version, kind } = bodyKind(rt, subresource);
  const error = jsonDecodeError(apiVersion, kind, body);
  if (error) throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${error}`);
}

/**
 * A patch whose result does not decode is a 422 on `patch` (handlers/patch.go): JSON and merge
 * patches quote the patched object, strategic merge patches the patch itself.
 */
export function checkPatchDecodes(rt: ResourceType, type: PatchType, patch: JsonValue, patched: JsonObject, subresource?: Subresource): void {
  const { apiVersion, kind } = bodyKind(rt, subresource);
  if (type === 'strategic') {
    const error = unstructuredConvertError(apiVersion, kind, patched);
    if (error) throw errors.invalidPatch(goSprintV(patch), error);
    return;
  }
  const error = jsonDecodeError(apiVersion, kind, patched);
  if (error) throw errors.invalidPatch(JSON.stringify(patched), error);
}

/** `ns/name; group/version, Kind=Kind`, as the field manager names the object it failed on (objectGVKNN). */
function describe(rt: ResourceType, config: JsonObject): string {
  return `${String(metadataOf(config).namespace ?? '')}/${nameOf(config)}; ${rt.group}/${rt.version}, Kind=${rt.kind}`;
}

/** An apply configuration must type as structured-merge-diff sees it; a plain error in the field manager, hence a 500 (kubernetes/kubernetes#139253). */
export function checkApplyTypes(rt: ResourceType, config: JsonObject): void {
  const error = applyTypeError(apiVersionOf(rt.group, rt.version), rt.kind, config);
  if (error) throw errors.unknown(`failed to create typed patch object (${describe(rt, config)}): ${error}`);
}

/** The merged result of an apply must convert to the Go type (what the schema's scalars let through: 1.5 for an int32, `cpu: lots`). */
export function checkAppliedConverts(rt: ResourceType, config: JsonObject, merged: JsonObject): void {
  const error = unstructuredConvertError(apiVersionOf(rt.group, rt.version), rt.kind, merged);
  if (error) throw errors.unknown(`failed to convert new object (${describe(rt, config)}) to proper version: ${error}`);
}
