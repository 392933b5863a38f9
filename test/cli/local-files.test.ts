/**
 * readLocalTree: what `sluice render DIR` lists of a directory on disk, and that a file's
 * bytes are read only when the renderer reaches it (the byte limit counts what is read).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLocalTree } from '../../src/cli/local-files.ts';
import { renderSource } from '../../src/render/index.ts';
import { gitAvailable } from '../support/git-server.ts';

const OVERLAY = {
  'base/kustomization.yaml': 'resources: [deploy.yaml]\n',
  'base/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n',
  'overlays/prod/kustomization.yaml': 'namespace: prod\nresources: [../../base]\n',
  // nothing in the overlay reaches it
  'docs/big.yaml': `# ${'x'.repeat(5_000)}\n`,
};

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
}

describe.each([
  { name: 'a plain directory', git: false },
  { name: 'a Git work tree', git: true },
])('readLocalTree of $name', ({ git }) => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-local-files-'));
    await writeTree(root, { ...OVERLAY, 'gone.yaml': 'kind: x\n', 'ignored.log': 'noise\n', '.gitignore': '*.log\n' });
    await symlink('../base', path.join(root, 'overlays/link'));
    if (git && gitAvailable()) {
      execFileSync('git', ['init', '-q', root]);
      execFileSync('git', ['-C', root, 'add', 'base', 'overlays', 'gone.yaml', '.gitignore']);
    }
    await rm(path.join(root, 'gone.yaml')); // tracked but deleted on disk
  });

  it.skipIf(git && !gitAvailable())('lists what Git would commit as it is on disk, symlinks apart', async () => {
    const tree = await readLocalTree(root, git);
    const listed = [...tree.files.keys()].sort();
    expect(listed).toEqual(
      git
        ? ['.gitignore', 'base/deploy.yaml', 'base/kustomization.yaml', 'docs/big.yaml', 'overlays/prod/kustomization.yaml']
        : ['.gitignore', 'base/deploy.yaml', 'base/kustomization.yaml', 'docs/big.yaml', 'ignored.log', 'overlays/prod/kustomization.yaml'],
    );
    expect([...tree.symlinks]).toEqual([['overlays/link', '../base']]);
    expect(tree.files.get('base/kustomization.yaml')?.toString()).toBe('resources: [deploy.yaml]\n');
    expect(tree.files.get('nothing.yaml')).toBeUndefined();
  });

  it.skipIf(git && !gitAvailable())('reads only the files the render reaches, so the byte limit counts those', async () => {
    const tree = await readLocalTree(root, git, { maxFiles: 100, maxTotalBytes: 1_000 });
    const result = await renderSource(tree.files, { path: 'overlays/prod', symlinks: tree.symlinks, kustomizeBinary: 'never' });
    expect(result.ok).toBe(true);
    expect(() => tree.files.get('docs/big.yaml')).toThrow(`${root}: the files read exceed 1000 bytes (at docs/big.yaml)`);
  });

  it.skipIf(git && !gitAvailable())('refuses more files than the limit before reading any', async () => {
    await expect(readLocalTree(root, git, { maxFiles: 2, maxTotalBytes: 1_000 })).rejects.toThrow(`${root}: more than 2 files`);
  });
});
