/**
 * Path rules of the renderer, pure string work on repo-relative POSIX paths: which keys
 * are well-formed, which lie under the render path, and where a symlink really points.
 * The boundary is the repository root: a symlink may point anywhere inside the repo (as
 * Argo CD allows), never outside it.
 */
import type { RenderError } from './types.ts';

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** Symlink hops followed before a chain counts as a loop (Linux's MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

export type PathCheck = { ok: true; path: string } | { ok: false; error: RenderError };

/**
 * A file or symlink key: must be canonical ('a/b.yaml'): not absolute, no '..', '.' or
 * empty segments. '..' and absolute paths are escapes; the rest merely malformed.
 */
export function checkRepoPath(key: string): PathCheck {
  const problem = pathProblem(key);
  if (problem === undefined) return { ok: true, path: key };
  return { ok: false, error: { file: key, code: problem.code, message: `${JSON.stringify(key)} ${problem.why}` } };
}

/** The render path: '' / '.' / './' mean the root; one trailing slash is allowed. */
export function checkRenderPath(path: string): PathCheck {
  const trimmed = path === '.' || path === './' ? '' : path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === '') return { ok: true, path: '' };
  const problem = pathProblem(trimmed);
  if (problem === undefined) return { ok: true, path: trimmed };
  return { ok: false, error: { file: path, code: problem.code === 'INVALID_PATH' ? 'INVALID_OPTIONS' : problem.code, message: `render path ${JSON.stringify(path)} ${problem.why}` } };
}

function pathProblem(key: string): { code: 'PATH_ESCAPE' | 'INVALID_PATH'; why: string } | undefined {
  if (key.startsWith('/') || /^[A-Za-z]:[\\/]/.test(key)) return { code: 'PATH_ESCAPE', why: 'is absolute; paths must be relative to the repository root' };
  if (key.includes('\\')) return { code: 'INVALID_PATH', why: 'contains a backslash; paths must be POSIX' };
  if (key.includes('\0')) return { code: 'INVALID_PATH', why: 'contains a NUL byte' };
  const segments = key.split('/');
  if (segments.includes('..')) return { code: 'PATH_ESCAPE', why: "contains a '..' segment and may leave the repository root" };
  if (segments.some((s) => s === '' || s === '.')) return { code: 'INVALID_PATH', why: "is not canonical (empty or '.' segment)" };
  return undefined;
}

/** Whether `key` lies under directory `dir` ('' = root): directly, or at any depth when recursing. */
export function isUnder(key: string, dir: string, recurse: boolean): boolean {
  const prefix = dir === '' ? '' : `${dir}/`;
  if (!key.startsWith(prefix) || key.length === prefix.length) return false;
  return recurse || !key.slice(prefix.length).includes('/');
}

/** Whether `key` is `dir` itself or one of its ancestors: a symlink there redirects the whole render. */
export function isAncestorOrSelf(key: string, dir: string): boolean {
  return dir === key || dir.startsWith(`${key}/`);
}

export function isManifestFile(key: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => key.endsWith(ext));
}

/**
 * Follows `link` (and any symlinks its target passes through) like realpath(3), on paths
 * only. Returns an error when the chain leaves the repository or does not end.
 */
export function checkSymlink(link: string, symlinks: ReadonlyMap<string, string>): RenderError | undefined {
  const resolved: string[] = link.split('/');
  const pending: string[] = [];
  let hops = 0;
  let current = link;
  for (;;) {
    // `resolved` ends with a symlink (named `current`): replace it by its target.
    const target = symlinks.get(current) ?? '';
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) {
      return { file: link, code: 'SYMLINK_LOOP', message: `symlink ${JSON.stringify(link)} does not resolve within ${MAX_SYMLINK_HOPS} hops (a loop)` };
    }
    if (target.startsWith('/')) {
      return { file: link, code: 'SYMLINK_ESCAPE', message: `symlink ${JSON.stringify(link)} points to absolute path ${JSON.stringify(target)}, outside the repository` };
    }
    resolved.pop();
    pending.unshift(...target.split('/'));
    let next: string | undefined;
    while (pending.length > 0 && next === undefined) {
      const segment = pending.shift() ?? '';
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        if (resolved.length === 0) {
          return { file: link, code: 'SYMLINK_ESCAPE', message: `symlink ${JSON.stringify(link)} -> ${JSON.stringify(symlinks.get(link))} resolves outside the repository root` };
        }
        resolved.pop();
        continue;
      }
      resolved.push(segment);
      const joined = resolved.join('/');
      if (symlinks.has(joined)) next = joined;
    }
    if (next === undefined) return undefined;
    current = next;
  }
}
