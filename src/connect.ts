/**
 * The connections a Sluice process makes from its settings: Git sources (cache directory,
 * credentials from the environment) and the Kubernetes client (--server, else the
 * kubeconfig as kubectl finds it). Shared by the CLI commands, the controller and the demo.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { credentialRulesFromEnv, CredentialStore, GitSource } from './git/index.ts';
import { KubeClient, kubeClientFor } from './kube/client.ts';
import { connectionSettings } from './kube/kubeconfig.ts';

/** Where Git caches live unless --cache-dir says otherwise: $XDG_CACHE_HOME/sluice/git. */
export function defaultCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache');
  return path.join(base, 'sluice', 'git');
}

/** `refsTtlMs`: a controller shares one ls-remote between the apps of a repository polled together. */
export function gitSource(cacheDir: string | undefined, refsTtlMs = 0, onFetch?: (fetch: 'fetched' | 'cloned', ms: number) => void): GitSource {
  return new GitSource({ cacheDir: cacheDir ?? defaultCacheDir(), credentials: new CredentialStore(credentialRulesFromEnv()), refsTtlMs, ...(onFetch === undefined ? {} : { onFetch }) });
}

/** The cluster: `--server URL` (no auth, e.g. `sluice sim`), else KUBECONFIG / ~/.kube/config as kubectl finds it. */
export async function kubeClient(server: string | undefined): Promise<KubeClient> {
  if (server !== undefined) return kubeClientFor(server);
  const settings = connectionSettings();
  if (settings !== undefined) return KubeClient.fromSettings(settings);
  // Exec plugins, auth providers, merged kubeconfigs: client-node, loaded only here (~100 MB resident).
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (kc.getCurrentCluster() === null) throw new Error('no cluster: set KUBECONFIG or pass --server URL');
  return KubeClient.create(kc);
}
