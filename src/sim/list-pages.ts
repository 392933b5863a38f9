import type { JsonObject } from '../json.ts';
import { errors } from './errors.ts';
import { nameOf, namespaceOf } from './object-meta.ts';

/** The key objects are listed by (as etcd orders them): namespace, then name. */
export function itemKey(obj: JsonObject): string {
  return `${namespaceOf(obj)}/${nameOf(obj)}`;
}

/** Index of the first object (in key order) whose key sorts after `key`. */
export function firstAfter(sorted: readonly JsonObject[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (itemKey(sorted[mid]!) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ContinueToken {
  /** the revision the first page was read at */
  readonly rv: number;
  /** the last key served */
  readonly start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.start === 'string' && typeof parsed.rv === 'number' && Number.isInteger(parsed.rv)) return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}
