import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, type Dirent } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SNAPSHOT_LIMITS, type SnapshotLimits } from '../git/snapshot.ts';

/** What the renderer reads of a directory on disk: the same shape as a Git snapshot, read lazily. */
export interface LocalTree {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly symlinks: ReadonlyMap<string, string>;
}

/**
 * A directory on disk in the shape a Git snapshot has, so `sluice render DIR` and `--repo` go
 * through the same renderer. In a Git work tree the files are those Git would commit (tracked
 * or untracked, not ignored) as they are on disk now; elsewhere, everything but `.git`.
 * Symlinks are reported, not followed: the renderer decides whether they stay inside the root.
 *
 * Every file is listed but a file's bytes are read only when the renderer asks for them, so
 * rendering one overlay of a large repository reads the files its kustomizations reach (or
 * its directory holds), not the whole work tree: that was most of `sluice render`'s time.
 * The byte limit counts what is read.
 *
 * Directories are read synchronously: this runs once in a short-lived CLI process with nothing
 * else to do meanwhile, and a hundred awaited readdir calls cost several times the CPU of
 * the same calls made synchronously (the promise and thread-pool round trip of each).
 */
export async function readLocalTree(root: string, gitWorkTree: boolean, limits: SnapshotLimits = DEFAULT_SNAPSHOT_LIMITS): Promise<LocalTree> {
  const entries = gitWorkTree ? classify(root, await gitFiles(root)) : walk(root, '');
  const files = entries.filter((e) => e.type === 'file').map((e) => e.path);
  if (files.length > limits.maxFiles) throw new Error(`${root}: more than ${limits.maxFiles} files`);
  const symlinks = new Map<string, string>();
  for (const e of entries) if (e.type === 'symlink') symlinks.set(e.path, readlinkSync(path.join(root, e.path)));
  return { files: new FilesOnDisk(root, files, limits.maxTotalBytes), symlinks };
}

interface Entry {
  readonly path: string;
  readonly type: 'file' | 'symlink';
}

/** A map of listed paths whose contents are read from disk on first `get`. */
class FilesOnDisk implements ReadonlyMap<string, Buffer> {
  private readonly listed: ReadonlySet<string>;
  private readonly read = new Map<string, Buffer>();
  private bytesRead = 0;

  constructor(
    private readonly root: string,
    paths: readonly string[],
    private readonly maxTotalBytes: number,
  ) {
    this.listed = new Set(paths);
  }

  get size(): number {
    return this.listed.size;
  }

  has(key: string): boolean {
    return this.listed.has(key);
  }

  get(key: string): Buffer | undefined {
    if (!this.listed.has(key)) return undefined;
    const cached = this.read.get(key);
    if (cached !== undefined) return cached;
    const bytes = readFileSync(path.join(this.root, key));
    this.bytesRead += bytes.byteLength;
    if (this.bytesRead > this.maxTotalBytes) throw new Error(`${this.root}: the files read exceed ${this.maxTotalBytes} bytes (at ${key})`);
    this.read.set(key, bytes);
    return bytes;
  }

  keys(): MapIterator<string> {
    return this.listed.values();
  }

  *entries(): MapIterator<[string, Buffer]> {
    for (const key of this.listed) yield [key, this.get(key)!];
  }

  *values(): MapIterator<Buffer> {
    for (const key of this.listed) yield this.get(key)!;
  }

  forEach(visit: (value: Buffer, key: string, map: ReadonlyMap<string, Buffer>) => void): void {
    for (const [key, value] of this.entries()) visit(value, key, this);
  }

  [Symbol.iterator](): MapIterator<[string, Buffer]> {
    return this.entries();
  }
}

async function gitFiles(root: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return [...new Set(stdout.split('\0').filter((p) => p !== ''))];
}

/**
 * What each listed path is on disk now, from one directory read per directory rather than a
 * stat per file; a path deleted but still tracked, or a directory (a submodule), is left out.
 */
function classify(root: string, paths: readonly string[]): Entry[] {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    const dir = path.posix.dirname(p);
    const inDir = byDir.get(dir);
    if (inDir === undefined) byDir.set(dir, [p]);
    else inDir.push(p);
  }
  const out: Entry[] = [];
  for (const [dir, inDir] of byDir) {
    const dirents = readDirents(path.join(root, dir));
    const types = new Map(dirents.map((d) => [d.name, d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : undefined] as const));
    for (const p of inDir) {
      const type = types.get(path.posix.basename(p));
      if (type !== undefined) out.push({ path: p, type });
    }
  }
  return out;
}

/** A directory's entries; none when it is gone (a tracked directory deleted from the work tree). */
function readDirents(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function walk(root: string, dir: string): Entry[] {
  const out: Entry[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walk(root, rel));
    else if (entry.isSymbolicLink()) out.push({ path: rel, type: 'symlink' });
    else if (entry.isFile()) out.push({ path: rel, type: 'file' });
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
