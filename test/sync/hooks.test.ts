import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { hookKindOf, hookObjectName, hookWaves, splitHooks, withPlaceholderName, type HookKind } from '../../src/sync/hooks.ts';
import { hookState, podState } from '../../src/sync/hook-run.ts';

const job = (name: string, annotations: Record<string, string>): JsonObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'ns', annotations },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
});

describe('which objects are hooks, of which phases', () => {
  it.each<[string, Record<string, string>, HookKind]>([
    ['no annotation', {}, { hook: false }],
    ['Sluice PreSync', { 'sluice.dev/hook': 'PreSync' }, { hook: true, phases: ['PreSync'] }],
    ['Argo CD comma list', { 'argocd.argoproj.io/hook': 'PreSync, PostSync' }, { hook: true, phases: ['PreSync', 'PostSync'] }],
    ["Sluice's wins over Argo CD's", { 'sluice.dev/hook': 'SyncFail', 'argocd.argoproj.io/hook': 'PreSync' }, { hook: true, phases: ['SyncFail'] }],
    ['Skip: a hook never applied', { 'argocd.argoproj.io/hook': 'Skip' }, { hook: true, phases: [] }],
    ['PostDelete: not run by a sync', { 'argocd.argoproj.io/hook': 'PostDelete' }, { hook: true, phases: [] }],
    ['unknown type', { 'sluice.dev/hook': 'PreSnyc' }, { problem: 'annotation sluice.dev/hook: unknown hook type "PreSnyc" (expected PreSync, Sync, PostSync, SyncFail, PreDelete, PostDelete, Skip)' }],
    ['Helm pre-upgrade', { 'helm.sh/hook': 'pre-upgrade' }, { hook: true, phases: ['PreSync'] }],
    ['Helm pre-install,pre-upgrade', { 'helm.sh/hook': 'pre-install,pre-upgrade' }, { hook: true, phases: ['PreSync'] }],
    ['Helm post-install,post-upgrade', { 'helm.sh/hook': 'post-install,post-upgrade' }, { hook: true, phases: ['PostSync'] }],
    ['Helm test: left out', { 'helm.sh/hook': 'test' }, { hook: true, phases: [] }],
    ['Helm pre-delete: left out', { 'helm.sh/hook': 'pre-delete' }, { hook: true, phases: [] }],
    ['Helm crd-install: an ordinary object', { 'helm.sh/hook': 'crd-install' }, { hook: false }],
    ["Argo CD's wins over Helm's", { 'argocd.argoproj.io/hook': 'Sync', 'helm.sh/hook': 'pre-install' }, { hook: true, phases: ['Sync'] }],
  ])('%s', (_, annotations, want) => {
    expect(hookKindOf(job('j', annotations))).toEqual(want);
  });
});

describe('splitting a render into resources and hooks', () => {
  it.each<[string, Record<string, string>, readonly string[] | string]>([
    ['default policy', {}, ['BeforeHookCreation']],
    ['Sluice policies', { 'sluice.dev/hook-delete-policy': 'HookSucceeded,HookFailed' }, ['HookSucceeded', 'HookFailed']],
    ['Argo CD policy', { 'argocd.argoproj.io/hook-delete-policy': 'HookFailed' }, ['HookFailed']],
    ['Helm policies', { 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' }, ['BeforeHookCreation', 'HookSucceeded']],
    ['unknown policy', { 'sluice.dev/hook-delete-policy': 'Always' }, 'batch/Job/ns/j: annotation sluice.dev/hook-delete-policy: unknown delete policy "Always" (expected BeforeHookCreation, HookSucceeded, HookFailed)'],
    ['unknown Helm policy', { 'helm.sh/hook-delete-policy': 'never' }, 'batch/Job/ns/j: annotation helm.sh/hook-delete-policy: unknown delete policy "never" (expected before-hook-creation, hook-succeeded, hook-failed)'],
  ])('delete policies: %s', (_, annotations, want) => {
    const split = splitHooks([job('j', { 'sluice.dev/hook': 'PreSync', ...annotations })]);
    if (typeof want === 'string') expect(split.problems.map((p) => p.message)).toEqual([want]);
    else expect(split.hooks.map((h) => h.deletePolicies)).toEqual([want]);
  });

  it('keeps ordinary objects, drops skipped hooks, and makes one hook per phase', () => {
    const plain: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } };
    const split = splitHooks([plain, job('both', { 'argocd.argoproj.io/hook': 'PreSync,PostSync' }), job('skipped', { 'argocd.argoproj.io/hook': 'Skip' })]);
    expect(split.resources).toEqual([plain]);
    expect(split.hooks.map((h) => `${h.phase} ${String((h.object['metadata'] as JsonObject)['name'])}`)).toEqual(['PreSync both', 'PostSync both']);
  });

  it('orders a phase by wave (sync-wave, else Helm hook-weight), then kind, then name; one wave runs together', () => {
    const pod: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a-pod', namespace: 'ns', annotations: { 'sluice.dev/hook': 'PreSync' } } };
    const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'z-config', namespace: 'ns', annotations: { 'sluice.dev/hook': 'PreSync' } } };
    const { hooks } = splitHooks([
      job('late', { 'helm.sh/hook': 'pre-upgrade', 'helm.sh/hook-weight': '5' }),
      job('early', { 'sluice.dev/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-1' }),
      job('b', { 'sluice.dev/hook': 'PreSync' }),
      pod,
      cm,
      job('post', { 'sluice.dev/hook': 'PostSync' }),
    ]);
    const names = hookWaves(hooks, 'PreSync').map((wave) => wave.map((h) => String((h.object['metadata'] as JsonObject)['name'])));
    expect(names).toEqual([['early'], ['z-config', 'a-pod', 'b'], ['late']]);
  });

  it('refuses a wave that is not an integer', () => {
    const split = splitHooks([job('j', { 'sluice.dev/hook': 'PreSync', 'helm.sh/hook-weight': 'first' })]);
    expect(split.problems.map((p) => p.message)).toEqual(['batch/Job/ns/j: annotation helm.sh/hook-weight must be an integer, got "first"']);
  });
});

describe('generateName', () => {
  it('names the hook as gitops-engine does: generateName + revision[:7]-phase-unix start, lower case', () => {
    const object = withPlaceholderName({ apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } } });
    const [hook] = splitHooks([object]).hooks;
    const run = { revision: 'ABCDEF0123456789', startedAt: Date.UTC(2026, 11, 5, 22, 0, 0, 750), operation: 'op' };
    expect(hookObjectName(hook!, run)).toBe(`migrate-abcdef0-presync-${Date.UTC(2026, 11, 5, 22, 0, 0) / 1000}`);
  });

  it('keeps a named hook its name', () => {
    const [hook] = splitHooks([job('migrate', { 'sluice.dev/hook': 'PreSync' })]).hooks;
    expect(hookObjectName(hook!, { revision: 'abc', startedAt: 0, operation: 'op' })).toBe('migrate');
  });
});

describe('when a hook has finished', () => {
  it.each<[string, JsonObject, string]>([
    ['a running Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { active: 1 } }, 'Running'],
    ['a complete Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { conditions: [{ type: 'Complete', status: 'True' }] } }, 'Succeeded'],
    ['a failed Job', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }, 'Failed'],
    ['a succeeded Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { restartPolicy: 'Never' }, status: { phase: 'Succeeded' } }, 'Succeeded'],
    ['a failed Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { restartPolicy: 'Never' }, status: { phase: 'Failed' } }, 'Failed'],
    ['a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, 'Succeeded'],
  ])('%s', (_, live, want) => {
    expect(hookState(live).status).toBe(want);
  });

  it("describes a pod's containers: reason, exit code, message", () => {
    const pod: JsonObject = {
      status: {
        phase: 'Failed',
        containerStatuses: [{ name: 'migrate', state: { terminated: { reason: 'Error', exitCode: 3, message: 'relation "users" already exists' } } }],
      },
    };
    expect(podState(pod)).toBe('phase Failed, container migrate terminated: Error, exit code 3: relation "users" already exists');
  });
});
