/**
 * The human-readable diff of one resource: unified YAML of normalized live vs predicted,
 * keys sorted. Computed only when asked for (the UI/CLI), never on the reconcile hot path.
 * Secret values are masked on both sides: equal values get the same mask, different values
 * different masks (by distinct-value index), so a change shows without the secret leaking.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { isJsonObject, type JsonObject } from '../json.ts';
import { normalizeObject } from './normalize.ts';

const MASK_BASE = 8;

function isSecret(obj: JsonObject | undefined): boolean {
  return obj !== undefined && obj.kind === 'Secret' && obj.apiVersion === 'v1';
}

/** Masks data/stringData values of the Secrets among `objects`, consistently across all of them. */
export function maskSecretValues(objects: readonly (JsonObject | undefined)[]): (JsonObject | undefined)[] {
  const masks = new Map<string, string>();
  const maskOf = (value: string): string => {
    let mask = masks.get(value);
    if (mask === undefined) {
      mask = '+'.repeat(MASK_BASE + masks.size);
      masks.set(value, mask);
    }
    return mask;
  };
  return objects.map((obj) => {
    if (obj === undefined || !isSecret(obj)) return obj;
    const out: JsonObject = { ...obj };
    for (const field of ['data', 'stringData']) {
      const map = obj[field];
      if (!isJsonObject(map)) continue;
      const masked: JsonObject = {};
      for (const [k, v] of Object.entries(map)) masked[k] = typeof v === 'string' ? maskOf(v) : v;
      out[field] = masked;
    }
    return out;
  });
}

function toYaml(obj: JsonObject | undefined): string {
  return obj === undefined ? '' : stringify(obj, { sortMapEntries: true, lineWidth: 0 });
}

export interface TextDiffInput {
  readonly live?: JsonObject;
  readonly predicted?: JsonObject;
  /** file label, e.g. `apps/Deployment/default/web` */
  readonly name?: string;
}

/** Unified diff (live -> predicted) of the normalized objects; '' when they print the same. */
export function textDiff(input: TextDiffInput): string {
  const live = input.live === undefined ? undefined : normalizeObject(input.live);
  const predicted = input.predicted === undefined ? undefined : normalizeObject(input.predicted);
  const [a, b] = maskSecretValues([live, predicted]);
  const before = toYaml(a);
  const after = toYaml(b);
  if (before === after) return '';
  const name = input.name ?? 'resource';
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, before, after, undefined, undefined, { context: 3 });
}
