/**
 * `sluice start`: the controller against a cluster, with the apps of a file. Redis comes
 * from --redis or REDIS_URL, else a private redis-server is started for this process.
 */
import { parseArgs } from 'node:util';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import { DEFAULT_APPLICATION_NAMESPACE } from '../app/validate.ts';
import type { Application } from '../app/types.ts';
import { runController } from '../controller/run.ts';
import { ignoreDifferencesFromFile } from './common.ts';
import { missingHeapFlags } from './heap.ts';
import { START_USAGE } from './usage.ts';


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
