import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { SimApiServer } from './apiserver.ts';
import type { Clock } from './clock.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { SimHttpServer } from './http.ts';

export interface SimClusterOptions {
  /** 0 picks a free port */
  readonly port?: number;
  readonly clock?: Clock;
  readonly bookmarkIntervalMs?: number;
}

export interface SimCluster {
  readonly url: string;
  /** a kubeconfig (YAML) pointing at this cluster, for kubectl and @kubernetes/client-node */
  readonly kubeconfig: string;
  readonly api: SimApiServer;
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
  const api = new SimApiServer(options.clock ? { clock: options.clock } : {});
  const gc = new GarbageCollector(api);
  const http = new SimHttpServer(api, options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {});
  const url = await http.listen(options.port ?? 0);
  const kubeconfig = kubeconfigFor(url);
  return {
    url,
    kubeconfig,
    api,
    writeKubeconfig: (path) => writeFile(path, kubeconfig, { mode: 0o600 }),
    stop: async () => {
      gc.stop();
      await http.close();
    },
  };
}
