import path from 'node:path';
import type { HttpClient } from 'isomorphic-git';
import { CredentialStore } from './credentials.ts';
import { createHttpClient } from './http.ts';
import type { SnapshotLimits } from './snapshot.ts';
import { CachedRepository } from './repository.ts';
import { cacheDirName, parseRepoUrl } from './url.ts';

export interface GitSourceOptions {
  /** Where repository caches live; each repository gets a directory named after its URL. */
  readonly cacheDir: string;
  readonly credentials?: CredentialStore;
  /** Per HTTP request; default 30 s. */
  readonly timeoutMs?: number;
  readonly snapshotLimits?: SnapshotLimits;
  /** Reuse ls-remote answers this long (default 0, always ask); a controller sets about a second. */
  readonly refsTtlMs?: number;
  /** Told of each resolve that fetched or cloned, and how long it took (metrics). */
  readonly onFetch?: (fetch: 'fetched' | 'cloned', ms: number) => void;
}

/**
 * Sluice's access to Git: one CachedRepository per repository, however its URL is
 * spelled, so every Application on a repository shares one cache and one fetch.
 */
export class GitSource {
  private readonly repos = new Map<string, CachedRepository>();
  private readonly http: HttpClient;
  private readonly credentials: CredentialStore;

  constructor(private readonly opts: GitSourceOptions) {
    this.http = createHttpClient({ timeoutMs: opts.timeoutMs ?? 30_000 });
    this.credentials = opts.credentials ?? new CredentialStore();
  }

  repository(url: string): CachedRepository {
    const parsed = parseRepoUrl(url);
    let repo = this.repos.get(parsed.key);
    if (repo === undefined) {
      const credentials = parsed.embedded ?? this.credentials.lookup(parsed.key);
      repo = new CachedRepository({
        url: parsed,
        gitdir: path.join(this.opts.cacheDir, cacheDirName(parsed.key)),
        http: this.http,
        ...(credentials === undefined ? {} : { credentials }),
        ...(this.opts.snapshotLimits === undefined ? {} : { snapshotLimits: this.opts.snapshotLimits }),
        ...(this.opts.refsTtlMs === undefined ? {} : { refsTtlMs: this.opts.refsTtlMs }),
        ...(this.opts.onFetch === undefined ? {} : { onFetch: this.opts.onFetch }),
      });
      this.repos.set(parsed.key, repo);
    }
    return repo;
  }
}
