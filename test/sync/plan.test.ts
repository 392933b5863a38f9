import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { ARGOCD_SYNC_WAVE_ANNOTATION, planSync, SYNC_WAVE_ANNOTATION, tierOf, type SyncPlan } from '../../src/sync/plan.ts';
import { keyOf, keyString } from '../../src/sync/resource-key.ts';
import { APP_LABEL, appLabelValue, isTrackedBy, TRACKING_ANNOTATION, trackedBy, trackingId, withTracking } from '../../src/sync/tracking.ts';

const APP = { namespace: 'sluice-system', name: 'web' };
const OTHER = { namespace: 'sluice-system', name: 'other' };

function obj(apiVersion: string, kind: string, name: string, namespace?: string, annotations?: Record<string, string>): JsonObject {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}) } };
}

const tracked = (o: JsonObject, app = APP) => withTracking(o, app);

function steps(plan: SyncPlan): string[][] {
  return plan.steps.map((s) => s.tasks.map((t) => `${t.action} ${keyString(t.key)}`));
}

function liveMap(...objects: JsonObject[]): Map<string, JsonObject> {
  return new Map(objects.map((o) => [keyString(keyOf(o)), o]));
}

describe('tracking', () => {
  it('labels and annotates a copy, leaving the input alone', () => {
    const input = obj('apps/v1', 'Deployment', 'api', 'prod');
    const out = withTracking(input, APP);
    expect(input).toEqual(obj('apps/v1', 'Deployment', 'api', 'prod'));
    expect(out).toMatchObject({
      metadata: {
        labels: { [APP_LABEL]: 'web' },
        annotations: { [TRACKING_ANNOTATION]: 'sluice-system/web:apps/Deployment:prod/api' },
      },
    });
    expect(trackedBy(out)).toEqual(APP);
    expect(isTrackedBy(out, APP)).toBe(true);
    expect(isTrackedBy(out, OTHER)).toBe(false);
  });

  it('does not take a copied object for ours: the id must name the object itself', () => {
    const copied = withTracking(obj('v1', 'ConfigMap', 'a', 'prod'), APP);
    (copied['metadata'] as JsonObject)['name'] = 'b';
    expect(isTrackedBy(copied, APP)).toBe(false);
  });

  it('keeps label values within 63 characters, stably', () => {
    const long = { namespace: 'ns', name: 'x'.repeat(80) };
    expect(appLabelValue(long)).toHaveLength(63);
    expect(appLabelValue(long)).toBe(appLabelValue({ ...long }));
    expect(appLabelValue(long)).not.toBe(appLabelValue({ namespace: 'ns2', name: long.name }));
    expect(trackingId(APP, { group: '', kind: 'Namespace', namespace: '', name: 'prod' })).toBe('sluice-system/web:/Namespace:/prod');
  });
});

describe('planSync', () => {
  const ns = tracked(obj('v1', 'Namespace', 'prod'));
  const crd = tracked(obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'));
  const cm = tracked(obj('v1', 'ConfigMap', 'cfg', 'prod'));
  const deploy = tracked(obj('apps/v1', 'Deployment', 'api', 'prod'));
  const svc = tracked(obj('v1', 'Service', 'api', 'prod'));
  const hpa = tracked(obj('autoscaling/v2', 'HorizontalPodAutoscaler', 'api', 'prod'));
  const ing = tracked(obj('networking.k8s.io/v1', 'Ingress', 'api', 'prod'));
  const widget = tracked(obj('example.com/v1', 'Widget', 'w', 'prod'));
  const sa = tracked(obj('v1', 'ServiceAccount', 'api', 'prod'));
  const pvc = tracked(obj('v1', 'PersistentVolumeClaim', 'data', 'prod'));

  it('orders by kind tiers, each tier one concurrent step', () => {
    const plan = planSync({ app: APP, desired: [widget, hpa, deploy, ing, svc, cm, crd, ns, sa, pvc], live: new Map(), prune: false, pruneLast: false });
    expect(steps(plan)).toEqual([
      ['apply Namespace/prod'],
      ['apply apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com'],
      ['apply ServiceAccount/prod/api'],
      ['apply ConfigMap/prod/cfg'],
      ['apply PersistentVolumeClaim/prod/data'],
      ['apply Service/prod/api'],
      ['apply apps/Deployment/prod/api'],
      ['apply networking.k8s.io/Ingress/prod/api'],
      ['apply autoscaling/HorizontalPodAutoscaler/prod/api'],
      ['apply example.com/Widget/prod/w'],
    ]);
  });

  it('runs waves in order, negative first, and prunes each wave after its applies in reverse tier order', () => {
    const early = tracked(obj('v1', 'ConfigMap', 'early', 'prod', { [SYNC_WAVE_ANNOTATION]: '-1' }));
    const late = tracked(obj('apps/v1', 'Deployment', 'late', 'prod', { [SYNC_WAVE_ANNOTATION]: '5' }));
    const goneCm = tracked(obj('v1', 'ConfigMap', 'gone', 'prod'));
    const goneDeploy = tracked(obj('apps/v1', 'Deployment', 'gone', 'prod'));
    const plan = planSync({ app: APP, desired: [late, deploy, early], live: liveMap(goneCm, goneDeploy, deploy), prune: true, pruneLast: false });
    expect(steps(plan)).toEqual([
      ['apply ConfigMap/prod/early'],
      ['apply apps/Deployment/prod/api'],
      ['prune apps/Deployment/prod/gone'],
      ['prune ConfigMap/prod/gone'],
      ['apply apps/Deployment/prod/late'],
    ]);
    expect(plan.steps.map((s) => s.wave)).toEqual([-1, 0, 0, 0, 5]);
    const applied = plan.steps[1]!.tasks[0]!;
    expect(applied.action === 'apply' && applied.live).toBe(deploy);
  });

  it('moves every prune after the last wave with PruneLast, and prunes nothing without prune', () => {
    const late = tracked(obj('apps/v1', 'Deployment', 'late', 'prod', { [SYNC_WAVE_ANNOTATION]: '5' }));
    const gone = tracked(obj('v1', 'ConfigMap', 'gone', 'prod'));
    expect(steps(planSync({ app: APP, desired: [late], live: liveMap(gone), prune: true, pruneLast: true }))).toEqual([
      ['apply apps/Deployment/prod/late'],
      ['prune ConfigMap/prod/gone'],
    ]);
    expect(steps(planSync({ app: APP, desired: [late], live: liveMap(gone), prune: false, pruneLast: false }))).toEqual([['apply apps/Deployment/prod/late']]);
  });

  it('never prunes or overwrites what another app tracks, and says so', () => {
    const theirs = tracked(obj('v1', 'ConfigMap', 'cfg', 'prod'), OTHER);
    const labelledTheirs = tracked(obj('v1', 'ConfigMap', 'shared', 'prod'), OTHER);
    ((labelledTheirs['metadata'] as JsonObject)['labels'] as JsonObject)[APP_LABEL] = 'web';
    const untracked = obj('v1', 'ConfigMap', 'manual', 'prod');
    const plan = planSync({ app: APP, desired: [cm, deploy], live: liveMap(theirs, labelledTheirs, untracked), prune: true, pruneLast: false });
    expect(steps(plan)).toEqual([['apply apps/Deployment/prod/api']]);
    expect(plan.conflicts).toEqual([{ key: keyOf(cm), message: 'ConfigMap/prod/cfg is managed by application sluice-system/other; not applied' }]);
    expect(plan.skipped.map((s) => s.message)).toEqual(["ConfigMap/prod/shared carries this app's label but is tracked by sluice-system/other; not pruned"]);
  });

  it('adopts a live object nobody tracks (kubectl-applied) instead of refusing it', () => {
    const manual = obj('v1', 'ConfigMap', 'cfg', 'prod');
    expect(steps(planSync({ app: APP, desired: [cm], live: liveMap(manual), prune: true, pruneLast: false }))).toEqual([['apply ConfigMap/prod/cfg']]);
  });

  it('syncs only the selected resources', () => {
    const gone = tracked(obj('v1', 'ConfigMap', 'gone', 'prod'));
    const only = new Set(['apps/Deployment/prod/api', 'ConfigMap/prod/gone']);
    expect(steps(planSync({ app: APP, desired: [cm, deploy], live: liveMap(gone), prune: true, pruneLast: false, only }))).toEqual([
      ['apply apps/Deployment/prod/api'],
      ['prune ConfigMap/prod/gone'],
    ]);
  });

  it("reads Argo CD's sync-wave annotation the same way; Sluice's wins when both are set", () => {
    const early = tracked(obj('v1', 'ConfigMap', 'early', 'prod', { [ARGOCD_SYNC_WAVE_ANNOTATION]: '-2' }));
    const both = tracked(obj('v1', 'ConfigMap', 'both', 'prod', { [ARGOCD_SYNC_WAVE_ANNOTATION]: '-5', [SYNC_WAVE_ANNOTATION]: '3' }));
    const plan = planSync({ app: APP, desired: [both, deploy, early], live: new Map(), prune: false, pruneLast: false });
    expect(steps(plan)).toEqual([['apply ConfigMap/prod/early'], ['apply apps/Deployment/prod/api'], ['apply ConfigMap/prod/both']]);
    expect(plan.steps.map((s) => s.wave)).toEqual([-2, 0, 3]);
    const bad = tracked(obj('v1', 'ConfigMap', 'bad', 'prod', { [ARGOCD_SYNC_WAVE_ANNOTATION]: 'soon' }));
    expect(planSync({ app: APP, desired: [bad], live: new Map(), prune: false, pruneLast: false }).conflicts[0]?.message).toBe(
      'ConfigMap/prod/bad: annotation argocd.argoproj.io/sync-wave must be an integer, got "soon"',
    );
  });

  it('rejects a sync wave that is not an integer, naming the object', () => {
    const bad = tracked(obj('v1', 'ConfigMap', 'bad', 'prod', { [SYNC_WAVE_ANNOTATION]: 'soon' }));
    const plan = planSync({ app: APP, desired: [bad], live: new Map(), prune: false, pruneLast: false });
    expect(plan.steps).toEqual([]);
    expect(plan.conflicts[0]?.message).toBe('ConfigMap/prod/bad: annotation sluice.dev/sync-wave must be an integer, got "soon"');
  });

  it('skips objects already being deleted', () => {
    const dying = tracked(obj('v1', 'ConfigMap', 'dying', 'prod'));
    (dying['metadata'] as JsonObject)['deletionTimestamp'] = '2026-01-01T00:00:00Z';
    expect(steps(planSync({ app: APP, desired: [], live: liveMap(dying), prune: true, pruneLast: false }))).toEqual([]);
  });

  it.each([
    ['Namespace', 0],
    ['CustomResourceDefinition', 1],
    ['Secret', 3],
    ['Deployment', 6],
    ['Widget', 9],
    ['ValidatingWebhookConfiguration', 10],
  ])('tier of %s is %d', (kind, tier) => {
    expect(tierOf(kind)).toBe(tier);
  });
});
