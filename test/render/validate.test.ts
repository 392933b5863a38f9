import { describe, expect, it } from 'vitest';
import { renderDirectory } from '../../src/render/directory.ts';
import { renderKustomization } from '../../src/render/kustomize.ts';
import type { RenderResult } from '../../src/render/types.ts';

const doc = (apiVersion: string, kind: string, metadata: string): string => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n${metadata}`;
const render = (text: string): RenderResult => renderDirectory(new Map([['app/x.yaml', text]]), { path: 'app' });
const problems = (result: RenderResult): [number | undefined, string, string][] =>
  result.ok ? [] : result.errors.map((e) => [e.line, e.code, e.message]);

describe('the renderer refuses what the API server would, with file:line', () => {
  it.each([
    ['an upper-case ConfigMap name', doc('v1', 'ConfigMap', '  name: My_Config\n'), 4, 'metadata.name "My_Config": a lowercase RFC 1123 subdomain'],
    ['a Service name starting with a digit (DNS-1035)', doc('v1', 'Service', '  name: 1web\n'), 4, 'DNS-1035 label'],
    ['a Namespace name with a dot (DNS-1123 label)', doc('v1', 'Namespace', '  name: team.a\n'), 4, 'must not contain dots'],
    ['a StatefulSet name with a dot', doc('apps/v1', 'StatefulSet', '  name: db.main\n'), 4, 'must not contain dots'],
    ['a CronJob name over 52 characters', doc('batch/v1', 'CronJob', `  name: ${'c'.repeat(53)}\n`), 4, 'must be no more than 52 characters'],
    ['a custom resource name in upper case', doc('example.com/v1', 'Widget', '  name: Big\n'), 4, 'RFC 1123 subdomain'],
    ['a namespace that is not a DNS label', doc('v1', 'ConfigMap', '  name: cfg\n  namespace: Prod\n'), 5, 'metadata.namespace "Prod"'],
    ['labels written as a list', doc('v1', 'ConfigMap', '  name: cfg\n  labels: [a, b]\n'), 5, 'metadata.labels must be a mapping of strings, not a sequence'],
    ['a numeric label value', doc('v1', 'ConfigMap', '  name: cfg\n  labels:\n    app: web\n    tier: 1\n'), 7, 'metadata.labels["tier"] must be a string, not the number 1 (quote it in YAML)'],
    ['a label key with a space', doc('v1', 'ConfigMap', '  name: cfg\n  labels:\n    bad key: x\n'), 6, 'metadata.labels key "bad key"'],
    ['a label value over 63 characters', doc('v1', 'ConfigMap', `  name: cfg\n  labels:\n    a: ${'v'.repeat(64)}\n`), 6, 'must be no more than 63 characters'],
    ['a boolean annotation', doc('v1', 'ConfigMap', '  name: cfg\n  annotations:\n    enabled: true\n'), 6, 'metadata.annotations["enabled"] must be a string, not the boolean true'],
    ['annotations over 256 KiB in all', doc('v1', 'ConfigMap', `  name: cfg\n  annotations:\n    a: ${'x'.repeat(140_000)}\n    b: ${'y'.repeat(140_000)}\n`), 5, 'more than the API server\'s limit of 262144'],
  ])('%s', (_name, text, line, message) => {
    expect(problems(render(text))).toEqual([[line, 'INVALID_FIELD', expect.stringContaining(message)]]);
  });

  it.each([
    ['a Deployment name starting with a digit', doc('apps/v1', 'Deployment', '  name: 1web\n')],
    ['a ClusterRole name with colons', doc('rbac.authorization.k8s.io/v1', 'ClusterRole', '  name: system:controller:x\n')],
    ['a stray bad namespace on a cluster-scoped kind (dropped before applying)', doc('rbac.authorization.k8s.io/v1', 'ClusterRole', '  name: r\n  namespace: Prod\n')],
    ['null label and annotation values (Go decodes them as "")', doc('v1', 'ConfigMap', '  name: cfg\n  labels: {a: null}\n  annotations: {b: ~}\n')],
    ['prefixed label keys and an upper-case annotation key', doc('v1', 'ConfigMap', '  name: cfg.v2\n  labels: {app.kubernetes.io/name: web}\n  annotations: {Example.com/Note: x}\n')],
  ])('accepts %s', (_name, text) => {
    expect(problems(render(text))).toEqual([]);
  });

  it('bounds the message for a 100,000-character name', () => {
    const result = render(doc('v1', 'ConfigMap', `  name: ${'n'.repeat(100_000)}\n`));
    expect(problems(result).map(([line, code, message]) => [line, code, message.length < 1_000])).toEqual([[4, 'INVALID_FIELD', true]]);
    expect(problems(result)[0]?.[2]).toContain('… (100000 characters)');
  });

  it('points into the List item that holds the field', () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cfg\n    labels: {tier: 2}\n';
    expect(problems(render(list))).toEqual([[11, 'INVALID_FIELD', expect.stringContaining('metadata.labels["tier"]')]]);
  });

  it('gives the line in the resource file for a kustomization', () => {
    const files = new Map([
      ['k/kustomization.yaml', 'namePrefix: p-\nresources: [cm.yaml]\n'],
      ['k/cm.yaml', doc('v1', 'ConfigMap', '  name: cfg\n  labels:\n    tier: 3\n')],
    ]);
    expect(renderKustomization(files, { path: 'k' })).toEqual({ ok: false, errors: [{ file: 'k/cm.yaml', line: 6, code: 'INVALID_FIELD', message: expect.stringContaining('metadata.labels["tier"]') }] });
  });
});
