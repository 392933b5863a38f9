/**
 * A controller in a process of its own, for the two-process test. Env: SIM_URL, REDIS_URL,
 * REPO_URL, APPS (comma-separated names; each syncs directory <name>), CACHE_DIR. Prints
 * `ready` once started and exits on SIGTERM after a clean stop.
 */
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor } from '../../src/kube/client.ts';
import { testApplication } from '../support/apps.ts';

const env = (name: string): string => process.env[name] ?? '';
const apps = env('APPS').split(',').map((name) => testApplication({ name, repoURL: env('REPO_URL'), path: name, selfHeal: true, intervalMs: 300 }));
const kube = await kubeClientFor(env('SIM_URL'));
const controller = await Controller.start({
  apps,
  git: new GitSource({ cacheDir: env('CACHE_DIR'), refsTtlMs: 200 }),
  kube,
  redisUrl: env('REDIS_URL'),
  prefix: 'two-processes',
  lockDurationMs: 1_000,
  stalledIntervalMs: 500,
  log: () => undefined,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void controller.stop().then(() => process.exit(0)));
