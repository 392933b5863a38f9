import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderCommand } from '../../src/cli/render.ts';
import { sluiceArgs } from '../support/cli.ts';
import { findKubectl } from '../support/kubectl.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function render(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await renderCommand(args, out, err);
  return { code, stdout: out.text, stderr: err.text };
}

function ids(yamlText: string): string[] {
  return parseAllDocuments(yamlText).map((d) => {
    const o = d.toJS() as { kind: string; metadata: { name: string; namespace?: string } };
    return `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  });
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
}

const BASE = {
  'base/kustomization.yaml': 'resources: [deploy.yaml]\n',
  'base/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n',
  'overlays/prod/kustomization.yaml': 'namespace: prod\nnamePrefix: prod-\nresources: [../../base, ns.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [flag="yes"]\n',
  'overlays/prod/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n',
};

describe('sluice render DIR', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-render-cli-'));
    await writeTree(dir, BASE);
  });

  it('prints an overlay that reaches outside its directory, in apply order, keeping "yes" a string', async () => {
    const r = await render([path.join(dir, 'overlays/prod'), '--root', dir]);
    expect(r.code).toBe(0);
    expect(ids(r.stdout)).toEqual(['Namespace/prod', expect.stringMatching(/^ConfigMap\/prod\/prod-cfg-[a-z0-9]{10}$/), 'Deployment/prod/prod-web']);
    expect(r.stdout).toContain('flag: "yes"');
    expect(r.stderr).toMatch(/rendered 3 objects from .*, path overlays\/prod\n$/);
  });

  it('refuses references outside the root', async () => {
    const r = await render([path.join(dir, 'overlays/prod')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\.\.\/\.\.\/base.*\[PATH_ESCAPE\]/);
  });

  it('takes --path inside the directory', async () => {
    const r = await render([dir, '--path', 'base']);
    expect(r.code).toBe(0);
    expect(ids(r.stdout)).toEqual(['Deployment/web']);
  });

  it('reports every error with file and line, prints nothing, and exits 1', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'sluice-render-bad-'));
    await writeTree(bad, {
      'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n',
      'b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n',
    });
    const r = await render([bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^a\.yaml:9: .*\[YAML_SYNTAX\]$/m);
    expect(r.stderr).toMatch(/^b\.yaml:1: .*metadata\.name.*\[MISSING_FIELD\]$/m);
    expect(r.stderr).toMatch(/2 errors; nothing rendered/);
  });

  it.each([[[]], [['a', 'b']], [['--revision', 'main', 'dir']], [['--bogus']]])('rejects usage %j with exit 2', async (args) => {
    expect((await render(args)).code).toBe(2);
  });

  it('runs through the sluice binary', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, sluiceArgs('render', path.join(dir, 'base')));
    expect(ids(stdout)).toEqual(['Deployment/web']);
  });
});

describe('the example repository', () => {
  const kubectl = findKubectl();
  it.each(['dev', 'prod'])('overlays/%s renders, and equals kubectl kustomize where kubectl exists', async (overlay) => {
    const dir = fileURLToPath(new URL(`../../examples/guestbook/overlays/${overlay}`, import.meta.url));
    const r = await render([dir]);
    expect(r.code).toBe(0);
    expect(ids(r.stdout)).toHaveLength(4);
    if (kubectl === undefined) return;
    const { stdout } = await promisify(execFile)(kubectl, ['kustomize', dir]);
    const canonical = (text: string) => parseAllDocuments(text).map((d) => JSON.stringify(d.toJS())).sort();
    expect(canonical(r.stdout)).toEqual(canonical(stdout));
  });
});

describe.skipIf(!gitAvailable())('sluice render --repo', () => {
  let server: GitServer;
  let repo: TestRepo;
  let cacheDir: string;
  beforeAll(async () => {
    server = await startGitServer();
    repo = await server.createRepo('cli');
    await repo.commit(BASE, 'v1 of the app', { tag: 'v1' });
    await repo.commit({ 'base/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n' }, 'rename');
    cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-render-cache-'));
  });
  afterAll(async () => server?.stop());

  it('renders a revision and path of a remote repository', async () => {
    const head = await render(['--repo', repo.url, '--path', 'overlays/prod', '--cache-dir', cacheDir]);
    expect(head.code).toBe(0);
    expect(ids(head.stdout)).toContain('Deployment/prod/prod-api');
    const tagged = await render(['--repo', repo.url, '--revision', 'v1', '--path', 'base', '--cache-dir', cacheDir]);
    expect(ids(tagged.stdout)).toEqual(['Deployment/web']);
    expect(tagged.stderr).toMatch(/from .*cli\.git at [0-9a-f]{7} \(v1\), path base/);
  });

  it('says what is wrong with a revision or a repository', async () => {
    const r = await render(['--repo', repo.url, '--revision', 'nope', '--cache-dir', cacheDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sluice render: ${repo.url}: no branch, tag or commit named "nope" (branches: main)\n`);
  });
});
