import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 .cpuprofile this summary reads. */
interface CpuProfile {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFunction {
  readonly name: string;
  readonly selfPct: number;
  readonly totalPct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  /** share of samples where the process was idle (waiting on I/O); every other share is of the busy samples */
  readonly idlePct: number;
  readonly bySelf: readonly HotFunction[];
  readonly byTotal: readonly HotFunction[];
  /** self time per source file (node internals grouped as `node:*`) */
  readonly byFile: readonly { file: string; selfPct: number }[];
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function fileLabel(url: string): string {
  if (url === '') return '(native/vm)';
  if (url.startsWith('node:')) return 'node:*';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith('node_modules/') ? rel.split('/').slice(0, 2).join('/') : rel;
}

/** Self and inclusive time per function (recursion counted once per sample), as shares of all samples. */
export function summarize(profile: CpuProfile, file: string, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // tsx emits each module on one line, so positions say little: name anonymous functions by their caller
  const named = (id: number | undefined): string => {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (name) return name;
    }
    return 'top level';
  };
  const key = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const name = f.functionName || (f.url ? `(anonymous in ${named(parent.get(id))})` : '(anonymous)');
    return f.url ? `${name} ${fileLabel(f.url)}` : name;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  let all = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    all += dt;
    const k = key(id);
    if (k === '(idle)') idle += dt;
    self.set(k, (self.get(k) ?? 0) + dt);
    const f = byId.get(id)!.callFrame;
    const fl = f.url ? fileLabel(f.url) : k;
    files.set(fl, (files.get(fl) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(key(at));
    for (const s of seen) total.set(s, (total.get(s) ?? 0) + dt);
  });
  const busy = all - idle;
  const pct = (v: number) => (busy > 0 ? (100 * v) / busy : 0);
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const hot = (k: string) => ({ name: k, selfPct: pct(self.get(k) ?? 0), totalPct: pct(total.get(k) ?? 0) });
  const structural = new Set(['(root)', '(program)', '(idle)']);
  return {
    file,
    totalMs: all / 1000,
    idlePct: all > 0 ? (100 * idle) / all : 0,
    bySelf: rank(self).filter(([k]) => !structural.has(k)).slice(0, top).map(([k]) => hot(k)),
    byTotal: rank(total).filter(([k]) => !structural.has(k)).slice(0, top).map(([k]) => hot(k)),
    byFile: rank(files).filter(([k]) => !structural.has(k)).slice(0, top).map(([file, v]) => ({ file, selfPct: pct(v) })),
  };
}

/** Summarises the busiest .cpuprofile in dir (Node writes one per thread; loader hooks run in their own). */
export async function summarizeDir(dir: string, top?: number): Promise<ProfileSummary | undefined> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'));
  const summaries = await Promise.all(names.map(async (name) => {
    const file = join(dir, name);
    return summarize(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, file, top);
  }));
  const busyMs = (s: ProfileSummary) => s.totalMs * (1 - s.idlePct / 100);
  return summaries.sort((a, b) => busyMs(b) - busyMs(a))[0];
}

export function renderSummary(s: ProfileSummary): string {
  const busy = 100 - s.idlePct;
  const lines = [`server CPU profile ${s.file}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${busy.toFixed(0)}% busy; shares below are of busy time`];
  lines.push('  self%  total%  function (self time, top)');
  for (const h of s.bySelf) lines.push(`  ${h.selfPct.toFixed(1).padStart(5)}  ${h.totalPct.toFixed(1).padStart(6)}  ${h.name}`);
  lines.push('  self%  total%  function (inclusive time, top)');
  for (const h of s.byTotal) lines.push(`  ${h.selfPct.toFixed(1).padStart(5)}  ${h.totalPct.toFixed(1).padStart(6)}  ${h.name}`);
  lines.push('  self%  file');
  for (const f of s.byFile) lines.push(`  ${f.selfPct.toFixed(1).padStart(5)}  ${f.file}`);
  return lines.join('\n');
}
