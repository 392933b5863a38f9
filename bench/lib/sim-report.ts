import type { PoolResult } from './http-client.ts';
import type { CpuShare } from './proc.ts';
import type { PeerResult } from './kubectl-peer.ts';
import type { SimBenchConfig } from './sim-workload.ts';
import { formatCount, formatMiB, formatMs, percentile, rate, renderTable, type Column } from './stats.ts';
import type { StreamCheck } from './watch-client.ts';

export interface WriteResult {
  readonly name: string;
  readonly gated: boolean;
  readonly pool: PoolResult;
  /** from the first write until every watcher caught up */
  readonly cpu: CpuShare;
  readonly checks: readonly StreamCheck[];
  /** events received, summed over watchers */
  readonly eventsDelivered: number;
  /** first write sent → last event received by the slowest watcher */
  readonly fanOutMs: number;
  /** last write acknowledged → last event received by the slowest watcher */
  readonly watchLagMs: number;
}

export interface ListResult {
  readonly name: string;
  /** one operation per full pass over the collection */
  readonly passes: PoolResult;
  readonly cpu: CpuShare;
  /** per request: per LIST, or per page */
  readonly latencies: Float64Array;
  readonly items: number;
  readonly bytes: number;
}

export interface ReportInput {
  readonly config: SimBenchConfig;
  /** the machine when the run started: other load skews every figure */
  readonly machine: { readonly cores: number; readonly loadAvg1: number };
  readonly writes: readonly WriteResult[];
  readonly lists: readonly ListResult[];
  readonly peer: PeerResult | string;
  readonly rss: { readonly serverKiB: number | undefined; readonly clientKiB: number | undefined };
  readonly elapsedMs: number;
}

interface Row {
  readonly phase: string;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly events: string;
  readonly watchers: string;
  readonly cpu: CpuShare;
  readonly note: string;
}

const COLUMNS: readonly Column<Row>[] = [
  { header: 'phase', align: 'left', cell: (r) => r.phase },
  { header: 'ops', align: 'right', cell: (r) => formatCount(r.ops) },
  { header: 'ops/s', align: 'right', cell: (r) => formatCount(r.opsPerSec) },
  { header: 'p50 ms', align: 'right', cell: (r) => formatMs(r.p50) },
  { header: 'p99 ms', align: 'right', cell: (r) => formatMs(r.p99) },
  { header: 'watch events/s', align: 'right', cell: (r) => r.events },
  { header: 'watchers in order', align: 'right', cell: (r) => r.watchers },
  { header: 'CPU% srv/cli/other', align: 'right', cell: (r) => [r.cpu.serverPct, r.cpu.clientPct, r.cpu.otherPct].map(formatCount).join('/') },
  { header: 'note', align: 'left', cell: (r) => r.note },
];

function writeRow(w: WriteResult): Row {
  const ok = w.checks.filter((c) => c.ok).length;
  const watched = w.checks.length > 0;
  return {
    phase: w.name,
    ops: w.pool.latencies.length,
    opsPerSec: rate(w.pool.latencies.length, w.pool.elapsedMs),
    p50: percentile(w.pool.latencies, 50),
    p99: percentile(w.pool.latencies, 99),
    events: watched ? formatCount(rate(w.eventsDelivered, w.fanOutMs)) : '-',
    watchers: watched ? `${ok}/${w.checks.length}` : '-',
    cpu: w.cpu,
    note: watched ? `${formatCount(w.eventsDelivered)} events; slowest watcher done ${formatMs(Math.max(0, w.watchLagMs))} ms after last write ack` : '',
  };
}

function listRow(l: ListResult): Row {
  const passes = l.passes.latencies.length;
  const perPass = l.passes.elapsedMs / passes;
  return {
    phase: l.name,
    ops: l.latencies.length,
    opsPerSec: rate(l.latencies.length, l.passes.elapsedMs),
    p50: percentile(l.latencies, 50),
    p99: percentile(l.latencies, 99),
    events: '-',
    watchers: '-',
    cpu: l.cpu,
    note: `${passes} passes, ${formatMs(perPass)} ms per ${formatCount(l.items)} items (${formatCount(rate(l.items, perPass))} items/s)` +
      (l.bytes ? `, ${(l.bytes / 1e6).toFixed(1)} MB body` : ''),
  };
}

function peerLines(peer: PeerResult | string, writes: readonly WriteResult[], concurrency: number): string[] {
  if (typeof peer === 'string') return [`peer: ${peer}`];
  const n = peer.objects;
  const kubectlCreate = rate(n, peer.kubectlCreateMs);
  const kubectlApply = rate(n, peer.kubectlApplyMs);
  const rawSerial = rate(n, peer.rawSerialMs);
  const creates = writes.find((w) => w.name.startsWith('create ConfigMap'));
  const rawParallel = creates ? rate(creates.pool.latencies.length, creates.pool.elapsedMs) : Number.NaN;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  const line = (label: string, perSec: number, unit: string, detail: string) =>
    `  ${label.padEnd(46)} ${formatCount(perSec).padStart(6)} ${unit}  ${detail}`;
  return [
    `peer (same server, same ${formatCount(n)} ConfigMaps; there is no kube-apiserver here, so these ratios measure CLIENT overhead, not server vs server):`,
    line('kubectl create -f (1 process, serial)', kubectlCreate, 'creates/s',
      `(${formatMs(peer.kubectlCreateMs)} ms, of which ~${formatMs(peer.kubectlFixedMs)} ms is process start + config, as \`kubectl get ns\` takes)`),
    line('kubectl apply -f (client-side apply)', kubectlApply, 'objects/s', `(${formatMs(peer.kubectlApplyMs)} ms; GET + POST per object)`),
    line("raw HTTP, 1 in flight (kubectl's shape)", rawSerial, 'creates/s',
      `→ ${ratio(rawSerial, kubectlCreate)} kubectl create, ${ratio(rawSerial, kubectlApply)} kubectl apply`),
    line(`raw HTTP, create phase above (${concurrency} in flight)`, rawParallel, 'creates/s', `→ ${ratio(rawParallel, kubectlCreate)} kubectl create`),
  ];
}

/** The figures as a table, the peer comparison, and PASS/FAIL against the targets. */
export function renderReport(input: ReportInput): { text: string; pass: boolean } {
  const { config, writes, lists } = input;
  const lines: string[] = [];
  lines.push(
    `sim benchmark: ${formatCount(config.objects)} ConfigMaps, ${formatCount(config.deployments)} Deployments, ` +
      `${config.watchers} watchers per write phase, ${config.concurrency} requests in flight (server in a child process)`,
    `machine: ${input.machine.cores} cores, 1-min load average ${input.machine.loadAvg1.toFixed(2)} at start ` +
      '(CPU% columns: % of one core used by the server, this client, and everything else, during the phase)',
    '',
    renderTable(COLUMNS, [...writes.map(writeRow), ...lists.map(listRow)]),
    '',
    `peak RSS (VmHWM): server ${formatMiB(input.rss.serverKiB)}, client (load + watchers + kubectl driver) ${formatMiB(input.rss.clientKiB)}`,
    ...peerLines(input.peer, writes, config.concurrency),
    '',
    'targets:',
  );
  let pass = true;
  for (const w of writes) {
    const perSec = rate(w.pool.latencies.length, w.pool.elapsedMs);
    const met = perSec >= config.minWritesPerSec;
    if (w.gated) pass &&= met;
    const verdict = w.gated ? (met ? 'PASS' : 'FAIL') : 'info';
    lines.push(`  ${verdict}  ${w.name}: ${formatCount(perSec)} writes/s (target ≥ ${formatCount(config.minWritesPerSec)}${w.gated ? '' : ', not gated: heavier path, reported for comparison'})`);
  }
  const checks = writes.flatMap((w) => w.checks.map((c) => ({ phase: w.name, check: c })));
  const bad = checks.filter((c) => !c.check.ok);
  pass &&= bad.length === 0;
  if (checks.length === 0) lines.push('  n/a   watch delivery: no watchers (SIM_BENCH_WATCHERS=0)');
  else lines.push(`  ${bad.length === 0 ? 'PASS' : 'FAIL'}  watch delivery: ${checks.length - bad.length}/${checks.length} watcher streams got every event, in order, with the expected type`);
  for (const { phase, check } of bad.slice(0, 10)) {
    lines.push(
      `        ${phase}: received ${check.received}/${check.expected}, missing ${check.missing}, unexpected ${check.unexpected}, ` +
        `out of order ${check.outOfOrder}, wrong type ${check.wrongType}; first: ${check.firstProblem ?? '-'}`,
    );
  }
  lines.push(`${pass ? 'PASS' : 'FAIL'} (${(input.elapsedMs / 1000).toFixed(1)} s)`);
  return { text: lines.join('\n'), pass };
}
