/**
 * `npm run bench -- start`: how long `sluice` takes to start, run as users run it
 * (bin/sluice.js, the compiled dist/). Targets: `sluice --help` ≤ 150 ms and `sluice render`
 * of the example overlay ≤ 400 ms, median wall time. A bare `node -e 0` is timed beside them:
 * on a loaded machine it shows how much of the time is the machine's, and CPU time (user +
 * sys, from /usr/bin/time when present) shows what Sluice itself costs: the "own cpu" column
 * is a command's CPU time less the baseline's, which the machine's load hardly moves. The
 * load average is printed beside the figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { percentile, formatMs, renderTable } from './lib/stats.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const TIME = '/usr/bin/time';
const RUNS = 15;

interface Case {
  readonly label: string;
  readonly args: readonly string[];
  readonly targetMs?: number;
}

const CASES: readonly Case[] = [
  { label: 'node -e 0 (baseline)', args: ['-e', '0'] },
  { label: 'sluice --help', args: [BIN, '--help'], targetMs: 150 },
  { label: 'sluice render examples/guestbook/overlays/prod', args: [BIN, 'render', 'examples/guestbook/overlays/prod'], targetMs: 400 },
];

interface Timing {
  readonly label: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly cpuMs: number;
  readonly targetMs?: number;
}

/** One run: wall time here, CPU time from /usr/bin/time's "user sys" line on stderr. */
function runOnce(args: readonly string[]): { wallMs: number; cpuMs: number } {
  const timed = existsSync(TIME);
  const [command, argv] = timed ? [TIME, ['-f', 'cpu %U %S', process.execPath, ...args]] : [process.execPath, [...args]];
  const started = performance.now();
  const result = spawnSync(command, argv, { cwd: ROOT, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(result.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN };
}

function measure(c: Case): Timing {
  runOnce(c.args); // warm the file cache
  const runs = Array.from({ length: RUNS }, () => runOnce(c.args));
  const walls = runs.map((r) => r.wallMs);
  return {
    label: c.label,
    medianMs: percentile(walls, 50),
    minMs: Math.min(...walls),
    cpuMs: percentile(runs.map((r) => r.cpuMs), 50),
    ...(c.targetMs === undefined ? {} : { targetMs: c.targetMs }),
  };
}

export async function run(): Promise<number> {
  if (!existsSync(new URL('../dist/main.js', import.meta.url))) {
    console.error('bench start: dist/ is missing; run `npm run build` (npm ci does) first');
    return 1;
  }
  const timings = CASES.map(measure);
  const baselineCpu = timings[0]!.cpuMs;
  console.log(`start-up, ${RUNS} runs each (bin/sluice.js runs dist/); load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}:`);
  console.log(
    renderTable<Timing>(
      [
        { header: 'command', align: 'left', cell: (t) => t.label },
        { header: 'median ms', align: 'right', cell: (t) => formatMs(t.medianMs) },
        { header: 'min ms', align: 'right', cell: (t) => formatMs(t.minMs) },
        { header: 'cpu ms', align: 'right', cell: (t) => formatMs(t.cpuMs) },
        { header: 'own cpu ms', align: 'right', cell: (t) => (t === timings[0] ? '' : formatMs(t.cpuMs - baselineCpu)) },
        { header: 'target', align: 'right', cell: (t) => (t.targetMs === undefined ? '' : `≤ ${t.targetMs}`) },
        { header: '', align: 'left', cell: (t) => (t.targetMs === undefined ? '' : t.medianMs <= t.targetMs ? 'ok' : 'MISSED') },
      ],
      timings,
    ),
  );
  return timings.every((t) => t.targetMs === undefined || t.medianMs <= t.targetMs) ? 0 : 1;
}
