import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderKustomization } from '../../src/render/kustomize.ts';
import type { RenderResult } from '../../src/render/types.ts';
import { CASES, KUSTOMIZE_FIXTURES, goldenPath, loadTree } from './gen-kustomize-goldens.ts';

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const kubectl = hasKubectl();

function parseStream(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d !== null);
}

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
    const live = execFileSync('kubectl', ['kustomize', join(KUSTOMIZE_FIXTURES, path)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(objects(renderKustomization(tree, { path }))).toEqual(parseStream(live));
  });
});

function files(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';

describe('renderKustomization errors', () => {
  it.each([
    ['replacements', 'replacements: []\n'],
    ['helmCharts', 'helmCharts: []\n'],
    ['vars', 'vars: []\n'],
    ['components', 'components: [c]\n'],
    ['patchesStrategicMerge', 'patchesStrategicMerge: [p.yaml]\n'],
    ['bases', 'bases: [b]\n'],
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
    ['configMapGenerator[0].behavior', 'configMapGenerator: [{name: a, behavior: merge, literals: [x=y]}]\n'],
    ['secretGenerator[0].immutable', 'secretGenerator: [{name: s, immutable: true, literals: [x=y]}]\n'],
    ['generatorOptions.immutable', 'generatorOptions: {immutable: true}\n'],
  ])('names the unsupported sub-field %s', (field, yaml) => {
    const result = renderKustomization(files({ 'app/kustomization.yaml': `resources: [cm.yaml]\n${yaml}`, 'app/cm.yaml': CM }), { path: 'app' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.message.includes(field)])).toEqual([['UNSUPPORTED_KUSTOMIZE_FIELD', true]]);
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

  it('does not mutate its input and records sources', () => {
    const result = renderKustomization(files({ 'kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: p-\n', 'cm.yaml': CM }), { path: '.' });
    expect(result.ok && result.objects.map((o) => [o.object['metadata'], o.source.file])).toEqual([[{ name: 'p-a' }, 'cm.yaml']]);
  });
});
