/**
 * The controller process of `npm run bench -- controller`: the fleet's Controller alone,
 * so its peak RSS is measured apart from the bench, the Git server and the API server.
 * Env: SIM_URL, REDIS_URL, REPO_URL, APPS, CONCURRENCY, CACHE_DIR. Prints `ready`.
 */
import { Controller } from '../src/controller/controller.ts';
import { GitSource } from '../src/git/index.ts';
import { kubeClientFor } from '../src/kube/client.ts';
import { application } from './lib/fleet-apps.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const kube = await kubeClientFor(env('SIM_URL'));
const apps = Array.from({ length: Number(env('APPS')) }, (_, i) => application(i, env('REPO_URL')));
const controller = await Controller.start({
  apps,
  git: new GitSource({ cacheDir: env('CACHE_DIR'), refsTtlMs: 1_000 }),
  kube,
  redisUrl: env('REDIS_URL'),
  concurrency: Number(env('CONCURRENCY')),
  log: () => undefined,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void controller
    .stop()
    .then(() => kube.close())
    .then(() => process.exit(0));
});
