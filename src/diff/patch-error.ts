import type { JsonValue } from '../json.ts';

/**
 * A malformed strategic merge patch or a bad directive. The API server answers it with
 * 422 (or 400) and this message, as kube-apiserver does for apimachinery's errors.
 */
export class PatchError extends Error {
  override readonly name = 'PatchError';
}

export function noMergeKey(item: JsonValue, mergeKey: string): PatchError {
  return new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
}

export function badPatchType(directive: JsonValue | undefined, item: JsonValue): PatchError {
  return new PatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(item)}`);
}
