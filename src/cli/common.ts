import { homedir } from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import type { Application, IgnoreDifference } from '../app/types.ts';
import { formatValidationError, parseIgnoreDifferences } from '../app/validate.ts';
import { credentialRulesFromEnv, CredentialStore, GitSource } from '../git/index.ts';
import { KubeClient, kubeClientFor } from '../kube/client.ts';
import { connectionSettings } from '../kube/kubeconfig.ts';

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

/** The app named `name` from an applications file, or an error message listing what is there. */
export async function appFromFile(file: string, name: string): Promise<Application | string> {
  const loaded = await loadApplicationsFile(file);
  if (!loaded.ok) return loaded.errors.map(formatLoadError).join('\n');
  const app = loaded.apps.find((a) => a.name === name);
  if (app === undefined) return `${file}: no application named "${name}" (found: ${loaded.apps.map((a) => a.name).join(', ') || 'none'})`;
  return app;
}

/** Global ignoreDifferences from a YAML file (a list of the entries an app's spec takes), or why not. */
export async function ignoreDifferencesFromFile(file: string | undefined): Promise<IgnoreDifference[] | string> {
  if (file === undefined) return [];
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    return `${file}: ${(e as Error).message.split('\n')[0]}`;
  }
  const parsed = parseIgnoreDifferences(doc, file);
  return parsed.ok ? parsed.rules : parsed.errors.map(formatValidationError).join('\n');
}
