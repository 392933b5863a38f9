/**
 * The destination-cluster registry of a running controller: its kubeconfig's contexts, read
 * once, and the cluster Secrets (Argo CD's format, label argocd.argoproj.io/secret-type:
 * cluster) in its namespace, followed by a watch so a Secret added, rotated or deleted takes
 * effect at the app's next operation. Problems name the Secret and the field, never a value.
 */
import type { ConnectionSettings } from '../kube/kubeconfig.ts';
import type { KubeClient } from '../kube/client.ts';
import { CLUSTER_SECRET_LABEL, CLUSTER_SECRET_TYPE, clusterFromSecret, clusterRegistry, type ClusterEntry } from '../kube/clusters.ts';
import { Informer } from '../kube/watch.ts';

const FIRST_LIST_WAIT_MS = 10_000;

export function kubeconfigEntries(contexts: ReadonlyMap<string, ConnectionSettings>): ClusterEntry[] {
  return [...contexts].map(([name, settings]) => ({ name, server: settings.server, origin: 'kubeconfig', from: `kubeconfig context ${name}`, settings }));
}

export interface ClusterRegistryWatch {
  /** The registry now: the own cluster, the kubeconfig contexts, the Secrets. */
  entries(): readonly ClusterEntry[];
  stop(): Promise<void>;
}

/** Starts the Secret watch; resolves once the first list is read. `report` hears each invalid Secret once per change. */
export async function watchClusterRegistry(
  kube: KubeClient,
  namespace: string,
  kubeconfig: readonly ClusterEntry[],
  report: (line: string) => void,
): Promise<ClusterRegistryWatch> {
  const informer = new Informer(kube, { apiVersion: 'v1', kind: 'Secret', namespace, labelSelector: `${CLUSTER_SECRET_LABEL}=${CLUSTER_SECRET_TYPE}` });
  let registry = clusterRegistry(kubeconfig, []);
  let reported = new Set<string>();
  const read = (): void => {
    const secrets: ClusterEntry[] = [];
    const problems = new Set<string>();
    for (const secret of informer.list()) {
      const reading = clusterFromSecret(secret);
      if (reading.ok) secrets.push(reading.entry);
      else problems.add(`cluster Secret left out: ${reading.message}`);
    }
    for (const line of problems) if (!reported.has(line)) report(line);
    reported = problems;
    registry = clusterRegistry(kubeconfig, secrets);
  };
  informer.onChange(read);
  // A Secret list the controller may not make (RBAC) or that does not come must not hold the
  // controller back: it starts with the clusters it has, and the Secrets count once listed.
  let failed = false;
  informer.onError((e) => {
    if (!failed) report(`cannot read cluster Secrets in ${namespace} (retrying): ${(e as Error).message.split('\n')[0] ?? ''}`);
    failed = true;
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([informer.start(), new Promise((resolve) => (timer = setTimeout(resolve, FIRST_LIST_WAIT_MS)))]);
  clearTimeout(timer);
  read();
  return { entries: () => registry, stop: () => informer.stop() };
}
