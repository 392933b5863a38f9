import { execFile } from 'node:child_process';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SNAPSHOT_LIMITS, type Snapshot, type SnapshotLimits } from '../git/snapshot.ts';

/**
 * A directory on disk read into the same shape a Git snapshot has, so `sluice render DIR`
 * and `--repo` go through the same renderer. In a Git work tree the files are those Git
 * would commit (tracked or untracked, not ignored) as they are on disk now; elsewhere,
 * everything but `.git`. Symlinks are reported, not followed: the renderer decides whether
 * they stay inside the root.
 */
export async function readLocalTree(root: string, gitWorkTree: boolean, limits: SnapshotLimits = DEFAULT_SNAPSHOT_LIMITS): Promise<Snapshot> {
  const paths = gitWorkTree ? await gitFiles(root) : await walk(root, '');
  if (paths.length > limits.maxFiles) throw new Error(`${root}: more than ${limits.maxFiles} files`);
  const snapshot: Snapshot = { files: new Map(), symlinks: new Map() };
  let totalBytes = 0;
  for (const rel of paths) {
    const abs = path.join(root, rel);
    const stats = await lstat(abs).catch(() => undefined); // deleted but still tracked
    if (stats?.isSymbolicLink()) {
      snapshot.symlinks.set(rel, await readlink(abs));
    } else if (stats?.isFile()) {
      totalBytes += stats.size;
      if (totalBytes > limits.maxTotalBytes) throw new Error(`${root}: files exceed ${limits.maxTotalBytes} bytes`);
      snapshot.files.set(rel, await readFile(abs));
    }
  }
  return snapshot;
}

async function gitFiles(root: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...new Set(stdout.split('\0').filter((p) => p !== ''))];
}

async function walk(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walk(root, rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * The root to read for rendering `dir`, so an overlay's `../base` resolves as it would in
 * the repository: `root` when given, else the enclosing Git work tree, else the current
 * directory when `dir` is inside it, else `dir` itself.
 */
export async function renderRoot(dir: string, root?: string): Promise<{ root: string; path: string; gitWorkTree: boolean }> {
  const absolute = path.resolve(dir);
  const within = (base: string) => toPosix(path.relative(base, absolute)) || '.';
  if (root !== undefined) {
    const base = path.resolve(root);
    if (within(base).startsWith('..')) throw new Error(`${dir} is not inside --root ${root}`);
    return { root: base, path: within(base), gitWorkTree: await isGitWorkTree(base) };
  }
  for (let candidate = absolute; ; candidate = path.dirname(candidate)) {
    if (await isGitWorkTree(candidate)) return { root: candidate, path: within(candidate), gitWorkTree: true };
    if (path.dirname(candidate) === candidate) break;
  }
  const cwd = process.cwd();
  return within(cwd).startsWith('..') ? { root: absolute, path: '.', gitWorkTree: false } : { root: cwd, path: within(cwd), gitWorkTree: false };
}

async function isGitWorkTree(dir: string): Promise<boolean> {
  return lstat(path.join(dir, '.git')).then(
    () => true,
    () => false,
  );
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
