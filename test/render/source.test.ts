import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSource } from '../../src/render/index.ts';
import { detectKustomizeBinary, findExecutable, kustomizeArgs, type KustomizeBinary } from '../../src/render/kustomize-binary.ts';
import { kustomizeMessage, objectsFromKustomizeOutput } from '../../src/render/kustomize-output.ts';
import type { RenderResult } from '../../src/render/types.ts';
import { FALLBACK_CASES, goldenPath, hasKubectl, kubectlKustomize, loadTree, parseStream } from './gen-kustomize-goldens.ts';

const kubectl = hasKubectl();
const tree = loadTree();
const findsNothing = (): Promise<undefined> => Promise.resolve(undefined);
const mustNotLookUp = (): Promise<never> => Promise.reject(new Error('the binary was looked up'));

function objects(result: RenderResult): unknown[] {
  if (!result.ok) throw new Error(`render failed: ${JSON.stringify(result.errors)}`);
  return result.objects.map((o) => o.object);
}

function files(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';

describe('renderSource without the binary', () => {
  it('renders a plain directory as YAML, never looking for kustomize', async () => {
    const result = await renderSource(files({ 'app/cm.yaml': CM }), { path: 'app', findKustomizeBinary: mustNotLookUp });
    expect(result.ok && result.objects.map((o) => o.source.file)).toEqual(['app/cm.yaml']);
  });

  it('renders a supported kustomization natively, never looking for kustomize', async () => {
    const result = await renderSource(tree, { path: 'components/overlay-a', findKustomizeBinary: mustNotLookUp });
    expect(objects(result)).toEqual(parseStream(readFileSync(goldenPath('components/overlay-a'), 'utf8')));
  });

  it('returns native errors other than unsupported fields as they are', async () => {
    const result = await renderSource(files({ 'kustomization.yaml': 'resources: [gone.yaml]\n' }), { path: '', findKustomizeBinary: mustNotLookUp });
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['PATH_NOT_FOUND']);
  });

  it('bounds every error message, however long what it quotes', async () => {
    const result = await renderSource(files({ 'kustomization.yaml': `resources: [${'r'.repeat(100_000)}.yaml]\n` }), { path: '', findKustomizeBinary: mustNotLookUp });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.message.length <= 2_100, e.message.endsWith('characters)')])).toEqual([['PATH_NOT_FOUND', true, true]]);
  });

  it('reports at most 100 errors, the last saying how many more there were', async () => {
    const bad = Array.from({ length: 250 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_${i}}\n`).join('---\n');
    const result = await renderSource(files({ 'app/cms.yaml': bad }), { path: 'app', findKustomizeBinary: mustNotLookUp });
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => e.code)).toEqual([...Array<string>(99).fill('INVALID_FIELD'), 'TOO_MANY_ERRORS']);
    expect(errors[99]).toEqual({ file: 'app/cms.yaml', line: 399, code: 'TOO_MANY_ERRORS', message: '151 more errors from here on, not shown (250 in all)' });
  });

  it.each([
    ['no binary is found', { findKustomizeBinary: findsNothing }, 'no kustomize or kubectl binary was found'],
    ['the fallback is disabled', { kustomizeBinary: 'never' as const, findKustomizeBinary: mustNotLookUp }, 'fallback is disabled'],
  ])('names the unsupported field when %s', async (_name, extra, why) => {
    const result = await renderSource(tree, { path: 'fallback/sort-options', ...extra });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file, e.message])).toEqual([
      ['KUSTOMIZE_UNAVAILABLE', 'fallback/sort-options/kustomization.yaml', expect.stringMatching(new RegExp(`"sortOptions".*${why}`))],
    ]);
  });
});

describe.skipIf(!kubectl)('renderSource with the kustomize binary (skipped: kubectl not on PATH)', () => {
  it.each(FALLBACK_CASES)('$name equals the committed golden and live kubectl kustomize', async ({ path }) => {
    const result = await renderSource(tree, { path });
    const rendered = objects(result);
    expect(rendered).toEqual(parseStream(readFileSync(goldenPath(path), 'utf8')));
    expect(rendered).toEqual(parseStream(kubectlKustomize(path)));
    expect(result.ok && new Set(result.objects.map((o) => o.source.file))).toEqual(new Set([`${path}/kustomization.yaml`]));
  });

  it("surfaces kustomize's own message, with repo-relative paths, for a missing resource", async () => {
    const result = await renderSource(tree, { path: 'fallback/missing' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file])).toEqual([['KUSTOMIZE_FAILED', 'fallback/missing/kustomization.yaml']]);
    const message = result.ok ? '' : (result.errors[0]?.message ?? '');
    expect(message).toContain("accumulating resources from 'gone.yaml'");
    expect(message).toContain('fallback/missing/gone.yaml');
    expect(message).not.toContain(tmpdir());
  });

  it('finds a binary and caches the answer', async () => {
    const first = await detectKustomizeBinary();
    expect(first?.path).toMatch(/\/(kustomize|kubectl)$/);
    expect(await detectKustomizeBinary()).toBe(first);
  });
});

describe('the kustomize binary adapter with scripted binaries', () => {
  const bin = mkdtempSync(join(tmpdir(), 'sluice-fake-kustomize-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const script = (name: string, body: string): KustomizeBinary => {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return { kind: 'kubectl', path };
  };
  const render = (binary: KustomizeBinary, extra: object = {}): Promise<RenderResult> =>
    renderSource(tree, { path: 'fallback/sort-options', findKustomizeBinary: () => Promise.resolve(binary), ...extra });

  it('runs in a 0700 checkout holding the files, which is removed afterwards', async () => {
    const report = join(bin, 'report');
    const binary = script('inspect', `{ pwd; stat -c %a .; ls "$4"; } > ${report}; echo 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}'`);
    expect(objects(await render(binary))).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }]);
    const [checkout, mode, ...listed] = readFileSync(report, 'utf8').trim().split('\n');
    expect([mode, listed]).toEqual(['700', ['app.yaml', 'kustomization.yaml']]);
    expect(existsSync(checkout ?? '')).toBe(false);
  });

  it('copies only the files the kustomization references, so the rest of a large repository counts for nothing against the size limit', async () => {
    const big = Buffer.alloc(300_000, 'x');
    const monorepo = new Map([...tree, ['other-team/blob.yaml', big], ['fallback/sort-options/unlisted.txt', big]]);
    const binary = script('small', "echo 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}'");
    const limits = { limits: { maxTotalBytes: 100_000 } };
    const result = await renderSource(monorepo, { path: 'fallback/sort-options', findKustomizeBinary: () => Promise.resolve(binary), ...limits });
    expect(result.ok).toBe(true);
    monorepo.set('fallback/sort-options/app.yaml', big);
    const tooLarge = await renderSource(monorepo, { path: 'fallback/sort-options', findKustomizeBinary: () => Promise.resolve(binary), ...limits });
    expect(tooLarge.ok ? [] : tooLarge.errors.map((e) => e.code)).toEqual(['TOTAL_TOO_LARGE']);
  });

  it.each([
    ['times out', 'sleep 5', { kustomizeTimeoutMs: 200 }, 'did not finish within 200 ms'],
    ['writes more than the output limit', 'yes "a: b"', { limits: { maxTotalBytes: 100_000 } }, 'output exceeded 100000 bytes'],
    ['cannot be started', '', {}, 'could not run'],
    ['exits non-zero', 'echo "Error: boom" >&2; exit 1', {}, 'kustomize failed: boom'],
    ['prints a duplicate object', 'printf "kind: ConfigMap\\napiVersion: v1\\nmetadata: {name: x}\\n---\\nkind: ConfigMap\\napiVersion: v1\\nmetadata: {name: x}\\n"', {}, 'x'],
  ])('fails cleanly when the binary %s', async (name, body, extra, message) => {
    const binary = name === 'cannot be started' ? { kind: 'kubectl' as const, path: join(bin, 'absent') } : script(name.replace(/\W/g, '-'), body);
    const result = await render(binary, extra);
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([expect.stringContaining(message)]);
  });
});

describe('kustomize binary helpers', () => {
  it.each([
    ['kubectl', { kind: 'kubectl', path: '/k' }, ['kustomize', '--load-restrictor', 'LoadRestrictionsRootOnly', '/d']],
    ['kustomize', { kind: 'kustomize', path: '/k' }, ['build', '--load-restrictor', 'LoadRestrictionsRootOnly', '/d']],
  ] as const)('builds the %s command line', (_name, binary, want) => {
    expect(kustomizeArgs(binary, '/d')).toEqual(want);
  });

  it('finds an executable on a search path and skips non-executables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-path-'));
    writeFileSync(join(dir, 'plain'), '');
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    expect([await findExecutable('tool', `/nonexistent:${dir}`), await findExecutable('plain', dir)]).toEqual([join(dir, 'tool'), undefined]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['kubectl', 'E1123 21:22:16.5 6692 run.go:72] "command failed" err="accumulating: \\"expected kind\\" at \'/tmp/co/app/x\'"\n', 'accumulating: "expected kind" at \'app/x\''],
    ['kustomize', "Error: must build at directory: '/tmp/co/app'\n", "must build at directory: 'app'"],
    ['warnings only', "# Warning: 'commonLabels' is deprecated.\nError: the root /tmp/co\n", 'the root .'],
    ['nothing', '', 'kustomize failed without a message'],
  ])('extracts the message from %s stderr', (_name, stderr, want) => {
    expect(kustomizeMessage(stderr, '/tmp/co')).toBe(want);
  });

  it.each([
    ['objects in output order, sourced to the kustomization', 'kind: A\napiVersion: v1\nmetadata: {name: b}\n---\nkind: A\napiVersion: v1\nmetadata: {name: a}\n', 10, ['ok', 'b', 'a']],
    ['too many objects', 'kind: A\napiVersion: v1\nmetadata: {name: b}\n---\nkind: A\napiVersion: v1\nmetadata: {name: a}\n', 1, ['TOO_MANY_OBJECTS']],
    ['an object without a name', 'kind: A\napiVersion: v1\nmetadata: {}\n', 10, ['MISSING_FIELD']],
    ['invalid YAML', 'a: [\n', 10, ['YAML_SYNTAX']],
  ])('parses kustomize output: %s', (_name, stdout, max, want) => {
    const result = objectsFromKustomizeOutput('k/kustomization.yaml', stdout, max);
    const got = result.ok ? ['ok', ...result.objects.map((o) => (o.source.file === 'k/kustomization.yaml' ? (o.object['metadata'] as { name: string }).name : 'wrong source'))] : result.errors.map((e) => e.code);
    expect(got).toEqual(want);
  });
});
