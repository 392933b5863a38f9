import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderKustomization } from '../../src/render/kustomize.ts';
import { hasKubectl } from './gen-kustomize-goldens.ts';

const kubectl = hasKubectl();
const scratch = mkdtempSync(join(tmpdir(), 'sluice-replacements-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const RESOURCES = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {word: abc, pair: "a:b", num: "3", float: "1.5"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
data: {word: xyz}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  strategy: null
`;

const replacing = (source: string, target: string, options = ''): string =>
  `resources: [res.yaml]\nreplacements:\n  - source: ${source}\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths: ["${target}"]\n${options}`;

/** kubectl kustomize over the same files: whether kustomize itself fails too. */
function kubectlFails(tree: Record<string, string>): boolean {
  const dir = mkdtempSync(join(scratch, 'case-'));
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  try {
    execFileSync('kubectl', ['kustomize', join(dir, 'app')], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

describe('replacements that kustomize refuses', () => {
  it.each([
    ['a source that selects nothing', replacing('{kind: Secret}', 'spec.replicas'), 'PATCH_FAILED', 'nothing selected'],
    ['a source that selects two objects', replacing('{kind: ConfigMap}', 'spec.replicas'), 'PATCH_FAILED', 'multiple matches'],
    ['a missing source field', replacing('{name: settings, fieldPath: data.gone}', 'spec.replicas'), 'PATCH_FAILED', 'is missing for replacement source'],
    ['a missing target field without create', replacing('{name: settings, fieldPath: data.word}', 'spec.paused'), 'PATCH_FAILED', 'unable to find field "spec.paused"'],
    ['a source index past the delimited parts', replacing('{name: settings, fieldPath: data.pair, options: {delimiter: ":", index: 2}}', 'spec.replicas'), 'PATCH_FAILED', 'out of bounds'],
    ['text into an integer field', replacing('{name: settings, fieldPath: data.word}', 'spec.replicas'), 'PATCH_FAILED', 'cannot decode "abc"'],
    ['an integer into an explicit null', replacing('{name: settings, fieldPath: data.num}', 'spec.strategy'), 'PATCH_FAILED', 'cannot decode "3"'],
    ['a float into an integer field', replacing('{name: settings, fieldPath: data.float}', 'spec.replicas'), 'PATCH_FAILED', 'cannot decode "1.5"'],
    ['a wildcard in the source path', replacing('{name: settings, fieldPath: "data.*"}', 'spec.replicas'), 'PATCH_FAILED', 'wildcard'],
    ['a target without select', 'resources: [res.yaml]\nreplacements: [{source: {name: settings}, targets: [{fieldPaths: [metadata.name]}]}]\n', 'INVALID_KUSTOMIZATION', 'must specify resources to select'],
    ['a replacement without targets', 'resources: [res.yaml]\nreplacements: [{source: {name: settings}}]\n', 'INVALID_KUSTOMIZATION', 'must specify a source and at least one target'],
    ['path and inline together', 'resources: [res.yaml]\nreplacements: [{path: r.yaml, source: {name: settings}, targets: []}]\n', 'INVALID_KUSTOMIZATION', 'cannot specify both path and inline'],
    ['a replacement file above the kustomization', 'resources: [res.yaml]\nreplacements: [{path: ../r.yaml}]\n', 'PATH_ESCAPE', 'replacement path "../r.yaml" is not in or below'],
  ])('%s', (_name, kustomization, code, message) => {
    const tree = { 'app/kustomization.yaml': kustomization, 'app/res.yaml': RESOURCES, 'r.yaml': '[]\n' };
    const result = renderKustomization(new Map(Object.entries(tree)), { path: 'app' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file, e.message])).toEqual([[code, 'app/kustomization.yaml', expect.stringContaining(message)]]);
    if (kubectl) expect(kubectlFails(tree)).toBe(true);
  });

  it('points at the replacements field', () => {
    const tree = new Map(Object.entries({ 'app/kustomization.yaml': replacing('{kind: Secret}', 'spec.replicas'), 'app/res.yaml': RESOURCES }));
    const result = renderKustomization(tree, { path: 'app' });
    expect(result.ok ? undefined : result.errors[0]?.line).toBe(2);
  });
});
