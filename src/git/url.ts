import { createHash } from 'node:crypto';
import { GitError } from './errors.ts';

/** A repository URL split into what identifies it and what only authenticates to it. */
export interface RepoUrl {
  /** The URL to fetch from, without user info. */
  readonly fetchUrl: string;
  /**
   * Identity of the repository: scheme and host lower-cased, default port, user info,
   * trailing slashes and `.git` dropped. `https://GitHub.com/org/app.git/` and
   * `https://github.com/org/app` are the same repository, sharing one cache.
   */
  readonly key: string;
  /** Credentials written into the URL (`https://user:token@host/…`), if any. */
  readonly embedded?: { username: string; password: string };
}

export function parseRepoUrl(raw: string): RepoUrl {
  const trimmed = raw.trim();
  if (/^[\w.-]+@[\w.-]+:/.test(trimmed) || trimmed.startsWith('ssh://') || trimmed.startsWith('git://')) {
    throw new GitError('Unsupported', `${redactUrl(trimmed)}: only HTTP(S) Git URLs are supported (SSH and git:// are not)`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new GitError('Unsupported', `"${redactUrl(trimmed)}" is not a valid repository URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GitError('Unsupported', `${redactUrl(trimmed)}: only HTTP(S) Git URLs are supported`);
  }
  const embedded =
    url.username !== '' || url.password !== ''
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : undefined;
  url.username = '';
  url.password = '';
  url.hash = '';
  const fetchUrl = url.toString();
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  // URL already lower-cases scheme and host and drops default ports.
  const key = `${url.protocol}//${url.host}${path}${url.search}`;
  return embedded === undefined ? { fetchUrl, key } : { fetchUrl, key, embedded };
}

/**
 * The key credential rules match against: a Git or chart repository's parseRepoUrl key, or
 * for an OCI registry (`oci://host/path`) the same URL with the host lower-cased, user info
 * and trailing slashes dropped (oci-registry.ts keys its registries the same way).
 */
export function credentialKey(raw: string): string {
  const trimmed = raw.trim();
  if (!/^oci:\/\//i.test(trimmed)) return parseRepoUrl(trimmed).key;
  let url: URL;
  try {
    url = new URL(`https://${trimmed.slice('oci://'.length)}`);
  } catch {
    throw new GitError('Unsupported', `"${redactUrl(trimmed)}" is not a valid oci:// registry URL`);
  }
  return `oci://${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** A file-system-safe, collision-free directory name for a repository key. */
export function cacheDirName(key: string): string {
  const readable = key
    .replace(/^https?:\/\//, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 80);
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${readable}-${digest}`;
}

/** Removes user info from any URL inside `text`. */
export function redactUrl(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
}
