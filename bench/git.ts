/**
 * `npm run bench -- git`: Sluice's isomorphic-git source against the git CLI on the same
 * `git http-backend` server (a separate process), on a generated repository of 5,000
 * manifest files and 200 commits.
 * Targets (issue 4): first clone ≤ 2× `git clone --depth 1`; no-change poll ≤ 1.5× `git ls-remote`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GitSource } from '../src/git/index.ts';
import { formatMs, percentile } from './lib/stats.ts';

const exec = promisify(execFile);
const SERVER_ENTRY = fileURLToPath(new URL('./git-server.ts', import.meta.url));
const CLONE_RUNS = 5;
const POLL_RUNS = 30;
const TARGET_CLONE_RATIO = 2;
const TARGET_POLL_RATIO = 1.5;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function median(runs: number, fn: (i: number) => Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await fn(i));
  return percentile(samples, 50);
}

export async function run(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<Record<string, unknown>> => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  const work = await mkdtemp(path.join(tmpdir(), 'sluice-bench-git-'));
  try {
    const { url, files, commits } = (await nextLine()) as { url: string; files: number; commits: number };
    console.log(`git: ${files} manifest files, ${commits} commits, served by git http-backend in its own process`);
    let n = 0;
    const fresh = () => path.join(work, `d${n++}`);

    const cliClone = await median(CLONE_RUNS, () => timed(() => exec('git', ['clone', '--quiet', '--depth', '1', url, fresh()])));
    const cliBare = await median(CLONE_RUNS, () => timed(() => exec('git', ['clone', '--quiet', '--bare', '--depth', '1', url, fresh()])));
    // One untimed clone warms the JIT, as the CLI's binary is warm in the page cache.
    await new GitSource({ cacheDir: fresh() }).repository(url).resolve('main');
    const ours = await median(CLONE_RUNS, () => timed(() => new GitSource({ cacheDir: fresh() }).repository(url).resolve('main')));

    const source = new GitSource({ cacheDir: fresh() });
    const repo = source.repository(url);
    const { sha } = await repo.resolve('main');
    let fileCount = 0;
    const readAll = await timed(async () => (fileCount = (await repo.readFiles(sha)).files.size));

    const cliPoll = await median(POLL_RUNS, () => timed(() => exec('git', ['ls-remote', url, 'refs/heads/main'])));
    const ourPoll = await median(POLL_RUNS, () => timed(() => repo.remoteSha('main')));
    const cached = await median(POLL_RUNS, () => timed(() => repo.resolve('main')));

    const cliDir = fresh();
    await exec('git', ['clone', '--quiet', '--bare', '--depth', '1', url, cliDir]);
    for (let i = 0; i < 3; i++) {
      child.stdin!.write('commit\n');
      await nextLine();
    }
    const cliFetch = await timed(() => exec('git', ['-C', cliDir, 'fetch', '--quiet', 'origin', '+refs/heads/main:refs/heads/main']));
    let fetched = '';
    const ourFetch = await timed(async () => (fetched = (await repo.resolve('main')).sha));
    let changed: string[] = [];
    const diff = await timed(async () => (changed = await repo.changedPaths(sha, fetched)));

    const cloneRatio = ours / cliClone;
    const pollRatio = ourPoll / cliPoll;
    const row = (label: string, ms: number, peer?: string) => console.log(`${label.padEnd(44)} ${formatMs(ms).padStart(8)} ms${peer ? `   ${peer}` : ''}`);
    row('git clone --depth 1 (with checkout)', cliClone);
    row('git clone --depth 1 --bare', cliBare);
    row('sluice first resolve (shallow fetch, bare)', ours, `${cloneRatio.toFixed(2)}× git clone --depth 1, ${(ours / cliBare).toFixed(2)}× --bare  (target ≤ ${TARGET_CLONE_RATIO}×)`);
    row(`sluice read ${fileCount} files at the commit`, readAll);
    row('git ls-remote (no change)', cliPoll);
    row('sluice remoteSha (no change)', ourPoll, `${pollRatio.toFixed(2)}× git ls-remote  (target ≤ ${TARGET_POLL_RATIO}×)`);
    row('sluice resolve, nothing new (poll + local)', cached);
    row('git fetch after 3 commits', cliFetch);
    row('sluice resolve after 3 commits', ourFetch, `${(ourFetch / cliFetch).toFixed(2)}× git fetch`);
    row(`sluice changedPaths over 3 commits (${changed.length})`, diff);
    const ok = cloneRatio <= TARGET_CLONE_RATIO && pollRatio <= TARGET_POLL_RATIO;
    console.log(ok ? 'targets met' : 'TARGET MISSED');
    return ok ? 0 : 1;
  } finally {
    child.stdin!.end();
    child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}
