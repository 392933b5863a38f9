import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stopProcess } from '../../src/child-process.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = fileURLToPath(new URL('../sim-server.ts', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

/** Peak resident set size (VmHWM) of a process in KiB, from /proc; undefined off Linux or once it exited. */
export function peakRssKiB(pid: number | 'self'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then wait for a clean exit (so a CPU profile gets written) */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** when set, the server runs under `node --cpu-prof` and writes its profile here */
  readonly cpuProfDir?: string;
}

/** Starts the sim API server in its own Node process, so server and load generator are measured apart. */
export function spawnSimServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  const profiling = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', SERVER_ENTRY], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`sim server did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    let output = '';
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.once('exit', (code) => fail(new Error(`sim server exited with code ${code} before it was ready: ${output}`)));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const match = /^listening (http:\/\/\S+)$/m.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({ url: match[1]!, pid: child.pid!, stop: () => stopProcess(child, 10_000) });
    });
  });
}

const CLOCK_TICKS_PER_SEC = 100; // USER_HZ: 100 on every mainstream Linux build

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; undefined off Linux. */
export function cpuTimeMs(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) of this process's children that have exited and been waited for,
 * in ms (cutime + cstime): what a spawned command such as kubectl used, read before and after.
 */
export function exitedChildrenCpuTimeMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine so far (all processes, all cores), in ms, from /proc/stat. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already inside user
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return ((total - idle) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

export interface CpuShare {
  /** CPU used per wall-clock time, in % of one core (200% = both cores of a 2-core machine) */
  readonly serverPct: number;
  readonly clientPct: number;
  /** everything else on the machine (other test runs, kubectl, the kernel's own work) */
  readonly otherPct: number;
}

/** Starts measuring the CPU the server child and this process use; call the result to read the shares so far. */
export function startCpuMeter(serverPid: number): () => CpuShare {
  const t0 = performance.now();
  const server0 = cpuTimeMs(serverPid) ?? Number.NaN;
  const client0 = cpuTimeMs('self') ?? Number.NaN;
  const machine0 = machineBusyMs() ?? Number.NaN;
  return () => {
    const wall = performance.now() - t0;
    const share = (used: number) => (100 * used) / wall;
    const serverPct = share((cpuTimeMs(serverPid) ?? Number.NaN) - server0);
    const clientPct = share((cpuTimeMs('self') ?? Number.NaN) - client0);
    const machinePct = share((machineBusyMs() ?? Number.NaN) - machine0);
    return { serverPct, clientPct, otherPct: Math.max(0, machinePct - serverPct - clientPct) };
  };
}
