/**
 * A controller in a process of its own, for the multi-process tests. Env: SIM_URL, REDIS_URL,
 * REPO_URL, APPS (comma-separated names; each syncs directory <name>), CACHE_DIR, PREFIX;
 * LOCK_MS and STALL_MS (else the defaults); STEPS, the apps' rollout steps (`50,100`; else one step). Prints `ready` once started and exits on
 * SIGTERM after a clean stop.
 */
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor } from '../../src/kube/client.ts';
import { testApplication } from '../support/apps.ts';

const env = (name: string): string => process.env[name] ?? '';
const steps = env('STEPS') ? { rollout: { steps: env('STEPS').split(',').map(Number) } } : {};
const apps = env('APPS').split(',').map((name) => testApplication({ name, repoURL: env('REPO_URL'), path: name, selfHeal: true, intervalMs: 300, ...steps }));
const kube = await kubeClientFor(env('SIM_URL'));
const controller = await Controller.start({
  apps,
  git: new GitSource({ cacheDir: env('CACHE_DIR'), refsTtlMs: 200 }),
  kube,
  redisUrl: env('REDIS_URL'),
  prefix: env('PREFIX') || 'two-processes',
  ...(env('LOCK_MS') ? { lockDurationMs: Number(env('LOCK_MS')) } : {}),
  ...(env('STALL_MS') ? { stalledIntervalMs: Number(env('STALL_MS')) } : {}),
  log: process.env['LOG'] ? (line) => process.stderr.write(`[${process.pid}] ${line}\n`) : () => undefined,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void controller.stop().then(() => process.exit(0)));
