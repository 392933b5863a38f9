/**
 * Sync hooks, pure: which rendered objects are hooks, of which phases, in which order, with
 * which delete policies, and the name a `generateName` hook gets. Argo CD's semantics
 * (user-guide/resource_hooks.md, sync-waves.md, helm.md):
 *
 * - `sluice.dev/hook`, else `argocd.argoproj.io/hook`: a comma list of PreSync, Sync,
 *   PostSync, SyncFail (run by a sync), PreDelete, PostDelete (hooks, but not run by a sync)
 *   and Skip (not applied at all). Otherwise Helm's `helm.sh/hook`: pre-install and
 *   pre-upgrade are PreSync, post-install and post-upgrade PostSync, post-delete PostDelete,
 *   crd-install is no hook (an ordinary object), every other Helm hook (test, pre-delete,
 *   pre/post-rollback) is not supported and the object is left out, as Argo CD does.
 * - Delete policies: `sluice.dev/hook-delete-policy`, else Argo CD's, else Helm's
 *   (before-hook-creation, hook-succeeded, hook-failed); BeforeHookCreation when none.
 * - Order inside a phase: the sync wave (`sluice.dev/sync-wave`, `argocd.argoproj.io/sync-wave`,
 *   else `helm.sh/hook-weight`), then kind tier, then name. Hooks of one wave run together;
 *   the next wave starts when they have all finished.
 * - A hook with `generateName` and no name is named `<generateName><revision[:7]>-<phase>-<unix
 *   start>` (lower case), as gitops-engine's sync context does: the same operation always
 *   names it the same, so a resumed operation finds the hook it created before.
 */
import { isJsonObject, type JsonObject } from '../json.ts';
import { ARGOCD_SYNC_WAVE_ANNOTATION, SYNC_WAVE_ANNOTATION, tierOf } from './plan.ts';
import { annotationsOf, keyOf, keyString, type ResourceKey } from './resource-key.ts';

export const HOOK_ANNOTATION = 'sluice.dev/hook';
export const ARGOCD_HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';
export const HOOK_DELETE_POLICY_ANNOTATION = 'sluice.dev/hook-delete-policy';
export const ARGOCD_HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
export const HELM_HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';
export const HELM_HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
/** Set by Sluice on the hook objects it creates: the operation that created them (see HookRun.operation). */
export const HOOK_OPERATION_ANNOTATION = 'sluice.dev/hook-operation';

/** The phases a sync runs hooks in, in the order they can run. */
export const HOOK_PHASES = ['PreSync', 'Sync', 'PostSync', 'SyncFail'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];
/** Hook types that mark an object as a hook but that a sync never runs. */
const NOT_RUN_BY_SYNC = ['PreDelete', 'PostDelete', 'Skip'] as const;

export const DELETE_POLICIES = ['BeforeHookCreation', 'HookSucceeded', 'HookFailed'] as const;
export type DeletePolicy = (typeof DELETE_POLICIES)[number];

const HELM_PHASES: Readonly<Record<string, HookPhase | 'PostDelete'>> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
  'post-delete': 'PostDelete',
};
const HELM_DELETE_POLICIES: Readonly<Record<string, DeletePolicy>> = {
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

/** One hook object in one phase (an object annotated `PreSync,PostSync` is two hooks). */
export interface Hook {
  readonly phase: HookPhase;
  readonly wave: number;
  readonly deletePolicies: readonly DeletePolicy[];
  /** Prepared (namespaced, tracked); a `generateName` hook carries its generateName as a placeholder name until it runs. */
  readonly object: JsonObject;
  /** Set when the manifest has generateName and no name. */
  readonly generateName?: string;
}

export interface HookSplit {
  /** The objects a sync applies, diffs and prunes. */
  readonly resources: JsonObject[];
  readonly hooks: Hook[];
  /** Annotations that cannot be read: the operation stops before any write, naming them. */
  readonly problems: { key: ResourceKey; message: string }[];
}

/** What an object's hook annotations make it. */
export type HookKind = { readonly hook: false } | { readonly hook: true; readonly phases: readonly HookPhase[] } | { readonly problem: string };

export function hookKindOf(object: JsonObject): HookKind {
  const annotations = annotationsOf(object);
  const own = annotations[HOOK_ANNOTATION] !== undefined ? HOOK_ANNOTATION : annotations[ARGOCD_HOOK_ANNOTATION] !== undefined ? ARGOCD_HOOK_ANNOTATION : undefined;
  if (own !== undefined) {
    const phases: HookPhase[] = [];
    for (const value of commaList(annotations[own]!)) {
      if ((HOOK_PHASES as readonly string[]).includes(value)) phases.push(value as HookPhase);
      else if (!(NOT_RUN_BY_SYNC as readonly string[]).includes(value)) {
        return { problem: `annotation ${own}: unknown hook type "${value}" (expected ${[...HOOK_PHASES, ...NOT_RUN_BY_SYNC].join(', ')})` };
      }
    }
    return { hook: true, phases: unique(phases) };
  }
  const helm = annotations[HELM_HOOK_ANNOTATION];
  if (helm === undefined) return { hook: false };
  const values = commaList(helm);
  if (values.length > 0 && values.every((v) => v === 'crd-install')) return { hook: false };
  const phases = values.flatMap((v) => {
    const phase = HELM_PHASES[v];
    return phase === undefined || phase === 'PostDelete' ? [] : [phase];
  });
  return { hook: true, phases: unique(phases) };
}

/** Whether a live object is a hook (it is never diffed, counted in the sync status, or pruned). */
export function isHookObject(object: JsonObject): boolean {
  const kind = hookKindOf(object);
  return !('problem' in kind) && kind.hook;
}

/** Splits prepared objects into the resources a sync applies and its hooks, one per phase they run in. */
export function splitHooks(objects: readonly JsonObject[]): HookSplit {
  const resources: JsonObject[] = [];
  const hooks: Hook[] = [];
  const problems: { key: ResourceKey; message: string }[] = [];
  for (const object of objects) {
    const kind = hookKindOf(object);
    const key = keyOf(object);
    if ('problem' in kind) {
      problems.push({ key, message: `${keyString(key)}: ${kind.problem}` });
      continue;
    }
    if (!kind.hook) {
      resources.push(object);
      continue;
    }
    const wave = hookWave(object);
    const policies = deletePolicies(object);
    const failed = typeof wave === 'string' ? wave : typeof policies === 'string' ? policies : undefined;
    if (failed !== undefined) {
      problems.push({ key, message: `${keyString(key)}: ${failed}` });
      continue;
    }
    const generateName = generateNameOf(object);
    for (const phase of kind.phases) {
      hooks.push({ phase, wave: wave as number, deletePolicies: policies as DeletePolicy[], object, ...(generateName === undefined ? {} : { generateName }) });
    }
  }
  return { resources, hooks, problems };
}

/** The hooks of one phase in waves: each inner list runs together, the lists one after another. */
export function hookWaves(hooks: readonly Hook[], phase: HookPhase): Hook[][] {
  const ordered = hooks
    .filter((h) => h.phase === phase)
    .sort((a, b) => a.wave - b.wave || tierOf(String(a.object['kind'])) - tierOf(String(b.object['kind'])) || compare(keyString(keyOf(a.object)), keyString(keyOf(b.object))));
  const waves: Hook[][] = [];
  for (const hook of ordered) {
    const last = waves[waves.length - 1];
    if (last !== undefined && last[0]!.wave === hook.wave) last.push(hook);
    else waves.push([hook]);
  }
  return waves;
}

/** Identifies one run of hooks: the same operation (also when resumed after a crash) gives the same names. */
export interface HookRun {
  readonly revision: string;
  /** When the operation was asked for, ms since the epoch: stable across retries of the operation. */
  readonly startedAt: number;
  /** An id unique to the operation, written on the hook objects it creates. */
  readonly operation: string;
}

/** The name the hook's object gets in this run: its own, or generateName plus gitops-engine's postfix. */
export function hookObjectName(hook: Hook, run: HookRun): string {
  if (hook.generateName === undefined) return String((hook.object['metadata'] as JsonObject)['name']);
  return `${hook.generateName}${`${run.revision.slice(0, 7)}-${hook.phase}-${Math.floor(run.startedAt / 1000)}`.toLowerCase()}`;
}

/** The hook's object as this run creates it: its run name, and the operation that created it. */
export function hookObjectFor(hook: Hook, run: HookRun, track: (object: JsonObject) => JsonObject): JsonObject {
  const object = structuredClone(hook.object);
  const metadata = object['metadata'] as JsonObject;
  metadata['name'] = hookObjectName(hook, run);
  delete metadata['generateName'];
  const annotations = isJsonObject(metadata['annotations']) ? metadata['annotations'] : (metadata['annotations'] = {});
  annotations[HOOK_OPERATION_ANNOTATION] = run.operation;
  return track(object);
}

/** Delete policies, or why they cannot be read. */
function deletePolicies(object: JsonObject): DeletePolicy[] | string {
  const annotations = annotationsOf(object);
  const own = [HOOK_DELETE_POLICY_ANNOTATION, ARGOCD_HOOK_DELETE_POLICY_ANNOTATION].find((a) => annotations[a] !== undefined);
  const policies: DeletePolicy[] = [];
  if (own !== undefined) {
    for (const value of commaList(annotations[own]!)) {
      if (!(DELETE_POLICIES as readonly string[]).includes(value)) return `annotation ${own}: unknown delete policy "${value}" (expected ${DELETE_POLICIES.join(', ')})`;
      policies.push(value as DeletePolicy);
    }
  } else if (annotations[HELM_HOOK_DELETE_POLICY_ANNOTATION] !== undefined) {
    for (const value of commaList(annotations[HELM_HOOK_DELETE_POLICY_ANNOTATION])) {
      const policy = HELM_DELETE_POLICIES[value];
      if (policy === undefined) return `annotation ${HELM_HOOK_DELETE_POLICY_ANNOTATION}: unknown delete policy "${value}" (expected ${Object.keys(HELM_DELETE_POLICIES).join(', ')})`;
      policies.push(policy);
    }
  }
  return policies.length === 0 ? ['BeforeHookCreation'] : unique(policies);
}

/** The hook's wave: a sync-wave annotation, else Helm's hook weight; 0 when none. */
function hookWave(object: JsonObject): number | string {
  const annotations = annotationsOf(object);
  const name = [SYNC_WAVE_ANNOTATION, ARGOCD_SYNC_WAVE_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION].find((a) => annotations[a] !== undefined);
  if (name === undefined) return 0;
  const raw = annotations[name]!.trim();
  if (!/^-?\d+$/.test(raw)) return `annotation ${name} must be an integer, got "${raw}"`;
  return Number.parseInt(raw, 10);
}

/** The generateName of a hook that has no name of its own (see withPlaceholderName). */
function generateNameOf(object: JsonObject): string | undefined {
  const metadata = object['metadata'];
  if (!isJsonObject(metadata) || typeof metadata['generateName'] !== 'string') return undefined;
  return metadata['name'] === metadata['generateName'] ? metadata['generateName'] : undefined;
}

/**
 * A hook with generateName and no name gets its generateName as a placeholder name, so it
 * can be keyed, namespaced and tracked like any object until it runs under its real name.
 */
export function withPlaceholderName(object: JsonObject): JsonObject {
  const metadata = object['metadata'];
  if (!isJsonObject(metadata) || typeof metadata['name'] === 'string' || typeof metadata['generateName'] !== 'string') return object;
  return { ...object, metadata: { ...metadata, name: metadata['generateName'] } };
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
