import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
      resolve({ url: match[1]!, pid: child.pid!, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
