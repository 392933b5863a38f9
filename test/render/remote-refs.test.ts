/**
 * A commit cannot make Sluice fetch from the network: every kustomize reference is checked
 * before the kustomize binary runs (kustomize-refs.ts), and the binary itself runs with no
 * network reach (kustomize-binary.ts). Each shape is served by a local HTTP server that must
 * receive no request.
 */
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderSource } from '../../src/render/index.ts';
import { detectKustomizeBinary, detectNetworkIsolation, renderWithKustomizeBinary, sandboxEnvironment, type KustomizeBinary } from '../../src/render/kustomize-binary.ts';
import { kustomizeInputs } from '../../src/render/kustomize-refs.ts';
import type { RenderResult } from '../../src/render/types.ts';
import { remoteShapes } from '../support/escape-shapes.ts';

interface CountingServer {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/** Answers every request with a ConfigMap (what a fetch would apply) and records it. */
async function countingServer(host: string): Promise<CountingServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.end('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://${host}:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const files = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));
const errorsOf = (result: RenderResult): { file: string; line?: number; code: string; message: string }[] => (result.ok ? [] : result.errors.map((e) => ({ ...e })));

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: local}\n';

describe('remote references are refused before any kustomize binary runs', () => {
  let server: CountingServer;
  beforeAll(async () => {
    server = await countingServer('127.0.0.1');
  });
  afterAll(() => server.close());
  afterEach(() => expect(server.requests).toEqual([]));

  it.each(remoteShapes('URL').map(({ name }) => [name]))('%s: PATH_ESCAPE naming file, line and field, nothing fetched', async (name) => {
    const { files: tree, want } = remoteShapes(server.url).find((s) => s.name === name)!;
    // The real binary when there is one, so a missed reference would really be fetched.
    const result = await renderSource(files(tree), { path: 'app' });
    expect(errorsOf(result)).toEqual([{ file: want.file, line: want.line, code: 'PATH_ESCAPE', message: expect.stringContaining(`${want.field} "`) }]);
    expect(errorsOf(result)[0]?.message).toContain('is remote: Sluice never fetches from the network');
  });
});

describe('kustomizeInputs', () => {
  const K = 'kustomization.yaml';
  it.each([
    ['a patch path URL', { [K]: 'patches:\n- path: https://h/p.yaml\n' }, 'patches[0].path', 2],
    ['a patchesStrategicMerge URL', { [K]: 'patchesStrategicMerge:\n- https://h/p.yaml\n' }, 'patchesStrategicMerge[0]', 2],
    ['a replacements path URL', { [K]: 'replacements:\n- path: http://h/r.yaml\n' }, 'replacements[0].path', 2],
    ['a crds URL', { [K]: 'crds: [https://h/crd.yaml]\n' }, 'crds[0]', 1],
    ['an openapi path URL', { [K]: 'openapi:\n  path: https://h/schema.json\n' }, 'openapi.path', 2],
    ['an env file URL', { [K]: 'secretGenerator:\n- name: s\n  envs: [https://h/.env]\n' }, 'secretGenerator[0].envs[0]', 3],
    ['a component over ssh', { [K]: 'components: [git@github.com:org/repo.git]\n' }, 'components[0]', 1],
    ['an Azure-style _git path', { [K]: 'resources: [org/_git/repo]\n' }, 'resources[0]', 1],
    ['a github.com shorthand', { [K]: 'resources: [github.com/org/repo/app?ref=v1]\n' }, 'resources[0]', 1],
    ['an inline transformer naming a URL', { [K]: 'transformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  path: https://h/p.yaml\n' }, 'transformers[0].path', 2],
    ['a transformer file naming a URL', { [K]: 'transformers: [t.yaml]\n', 't.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: https://h/p.yaml\n' }, 'path', 4],
  ])('refuses %s', (_name, tree, field, line) => {
    const result = kustomizeInputs(files(tree), '');
    expect(result.ok ? [] : result.errors).toEqual([{ file: expect.stringMatching(/\.yaml$/), line, code: 'PATH_ESCAPE', message: expect.stringContaining(`${field} "`) }]);
  });

  it.each([
    ['a resource outside the repository', { 'app/kustomization.yaml': 'resources: [../../x.yaml]\n' }, 'outside the repository root'],
    ['a file outside its kustomization (root-only load restrictor)', { 'app/kustomization.yaml': 'resources: [../secret.yaml]\n', 'secret.yaml': CM }, 'root-only load restrictor'],
    ['Helm charts', { 'app/kustomization.yaml': 'helmCharts:\n- name: x\n  repo: https://charts.example.com\n' }, '--enable-helm'],
    ['a field kustomize does not know', { 'app/kustomization.yaml': 'resourcez: [a.yaml]\n' }, 'is not a field'],
  ])('refuses %s', (_name, tree, message) => {
    const result = kustomizeInputs(files(tree), 'app');
    expect(result.ok ? [] : result.errors.map((e) => [e.file, e.line, e.message])).toEqual([['app/kustomization.yaml', 1, expect.stringContaining(message)]]);
  });

  it('answers exactly the files the kustomizations name, at every level', () => {
    const tree = files({
      'app/kustomization.yaml': [
        'replacements: [{path: repl.yaml}]', 'resources: [cm.yaml, ../base, missing.yaml]', 'components: [../comp]',
        'patches: [{path: patch.yaml}, {patch: "{}"}]', 'patchesStrategicMerge: [smp.yaml, "kind: X\\nmetadata: {name: y}"]',
        'configMapGenerator: [{name: c, files: [k=data.txt], envs: [a.env]}]', 'transformers: [t.yaml]', '',
      ].join('\n'),
      'app/cm.yaml': CM, 'app/repl.yaml': '[]', 'app/patch.yaml': '{}', 'app/smp.yaml': '{}', 'app/data.txt': 'x', 'app/a.env': 'A=1',
      'app/t.yaml': 'apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: t}\npath: tpatch.yaml\n', 'app/tpatch.yaml': '{}',
      'app/unreferenced.yaml': CM,
      'base/kustomization.yaml': 'resources: [deploy.yaml]\n', 'base/deploy.yaml': CM, 'base/notes.txt': 'secret',
      'comp/kustomization.yaml': 'kind: Component\nresources: [c.yaml]\n', 'comp/c.yaml': CM,
      '.git-credentials': 'https://user:token@example.com', 'other/app.yaml': CM,
    });
    expect(kustomizeInputs(tree, 'app')).toEqual({
      ok: true,
      files: [
        'app/a.env', 'app/cm.yaml', 'app/data.txt', 'app/kustomization.yaml', 'app/patch.yaml', 'app/repl.yaml', 'app/smp.yaml', 'app/t.yaml', 'app/tpatch.yaml',
        'base/deploy.yaml', 'base/kustomization.yaml', 'comp/c.yaml', 'comp/kustomization.yaml',
      ],
    });
  });

  it('bounds a huge reference in its message', () => {
    const result = kustomizeInputs(files({ [K]: `resources: [https://${'a'.repeat(100_000)}]\n` }), '');
    expect(result.ok ? 0 : (result.errors[0]?.message.length ?? 0)).toBeLessThan(400);
  });
});

describe('the kustomize binary runs sandboxed', () => {
  const bin = mkdtempSync(join(tmpdir(), 'sluice-sandbox-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const report = join(bin, 'report');
  const script = (body: string): KustomizeBinary => {
    const path = join(bin, 'inspect');
    writeFileSync(path, `#!/bin/sh\n${body}\necho 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}'\n`);
    chmodSync(path, 0o755);
    return { kind: 'kubectl', path };
  };
  const tree = files({
    'app/kustomization.yaml': 'sortOptions: {order: legacy}\nresources: [cm.yaml]\n', 'app/cm.yaml': CM, 'app/other.yaml': CM, 'creds/token': 'secret',
  });

  it('sees only the referenced files and an environment without anything inherited but PATH', async () => {
    process.env['SLUICE_TEST_TOKEN'] = 'must-not-leak';
    const binary = script(`{ pwd; find . -type f | sort; echo ---; env | sort; } > ${report}`);
    const result = await renderSource(tree, { path: 'app', findKustomizeBinary: () => Promise.resolve(binary) });
    delete process.env['SLUICE_TEST_TOKEN'];
    expect(result.ok).toBe(true);
    const [head = '', envText = ''] = readFileSync(report, 'utf8').split('---\n');
    const [checkout = '', ...found] = head.trim().split('\n');
    expect(found).toEqual(['./app/cm.yaml', './app/kustomization.yaml']);
    const env = Object.fromEntries(envText.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    // the shell adds PWD, SHLVL and _ itself
    for (const name of ['PWD', 'SHLVL', '_', 'OLDPWD']) delete env[name];
    expect(env).toEqual(sandboxEnvironment(checkout));
  });

  it('runs in a network namespace of its own where the kernel allows it', async (ctx) => {
    const isolation = await detectNetworkIsolation();
    if (isolation === undefined) ctx.skip();
    const binary = script(`readlink /proc/self/ns/net > ${report}`);
    expect((await renderSource(tree, { path: 'app', findKustomizeBinary: () => Promise.resolve(binary) })).ok).toBe(true);
    expect(readFileSync(report, 'utf8').trim()).not.toBe(readlinkSync('/proc/self/ns/net'));
  });

  // Past the reference check on purpose: what the sandbox alone does to a remote resource.
  const remoteTree = (url: string): Map<string, string> => files({ 'kustomization.yaml': `resources: [${url}/x.yaml]\n` });

  it('cannot reach even a loopback server from its network namespace', async (ctx) => {
    const [binary, isolation] = await Promise.all([detectKustomizeBinary(), detectNetworkIsolation()]);
    if (binary === undefined || isolation === undefined) ctx.skip();
    const server = await countingServer('127.0.0.1');
    try {
      const result = await renderWithKustomizeBinary(remoteTree(server.url), { path: '', inputs: ['kustomization.yaml'], binary: binary! });
      expect(errorsOf(result).map((e) => e.code)).toEqual(['KUSTOMIZE_FAILED']);
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('cannot reach another host without a network namespace either (its proxy is a closed port)', async (ctx) => {
    const binary = await detectKustomizeBinary();
    const host = Object.values(networkInterfaces()).flat().find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
    if (binary === undefined || host === undefined) ctx.skip();
    const server = await countingServer(host!);
    try {
      const result = await renderWithKustomizeBinary(remoteTree(server.url), {
        path: '', inputs: ['kustomization.yaml'], binary: binary!, findNetworkIsolation: () => Promise.resolve(undefined),
      });
      expect(errorsOf(result).map((e) => e.code)).toEqual(['KUSTOMIZE_FAILED']);
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
