import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REDIS_SERVER, redisAvailable } from '../../src/queue/redis-server.ts';
import { stopProcess } from '../../src/child-process.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { until } from '../support/wait.ts';

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const APPS = `apiVersion: sluice.dev/v1alpha1
kind: Application
metadata: { name: demo }
spec:
  source: { repoURL: http://127.0.0.1:1/none.git, path: app }
  destination: { namespace: demo }
`;

describe('sluice start when Redis does not answer', () => {
  let cluster: SimCluster;
  let apps: string;
  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false });
    apps = path.join(await mkdtemp(path.join(tmpdir(), 'sluice-start-')), 'apps.yaml');
    await writeFile(apps, APPS);
  });
  afterAll(async () => cluster?.stop());

  it('says so in one line with the address, answers /readyz 503 meanwhile, and exits 1 after the stated timeout', async () => {
    const [redisPort, apiPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [BIN, 'start', '--apps', apps, '--server', cluster.url, '--redis', `redis://127.0.0.1:${redisPort}`, '--listen', `127.0.0.1:${apiPort}`, '--connect-timeout', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    const readiness = await until('a 503 from /readyz', async () => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => undefined);
      return res?.status === 503 ? ((await res.json()) as { reason: string }) : undefined;
    }, 20_000);
    expect(readiness.reason).toContain(`Redis at redis://127.0.0.1:${redisPort}`);
    expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);

    expect(await exited).toBe(1);
    expect(output).toContain(`Redis at redis://127.0.0.1:${redisPort} is unreachable (ECONNREFUSED); retrying with back-off for up to 4 s`);
    expect(output).toContain(`sluice start: Redis at redis://127.0.0.1:${redisPort} is unreachable (ECONNREFUSED); gave up after 4 s`);
    // one line while retrying and one at the end: no stack traces, no line per retry
    expect(output.split('\n').filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(2);
    expect(output).not.toMatch(/^\s+at /m);
  }, 40_000);

  it.skipIf(!redisAvailable())('says once that Redis went away and once that it is back, without stack traces', async () => {
    const [redisPort, apiPort] = [await freePort(), await freePort()];
    const redisArgs = ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    let redis = spawn(REDIS_SERVER, redisArgs, { stdio: 'ignore' });
    const child = spawn(process.execPath, [BIN, 'start', '--apps', apps, '--server', cluster.url, '--redis', `redis://127.0.0.1:${redisPort}`, '--listen', `127.0.0.1:${apiPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = async (status: number) => {
      // a process that has gone says so now, with what it printed, rather than as a wait that times out
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sluice start exited (${child.exitCode ?? child.signalCode}) during the test:\n${output}`);
      return (await fetch(`http://127.0.0.1:${apiPort}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined))?.status === status || undefined;
    };
    try {
      await until('ready', () => ready(200), 20_000);
      await stopProcess(redis);
      await until('not ready', () => ready(503), 20_000);
      // the first failure is a refused connect or, when the stop lands on an open connection, a reset read
      const outage = new RegExp(`redis 127\\.0\\.0\\.1:${redisPort} unreachable: (connect ECONNREFUSED|read ECONNRESET)`);
      await until('the outage line', async () => outage.test(output) || undefined, 20_000);
      redis = spawn(REDIS_SERVER, redisArgs, { stdio: 'ignore' });
      await until('ready again', () => ready(200), 30_000);
      await until('the recovery line', async () => output.includes(`redis 127.0.0.1:${redisPort} reachable again`) || undefined, 20_000);
      expect(output.split('\n').filter((l) => l.includes('unreachable'))).toHaveLength(1);
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain('Unhandled error event');
    } finally {
      child.kill('SIGTERM');
      await exited;
      await stopProcess(redis);
    }
  }, 150_000);
});
