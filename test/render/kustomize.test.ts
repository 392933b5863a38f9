import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderKustomization } from '../../src/render/kustomize.ts';
import type { RenderResult } from '../../src/render/types.ts';
import { CASES, goldenPath, hasKubectl, kubectlKustomize, loadTree, parseStream } from './gen-kustomize-goldens.ts';

const kubectl = hasKubectl();

/** Compared as an ordered list: the native render reproduces kustomize's legacy output order. */
function objects(result: RenderResult): unknown[] {
  if (!result.ok) throw new Error(`render failed: ${JSON.stringify(result.errors)}`);
  return result.objects.map((o) => o.object);
}

const tree = loadTree();

describe('renderKustomization against kubectl kustomize', () => {
  it.each(CASES)('$name matches the committed golden', ({ path }) => {
    expect(objects(renderKustomization(tree, { path }))).toEqual(parseStream(readFileSync(goldenPath(path), 'utf8')));
  });

  it.skipIf(!kubectl).each(CASES)('$name matches live kubectl kustomize (skipped: kubectl not on PATH)', ({ path }) => {
    expect(objects(renderKustomization(tree, { path }))).toEqual(parseStream(kubectlKustomize(path)));
  });
});

function files(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';

describe('renderKustomization errors', () => {
  it.each([
    ['helmCharts', 'helmCharts: []\n'],
  ])('fails with UNSUPPORTED_KUSTOMIZE_FIELD naming %s', (field, yaml) => {
    const result = renderKustomization(files({ 'app/kustomization.yaml': `resources: [cm.yaml]\n${yaml}`, 'app/cm.yaml': CM }), { path: 'app' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]?.code).toBe('UNSUPPORTED_KUSTOMIZE_FIELD');
    expect(result.errors[0]?.message).toContain(field);
  });

  it.each([
    ['labels[0].fields', 'labels: [{pairs: {a: b}, fields: []}]\n'],
    ['patches[0].options', 'patches: [{patch: "{}", options: {allowNameChange: true}}]\n'],
    ['labelSelector', 'patches: [{patch: "[]", target: {labelSelector: "a=b"}}]\n'],
    ['secretGenerator[0].immutable', 'secretGenerator: [{name: s, immutable: true, literals: [x=y]}]\n'],
    ['generatorOptions.immutableFoo', 'generatorOptions: {immutableFoo: true}\n'],
  ])('names the unsupported sub-field %s', (field, yaml) => {
    const result = renderKustomization(files({ 'app/kustomization.yaml': `resources: [cm.yaml]\n${yaml}`, 'app/cm.yaml': CM }), { path: 'app' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.message.includes(field)])).toEqual([['UNSUPPORTED_KUSTOMIZE_FIELD', true]]);
  });

  const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n';
  it.each([
    ['a Kustomization listed as a component', { 'c/kustomization.yaml': 'resources: []\n', 'a/kustomization.yaml': 'components: [../c]\n' }, 'INVALID_KUSTOMIZATION', 'must have kind Component'],
    ['a Component listed as a resource', { 'c/kustomization.yaml': COMPONENT, 'a/kustomization.yaml': 'resources: [../c]\n' }, 'INVALID_KUSTOMIZATION', 'only under components'],
    ['a missing component directory', { 'a/kustomization.yaml': 'components: [../gone]\n' }, 'PATH_NOT_FOUND', 'gone'],
    ['a component cycle', { 'c/kustomization.yaml': `${COMPONENT}components: [../d]\n`, 'd/kustomization.yaml': `${COMPONENT}components: [../c]\n`, 'a/kustomization.yaml': 'components: [../c]\n' }, 'KUSTOMIZE_CYCLE', 'c -> d -> c'],
    ['a remote component', { 'a/kustomization.yaml': 'components: [https://github.com/x/y//c]\n' }, 'PATH_ESCAPE', 'remote component'],
    ['merge into a ConfigMap that does not exist', { 'a/kustomization.yaml': 'configMapGenerator: [{name: c, behavior: merge, literals: [a=b]}]\n' }, 'INVALID_KUSTOMIZATION', 'does not exist; cannot merge'],
    ['replace of a ConfigMap that does not exist', { 'a/kustomization.yaml': 'configMapGenerator: [{name: c, behavior: replace, literals: [a=b]}]\n' }, 'INVALID_KUSTOMIZATION', 'does not exist; cannot replace'],
    ['create over an existing ConfigMap', { 'a/cm.yaml': CM, 'a/kustomization.yaml': 'resources: [cm.yaml]\nconfigMapGenerator: [{name: a, literals: [x=y]}]\n' }, 'INVALID_KUSTOMIZATION', 'behavior must be merge or replace'],
    ['a behavior that is not a string', { 'a/kustomization.yaml': 'configMapGenerator: [{name: c, behavior: [merge]}]\n' }, 'INVALID_KUSTOMIZATION', 'behavior must be a string'],
    ['a non-boolean immutable', { 'a/kustomization.yaml': 'generatorOptions: {immutable: "yes"}\n' }, 'INVALID_KUSTOMIZATION', 'immutable must be true or false'],
  ])('rejects %s', (_name, tree, code, message) => {
    const result = renderKustomization(files(tree), { path: 'a' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.message])).toEqual([[code, expect.stringContaining(message)]]);
  });

  it('rejects a .. resource that leaves the repository root', () => {
    const result = renderKustomization(tree, { path: 'escape' });
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['PATH_ESCAPE']);
  });

  it('allows .. inside the root but reports the missing file by name', () => {
    const result = renderKustomization(tree, { path: 'escape/app' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.message.includes('../../outside.yaml')])).toEqual([['PATH_NOT_FOUND', true]]);
  });

  it('rejects a file resource above the kustomization directory, as kustomize does', () => {
    const result = renderKustomization(files({ 'x.yaml': CM, 'a/kustomization.yaml': 'resources: [../x.yaml]\n' }), { path: 'a' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.message.includes('../x.yaml')])).toEqual([['PATH_ESCAPE', true]]);
  });

  it('rejects a generator file above the kustomization directory', () => {
    const result = renderKustomization(files({ 'x.env': 'A=B\n', 'a/kustomization.yaml': 'configMapGenerator: [{name: c, envs: [../x.env]}]\n' }), { path: 'a' });
    expect(result.ok ? '' : result.errors[0]?.code).toBe('PATH_ESCAPE');
  });

  it('reports a missing resource by name', () => {
    const result = renderKustomization(files({ 'kustomization.yaml': 'resources: [gone.yaml]\n' }), { path: '' });
    expect(result.ok ? '' : result.errors[0]?.message).toContain('gone.yaml');
  });

  it('reports a cycle between kustomizations', () => {
    const result = renderKustomization(files({ 'a/kustomization.yaml': 'resources: [../b]\n', 'b/kustomization.yaml': 'resources: [../a]\n' }), { path: 'a' });
    expect(result.ok ? '' : result.errors[0]?.code).toBe('KUSTOMIZE_CYCLE');
  });

  it('reports a directory resource without a kustomization', () => {
    const result = renderKustomization(files({ 'kustomization.yaml': 'resources: [plain]\n', 'plain/cm.yaml': CM }), { path: '' });
    expect(result.ok ? '' : result.errors[0]?.code).toBe('PATH_NOT_FOUND');
  });

  it.each([
    ['a missing resource', { 'kustomization.yaml': 'namePrefix: p-\nresources:\n- cm.yaml\n- gone.yaml\n', 'cm.yaml': CM }, 'kustomization.yaml', 4, 'PATH_NOT_FOUND'],
    ['an unsupported field', { 'kustomization.yaml': 'resources: []\nsortOptions: {order: fifo}\n' }, 'kustomization.yaml', 2, 'UNSUPPORTED_KUSTOMIZE_FIELD'],
    ['a bad generator entry', { 'kustomization.yaml': 'configMapGenerator:\n- name: a\n  literals: [x=y]\n- name: b\n  behavior: [upsert]\n' }, 'kustomization.yaml', 4, 'INVALID_KUSTOMIZATION'],
    ['a patch that fails', { 'kustomization.yaml': 'resources: [cm.yaml]\npatches:\n- patch: "[{op: remove, path: /nope}]"\n  target: {kind: ConfigMap}\n', 'cm.yaml': CM }, 'kustomization.yaml', 3, 'PATCH_FAILED'],
    ['a field of the wrong type', { 'kustomization.yaml': 'resources: []\nnamePrefix: [a]\n' }, 'kustomization.yaml', 2, 'INVALID_KUSTOMIZATION'],
    ['a bad image rule in a base', { 'kustomization.yaml': 'resources: [base]\n', 'base/kustomization.yaml': 'images:\n- newTag: v2\n' }, 'base/kustomization.yaml', 2, 'INVALID_KUSTOMIZATION'],
    ['a resource directory without a kustomization', { 'kustomization.yaml': 'resources:\n- plain\n', 'plain/cm.yaml': CM }, 'kustomization.yaml', 2, 'PATH_NOT_FOUND'],
    ['a cycle', { 'kustomization.yaml': 'resources: [a]\n', 'a/kustomization.yaml': 'namePrefix: x-\nresources: [..]\n' }, 'a/kustomization.yaml', 2, 'KUSTOMIZE_CYCLE'],
    ['a generator file URL', { 'kustomization.yaml': 'configMapGenerator:\n- name: c\n  files: [https://example.com/x]\n' }, 'kustomization.yaml', 2, 'PATH_ESCAPE'],
    ['a patch path URL', { 'kustomization.yaml': 'patches:\n- path: https://example.com/p.yaml\n' }, 'kustomization.yaml', 2, 'PATH_ESCAPE'],
    ['invalid UTF-8 in a resource', { 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': Buffer.from([0x61, 0x3a, 0x0a, 0xc3]) }, 'cm.yaml', 2, 'INVALID_ENCODING'],
  ])('gives the line of the field: %s', (_name, tree, file, line, code) => {
    const result = renderKustomization(new Map(Object.entries(tree)), { path: '' });
    expect(result.ok ? [] : result.errors.map((e) => [e.file, e.line, e.code])).toEqual([[file, line, code]]);
  });

  it('does not mutate its input and records sources', () => {
    const result = renderKustomization(files({ 'kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: p-\n', 'cm.yaml': CM }), { path: '.' });
    expect(result.ok && result.objects.map((o) => [o.object['metadata'], o.source.file])).toEqual([[{ name: 'p-a' }, 'cm.yaml']]);
  });
});
