/**
 * Charts from http(s) chart repositories and OCI registries: `helm pull` into a cache directory keyed by
 * repository URL, chart name and the version asked for, so each chart version crosses the
 * network once. These explicit fetches are the only Helm runs that reach the network; they
 * still get an environment without the process's credentials (HOME is an empty directory,
 * so no repositories.yaml or registry login of the process is read) and a timeout.
 * A caller that has read the repository's index itself (chart-repo.ts) hands it over with
 * the repository's credentials: Helm then reads both from files in the pull's private
 * directory (mode 0600, removed after) — never from argv — and the archive is checked
 * against the index's digest before it enters the cache. An OCI pull (oci-registry.ts) is
 * by manifest digest, its registry credentials in a private `--registry-config` file, and
 * the archive is checked against the manifest's chart layer digest.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import type { HelmBinary } from './helm-binary.ts';
import { runBounded } from './kustomize-binary.ts';
import { OCI_SCHEME } from './oci-registry.ts';

export interface ChartRef {
  readonly repoURL: string;
  readonly chart: string;
  /** An exact version or a semver range (`^1.2.0`); '' is the newest. */
  readonly version: string;
}

export type PullResult = { ok: true; archive: string } | { ok: false; message: string };

export interface ChartFetcher {
  pull(ref: ChartRef): Promise<PullResult>;
}

/** Basic credentials for a chart repository (a token goes in the password). */
export interface RepoCredentials {
  readonly username: string;
  readonly password: string;
}

/** What a caller that has read the repository's index.yaml knows about an exact version. */
export interface IndexedPull {
  /** The index.yaml text: Helm picks the archive URL from it instead of downloading the index again. */
  readonly index: string;
  readonly credentials?: RepoCredentials;
  /** sha256 of the archive from the index; a pulled archive that differs is refused. */
  readonly digest?: string;
}

/** An exact chart version in an OCI registry (oci-registry.ts has read and checked its manifest). */
export interface OciPull {
  readonly kind: 'oci';
  /** `sha256:…` of the manifest: Helm pulls by it, so a tag moved meanwhile changes nothing. */
  readonly manifestDigest: string;
  /** sha256 (hex) of the chart layer the manifest names; the pulled archive must match it. */
  readonly digest: string;
  readonly credentials?: RepoCredentials;
  /** The registry speaks plain HTTP (`--plain-http`). */
  readonly plainHttp: boolean;
}

export interface ChartCache extends ChartFetcher {
  pull(ref: ChartRef, known?: IndexedPull | OciPull): Promise<PullResult>;
}

/** The name the pull's private repositories.yaml gives the one repository it lists. */
const PULL_REPO_NAME = 'sluice';

const PULL_TIMEOUT_MS = 120_000;
const MAX_PULL_OUTPUT_BYTES = 1024 * 1024;
/** Proxy settings are passed on (an explicit fetch may need them); nothing else of the process's environment is. */
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

export function chartCacheKey(ref: ChartRef): string {
  return createHash('sha256').update(JSON.stringify([ref.repoURL.replace(/\/+$/, ''), ref.chart, ref.version])).digest('hex').slice(0, 32);
}

/**
 * A fetcher caching under `cacheDir`/<key>/<chart>-<version>.tgz. Concurrent pulls of one key
 * share a run; a finished pull is renamed into place, so a reader never sees half an archive.
 * A version range is resolved once per cache entry (clear the cache to resolve it again).
 */
export function chartCache(cacheDir: string, binary: HelmBinary, options: { readonly timeoutMs?: number } = {}): ChartCache {
  const inFlight = new Map<string, Promise<PullResult>>();
  const pull = async (ref: ChartRef, known: IndexedPull | OciPull | undefined): Promise<PullResult> => {
    const problem = refProblem(ref);
    if (problem !== undefined) return { ok: false, message: problem };
    const entry = join(cacheDir, chartCacheKey(ref));
    const cached = await archiveIn(entry);
    if (cached !== undefined) return { ok: true, archive: cached };
    await mkdir(cacheDir, { recursive: true });
    const work = await mkdtemp(join(cacheDir, '.pull-'));
    try {
      const home = join(work, 'home');
      const out = join(work, 'out');
      await mkdir(home, { recursive: true });
      await mkdir(out, { recursive: true });
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_DATA_HOME: home };
      for (const name of PROXY_VARIABLES) if (process.env[name] !== undefined) env[name] = process.env[name]!;
      const source = await pullSource(home, ref, known);
      Object.assign(env, source.env);
      const args = ['pull', ...source.args, '--destination', out];
      const timeoutMs = options.timeoutMs ?? PULL_TIMEOUT_MS;
      const run = await runBounded(binary.path, args, { cwd: home, timeoutMs, maxOutputBytes: MAX_PULL_OUTPUT_BYTES, env });
      const what = `chart ${ref.chart}${ref.version ? ` ${ref.version}` : ''} from ${ref.repoURL}`;
      if (run.outcome === 'timeout') return { ok: false, message: `helm pull of ${what} did not finish within ${timeoutMs} ms` };
      if (run.outcome !== 'exited') return { ok: false, message: `helm pull of ${what} failed (${run.outcome})` };
      if (run.code !== 0) return { ok: false, message: `helm pull of ${what} failed: ${run.stderr.trim().replace(/^Error: /, '')}` };
      const pulled = await archiveIn(out);
      if (pulled === undefined) return { ok: false, message: `helm pull of ${what} wrote no chart archive` };
      if (known?.digest !== undefined) {
        const digest = createHash('sha256').update(await readFile(pulled)).digest('hex');
        const from = 'kind' in known ? "the manifest's chart layer digest" : "the index's digest";
        if (digest !== known.digest) return { ok: false, message: `${what}: the archive's sha256 ${digest} is not ${from} ${known.digest}` };
      }
      await rename(out, entry).catch(async (err: NodeJS.ErrnoException) => {
        if (!existsSync(entry)) throw err; // another process filled the entry first: keep theirs
      });
      const archive = await archiveIn(entry);
      return archive === undefined ? { ok: false, message: `chart cache entry ${entry} holds no archive` } : { ok: true, archive };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
  return {
    pull(ref, known) {
      const key = chartCacheKey(ref);
      const running = inFlight.get(key);
      if (running !== undefined) return running;
      const started = pull(ref, known).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
  };
}

/**
 * What `helm pull` is told to fetch: the chart of a repository Helm reads the index of
 * itself (`--repo`), the chart of the index the caller read, or an OCI manifest by digest
 * with the registry's credentials in a private registry config.
 */
async function pullSource(home: string, ref: ChartRef, known: IndexedPull | OciPull | undefined): Promise<{ args: string[]; env?: Record<string, string> }> {
  const version = ref.version !== '' ? ['--version', ref.version] : [];
  if (known === undefined) return { args: [ref.chart, '--repo', ref.repoURL, ...version] };
  if (!('kind' in known)) return { args: [`${PULL_REPO_NAME}/${ref.chart}`, ...version], env: await writeRepositoryFiles(home, ref.repoURL, known) };
  const config = join(home, 'registry.json');
  const registry = new URL(`https://${ref.repoURL.slice(OCI_SCHEME.length)}`).host;
  const auths = known.credentials === undefined ? {} : { [registry]: { auth: Buffer.from(`${known.credentials.username}:${known.credentials.password}`).toString('base64') } };
  await writeFile(config, JSON.stringify({ auths }), { mode: 0o600 });
  return { args: [`${ref.repoURL}/${ref.chart}@${known.manifestDigest}`, '--registry-config', config, ...(known.plainHttp ? ['--plain-http'] : [])] };
}

/**
 * Helm's repository config and index cache for one pull, written into its private HOME: the
 * repository under PULL_REPO_NAME with its credentials, and the index the caller read.
 * Returns the environment variables that point Helm at them.
 */
async function writeRepositoryFiles(home: string, repoURL: string, indexed: IndexedPull): Promise<Record<string, string>> {
  const config = join(home, 'repositories.yaml');
  const cache = join(home, 'repository-cache');
  const entry = { name: PULL_REPO_NAME, url: repoURL, ...(indexed.credentials === undefined ? {} : { username: indexed.credentials.username, password: indexed.credentials.password }) };
  await writeFile(config, stringify({ apiVersion: '', repositories: [entry] }), { mode: 0o600 });
  await mkdir(cache, { recursive: true, mode: 0o700 });
  await writeFile(join(cache, `${PULL_REPO_NAME}-index.yaml`), indexed.index, { mode: 0o600 });
  return { HELM_REPOSITORY_CONFIG: config, HELM_REPOSITORY_CACHE: cache };
}

function refProblem(ref: ChartRef): string | undefined {
  if (!/^(https?|oci):\/\/[^\s]+$/.test(ref.repoURL)) return `chart repository ${JSON.stringify(ref.repoURL)} must be an http(s) or oci:// URL`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ref.chart)) return `chart name ${JSON.stringify(ref.chart)} is not a plain chart name`;
  if (/[\s]/.test(ref.version) || ref.version.startsWith('-')) return `chart version ${JSON.stringify(ref.version)} is not a version or range`;
  return undefined;
}

async function archiveIn(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const archive = names.find((n) => n.endsWith('.tgz'));
  return archive === undefined ? undefined : join(dir, archive);
}

/** Where charts are cached when nothing else is configured: SLUICE_CHART_CACHE, else $XDG_CACHE_HOME/sluice/charts. */
export function defaultChartCacheDir(): string {
  return process.env['SLUICE_CHART_CACHE'] || join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'sluice', 'charts');
}
