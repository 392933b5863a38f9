/**
 * Is one resource in sync? The desired manifest is "applied" on paper — the patch
 * `kubectl apply` would send, applied to the live object — and the prediction compared with
 * the live object after normalization and ignoreDifferences. Pure and synchronous.
 */
import jsonPatch, { type Operation } from 'fast-json-patch';
import type { IgnoreDifference } from '../app/types.ts';
import { keepDefaultedLists, keepServerDefaults } from './defaulted.ts';
import { applyIgnoreRules, managedFieldSets, ruleMatches } from './ignore.ts';
import { deepCopy, isEmptyObject, jsonEqual, type JsonObject } from '../json.ts';
import { applyMergePatch } from './merge-patch.ts';
import { normalizeObject } from './normalize.ts';
import { patchMetaFor } from './patch-meta.ts';
import { applyStrategicMergePatch } from './strategic-merge.ts';
import { applyPatch, withLastApplied } from './three-way.ts';

// a CommonJS package: named imports do not load under plain Node ESM
const { compare } = jsonPatch;

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Missing' | 'Extraneous';

export interface DiffInput {
  /** the rendered manifest; absent when Git no longer has the resource */
  readonly desired?: JsonObject;
  /** the object in the cluster; absent when it does not exist */
  readonly live?: JsonObject;
  readonly ignore: readonly IgnoreDifference[];
}

export interface ResourceDiff {
  readonly status: SyncStatus;
  readonly patchType: 'strategic' | 'merge';
  /** what `kubectl apply` would send (absent without a live object); `{}` when nothing */
  readonly patch?: JsonObject;
  /**
   * the live object as it would be after the apply (the desired object, annotated, when
   * missing); parts the patch leaves alone are the live object's own, so read, never write
   */
  readonly predicted?: JsonObject;
  /** normalized live -> normalized predicted, after ignoreDifferences; [] when Synced */
  readonly jsonPatch: Operation[];
}

function apiVersionKind(obj: JsonObject): [string, string] {
  return [typeof obj.apiVersion === 'string' ? obj.apiVersion : '', typeof obj.kind === 'string' ? obj.kind : ''];
}

/** Normalized and with ignoreDifferences applied; a fresh copy whenever rules apply. */
function compared(obj: JsonObject, rules: readonly IgnoreDifference[], fieldSets: readonly JsonObject[]): JsonObject {
  const normalized = normalizeObject(obj);
  if (rules.length === 0 && fieldSets.length === 0) return normalized;
  const copy = deepCopy(normalized);
  applyIgnoreRules(copy, rules, fieldSets);
  return copy;
}

export function diffResource(input: DiffInput): ResourceDiff {
  const { desired, live } = input;
  const subject = desired ?? live;
  if (subject === undefined) return { status: 'Synced', patchType: 'merge', jsonPatch: [] };
  const [apiVersion, kind] = apiVersionKind(subject);
  const meta = patchMetaFor(apiVersion, kind);
  const patchType = meta === undefined ? 'merge' : 'strategic';
  if (live === undefined) {
    const predicted = withLastApplied(desired as JsonObject);
    return { status: 'Missing', patchType, predicted, jsonPatch: compare({}, normalizeObject(predicted)) };
  }
  if (desired === undefined) return { status: 'Extraneous', patchType, jsonPatch: compare(normalizeObject(live), {}) };

  const { patch, lastApplied } = applyPatch(desired, live, meta);
  // nothing to send: the prediction is the live object itself, in sync whatever the rules say
  if (isEmptyObject(patch)) return { status: 'Synced', patchType, patch, predicted: live, jsonPatch: [] };
  const applied = meta === undefined ? (applyMergePatch(live, patch) as JsonObject) : applyStrategicMergePatch(live, patch, meta, { share: true });
  // built-in kinds come back defaulted, and atomic lists sent whole re-defaulted, by the server (defaulted.ts)
  const predicted = keepDefaultedLists(meta === undefined ? applied : keepServerDefaults(applied, live), live, lastApplied, meta);

  const rules = input.ignore.filter((r) => ruleMatches(r, live));
  const managers = rules.flatMap((r) => r.managedFieldsManagers);
  const fieldSets = managedFieldSets(live, managers);
  const before = compared(live, rules, fieldSets);
  const after = compared(predicted, rules, fieldSets);
  if (jsonEqual(before, after)) return { status: 'Synced', patchType, patch, predicted, jsonPatch: [] };
  return { status: 'OutOfSync', patchType, patch, predicted, jsonPatch: compare(before, after) };
}
