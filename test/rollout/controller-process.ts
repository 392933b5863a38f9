/**
 * A controller in a process of its own, for the kill -9 test. Env: SIM_URL, REDIS_URL,
 * REPO_URL, CACHE_DIR, and the cluster's clock as CLOCK_START_MS (cluster time at
 * WALL_START_MS, a Date.now() of the test process) and CLOCK_SPEED. Prints `ready`.
 */
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor } from '../../src/kube/client.ts';
import { testApplication } from '../support/apps.ts';

const env = (name: string): string => process.env[name] ?? '';
const speed = Number(env('CLOCK_SPEED'));
const clockStart = Number(env('CLOCK_START_MS'));
const wallStart = Number(env('WALL_START_MS'));
const clock = { now: () => new Date(clockStart + (Date.now() - wallStart) * speed), speed };
const app = testApplication({
  name: 'crashy',
  repoURL: env('REPO_URL'),
  path: 'crashy',
  intervalMs: 300,
  rollout: { steps: [50, 100], stepHoldMs: 5_000, failure: { restarts: 1, notReadyForMs: 30_000 } },
});
const controller = await Controller.start({
  apps: [app],
  git: new GitSource({ cacheDir: env('CACHE_DIR') }),
  kube: await kubeClientFor(env('SIM_URL')),
  redisUrl: env('REDIS_URL'),
  prefix: 'crash',
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  selfHealDebounceMs: 50,
  clock,
  log: () => undefined,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void controller.stop().then(() => process.exit(0)));
