/**
 * Resolving a targetRevision against a remote's refs: pure, so the precedence rules are
 * tested as a table. The order is git's own (gitrevisions(7)): an exact ref name, then
 * `refs/<name>`, `refs/tags/<name>`, `refs/heads/<name>`; only then a hex commit SHA.
 */

/** Remote refs as advertised: full ref name → commit SHA (annotated tags already peeled). */
export type RemoteRefs = ReadonlyMap<string, string>;

export type RevisionMatch =
  | { kind: 'branch' | 'tag' | 'ref'; ref: string; sha: string; warnings: string[] }
  | { kind: 'commit'; sha: string; full: boolean; warnings: string[] }
  | { kind: 'none' };

const HEX = /^[0-9a-f]+$/;
/** git refuses abbreviations shorter than 4 hex digits. */
export const MIN_ABBREV = 4;

export function isCommitLike(revision: string): boolean {
  return revision.length >= MIN_ABBREV && revision.length <= 40 && HEX.test(revision);
}

export function matchRevision(revision: string, refs: RemoteRefs): RevisionMatch {
  const wanted = revision === '' ? 'HEAD' : revision;
  const candidates =
    wanted === 'HEAD' || wanted.startsWith('refs/')
      ? [wanted]
      : [`refs/${wanted}`, `refs/tags/${wanted}`, `refs/heads/${wanted}`];
  const found = candidates.filter((ref) => refs.has(ref));
  const first = found[0];
  if (first !== undefined) {
    const warnings =
      found.length > 1
        ? [`"${wanted}" is ambiguous (${found.join(', ')}); using ${first}, as git does`]
        : [];
    return { kind: kindOf(first), ref: first, sha: refs.get(first)!, warnings };
  }
  if (isCommitLike(wanted)) return { kind: 'commit', sha: wanted, full: wanted.length === 40, warnings: [] };
  return { kind: 'none' };
}

function kindOf(ref: string): 'branch' | 'tag' | 'ref' {
  if (ref.startsWith('refs/heads/')) return 'branch';
  if (ref.startsWith('refs/tags/')) return 'tag';
  return 'ref';
}

/**
 * Advertised refs (as isomorphic-git lists them, with `peeled` for annotated tags) to the
 * commit each names. HEAD is kept so an empty targetRevision follows the default branch.
 */
export function peelRefs(advertised: readonly { ref: string; oid: string; peeled?: string }[]): Map<string, string> {
  const refs = new Map<string, string>();
  for (const { ref, oid, peeled } of advertised) {
    if (ref.endsWith('^{}')) continue;
    refs.set(ref, peeled ?? oid);
  }
  return refs;
}

/** Short SHA for messages, as `git log --oneline` prints it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
