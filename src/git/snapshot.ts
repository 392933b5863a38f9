/**
 * The shape of the files at a commit, apart from the code that reads them from Git, so a
 * caller rendering a local directory (`sluice render DIR`) does not load isomorphic-git.
 */

/** The files at a commit: repo-relative POSIX paths → contents; symlinks kept apart. */
export interface Snapshot {
  readonly files: Map<string, Buffer>;
  /** Link path → target as stored in the link; the renderer decides whether it is safe. */
  readonly symlinks: Map<string, string>;
}

export interface SnapshotLimits {
  readonly maxFiles: number;
  readonly maxTotalBytes: number;
}

export const DEFAULT_SNAPSHOT_LIMITS: SnapshotLimits = { maxFiles: 20_000, maxTotalBytes: 256 * 1024 * 1024 };
