import path from 'node:path';
import type { HttpClient } from 'isomorphic-git';
import { ChartRepositories, lazyChartCache, type ChartSource } from '../render/chart-repo.ts';
import { CredentialStore } from './credentials.ts';
import { createHttpClient } from './http.ts';
import type { SnapshotLimits } from './snapshot.ts';
import { CachedRepository } from './repository.ts';
import { cacheDirName, credentialKey, parseRepoUrl } from './url.ts';

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
  /** Helm chart repositories and OCI registries (default: the chart cache in defaultChartCacheDir(), with these credentials). */
  readonly charts?: ChartRepositories;
}

/** Where an app's manifests come from: a Git repository, or one chart of a Helm chart repository or OCI registry. */
export type SourceRepository = Pick<CachedRepository, 'url' | 'resolve' | 'readFiles'> | ChartSource;

/**
 * Sluice's access to Git: one CachedRepository per repository, however its URL is
 * spelled, so every Application on a repository shares one cache and one fetch.
 */
export class GitSource {
  private readonly repos = new Map<string, CachedRepository>();
  private readonly http: HttpClient;
  private readonly credentials: CredentialStore;

  /** Chart repositories share the Git credential rules and the refs TTL as their index TTL. */
  readonly charts: ChartRepositories;

  constructor(private readonly opts: GitSourceOptions) {
    this.http = createHttpClient({ timeoutMs: opts.timeoutMs ?? 30_000 });
    this.credentials = opts.credentials ?? new CredentialStore();
    this.charts =
      opts.charts ??
      new ChartRepositories({
        cache: lazyChartCache(),
        credentials: (url) => this.credentials.lookup(credentialKey(url)),
        ociPlainHttp: (url) => this.credentials.plainHttp(credentialKey(url)),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.refsTtlMs === undefined ? {} : { indexTtlMs: opts.refsTtlMs }),
      });
  }

  /** The repository an app's source names: its chart in a chart repository when it names a chart, else the Git repository. */
  forSource(source: { readonly repoURL: string; readonly chart?: string }): SourceRepository {
    return source.chart === undefined ? this.repository(source.repoURL) : this.charts.chart(source.repoURL, source.chart);
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
