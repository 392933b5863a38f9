/**
 * A controller in a process of its own, for the kill -9 and two-process tests. Env: SIM_URL,
 * REDIS_URL, REPO_URL, CACHE_DIR, and the cluster's clock as CLOCK_START_MS (cluster time at
 * WALL_START_MS, a Date.now() of the test process) and CLOCK_SPEED; optionally APPS (names,
 * comma-separated, each from the repository directory of its name; default `crashy`),
 * PREFIX (Redis key prefix; default `crash`) and LOG=1 (the controller's log lines on stdout,
 * after `ready`). Prints `ready`.
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
const apps = (process.env['APPS'] ?? 'crashy').split(',').map((name) =>
  testApplication({
    name,
    repoURL: env('REPO_URL'),
    path: name,
    intervalMs: 300,
    rollout: { steps: [50, 100], stepHoldMs: 5_000, failure: { restarts: 1, notReadyForMs: 30_000 } },
  }),
);
let ready = false;
const controller = await Controller.start({
  apps,
  git: new GitSource({ cacheDir: env('CACHE_DIR') }),
  kube: await kubeClientFor(env('SIM_URL')),
  redisUrl: env('REDIS_URL'),
  prefix: process.env['PREFIX'] ?? 'crash',
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  selfHealDebounceMs: 50,
  clock,
  log: (line) => {
    if (ready && env('LOG') === '1') process.stdout.write(`${line}\n`);
  },
});
process.stdout.write('ready\n');
ready = true;
process.once('SIGTERM', () => void controller.stop().then(() => process.exit(0)));
