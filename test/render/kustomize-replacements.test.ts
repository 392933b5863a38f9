import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderKustomization } from '../../src/render/kustomize.ts';
import { hasKubectl, parseStream } from './gen-kustomize-goldens.ts';

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

/** The tree written to a new scratch directory, for kubectl. */
function written(tree: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, 'case-'));
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** kubectl kustomize over the same files: whether kustomize itself fails too. */
function kubectlFails(tree: Record<string, string>): boolean {
  const dir = written(tree);
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

const LABELLED = ['backend', 'batch', undefined].map((tier, i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-${i}
  labels: {app: web${tier === undefined ? '' : `, tier: ${tier}`}}
data: {k: v${i}}
`).join('---\n');

describe.skipIf(!kubectl)('replacement label selectors against live kubectl kustomize (skipped: kubectl not on PATH)', () => {
  it.each(['tier=backend', 'tier==batch', 'tier!=backend', 'tier in (backend, batch)', 'tier notin (batch)', 'tier', '!tier', 'tier,app=web', 'app=web,tier=other'])('%s', (selector) => {
    const tree = {
      'app/res.yaml': LABELLED,
      'app/kustomization.yaml': `resources: [res.yaml]\nreplacements:\n  - source: {name: cm-0, fieldPath: data.k}\n    targets:\n      - select: {kind: ConfigMap, labelSelector: "${selector}"}\n        fieldPaths: [metadata.annotations.picked]\n        options: {create: true}\n`,
    };
    const expected = parseStream(execFileSync('kubectl', ['kustomize', join(written(tree), 'app')], { encoding: 'utf8' }));
    const result = renderKustomization(new Map(Object.entries(tree)), { path: 'app' });
    expect(result.ok ? result.objects.map((o) => o.object) : result.errors).toEqual(expected);
  });
});
