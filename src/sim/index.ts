import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { SimApiServer } from './apiserver.ts';
import { ScaledClock, VirtualClock, type SchedulingClock } from './clock.ts';
import { startControllers, type RunningControllers } from './controllers/index.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { SimHttpServer, type SimRequestLogEntry } from './http.ts';

export type { SimRequestLogEntry };

export interface SimClusterOptions {
  /** 0 picks a free port */
  readonly port?: number;
  /** the one clock of the cluster; default real time (a ScaledClock of speed 1) */
  readonly clock?: SchedulingClock;
  /** false serves the API only: no controllers, scheduler or kubelets (objects stay as written) */
  readonly controllers?: boolean;
  /** simulated nodes (default 3) */
  readonly nodes?: number;
  readonly bookmarkIntervalMs?: number;
  /** called once per HTTP request when its response is complete (tests assert on what was written) */
  readonly onRequest?: (entry: SimRequestLogEntry) => void;
  /** called once per HTTP request just before its answer is sent (a test acting "at" a request) */
  readonly beforeResponse?: (entry: SimRequestLogEntry) => void;
}

export interface SimCluster {
  readonly url: string;
  /** a kubeconfig (YAML) pointing at this cluster, for kubectl and @kubernetes/client-node */
  readonly kubeconfig: string;
  readonly api: SimApiServer;
  readonly clock: SchedulingClock;
  /** the running controllers, unless started with controllers: false */
  readonly controllers: RunningControllers | undefined;
  /** resolves once the controllers have no queued work */
  settle(): Promise<void>;
  /** with a VirtualClock: move cluster time forward, letting controllers react to every timer */
  advance(ms: number): Promise<void>;
  writeKubeconfig(path: string): Promise<void>;
  stop(): Promise<void>;
}

export const SIM_CONTEXT = 'sluice-sim';

/** A kubeconfig for a plain-HTTP, unauthenticated cluster at url. */
export function kubeconfigFor(url: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node only talks plain HTTP to a cluster entry that skips TLS verification
    clusters: [{ name: SIM_CONTEXT, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: SIM_CONTEXT, user: {} }],
    contexts: [{ name: SIM_CONTEXT, context: { cluster: SIM_CONTEXT, user: SIM_CONTEXT, namespace: 'default' } }],
    'current-context': SIM_CONTEXT,
  });
}

/** Starts the embedded Kubernetes API server on 127.0.0.1 (loopback only: it has no authentication). */
export async function startSimCluster(options: SimClusterOptions = {}): Promise<SimCluster> {
  const clock = options.clock ?? new ScaledClock({ speed: 1 });
  const api = new SimApiServer({ clock });
  const gc = new GarbageCollector(api);
  const controllers = options.controllers === false ? undefined : startControllers(api, gc, { clock, ...(options.nodes !== undefined ? { nodes: options.nodes } : {}) });
  const http = new SimHttpServer(api, {
    ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.beforeResponse ? { beforeResponse: options.beforeResponse } : {}),
  });
  const url = await http.listen(options.port ?? 0);
  const kubeconfig = kubeconfigFor(url);
  return {
    url,
    kubeconfig,
    api,
    clock,
    controllers,
    settle: async () => {
      await controllers?.manager.settle();
    },
    advance: async (ms) => {
      if (!(clock instanceof VirtualClock)) throw new Error('advance() needs a cluster started with a VirtualClock');
      if (controllers) await controllers.manager.advance(clock, ms);
      else clock.advance(ms);
    },
    writeKubeconfig: (path) => writeFile(path, kubeconfig, { mode: 0o600 }),
    stop: async () => {
      controllers?.control.stop();
      controllers?.manager.stop();
      gc.stop();
      await http.close();
    },
  };
}
