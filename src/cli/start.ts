/**
 * `sluice start`: the controller against a cluster, with the apps of a file. Redis comes
 * from --redis or REDIS_URL, else a private redis-server is started for this process.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import { DEFAULT_APPLICATION_NAMESPACE } from '../app/validate.ts';
import type { Application, IgnoreDifference } from '../app/types.ts';
import { watchClusterApplications } from '../controller/cluster-apps.ts';
import { Controller } from '../controller/controller.ts';
import { redisAvailable, startRedis } from '../queue/redis-server.ts';
import { createApiServer } from '../api/server.ts';
import type { ApiController } from '../api/context.ts';
import { ApiError } from '../api/errors.ts';
import { createLogger, type Logger } from '../api/logger.ts';
import { SluiceMetrics } from '../api/metrics.ts';
import type { RolloutOperations } from '../api/rollout-port.ts';
import type { WebhookOptions } from '../api/routes-webhooks.ts';
import { TokenStore, tokensFromFile, tokensFromSecret } from '../api/auth.ts';
import { FORGES, type Forge } from '../api/webhooks/types.ts';
import type { KubeClient } from '../kube/client.ts';
import { gitSource, ignoreDifferencesFromFile, kubeClient } from './common.ts';
import { pingRedis, redactUrl, waitUntilReachable } from './reachable.ts';
import { missingHeapFlags } from './heap.ts';

export const START_USAGE = `  start   run the controller: poll, sync and self-heal the apps of a file or of the cluster
        sluice start (--apps FILE | --from-cluster [--namespace NS]) [--server URL] [--redis URL]
                     [--concurrency N] [--cache-dir D] [--ignore-differences FILE]
        --from-cluster    the Application resources in NS (default sluice-system), followed as they
                          change, with their status written back (kubectl get sapp)
        Redis: --redis, else REDIS_URL, else a private redis-server for this process.
        API:   --listen ADDR:PORT (default 127.0.0.1:8080) serves docs/api.md, webhooks, /healthz /readyz /metrics
               --tokens FILE | --tokens-secret NS/NAME   API tokens (YAML: tokens: [{name, role, sha256}])
               --webhook-secrets FILE   YAML {github, gitlab, gitea, bitbucket, generic: secret}
                                        (or SLUICE_WEBHOOK_SECRET_GITHUB, …); a forge without one is accepted unsigned
               --connect-timeout S      give up when Redis or the cluster does not answer for S seconds (default 60)
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
        listen: { type: 'string', default: '127.0.0.1:8080' },
        tokens: { type: 'string' },
        'tokens-secret': { type: 'string' },
        'webhook-secrets': { type: 'string' },
        'connect-timeout': { type: 'string', default: '60' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`sluice start: ${(e as Error).message}\n${START_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`usage:\n${START_USAGE}`);
    return 0;
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
  const listen = parseListen(values.listen);
  const connectTimeout = Number(values['connect-timeout']);
  if (typeof listen === 'string' || !(connectTimeout > 0)) {
    console.error(`sluice start: ${typeof listen === 'string' ? listen : `--connect-timeout must be a number of seconds > 0, got "${values['connect-timeout']}"`}`);
    return 2;
  }
  let api: ApiSettings;
  try {
    api = { ...listen, tokens: await loadTokens(values.tokens, values['tokens-secret'], values.server), webhooks: { secrets: await webhookSecrets(values['webhook-secrets']) }, webDist: WEB_DIST };
  } catch (e) {
    console.error(`sluice start: ${(e as Error).message}`);
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
    api,
    connectTimeoutMs: connectTimeout * 1000,
  });
  if (typeof running === 'string') {
    console.error(`sluice start: ${running}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping: finishing running operations');
  await running.stop();
  return 0;
}

/** The built web UI, served when it exists. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

function parseListen(text: string | undefined): { host: string; port: number } | string {
  const match = /^(.*):(\d{1,5})$/.exec(text ?? '');
  const port = Number(match?.[2]);
  if (match === null || port > 65535) return `--listen must be ADDR:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8080), got "${text}"`;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
}

async function loadTokens(file: string | undefined, secret: string | undefined, server: string | undefined): Promise<TokenStore> {
  if (file !== undefined) return tokensFromFile(file);
  if (secret === undefined) return new TokenStore([]);
  const kube = await kubeClient(server);
  try {
    return await tokensFromSecret(kube, secret);
  } finally {
    await kube.close();
  }
}

/** Webhook secrets from a YAML file, else from SLUICE_WEBHOOK_SECRET_<FORGE>. */
async function webhookSecrets(file: string | undefined): Promise<Partial<Record<Forge, string>>> {
  const secrets: Partial<Record<Forge, string>> = {};
  const doc: unknown = file === undefined ? {} : parseYaml(await readFile(file, 'utf8'));
  for (const forge of FORGES) {
    const value = (typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[forge] : undefined) ?? process.env[`SLUICE_WEBHOOK_SECRET_${forge.toUpperCase()}`];
    if (typeof value === 'string' && value !== '') secrets[forge] = value;
  }
  return secrets;
}

export interface RunningController {
  readonly controller: Controller;
  readonly redisUrl: string;
  /** The API server's base URL. */
  readonly apiUrl: string;
  stop(): Promise<void>;
}

export interface ApiSettings {
  /** host and port to listen on (port 0 picks one) */
  readonly host: string;
  readonly port: number;
  readonly tokens: TokenStore;
  readonly webhooks?: WebhookOptions;
  readonly webDist?: string;
  readonly rollouts?: RolloutOperations;
}

/**
 * Starts the API server, waits for Redis (starting a private one when none is given) and
 * the cluster, then the controller; a string says why it could not. While it waits,
 * /readyz answers 503 with the reason. `apps`: a fixed list, or the namespace whose
 * Application resources to follow.
 */
export async function runController(opts: {
  apps: readonly Application[] | { namespace: string };
  ignoreDifferences?: readonly IgnoreDifference[];
  server: string | undefined;
  redisUrl: string | undefined;
  concurrency: number;
  cacheDir: string | undefined;
  api: ApiSettings;
  logger?: Logger;
  /** How long to wait for Redis and the cluster (default 60 s). */
  connectTimeoutMs?: number;
}): Promise<RunningController | string> {
  const logger = opts.logger ?? createLogger();
  let kube: KubeClient;
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
    logger.info(`started a private redis-server at ${redisUrl}`);
  }
  const clusterProbe = () => kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
  let controller: Controller | undefined;
  let waitingFor = 'starting';
  const port: ApiController = {
    get applications() {
      return controller?.applications ?? [];
    },
    get ctx() {
      if (controller === undefined) throw new ApiError('Unavailable', `the controller is not running yet: ${waitingFor}`);
      return controller.ctx;
    },
    liveObjects: (app) => controller?.liveObjects(app) ?? [],
  };
  const metrics = new SluiceMetrics();
  const api = await createApiServer({
    controller: port,
    redisUrl,
    tokens: opts.api.tokens,
    logger,
    metrics,
    ...(opts.api.webhooks === undefined ? {} : { webhooks: opts.api.webhooks }),
    ...(opts.api.webDist === undefined ? {} : { webDist: opts.api.webDist }),
    ...(opts.api.rollouts === undefined ? {} : { rollouts: opts.api.rollouts }),
    notReady: async () => {
      if (controller === undefined) return waitingFor;
      try {
        await clusterProbe();
        return undefined;
      } catch (e) {
        return `the cluster at ${kube.server} is unreachable (${(e as Error).message.split('\n')[0]})`;
      }
    },
  });
  const stopAll = async () => {
    await api.close();
    await kube.close();
    await stopRedis();
  };
  let apiUrl: string;
  try {
    apiUrl = await api.listen(opts.api.host, opts.api.port);
  } catch (e) {
    await stopAll();
    return `cannot listen on ${opts.api.host}:${opts.api.port}: ${(e as Error).message}`;
  }
  const wait = { timeoutMs: opts.connectTimeoutMs ?? 60_000, report: (line: string) => logger.warn(line) };
  try {
    waitingFor = `waiting for Redis at ${redactUrl(redisUrl)}`;
    await waitUntilReachable('Redis', redactUrl(redisUrl), () => pingRedis(redisUrl), wait);
    waitingFor = `waiting for the cluster at ${kube.server}`;
    await waitUntilReachable('the cluster', kube.server, clusterProbe, wait);
  } catch (e) {
    await stopAll();
    return (e as Error).message;
  }
  if (opts.api.tokens.size === 0) logger.warn('no API tokens configured (--tokens FILE or --tokens-secret NS/NAME): every /api/v1 request answers 401');
  const fromCluster = 'namespace' in opts.apps ? opts.apps.namespace : undefined;
  const fixed = 'namespace' in opts.apps ? [] : opts.apps;
  controller = await Controller.start({
    apps: fixed,
    git: gitSource(opts.cacheDir, 1_000, (fetch, ms) => metrics.gitFetched(fetch, ms / 1000)),
    kube,
    redisUrl,
    concurrency: opts.concurrency,
    mirrorStatus: fromCluster !== undefined,
    log: (line, fields) => logger.info(fields ?? {}, line),
    onOperation: (result, request) => metrics.syncFinished(result, request),
    ...(opts.ignoreDifferences === undefined ? {} : { ignoreDifferences: opts.ignoreDifferences }),
  });
  const running = controller;
  let watch: { stop(): void } | undefined;
  if (fromCluster === undefined) {
    logger.info(`controller running: ${fixed.length} application${fixed.length === 1 ? '' : 's'} (${fixed.map((a) => a.name).join(', ')})`);
  } else {
    let applying = Promise.resolve();
    // every watch round reports all invalid resources; the log says each problem once, until it goes away
    let reported = new Set<string>();
    watch = await watchClusterApplications(kube, fromCluster, (apps, statuses, errors) => {
      const current = new Set(errors.map((e) => `invalid Application: ${formatLoadError(e)}`));
      for (const line of current) if (!reported.has(line)) logger.error(line);
      reported = current;
      applying = applying.then(() => running.setApps(apps, statuses)).catch((e: Error) => logger.error(`applications: ${e.message}`));
    });
    logger.info(`controller running: following the Application resources in namespace ${fromCluster}`);
  }
  logger.info(`API server listening on ${apiUrl}`);
  return {
    controller: running,
    redisUrl,
    apiUrl,
    stop: async () => {
      watch?.stop();
      await api.close();
      await running.stop();
      await kube.close();
      await stopRedis();
    },
  };
}
