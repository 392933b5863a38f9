/** Shapes the git layer hands to the rest of Sluice. */

export interface CommitInfo {
  readonly sha: string;
  readonly author: { readonly name: string; readonly email: string };
  /** Full message, trailing whitespace removed. */
  readonly message: string;
  /** Committer time, ISO 8601 UTC: when the commit landed, which is what a deploy history shows. */
  readonly time: string;
  readonly parents: readonly string[];
}

/** A targetRevision pinned to a commit. */
export interface ResolvedRevision {
  /** What was asked for, e.g. `main`, `v1.2.0`, `3f2a9c1`. */
  readonly revision: string;
  readonly sha: string;
  /** The full ref it matched (`refs/heads/main`), absent when it named a commit. */
  readonly ref?: string;
  readonly kind: 'branch' | 'tag' | 'ref' | 'commit';
  readonly commit: CommitInfo;
  /** How the cache got the commit: already had it, fetched it, or cloned from nothing. */
  readonly fetch: 'cached' | 'fetched' | 'cloned';
  /** Things the user should hear: force pushes, ambiguous names, a re-cloned cache. */
  readonly warnings: readonly string[];
  /** Set when the ref moved since the cache last saw it without the old commit in its history. */
  readonly forcePush?: { readonly from: string; readonly to: string };
}
