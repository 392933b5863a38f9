/**
 * Starting the controller as a process runs it: the API server first (so /readyz can say
 * what it waits for), Redis (a private redis-server when none is given) and the cluster,
 * waited for with back-off, then the Controller and — for apps from the cluster — the
 * watch of Application resources. Used by `sluice start` and the demo.
 */
import { fileURLToPath } from 'node:url';
import type { ApiController } from '../api/context.ts';
import { createApiServer } from '../api/server.ts';
import { ApiError } from '../api/errors.ts';
import { createLogger, type Logger } from '../api/logger.ts';
import { SluiceMetrics } from '../api/metrics.ts';
import type { TokenStore } from '../api/auth.ts';
import type { RolloutOperations } from '../api/rollout-port.ts';
import type { WebhookOptions } from '../api/routes-webhooks.ts';
import { formatLoadError } from '../app/load.ts';
import type { Application, IgnoreDifference } from '../app/types.ts';
import { gitSource, kubeClient } from '../connect.ts';
import type { KubeClient } from '../kube/client.ts';
import { redisAvailable, startRedis } from '../queue/redis-server.ts';
import { rolloutDurationMs } from '../rollout/types.ts';
import { watchClusterApplications } from './cluster-apps.ts';
import { ClusterUnavailableError } from './clusters.ts';
import { kubeconfigEntries, watchClusterRegistry, type ClusterRegistryWatch } from './cluster-secrets.ts';
import { kubeconfigContexts } from '../kube/kubeconfig.ts';
import type { Project } from '../app/project.ts';
import { Controller } from './controller.ts';
import { pingRedis, redactUrl, waitUntilReachable } from './reachable.ts';
import { rolloutOperations } from './rollout-operations.ts';
import type { ControllerClock } from './rollouts.ts';

/** The built web UI, served when it exists. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

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
  /** default: the rollout commands over this process's controller */
  readonly rollouts?: RolloutOperations;
}

/**
 * Starts the API server, waits for Redis (starting a private one when none is given) and
 * the cluster, then the controller; a string says why it could not. While it waits,
 * /readyz answers 503 with the reason. `apps`: a fixed list, or the namespace whose
 * Application resources to follow (`acceptArgocd`: Argo CD's too).
 */
export async function runController(opts: {
  apps: readonly Application[] | { namespace: string; acceptArgocd?: boolean };
  /** The Projects of a fixed list of apps (from the same file); cluster apps have the cluster's. */
  projects?: readonly Project[];
  ignoreDifferences?: readonly IgnoreDifference[];
  server: string | undefined;
  redisUrl: string | undefined;
  concurrency: number;
  cacheDir: string | undefined;
  api: ApiSettings;
  logger?: Logger;
  /** How long to wait for Redis and the cluster (default 60 s). */
  connectTimeoutMs?: number;
  /** Where cluster Secrets are read (default: the Applications' namespace, else the client's default namespace). */
  clusterSecretsNamespace?: string;
  /** The cluster's clock for rollout timing (default real time; tests pass the embedded cluster's). */
  clock?: ControllerClock;
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
    contextFor(app) {
      if (controller === undefined) throw new ApiError('Unavailable', `the controller is not running yet: ${waitingFor}`);
      try {
        return controller.contextFor(app);
      } catch (e) {
        if (e instanceof ClusterUnavailableError) throw new ApiError('Unavailable', e.message);
        throw e;
      }
    },
    liveObjects: (app) => controller?.liveObjects(app) ?? [],
    syncInProgress: async (app) => controller?.syncInProgress(app),
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
    rollouts: opts.api.rollouts ?? rolloutOperations(() => controller),
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
  const acceptArgocd = 'namespace' in opts.apps && opts.apps.acceptArgocd === true;
  const fixed = 'namespace' in opts.apps ? [] : opts.apps;
  let registry: ClusterRegistryWatch;
  try {
    registry = await destinationClusters(kube, opts.server, opts.clusterSecretsNamespace ?? fromCluster ?? kube.defaultNamespace, logger);
  } catch (e) {
    await stopAll();
    return `cluster Secrets: ${(e as Error).message}`;
  }
  controller = await Controller.start({
    apps: fixed,
    projects: 'namespace' in opts.apps ? [] : (opts.projects ?? []),
    git: gitSource(opts.cacheDir, 1_000, (fetch, ms) => metrics.gitFetched(fetch, ms / 1000)),
    kube,
    clusters: registry.entries,
    redisUrl,
    concurrency: opts.concurrency,
    mirrorStatus: fromCluster !== undefined,
    log: (line, fields) => logger.info(fields ?? {}, line),
    onOperation: (result, request) => metrics.syncFinished(result, request),
    onRolloutFinished: (rollout) => metrics.rolloutFinished(rollout.phase, rolloutDurationMs(rollout) / 1000),
    ...(opts.ignoreDifferences === undefined ? {} : { ignoreDifferences: opts.ignoreDifferences }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
  });
  const running = controller;
  let watch: { stop(): void } | undefined;
  if (fromCluster === undefined) {
    logger.info(`controller running: ${fixed.length} application${fixed.length === 1 ? '' : 's'} (${fixed.map((a) => a.name).join(', ')})`);
  } else {
    let applying = Promise.resolve();
    // every watch round reports all invalid resources; the log says each problem once, until it goes away
    let reported = new Set<string>();
    let warned = new Set<string>();
    watch = await watchClusterApplications(
      kube,
      fromCluster,
      (apps, statuses, errors, projects, warnings) => {
        const current = new Set(errors.map((e) => `invalid resource: ${formatLoadError(e)}`));
        for (const line of current) if (!reported.has(line)) logger.error(line);
        reported = current;
        const currentWarnings = new Set(warnings);
        for (const line of currentWarnings) if (!warned.has(line)) logger.warn(line);
        warned = currentWarnings;
        applying = applying.then(() => running.setApps(apps, statuses, projects)).catch((e: Error) => logger.error(`applications: ${e.message}`));
      },
      { log: (line) => logger.warn(line), acceptArgocd },
    );
    logger.info(`controller running: following the Application and Project resources in namespace ${fromCluster}${acceptArgocd ? ", Argo CD's included" : ''}`);
  }
  logger.info(`API server listening on ${apiUrl}`);
  return {
    controller: running,
    redisUrl,
    apiUrl,
    stop: async () => {
      watch?.stop();
      await registry.stop();
      await api.close();
      await running.stop();
      await kube.close();
      await stopRedis();
    },
  };
}

/**
 * The clusters apps may name: the kubeconfig's contexts (not with --server, which has no
 * kubeconfig) and the cluster Secrets in `namespace`, watched.
 */
async function destinationClusters(kube: KubeClient, server: string | undefined, namespace: string, logger: Logger): Promise<ClusterRegistryWatch> {
  const { contexts, skipped } = server === undefined ? kubeconfigContexts() : { contexts: new Map(), skipped: [] };
  for (const line of skipped) logger.warn(`kubeconfig context not registered as a cluster: ${line}`);
  const registry = await watchClusterRegistry(kube, namespace, kubeconfigEntries(contexts), (line) => logger.error(line));
  logger.info(`destination clusters: ${registry.entries().map((c) => `${c.name} (${c.from})`).join(', ')}`);
  return registry;
}
