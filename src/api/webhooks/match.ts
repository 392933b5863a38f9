/**
 * Which apps a push concerns (pure): the same repository (compared in a form every usual
 * spelling reduces to: scheme, user, port, case, trailing `/` and `.git` dropped; SSH
 * `git@host:org/repo` too), a targetRevision naming the pushed branch or tag (or HEAD,
 * for the default branch), and — when the payload lists the changed files — a change
 * under the app's path or one of its `sluice.dev/watch-paths`.
 */
import path from 'node:path/posix';
import type { Application } from '../../app/types.ts';
import { isDeletion, type PushEvent } from './types.ts';

/** `https://GitHub.com/Org/App.git/`, `git@github.com:org/app`, `ssh://git@github.com:22/org/app` → `github.com/org/app`. */
export function repoIdentity(url: string): string {
  let rest = url.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  rest = rest.replace(/^[^@/]*@/, '');
  // scp-like `host:path` (no scheme) and `host:port/path` both become `host/path`
  rest = rest.replace(/^([^/:]+):(\d+\/)?/, '$1/');
  return rest.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

function refMatches(targetRevision: string, push: PushEvent): boolean {
  const ref = push.ref;
  if (targetRevision === ref) return true;
  if (targetRevision === 'HEAD') return push.defaultBranch === undefined ? ref.startsWith('refs/heads/') : ref === `refs/heads/${push.defaultBranch}`;
  return ref === `refs/heads/${targetRevision}` || ref === `refs/tags/${targetRevision}`;
}

/** The directories (repository-relative, '' for the root) whose changes concern the app. */
export function watchedDirs(app: Application): string[] {
  const base = app.spec.source.path;
  const dirs = app.watchPaths ?? ['.'];
  return dirs.map((d) => {
    const joined = d.startsWith('/') ? d : path.join(base, d);
    const normal = path.normalize(joined).replace(/^\/+/, '').replace(/\/+$/, '');
    return normal === '.' ? '' : normal;
  });
}

export function touches(changed: readonly string[], dirs: readonly string[]): boolean {
  return dirs.some((dir) => dir === '' || changed.some((p) => p === dir || p.startsWith(`${dir}/`)));
}

export function affectedApps(apps: readonly Application[], push: PushEvent): Application[] {
  if (isDeletion(push.after)) return [];
  const repos = new Set(push.repoUrls.map(repoIdentity));
  return apps.filter(
    (app) =>
      repos.has(repoIdentity(app.spec.source.repoURL)) &&
      refMatches(app.spec.source.targetRevision, push) &&
      (push.changedPaths === undefined || touches(push.changedPaths, watchedDirs(app))),
  );
}
