/**
 * `sluice start`: the controller against a cluster, with the apps of a file. Redis comes
 * from --redis or REDIS_URL, else a private redis-server is started for this process.
 */
import { parseArgs } from 'node:util';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import { DEFAULT_APPLICATION_NAMESPACE } from '../app/validate.ts';
import type { Application, IgnoreDifference } from '../app/types.ts';
import { watchClusterApplications } from '../controller/cluster-apps.ts';
import { Controller } from '../controller/controller.ts';
import { redisAvailable, startRedis } from '../queue/redis-server.ts';
import { gitSource, ignoreDifferencesFromFile, kubeClient } from './common.ts';
import { missingHeapFlags } from './heap.ts';

export const START_USAGE = `  start   run the controller: poll, sync and self-heal the apps of a file or of the cluster
        sluice start (--apps FILE | --from-cluster [--namespace NS]) [--server URL] [--redis URL]
                     [--concurrency N] [--cache-dir D] [--ignore-differences FILE]
        --from-cluster    the Application resources in NS (default sluice-system), followed as they
                          change, with their status written back (kubectl get sapp)
        Redis: --redis, else REDIS_URL, else a private redis-server for this process.
`;

export async function startCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        apps: { type: 'string' },
        'from-cluster': { type: 'boolean', default: false },
        namespace: { type: 'string', default: DEFAULT_APPLICATION_NAMESPACE },
        server: { type: 'string' },
        redis: { type: 'string' },
        concurrency: { type: 'string' },
        'cache-dir': { type: 'string' },
        'ignore-differences': { type: 'string' },
      },
    }).values;
  } catch (e) {
    console.error(`sluice start: ${(e as Error).message}\n${START_USAGE}`);
    return 2;
  }
  if ((values.apps === undefined) === !values['from-cluster']) {
    console.error(`sluice start: give --apps FILE or --from-cluster\n${START_USAGE}`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`sluice start: --concurrency must be a whole number ≥ 1, got "${values.concurrency}"`);
    return 2;
  }
  let apps: Application[] | { namespace: string } = { namespace: values.namespace };
  if (values.apps !== undefined) {
    const loaded = await loadApplicationsFile(values.apps);
    if (!loaded.ok) {
      for (const e of loaded.errors) console.error(formatLoadError(e));
      return 2;
    }
    apps = loaded.apps;
  }
  const ignoreDifferences = await ignoreDifferencesFromFile(values['ignore-differences']);
  if (typeof ignoreDifferences === 'string') {
    console.error(`sluice start: ${ignoreDifferences}`);
    return 2;
  }
  const missing = missingHeapFlags(process.execArgv, process.env['NODE_OPTIONS']);
  if (missing.length > 0) {
    console.error(`note: node was started without ${missing.join(' ')} (bin/sluice.js passes them): the controller's heap may grow to several times its live data`);
  }
  const running = await runController({
    apps,
    ignoreDifferences,
    server: values.server,
    redisUrl: values.redis ?? process.env['REDIS_URL'],
    concurrency,
    cacheDir: values['cache-dir'],
  });
  if (typeof running === 'string') {
    console.error(`sluice start: ${running}`);
    return 2;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping: finishing running operations');
  await running.stop();
  return 0;
}

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
