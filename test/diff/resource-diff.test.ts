import { describe, expect, it } from 'vitest';
import type { IgnoreDifference } from '../../src/app/types.ts';
import { parseJsonPath, removeJsonPath, removeJsonPointer } from '../../src/diff/ignore.ts';
import type { JsonObject, JsonValue } from '../../src/json.ts';
import { diffResource } from '../../src/diff/resource-diff.ts';
import { textDiff } from '../../src/diff/text-diff.ts';
import { goJson } from '../../src/diff/go-json.ts';
import { LAST_APPLIED_ANNOTATION, lastAppliedAnnotation, withLastApplied } from '../../src/diff/three-way.ts';

function desiredDeployment(opts: { replicas?: number; image?: string; cpu?: string; memory?: string } = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: opts.image ?? 'nginx:1.25',
              resources: { requests: { cpu: opts.cpu ?? '1000m', memory: opts.memory ?? '1024Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** What a real API server stores after `kubectl apply -f desired`: quantities canonical, plus server fields. */
function liveOf(desired: JsonObject, edit?: (live: JsonObject) => void): JsonObject {
  const live = structuredClone(withLastApplied(desired));
  const container = (((live.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[];
  const resources = (container[0] as JsonObject).resources as JsonObject;
  const requests = resources.requests as JsonObject;
  if (requests.cpu === '1000m') requests.cpu = '1';
  if (requests.memory === '1024Mi') requests.memory = '1Gi';
  Object.assign(live.metadata as JsonObject, { uid: 'abc', resourceVersion: '12', generation: 1 });
  live.status = { replicas: 2, readyReplicas: 2 };
  edit?.(live);
  return live;
}

const rule = (r: Partial<IgnoreDifference>): IgnoreDifference => ({
  group: 'apps',
  kind: 'Deployment',
  jsonPointers: [],
  jsonPaths: [],
  managedFieldsManagers: [],
  ...r,
});

describe('diffResource', () => {
  it('is Synced when the server only canonicalized quantities (the "OutOfSync with empty diff" loop)', () => {
    const desired = desiredDeployment();
    const d = diffResource({ desired, live: liveOf(desired), ignore: [] });
    // kubectl would send the manifest's spelling again...
    expect(d.patch).not.toEqual({});
    // ...but the value is the same
    expect(d.status).toBe('Synced');
    expect(d.jsonPatch).toEqual([]);
  });

  it('is OutOfSync with a JSON patch naming the change', () => {
    const desired = desiredDeployment({ image: 'nginx:1.27' });
    const d = diffResource({ desired, live: liveOf(desiredDeployment()), ignore: [] });
    expect(d.status).toBe('OutOfSync');
    expect(d.patchType).toBe('strategic');
    expect(d.jsonPatch).toEqual([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.27' }]);
  });

  it('reports Missing and Extraneous', () => {
    const desired = desiredDeployment();
    const missing = diffResource({ desired, ignore: [] });
    expect(missing.status).toBe('Missing');
    expect(missing.predicted?.metadata).toMatchObject({ annotations: { [LAST_APPLIED_ANNOTATION]: lastAppliedAnnotation(desired) } });
    const extraneous = diffResource({ live: liveOf(desired), ignore: [] });
    expect(extraneous.status).toBe('Extraneous');
    expect(extraneous.jsonPatch.length).toBeGreaterThan(0);
  });

  it('uses a JSON merge patch for custom resources', () => {
    const desired: JsonObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items: [1, 2] } };
    const live = withLastApplied({ ...desired, spec: { items: [1, 2, 3], extra: true } });
    const d = diffResource({ desired, live, ignore: [] });
    expect(d.patchType).toBe('merge');
    expect(d.patch).toMatchObject({ spec: { items: [1, 2] } });
    expect(d.predicted?.spec).toEqual({ items: [1, 2] });
  });

  describe('atomic lists the server re-defaults (StatefulSet volumeClaimTemplates)', () => {
    const sts = (template: JsonObject): JsonObject => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'default' },
      spec: { serviceName: 'db', volumeClaimTemplates: [template] },
    });
    const claim = (extra: JsonObject = {}): JsonObject => ({
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...extra },
    });
    const defaulted = (extra: JsonObject = {}): JsonObject => ({ ...claim({ volumeMode: 'Filesystem', ...extra }), status: { phase: 'Pending' } });

    it('fields only the server set are not a difference', () => {
      const desired = sts(claim());
      const live = { ...withLastApplied(desired), spec: { serviceName: 'db', volumeClaimTemplates: [defaulted()] } };
      const d = diffResource({ desired, live, ignore: [] });
      expect(d.patch).toHaveProperty('spec.volumeClaimTemplates');
      expect(d.status).toBe('Synced');
    });

    it('a field we applied before and dropped now is', () => {
      const before = sts(claim({ storageClassName: 'fast' }));
      const desired = sts(claim());
      const live = { ...withLastApplied(before), spec: { serviceName: 'db', volumeClaimTemplates: [defaulted({ storageClassName: 'fast' })] } };
      const d = diffResource({ desired, live, ignore: [] });
      expect(d.status).toBe('OutOfSync');
      expect(d.jsonPatch).toContainEqual({ op: 'remove', path: '/spec/volumeClaimTemplates/0/spec/storageClassName' });
    });
  });

  describe('ignoreDifferences', () => {
    const desired = desiredDeployment({ replicas: 2 });
    const drifted = liveOf(desired, (live) => {
      (live.spec as JsonObject).replicas = 5;
      const c = ((((live.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[])[0] as JsonObject;
      c.image = 'nginx:patched';
    });

    it('is OutOfSync without rules', () => {
      expect(diffResource({ desired, live: drifted, ignore: [] }).status).toBe('OutOfSync');
    });

    it.each([
      ['jsonPointers', rule({ jsonPointers: ['/spec/replicas', '/spec/template/spec/containers/0/image'] })],
      ['jsonPaths', rule({ jsonPaths: ['.spec.replicas', '.spec.template.spec.containers[?(@.name=="app")].image'] })],
      ['jsonPaths with [*]', rule({ jsonPaths: ['$.spec.replicas', '.spec.template.spec.containers[*].image'] })],
    ])('%s drop the fields from both sides', (_name, r) => {
      const d = diffResource({ desired, live: drifted, ignore: [r] });
      expect(d.status).toBe('Synced');
      expect(d.jsonPatch).toEqual([]);
    });

    it('only rules matching group/kind/name/namespace apply', () => {
      const pointers = ['/spec/replicas', '/spec/template/spec/containers/0/image'];
      for (const other of [{ kind: 'StatefulSet' }, { group: '' }, { name: 'other' }, { namespace: 'prod' }]) {
        expect(diffResource({ desired, live: drifted, ignore: [rule({ jsonPointers: pointers, ...other })] }).status).toBe('OutOfSync');
      }
      const named = rule({ jsonPointers: pointers, name: 'web', namespace: 'default' });
      expect(diffResource({ desired, live: drifted, ignore: [named] }).status).toBe('Synced');
    });

    it('managedFieldsManagers drop what those managers own in live', () => {
      const live = structuredClone(drifted);
      (live.metadata as JsonObject).managedFields = [
        { manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: { 'f:spec': { 'f:selector': {} } } },
        { manager: 'hpa', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
        {
          manager: 'image-updater',
          operation: 'Update',
          fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {} } } } } } },
        },
      ];
      expect(diffResource({ desired, live, ignore: [rule({ managedFieldsManagers: ['hpa'] })] }).status).toBe('OutOfSync');
      const d = diffResource({ desired, live, ignore: [rule({ managedFieldsManagers: ['hpa', 'image-updater'] })] });
      expect(d.status).toBe('Synced');
    });
  });
});

describe('JSON pointers and paths', () => {
  it('parses the simple JSONPath forms', () => {
    expect(parseJsonPath(`.a['b.c'][0][*][?(@.name=="x")].d`)).toEqual([
      { kind: 'field', name: 'a' },
      { kind: 'field', name: 'b.c' },
      { kind: 'index', index: 0 },
      { kind: 'all' },
      { kind: 'filter', field: 'name', value: 'x' },
      { kind: 'field', name: 'd' },
    ]);
    expect(() => parseJsonPath('.a[?(@.x>1)]')).toThrow(/unsupported/);
  });

  it('removes by pointer, with ~0 ~1 escapes and list indices', () => {
    const doc: JsonObject = { metadata: { annotations: { 'a/b': '1', 'c~d': '2', e: '3' } }, list: [1, 2, 3] };
    removeJsonPointer(doc, '/metadata/annotations/a~1b');
    removeJsonPointer(doc, '/metadata/annotations/c~0d');
    removeJsonPointer(doc, '/list/1');
    removeJsonPointer(doc, '/not/there');
    expect(doc).toEqual({ metadata: { annotations: { e: '3' } }, list: [1, 3] });
  });

  it('removes every match of a path, filters included', () => {
    const doc: JsonObject = { items: [{ name: 'x', v: 1 }, { name: 'y', v: 2 }, { name: 'x', v: 3 }] };
    removeJsonPath(doc, '.items[?(@.name=="x")]');
    expect(doc).toEqual({ items: [{ name: 'y', v: 2 }] });
    removeJsonPath(doc, '.items[*].v');
    expect(doc).toEqual({ items: [{ name: 'y' }] });
  });
});

describe('last-applied annotation', () => {
  it('is Go JSON: keys sorted, HTML escaped, empty annotations map, trailing newline', () => {
    const text = lastAppliedAnnotation({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, data: { b: '<&>', a: '1' } });
    expect(text).toBe('{"apiVersion":"v1","data":{"a":"1","b":"\\u003c\\u0026\\u003e"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"c"}}\n');
    expect(goJson([1, 'x', null, true])).toBe('[1,"x",null,true]');
    // index-like keys sort as Go sorts strings, not in JS enumeration order
    expect(goJson({ a: 1, '9': 2, '10': { z: '\u2028', b: [] } })).toBe('{"10":{"b":[],"z":"\\u2028"},"9":2,"a":1}');
  });

  it('equals a plain recursive Go-style encoder on random objects, awkward keys included', () => {
    // keys JS treats specially: array indices, inherited names, __proto__ as an own key (from JSON.parse)
    const keyPool = ['a', 'b', 'Z', '0', '9', '10', '01', 'constructor', 'toString', 'toJSON', 'valueOf', 'é', '\u2028', 'a b', '__proto__'];
    const reference = (v: JsonValue): string => {
      if (v === null || typeof v !== 'object') return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      const keys = Object.keys(v).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      return `{${keys.map((k) => `${reference(k)}:${reference(v[k] as JsonValue)}`).join(',')}}`;
    };
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const make = (depth: number): JsonValue => {
      const pick = random(depth > 3 ? 4 : 7);
      if (pick === 0) return null;
      if (pick === 1) return random(1000) - 500;
      if (pick === 2) return ['x', '<b>&', '\u2029', ''][random(4)]!;
      if (pick === 3) return random(2) === 0;
      if (pick === 4) return Array.from({ length: random(4) }, () => make(depth + 1));
      const entries = Array.from({ length: random(5) }, () => `${JSON.stringify(keyPool[random(keyPool.length)])}:${JSON.stringify(make(depth + 1))}`);
      return JSON.parse(`{${entries.join(',')}}`) as JsonValue;
    };
    for (let i = 0; i < 2_000; i++) {
      const value = make(0);
      expect(goJson(value)).toBe(reference(value));
    }
  });
});

describe('textDiff', () => {
  const secret = (data: Record<string, string>): JsonObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', uid: 'x' },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  });

  it('shows a unified YAML diff with sorted keys', () => {
    const live: JsonObject = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', resourceVersion: '1' }, data: { b: '2', a: '1' } };
    const predicted: JsonObject = { ...live, data: { a: '1', b: '3' } };
    const text = textDiff({ live, predicted, name: 'ConfigMap/c' });
    expect(text).toContain('--- live/ConfigMap/c');
    expect(text).toContain('-  b: "2"');
    expect(text).toContain('+  b: "3"');
    expect(text).not.toContain('resourceVersion');
    expect(text.indexOf('apiVersion')).toBeLessThan(text.indexOf('kind'));
    expect(textDiff({ live, predicted: live })).toBe('');
  });

  it('masks Secret values on both sides: same value same mask, different values different masks', () => {
    const live = secret({ same: 'hunter2', changed: 'old-password', gone: 'zzz' });
    const predicted = secret({ same: 'hunter2', changed: 'new-password' });
    const text = textDiff({ live, predicted });
    for (const v of ['hunter2', 'old-password', 'new-password', 'zzz']) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(Buffer.from(v).toString('base64'));
    }
    const masks = [...text.matchAll(/^([ +-])\s+(\w+): (\++)$/gm)].map((m) => [m[1], m[2], m[3]]);
    const maskOf = (sign: string, key: string): string | undefined => masks.find(([s, k]) => s === sign && k === key)?.[2];
    expect(maskOf(' ', 'same')).toBe('++++++++');
    expect(maskOf('-', 'changed')).not.toBe(maskOf('+', 'changed'));
    expect(new Set(masks.map((m) => m[2])).size).toBe(4);
  });

  it('masks stringData in the prediction like the data it becomes', () => {
    const live = secret({ k: 'v1' });
    const predicted: JsonObject = { ...secret({ k: 'v1' }), stringData: { k: 'v1' } };
    expect(textDiff({ live, predicted })).toBe('');
  });
});
