/**
 * Charts from http(s) chart repositories: `helm pull` into a cache directory keyed by
 * repository URL, chart name and the version asked for, so each chart version crosses the
 * network once. These explicit fetches are the only Helm runs that reach the network; they
 * still get an environment without the process's credentials (HOME is an empty directory,
 * so no repositories.yaml or registry login is read) and a timeout.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { HelmBinary } from './helm-binary.ts';
import { runBounded } from './kustomize-binary.ts';

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
export function chartCache(cacheDir: string, binary: HelmBinary, options: { readonly timeoutMs?: number } = {}): ChartFetcher {
  const inFlight = new Map<string, Promise<PullResult>>();
  const pull = async (ref: ChartRef): Promise<PullResult> => {
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
      const args = ['pull', ref.chart, '--repo', ref.repoURL, '--destination', out, ...(ref.version !== '' ? ['--version', ref.version] : [])];
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_DATA_HOME: home };
      for (const name of PROXY_VARIABLES) if (process.env[name] !== undefined) env[name] = process.env[name]!;
      const timeoutMs = options.timeoutMs ?? PULL_TIMEOUT_MS;
      const run = await runBounded(binary.path, args, { cwd: home, timeoutMs, maxOutputBytes: MAX_PULL_OUTPUT_BYTES, env });
      const what = `chart ${ref.chart}${ref.version ? ` ${ref.version}` : ''} from ${ref.repoURL}`;
      if (run.outcome === 'timeout') return { ok: false, message: `helm pull of ${what} did not finish within ${timeoutMs} ms` };
      if (run.outcome !== 'exited') return { ok: false, message: `helm pull of ${what} failed (${run.outcome})` };
      if (run.code !== 0) return { ok: false, message: `helm pull of ${what} failed: ${run.stderr.trim().replace(/^Error: /, '')}` };
      const pulled = await archiveIn(out);
      if (pulled === undefined) return { ok: false, message: `helm pull of ${what} wrote no chart archive` };
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
    pull(ref) {
      const key = chartCacheKey(ref);
      const running = inFlight.get(key);
      if (running !== undefined) return running;
      const started = pull(ref).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
  };
}

function refProblem(ref: ChartRef): string | undefined {
  if (!/^https?:\/\/[^\s]+$/.test(ref.repoURL)) return `chart repository ${JSON.stringify(ref.repoURL)} must be an http(s) URL`;
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
