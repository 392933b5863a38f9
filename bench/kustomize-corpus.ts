/**
 * `npm run bench -- kustomize-corpus DIR`: the native kustomize against `kubectl kustomize` on
 * real repositories. DIR holds one extracted repository per subdirectory (the corpus is not
 * committed: it is public code under its own licences, listed by this bench from each
 * repository's LICENSE file). For every directory holding a kustomization file:
 *
 * - `kubectl kustomize DIR` offline (every proxy variable names a closed port, git may use no
 *   protocol, HOME is empty, CORPUS_KUBECTL_TIMEOUT_MS (20 s) timeout): M counts the
 *   directories it builds; the rest use remote bases or fail in kustomize too.
 * - `renderKustomization` in-process on the repository's in-memory file map: N counts the
 *   directories whose objects equal kubectl's, in the same order (parsed YAML, so number
 *   spellings do not matter but values do).
 * - Where the native render stops only at UNSUPPORTED_KUSTOMIZE_FIELD, `renderSource`'s
 *   sandboxed binary fallback: counted separately.
 *
 * Prints the per-repository table, time per directory (native in-process against the kubectl
 * process), the commonest failure causes and, for each failure, the first differing object.
 * Reports; exits 1 only when N < M (not every directory kubectl builds is identical natively).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import type { JsonValue } from '../src/json.ts';
import { canonicalJson } from '../src/render/canonical.ts';
import { renderSource } from '../src/render/index.ts';
import { sandboxEnvironment } from '../src/render/kustomize-binary.ts';
import { KUSTOMIZATION_FILES, renderKustomization } from '../src/render/kustomize.ts';
import type { RenderResult } from '../src/render/types.ts';
import { findKubectl } from './lib/kubectl-peer.ts';
import { formatMs, percentile, renderTable } from './lib/stats.ts';

const KUBECTL_TIMEOUT_MS = Number(process.env.CORPUS_KUBECTL_TIMEOUT_MS ?? 20_000);
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'vendor']);

type Outcome = 'identical' | 'fallback' | 'differs' | 'native-error' | 'kubectl-fails';

interface DirResult {
  readonly repo: string;
  readonly dir: string;
  readonly outcome: Outcome;
  readonly nativeMs: number;
  readonly kubectlMs: number;
  /** Why it is not identical natively: an error code and field, or the first differing object. */
  readonly detail?: string;
  readonly cause?: string;
}

/** Every regular file of a repository (skipping VCS and vendored trees, and files over 4 MiB). */
function loadRepository(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full);
      } else if (entry.isFile() && statSync(full).size <= MAX_FILE_BYTES) {
        files.set(relative(root, full).split('\\').join('/'), readFileSync(full));
      }
    }
  };
  walk(root);
  return files;
}

function kustomizationDirs(files: ReadonlyMap<string, Buffer>): string[] {
  const dirs = new Set<string>();
  for (const path of files.keys()) {
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    if ((KUSTOMIZATION_FILES as readonly string[]).includes(name)) dirs.add(slash < 0 ? '' : path.slice(0, slash));
  }
  return [...dirs].sort();
}

function licenceOf(root: string): string {
  const file = readdirSync(root).find((n) => /^(LICEN[CS]E|COPYING)(\.md|\.txt)?$/i.test(n));
  if (file === undefined) return 'no LICENSE file';
  const text = readFileSync(join(root, file), 'utf8');
  if (/Apache License[\s\S]{0,40}Version 2\.0/.test(text)) return 'Apache-2.0';
  if (/MIT License|Permission is hereby granted, free of charge/.test(text)) return 'MIT';
  if (/BSD/.test(text)) return 'BSD';
  return `${file}: ${text.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 40) ?? '?'}`;
}

function runKubectl(kubectl: string, dir: string, home: string): Promise<{ ms: number; ok: boolean; stdout: string; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(kubectl, ['kustomize', dir], { timeout: KUBECTL_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, env: sandboxEnvironment(home), killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ ms: performance.now() - t0, ok: error === null, stdout, stderr });
    });
  });
}

function parseStream(text: string): JsonValue[] {
  return parseAllDocuments(text).map((d) => d.toJS() as JsonValue).filter((d) => d !== null);
}

function idOf(o: JsonValue | undefined): string {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return String(o);
  const m = o['metadata'];
  const name = m !== null && typeof m === 'object' && !Array.isArray(m) ? m['name'] : undefined;
  return `${String(o['kind'])}/${String(name)}`;
}

/** The first path where two values differ, e.g. `.metadata.annotations: native {} kubectl (absent)`. */
function firstDifference(a: JsonValue | undefined, b: JsonValue | undefined, at = ''): string | undefined {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null) && (a === undefined) === (b === undefined)) return undefined;
  const show = (v: JsonValue | undefined) => (v === undefined ? '(absent)' : JSON.stringify(v).slice(0, 160));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a) ? [...Array(Math.max(a.length, (b as JsonValue[]).length)).keys()].map(String) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = firstDifference((a as Record<string, JsonValue>)[key], (b as Record<string, JsonValue>)[key], `${at}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return `${at || '.'}: native ${show(a)} kubectl ${show(b)}`;
}

/** undefined when equal in content and order, else the first differing object and field. */
function compare(native: readonly JsonValue[], peer: readonly JsonValue[]): { detail: string; cause: string } | undefined {
  const peerIds = peer.map(idOf);
  const nativeIds = native.map(idOf);
  if (native.length !== peer.length || nativeIds.some((id, i) => id !== peerIds[i])) {
    const sorted = (ids: string[]) => [...ids].sort().join('\n');
    if (sorted(nativeIds) === sorted(peerIds)) return { detail: `same objects, other order: native ${nativeIds.slice(0, 4).join(', ')} kubectl ${peerIds.slice(0, 4).join(', ')}`, cause: 'order' };
    const missing = peerIds.filter((id) => !nativeIds.includes(id));
    const extra = nativeIds.filter((id) => !peerIds.includes(id));
    return { detail: `objects differ: missing natively ${missing.slice(0, 3).join(', ') || '-'}; extra natively ${extra.slice(0, 3).join(', ') || '-'} (native ${native.length}, kubectl ${peer.length})`, cause: 'object set' };
  }
  for (const [i, object] of native.entries()) {
    const diff = firstDifference(object, peer[i]);
    if (diff !== undefined) return { detail: `${nativeIds[i]} ${diff}`, cause: `content ${diff.split(':')[0]!.replace(/\.\d+(?=\.|$)/g, '[]')}` };
  }
  return undefined;
}

function errorCause(result: RenderResult & { ok: false }): string {
  const first = result.errors[0];
  if (first === undefined) return 'error';
  const field = /field "([^"]+)"/.exec(first.message)?.[1]?.replace(/\[\d+\]/g, '[]');
  return field === undefined ? first.code : `${first.code} ${field}`;
}

async function measureDir(repo: string, files: ReadonlyMap<string, Buffer>, root: string, dir: string, kubectl: string, home: string): Promise<DirResult> {
  const peer = await runKubectl(kubectl, join(root, dir), home);
  const t0 = performance.now();
  const native = renderKustomization(files, { path: dir });
  const nativeMs = performance.now() - t0;
  const base = { repo, dir, nativeMs, kubectlMs: peer.ms };
  if (!peer.ok) return { ...base, outcome: 'kubectl-fails', detail: peer.stderr.split('\n')[0]?.slice(0, 200) ?? '' };
  const expected = parseStream(peer.stdout);
  if (native.ok) {
    const diff = compare(native.objects.map((o) => o.object), expected);
    return diff === undefined ? { ...base, outcome: 'identical' } : { ...base, outcome: 'differs', ...diff };
  }
  const cause = errorCause(native);
  const detail = native.errors.slice(0, 2).map((e) => `${e.code} ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message.slice(0, 200)}`).join('; ');
  if (native.errors.every((e) => e.code === 'UNSUPPORTED_KUSTOMIZE_FIELD')) {
    const fallback = await renderSource(files, { path: dir });
    if (fallback.ok && compare(fallback.objects.map((o) => o.object), expected) === undefined) return { ...base, outcome: 'fallback', cause, detail };
  }
  return { ...base, outcome: 'native-error', cause, detail };
}

/** Runs `work` over `items` with at most `limit` in flight, keeping order. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all([...Array(limit)].map(async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  }));
  return out;
}

interface RepoRow { repo: string; licence: string; dirs: number; built: number; identical: number; fallback: number; nativeMs: number; kubectlMs: number }

export async function run(args: readonly string[] = []): Promise<number> {
  const corpus = args[0] ?? process.env.KUSTOMIZE_CORPUS;
  if (corpus === undefined) {
    console.error('usage: npm run bench -- kustomize-corpus DIR   (DIR: one extracted repository per subdirectory)');
    return 2;
  }
  const kubectl = findKubectl();
  if (kubectl === undefined) {
    console.log('SKIP  kubectl not found on PATH: no reference to compare with');
    return 0;
  }
  const home = mkdtempSync(join(tmpdir(), 'sluice-corpus-home-'));
  const results: DirResult[] = [];
  const rows: RepoRow[] = [];
  try {
    for (const repo of readdirSync(corpus).filter((n) => statSync(join(corpus, n)).isDirectory()).sort()) {
      const root = join(corpus, repo);
      const files = loadRepository(root);
      const dirs = kustomizationDirs(files);
      const repoResults = await pooled(dirs, 2, (dir) => measureDir(repo, files, root, dir, kubectl, home));
      results.push(...repoResults);
      const built = repoResults.filter((r) => r.outcome !== 'kubectl-fails');
      rows.push({
        repo, licence: licenceOf(root), dirs: dirs.length, built: built.length,
        identical: built.filter((r) => r.outcome === 'identical').length,
        fallback: built.filter((r) => r.outcome === 'fallback').length,
        nativeMs: built.length === 0 ? 0 : percentile(built.map((r) => r.nativeMs), 50),
        kubectlMs: built.length === 0 ? 0 : percentile(built.map((r) => r.kubectlMs), 50),
      });
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  report(results, rows);
  const built = results.filter((r) => r.outcome !== 'kubectl-fails');
  return built.every((r) => r.outcome === 'identical') ? 0 : 1;
}

function report(results: readonly DirResult[], rows: readonly RepoRow[]): void {
  const failures = results.filter((r) => r.outcome === 'differs' || r.outcome === 'native-error' || r.outcome === 'fallback');
  console.log('first difference per directory kubectl builds but the native renderer does not reproduce:');
  for (const f of failures) console.log(`  [${f.outcome}] ${f.repo}/${f.dir || '.'}: ${f.detail ?? ''}`);
  const causes = new Map<string, number>();
  for (const f of failures) causes.set(f.cause ?? f.outcome, (causes.get(f.cause ?? f.outcome) ?? 0) + 1);
  console.log('\ncommonest causes (first failure per directory):');
  for (const [cause, count] of [...causes].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(count).padStart(4)}  ${cause}`);
  console.log(`\n${renderTable<RepoRow>([
    { header: 'repository', align: 'left', cell: (r) => r.repo },
    { header: 'licence', align: 'left', cell: (r) => r.licence },
    { header: 'dirs', align: 'right', cell: (r) => String(r.dirs) },
    { header: 'kubectl builds', align: 'right', cell: (r) => String(r.built) },
    { header: 'native identical', align: 'right', cell: (r) => String(r.identical) },
    { header: '+ fallback', align: 'right', cell: (r) => String(r.fallback) },
    { header: 'native ms/dir (median)', align: 'right', cell: (r) => formatMs(r.nativeMs) },
    { header: 'kubectl ms/dir (median)', align: 'right', cell: (r) => formatMs(r.kubectlMs) },
  ], rows)}`);
  const built = results.filter((r) => r.outcome !== 'kubectl-fails');
  const identical = built.filter((r) => r.outcome === 'identical').length;
  const fallback = built.filter((r) => r.outcome === 'fallback').length;
  const pct = (n: number) => (built.length === 0 ? '-' : `${Math.round((100 * n) / built.length)} %`);
  const sum = (f: (r: DirResult) => number) => built.reduce((s, r) => s + f(r), 0);
  console.log(`\n${results.length} kustomization directories in ${rows.length} repositories; kubectl kustomize builds M = ${built.length} offline`);
  console.log(`N = ${identical} / ${built.length} identical natively (${pct(identical)}); with the binary fallback ${identical + fallback} (${pct(identical + fallback)})`);
  console.log(`time per directory kubectl builds: native in-process mean ${formatMs(sum((r) => r.nativeMs) / Math.max(1, built.length))} ms, kubectl kustomize process mean ${formatMs(sum((r) => r.kubectlMs) / Math.max(1, built.length))} ms`);
}
