/**
 * A controller in a process of its own, for the two-process test. Env: SIM_URL, REDIS_URL,
 * REPO_URL, APPS (comma-separated names; each syncs directory <name>), CACHE_DIR. Prints
 * `ready` once started and exits on SIGTERM after a clean stop.
 */
import type { Application } from '../../src/app/types.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor } from '../../src/kube/client.ts';

const env = (name: string): string => process.env[name] ?? '';
const apps: Application[] = env('APPS').split(',').map((name) => ({
  name,
  namespace: 'sluice-system',
  spec: {
    source: { repoURL: env('REPO_URL'), targetRevision: 'main', path: name, recurse: true },
    destination: { namespace: name },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: { createNamespace: true, pruneLast: false, serverSideApply: false }, intervalMs: 300 },
    ignoreDifferences: [],
  },
}));
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
