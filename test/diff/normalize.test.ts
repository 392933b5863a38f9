import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { LAST_APPLIED_ANNOTATION, normalizeObject } from '../../src/diff/normalize.ts';
import { canonicalQuantity, parseQuantityMilli } from '../../src/diff/quantity.ts';

describe('quantities compare by value', () => {
  it.each([
    ['1000m', '1'],
    ['1', '1'],
    ['0.5', '500m'],
    ['500m', '500m'],
    ['1.5', '1500m'],
    ['2000', '2k'],
    ['1e3', '1k'],
    ['1E3', '1k'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1073741824', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1000Ki', '1024k'],
    ['1024k', '1024k'],
    ['128974848', '123Mi'],
    ['129e6', '129M'],
    ['0.1m', '1m'],
    ['0', '0'],
    ['-1500m', '-1500m'],
    ['.5', '500m'],
  ])('%s -> %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it('leaves what is not a quantity alone', () => {
    expect(canonicalQuantity('lots')).toBe('lots');
    expect(canonicalQuantity('1Kb')).toBe('1Kb');
    expect(parseQuantityMilli('')).toBeUndefined();
  });

  it('parses exactly in thousandths', () => {
    expect(parseQuantityMilli('1Ki')).toBe(1024000n);
    expect(parseQuantityMilli('2.5m')).toBe(3n);
    expect(parseQuantityMilli('1e-3')).toBe(1n);
  });
});

const deployment = (resources: JsonObject): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    uid: 'u',
    resourceVersion: '7',
    generation: 2,
    creationTimestamp: '2024-01-01T00:00:00Z',
    managedFields: [{ manager: 'kubectl' }],
    annotations: { [LAST_APPLIED_ANNOTATION]: '{}' },
    labels: {},
  },
  spec: {
    template: { spec: { containers: [{ name: 'app', image: 'nginx', resources }], initContainers: [{ name: 'i', resources }] } },
  },
  status: { replicas: 1 },
});

describe('normalizeObject', () => {
  it('drops server-owned fields, the last-applied annotation and the maps it leaves empty', () => {
    const n = normalizeObject(deployment({}));
    expect(n.status).toBeUndefined();
    expect(n.metadata).toEqual({ name: 'web' });
  });

  it('canonicalizes container and init container quantities, without touching the input', () => {
    const input = deployment({ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: 2, memory: '1.5Gi' } });
    const before = structuredClone(input);
    const n = normalizeObject(input);
    const spec = ((n.spec as JsonObject).template as JsonObject).spec as JsonObject;
    for (const list of ['containers', 'initContainers']) {
      const c = (spec[list] as JsonObject[])[0] as JsonObject;
      expect(c.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1536Mi' } });
    }
    expect(input).toEqual(before);
  });

  it('canonicalizes PVC, StatefulSet claim template and CronJob quantities', () => {
    const pvc = normalizeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '1024Mi' } } } });
    expect(pvc.spec).toEqual({ resources: { requests: { storage: '1Gi' } } });
    const sts = normalizeObject({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      spec: { volumeClaimTemplates: [{ spec: { resources: { requests: { storage: '2048Mi' } } } }] },
    });
    expect(sts.spec).toEqual({ volumeClaimTemplates: [{ spec: { resources: { requests: { storage: '2Gi' } } } }] });
    const cj = normalizeObject({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', resources: { limits: { cpu: '0.5' } } }] } } } } },
    });
    expect(JSON.stringify(cj)).toContain('"cpu":"500m"');
  });

  it('folds Secret stringData into data, stringData winning', () => {
    const n = normalizeObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { a: Buffer.from('old').toString('base64'), b: 'Yg==' },
      stringData: { a: 'new' },
    });
    expect(n).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: Buffer.from('new').toString('base64'), b: 'Yg==' } });
  });

  it('keeps other annotations and labels', () => {
    const n = normalizeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { a: '1', [LAST_APPLIED_ANNOTATION]: 'x' }, labels: { l: '1' } } });
    expect(n.metadata).toEqual({ name: 'c', annotations: { a: '1' }, labels: { l: '1' } });
  });
});
