/**
 * Starting the controller as a process runs it: the cluster client, Redis (a private
 * redis-server when none is given), the Controller, and — for apps from the cluster — the
 * watch of Application resources. Used by `sluice start` and the demo.
 */
import { formatLoadError } from '../app/load.ts';
import type { Application, IgnoreDifference } from '../app/types.ts';
import { gitSource, kubeClient } from '../connect.ts';
import { redisAvailable, startRedis } from '../queue/redis-server.ts';
import { watchClusterApplications } from './cluster-apps.ts';
import { Controller } from './controller.ts';

export interface RunningController {
  readonly controller: Controller;
  readonly redisUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the controller (and Redis when none is given); a string says why it could not.
 * `apps`: a fixed list, or the namespace whose Application resources to follow.
 */
export async function runController(opts: {
  apps: readonly Application[] | { namespace: string };
  ignoreDifferences?: readonly IgnoreDifference[];
  server: string | undefined;
  redisUrl: string | undefined;
  concurrency: number;
  cacheDir: string | undefined;
}): Promise<RunningController | string> {
  let kube;
  try {
    kube = await kubeClient(opts.server);
  } catch (e) {
    return (e as Error).message;
  }
  let redisUrl = opts.redisUrl;
  let stopRedis = async (): Promise<void> => undefined;
  if (redisUrl === undefined) {
    if (!redisAvailable()) return 'no Redis: pass --redis URL or set REDIS_URL (redis-server was not found to start one)';
    const redis = await startRedis();
    redisUrl = redis.url;
    stopRedis = redis.stop;
    console.log(`started a private redis-server at ${redisUrl}`);
  }
  const fromCluster = 'namespace' in opts.apps ? opts.apps.namespace : undefined;
  const fixed = 'namespace' in opts.apps ? [] : opts.apps;
  const controller = await Controller.start({ apps: fixed, git: gitSource(opts.cacheDir, 1_000), kube, redisUrl, concurrency: opts.concurrency, mirrorStatus: fromCluster !== undefined, ...(opts.ignoreDifferences === undefined ? {} : { ignoreDifferences: opts.ignoreDifferences }) });
  let watch: { stop(): void } | undefined;
  if (fromCluster === undefined) {
    console.log(`controller running: ${fixed.length} application${fixed.length === 1 ? '' : 's'} (${fixed.map((a) => a.name).join(', ')})`);
  } else {
    let applying = Promise.resolve();
    // every watch round reports all invalid resources; the log says each problem once, until it goes away
    let reported = new Set<string>();
    watch = await watchClusterApplications(kube, fromCluster, (apps, statuses, errors) => {
      const current = new Set(errors.map((e) => `invalid Application: ${formatLoadError(e)}`));
      for (const line of current) if (!reported.has(line)) console.error(line);
      reported = current;
      applying = applying.then(() => controller.setApps(apps, statuses)).catch((e: Error) => console.error(`applications: ${e.message}`));
    });
    console.log(`controller running: following the Application resources in namespace ${fromCluster}`);
  }
  return {
    controller,
    redisUrl,
    stop: async () => {
      watch?.stop();
      await controller.stop();
      await kube.close();
      await stopRedis();
    },
  };
}
