/**
 * A private redis-server: a free port on 127.0.0.1, no persistence, its own temporary
 * directory. `sluice start` runs one when no REDIS_URL is given, and every test file that
 * needs Redis starts its own — never the system Redis on 6379.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from '../child-process.ts';

export const REDIS_SERVER = process.env.SLUICE_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** True when redis-server exists and runs; for `describe.skipIf(!redisAvailable())`. */
export function redisAvailable(): boolean {
  if (!existsSync(REDIS_SERVER)) return false;
  return spawnSync(REDIS_SERVER, ['--version'], { timeout: 5_000 }).status === 0;
}

/** `port`: a given one (a test restarting "the same" Redis), else a free one. */
export async function startRedis(options: { readonly startTimeoutMs?: number; readonly port?: number } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(port, child, options.startTimeoutMs ?? 10_000);
  } catch (err) {
    await stop();
    throw new Error(`redis-server did not start on port ${port}: ${(err as Error).message}\n${output}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** A port nothing listens on right now (127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** Sends an inline PING until +PONG comes back, the process exits, or time runs out. */
async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no PONG within ${timeoutMs} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
