/**
 * `configurations`, `vars` and `transformers`: where the native renderer must fail, and how
 * (the successful builds are the differential cases configurations/*, vars/*, transformers in
 * kustomize.test.ts). Each failure here was checked against `kubectl kustomize` v5.5, which
 * fails on the same input; plugins Sluice will not run are refused as unsupported instead.
 */
import { describe, expect, it } from 'vitest';
import { expand } from '../../src/render/kustomize-vars.ts';
import { renderKustomization } from '../../src/render/kustomize.ts';
import type { RenderError } from '../../src/render/types.ts';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';

function errorOf(entries: Record<string, string>): RenderError | undefined {
  const result = renderKustomization(new Map(Object.entries({ 'app/cm.yaml': CM, ...entries })), { path: 'app' });
  return result.ok ? undefined : result.errors[0];
}

describe('vars errors, as kustomize gives them', () => {
  it.each([
    ['an objref that names no object', 'vars:\n- {name: X, objref: {kind: Service, name: nope, apiVersion: v1}}\n', /var 'X'.*cannot be mapped to a field in the set of known resources/],
    ['an objref without apiVersion (kustomize compares group, version and kind exactly)', 'vars:\n- {name: X, objref: {kind: ConfigMap, name: a}}\n', /cannot be mapped/],
    ['a var declared twice', 'vars:\n- {name: X, objref: {kind: ConfigMap, name: a, apiVersion: v1}}\n- {name: X, objref: {kind: ConfigMap, name: a, apiVersion: v1}}\n', /var 'X' already encountered/],
    ['a fieldref to a missing field', 'vars:\n- {name: X, objref: {kind: ConfigMap, name: a, apiVersion: v1}, fieldref: {fieldpath: data.nope}}\n', /field specified in var 'X'.*not found/],
  ])('%s fails the render', (_, yaml, message) => {
    const error = errorOf({ 'app/kustomization.yaml': `resources: [cm.yaml]\n${yaml}` });
    expect(error?.code).toBe('INVALID_KUSTOMIZATION');
    expect(error?.message).toMatch(message);
  });

  it('a var declared again in an overlay fails there', () => {
    const vars = 'vars:\n- {name: X, objref: {kind: ConfigMap, name: a, apiVersion: v1}}\n';
    const error = errorOf({ 'app/base/kustomization.yaml': `resources: [cm.yaml]\n${vars}`, 'app/base/cm.yaml': CM, 'app/kustomization.yaml': `resources: [base]\n${vars}` });
    expect(error?.message).toMatch(/var 'X' already encountered/);
  });
});

describe('$(VAR) expansion (kustomize refvar)', () => {
  const values: Record<string, string | number> = { A: 'x', N: 8080 };
  const lookup = (name: string) => values[name];
  it.each([
    ['$(A)', 'x'],
    ['$(N)', 8080],
    ['port $(N)', 'port 8080'],
    ['$$(A) is escaped', '$(A) is escaped'],
    ['$(B) unknown stays', '$(B) unknown stays'],
    ['unclosed $(A', 'unclosed $(A'],
    ['trailing $', 'trailing $'],
    ['$x not a reference', '$x not a reference'],
  ])('%s → %s', (input, want) => {
    expect(expand(input, lookup)).toEqual(want);
  });
});

describe('transformers and configurations Sluice does not run', () => {
  it('a transformer that is not a kustomize builtin is refused as unsupported', () => {
    const error = errorOf({
      'app/kustomization.yaml': 'resources: [cm.yaml]\ntransformers: [t.yaml]\n',
      'app/t.yaml': 'apiVersion: example.com/v1\nkind: SopsDecryptor\nmetadata: {name: s}\n',
    });
    expect(error?.code).toBe('UNSUPPORTED_KUSTOMIZE_FIELD');
    expect(error?.message).toContain('SopsDecryptor');
  });

  it('a configuration file outside the kustomization directory is a path escape (kustomize\'s root-only loader)', () => {
    const error = errorOf({ 'app/kustomization.yaml': 'resources: [cm.yaml]\nconfigurations: [../specs.yaml]\n', 'specs.yaml': 'namespace: []\n' });
    expect(error?.code).toBe('PATH_ESCAPE');
  });

  it('a configuration for namePrefix fieldSpecs is refused rather than ignored', () => {
    const error = errorOf({ 'app/kustomization.yaml': 'resources: [cm.yaml]\nconfigurations: [c.yaml]\n', 'app/c.yaml': 'namePrefix:\n- {path: spec/x}\n' });
    expect(error?.code).toBe('UNSUPPORTED_KUSTOMIZE_FIELD');
  });
});
