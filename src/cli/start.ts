/**
 * `sluice start`: the controller against a cluster, with the apps of a file. Redis comes
 * from --redis or REDIS_URL, else a private redis-server is started for this process.
 */
import { parseArgs } from 'node:util';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import { Controller } from '../controller/controller.ts';
import { redisAvailable, startRedis } from '../queue/redis-server.ts';
import { gitSource, kubeClient } from './common.ts';

export const START_USAGE = `  start   run the controller: poll, sync and self-heal the apps of a file
        sluice start --apps FILE [--server URL] [--redis URL] [--concurrency N] [--cache-dir D]
        Redis: --redis, else REDIS_URL, else a private redis-server for this process.
`;

export async function startCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: { apps: { type: 'string' }, server: { type: 'string' }, redis: { type: 'string' }, concurrency: { type: 'string' }, 'cache-dir': { type: 'string' } },
    }).values;
  } catch (e) {
    console.error(`sluice start: ${(e as Error).message}\n${START_USAGE}`);
    return 2;
  }
  if (values.apps === undefined) {
    console.error(`sluice start: --apps FILE is required\n${START_USAGE}`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`sluice start: --concurrency must be a whole number ≥ 1, got "${values.concurrency}"`);
    return 2;
  }
  const loaded = await loadApplicationsFile(values.apps);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatLoadError(e));
    return 2;
  }
  const running = await runController({
    apps: loaded.apps,
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

/** Starts the controller (and Redis when none is given); a string says why it could not. */
export async function runController(opts: {
  apps: Parameters<typeof Controller.start>[0]['apps'];
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
  const controller = await Controller.start({ apps: opts.apps, git: gitSource(opts.cacheDir, 1_000), kube, redisUrl, concurrency: opts.concurrency });
  console.log(`controller running: ${opts.apps.length} application${opts.apps.length === 1 ? '' : 's'} (${opts.apps.map((a) => a.name).join(', ')})`);
  return {
    controller,
    redisUrl,
    stop: async () => {
      await controller.stop();
      kube.close();
      await stopRedis();
    },
  };
}
