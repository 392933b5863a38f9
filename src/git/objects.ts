import type * as nodeFs from 'node:fs';
import git from 'isomorphic-git';
import { GitError } from './errors.ts';
import { PackReader, type PackTreeEntry } from './pack-reader.ts';
import type { Snapshot, SnapshotLimits } from './snapshot.ts';
import type { CommitInfo } from './types.ts';

/**
 * Reads from one repository's object store. `cache` is isomorphic-git's memo of parsed
 * pack indexes; sharing one per repository is the difference between milliseconds and
 * seconds when reading many blobs. `packs` reads packed objects in bulk some 20× faster
 * still; isomorphic-git serves what it lacks (loose objects).
 */
export interface ObjectStore {
  readonly fs: typeof nodeFs;
  readonly gitdir: string;
  readonly cache: object;
  readonly packs?: PackReader;
}

async function readTreeEntries(store: ObjectStore, oid: string): Promise<readonly PackTreeEntry[]> {
  const packed = store.packs?.read(oid);
  if (packed === undefined) return (await git.readTree({ ...store, oid })).tree;
  if (packed.type !== 'tree') throw new GitError('CorruptCache', `object ${oid} is a ${packed.type}, expected a tree`);
  return PackReader.parseTree(packed.data);
}

async function readBlobBytes(store: ObjectStore, oid: string): Promise<Buffer> {
  const packed = store.packs?.read(oid);
  if (packed !== undefined) return packed.data;
  const { blob } = await git.readBlob({ ...store, oid });
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
}

/** The tree at `dir` inside a commit, or undefined when no such directory exists. */
async function subtree(store: ObjectStore, commitSha: string, dir: string): Promise<string | undefined> {
  let oid: string | undefined = (await git.readCommit({ ...store, oid: commitSha })).commit.tree;
  for (const segment of dir === '' ? [] : dir.split('/')) {
    const entry: PackTreeEntry | undefined = (await readTreeEntries(store, oid)).find((e) => e.path === segment);
    oid = entry?.mode === TREE ? entry.oid : undefined;
    if (oid === undefined) return undefined;
  }
  return oid;
}


const TREE = '040000';
const SYMLINK = '120000';
const SUBMODULE = '160000';

export async function readCommitInfo(store: ObjectStore, sha: string): Promise<CommitInfo> {
  const { commit } = await git.readCommit({ ...store, oid: sha });
  return {
    sha,
    author: { name: commit.author.name, email: commit.author.email },
    message: commit.message.trimEnd(),
    time: new Date(commit.committer.timestamp * 1000).toISOString(),
    parents: commit.parent,
  };
}

/**
 * Every file under `path` ('' or '.' for the whole tree) at a commit, read straight from
 * the object store — no work tree is checked out. Submodules are skipped (isomorphic-git
 * cannot fetch them).
 */
export async function readSnapshot(store: ObjectStore, sha: string, path: string, limits: SnapshotLimits): Promise<Snapshot> {
  const prefix = path === '.' ? '' : path.replace(/^\/+|\/+$/g, '');
  const rootTree = await subtree(store, sha, prefix);
  if (rootTree === undefined) throw new GitError('PathNotFound', `path "${prefix}" does not exist at commit ${sha.slice(0, 7)}`);
  const snapshot: Snapshot = { files: new Map(), symlinks: new Map() };
  let totalBytes = 0;
  const visit = async (treeOid: string, dir: string): Promise<void> => {
    const tree = await readTreeEntries(store, treeOid);
    await Promise.all(
      tree.map(async (entry) => {
        const entryPath = dir === '' ? entry.path : `${dir}/${entry.path}`;
        if (entry.mode === TREE) return visit(entry.oid, entryPath);
        if (entry.mode === SUBMODULE) return;
        if (snapshot.files.size + snapshot.symlinks.size >= limits.maxFiles) {
          throw new GitError('LimitExceeded', `more than ${limits.maxFiles} files under "${prefix || '.'}" at ${sha.slice(0, 7)}`);
        }
        const bytes = await readBlobBytes(store, entry.oid);
        totalBytes += bytes.byteLength;
        if (totalBytes > limits.maxTotalBytes) {
          throw new GitError('LimitExceeded', `files under "${prefix || '.'}" at ${sha.slice(0, 7)} exceed ${limits.maxTotalBytes} bytes`);
        }
        if (entry.mode === SYMLINK) snapshot.symlinks.set(entryPath, bytes.toString('utf8'));
        else snapshot.files.set(entryPath, bytes);
      }),
    );
  };
  await visit(rootTree, prefix);
  return snapshot;
}

/**
 * Paths that differ between two commits (added, removed, modified, mode changed), sorted.
 * Subtrees whose object ids are equal are skipped without being read, so the cost follows
 * the size of the change, not of the repository.
 */
export async function changedPaths(store: ObjectStore, fromSha: string, toSha: string): Promise<string[]> {
  const [from, to] = await Promise.all([fromSha, toSha].map(async (oid) => (await git.readCommit({ ...store, oid })).commit.tree));
  const out: string[] = [];
  const diff = async (a: string | undefined, b: string | undefined, dir: string): Promise<void> => {
    const [left, right] = await Promise.all([entriesOf(store, a), entriesOf(store, b)]);
    const names = new Set([...left.keys(), ...right.keys()]);
    await Promise.all(
      [...names].map(async (name) => {
        const l = left.get(name);
        const r = right.get(name);
        if (l?.oid === r?.oid && l?.mode === r?.mode) return;
        const entryPath = dir === '' ? name : `${dir}/${name}`;
        const lTree = l?.mode === TREE ? l.oid : undefined;
        const rTree = r?.mode === TREE ? r.oid : undefined;
        if (lTree !== undefined || rTree !== undefined) await diff(lTree, rTree, entryPath);
        // A file replaced by a directory (or back) changes the file's path too.
        if ((l !== undefined && lTree === undefined) || (r !== undefined && rTree === undefined)) out.push(entryPath);
      }),
    );
  };
  if (from !== to) await diff(from, to, '');
  return out.sort();
}

async function entriesOf(store: ObjectStore, treeOid: string | undefined): Promise<Map<string, { oid: string; mode: string }>> {
  if (treeOid === undefined) return new Map();
  const tree = await readTreeEntries(store, treeOid);
  return new Map(tree.map((e) => [e.path, { oid: e.oid, mode: e.mode }]));
}

/**
 * Whether `ancestor` is in the history of `tip`. A walk that reaches the shallow boundary
 * (or `maxCommits`) without meeting it answers false: callers use this to detect force
 * pushes, and a false alarm there is safer than a missed one.
 */
export async function isAncestor(store: ObjectStore, ancestor: string, tip: string, maxCommits = 100_000): Promise<boolean> {
  if (ancestor === tip) return true;
  const seen = new Set<string>([tip]);
  let frontier = [tip];
  while (frontier.length > 0 && seen.size <= maxCommits) {
    const next: string[] = [];
    for (const oid of frontier) {
      let parents: string[];
      try {
        parents = (await git.readCommit({ ...store, oid })).commit.parent;
      } catch {
        continue; // beyond the shallow boundary
      }
      for (const parent of parents) {
        if (parent === ancestor) return true;
        if (!seen.has(parent)) {
          seen.add(parent);
          next.push(parent);
        }
      }
    }
    frontier = next;
  }
  return false;
}

/** Whether any changed path lies in (or is) one of `dirs`; '' or '.' means the whole repository. */
export function touchesAny(changed: readonly string[], dirs: readonly string[]): boolean {
  const roots = dirs.map((d) => d.replace(/^\.?\/+|\/+$/g, '').replace(/^\.$/, ''));
  return changed.some((p) => roots.some((root) => root === '' || p === root || p.startsWith(`${root}/`)));
}
