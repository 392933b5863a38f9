/**
 * Reading the cluster's address and credentials without @kubernetes/client-node, for the
 * common cases: a single kubeconfig file whose user has a token, token file, client
 * certificate or basic auth (its cluster possibly behind a proxy-url), or the in-cluster
 * service account. client-node's runtime costs ~100 MB resident; a controller that needs
 * none of its features should not pay it. Anything else — exec plugins, auth providers,
 * several merged kubeconfig files — answers undefined, and the caller falls back to
 * client-node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export interface ConnectionSettings {
  readonly server: string;
  readonly namespace: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure: boolean;
  readonly tlsServerName?: string;
  /** An HTTP(S) proxy every connection tunnels through (the cluster's proxy-url). */
  readonly proxyUrl?: string;
  /** Static credentials as request headers (Authorization). */
  readonly headers: Readonly<Record<string, string>>;
  /** A token read from a file each time it is needed (service account tokens rotate). */
  readonly tokenFile?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where kubectl would look, as settings; undefined when client-node must handle it; throws when there is nothing. */
export function connectionSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings | undefined {
  const configured = env['KUBECONFIG'];
  if (configured !== undefined && configured !== '') {
    const files = configured.split(path.delimiter).filter((f) => f !== '');
    return files.length === 1 ? fromKubeconfigFile(files[0]!) : undefined;
  }
  const home = path.join(env['HOME'] ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeconfigFile(home);
  const host = env['KUBERNETES_SERVICE_HOST'];
  if (host !== undefined && existsSync(path.join(SERVICE_ACCOUNT_DIR, 'token'))) return inCluster(host, env['KUBERNETES_SERVICE_PORT'] ?? '443');
  throw new Error('no cluster: set KUBECONFIG or pass --server URL');
}

function inCluster(host: string, port: string): ConnectionSettings {
  const namespaceFile = path.join(SERVICE_ACCOUNT_DIR, 'namespace');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    namespace: existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : 'default',
    ca: readFileSync(path.join(SERVICE_ACCOUNT_DIR, 'ca.crt')),
    insecure: false,
    headers: {},
    tokenFile: path.join(SERVICE_ACCOUNT_DIR, 'token'),
  };
}

type Named<T> = { name?: unknown } & Record<string, T>;

export function fromKubeconfigFile(file: string): ConnectionSettings | undefined {
  const config = readKubeconfig(file);
  return contextSettings(config, file, config?.['current-context'], 'current-context');
}

type Kubeconfig = Record<string, unknown> | null;

function readKubeconfig(file: string): Kubeconfig {
  return parse(readFileSync(file, 'utf8')) as Kubeconfig;
}

/**
 * Every context of the kubeconfig kubectl would read, by name, as settings: the clusters a
 * controller may deploy to by `destination.name` (the context name) or `destination.server`.
 * Contexts that need client-node (exec plugins, auth providers) or several merged files are
 * left out, each with the reason.
 */
export function kubeconfigContexts(env: NodeJS.ProcessEnv = process.env): { contexts: Map<string, ConnectionSettings>; skipped: string[] } {
  const contexts = new Map<string, ConnectionSettings>();
  const skipped: string[] = [];
  const configured = env['KUBECONFIG'];
  const files = configured !== undefined && configured !== '' ? configured.split(path.delimiter).filter((f) => f !== '') : [path.join(env['HOME'] ?? homedir(), '.kube', 'config')];
  if (files.length !== 1) return { contexts, skipped: [`KUBECONFIG names ${files.length} files: their contexts are not registered as clusters`] };
  const file = files[0]!;
  if (!existsSync(file)) return { contexts, skipped };
  const config = readKubeconfig(file);
  const list = Array.isArray(config?.['contexts']) ? (config['contexts'] as Named<unknown>[]) : [];
  for (const { name } of list) {
    if (typeof name !== 'string') continue;
    try {
      const settings = contextSettings(config, file, name, `context ${name}`);
      if (settings === undefined) skipped.push(`${file}: context ${name}: its user authenticates with an exec plugin or auth provider`);
      else contexts.set(name, settings);
    } catch (e) {
      skipped.push((e as Error).message);
    }
  }
  return { contexts, skipped };
}

function contextSettings(config: Kubeconfig, file: string, contextName: unknown, what: string): ConnectionSettings | undefined {
  const where = (problem: string) => `${file}: ${problem}`;
  const byName = (list: unknown, key: string, name: unknown): Record<string, unknown> | undefined => {
    const entry = (Array.isArray(list) ? (list as Named<unknown>[]) : []).find((e) => e.name === name)?.[key];
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  };
  const context = byName(config?.['contexts'], 'context', contextName);
  if (context === undefined) throw new Error(where(`no context named ${JSON.stringify(contextName)} (${what})`));
  const cluster = byName(config?.['clusters'], 'cluster', context['cluster']);
  if (cluster === undefined || typeof cluster['server'] !== 'string') throw new Error(where(`context ${String(contextName)}: no cluster with a server`));
  const user = byName(config?.['users'], 'user', context['user']) ?? {};
  if (user['exec'] !== undefined || user['auth-provider'] !== undefined) return undefined;

  const dir = path.dirname(file);
  const bytes = (data: unknown, fileKey: unknown): Buffer | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    if (typeof fileKey === 'string') return readFileSync(path.resolve(dir, fileKey));
    return undefined;
  };
  const headers: Record<string, string> = {};
  if (typeof user['token'] === 'string') headers['authorization'] = `Bearer ${user['token']}`;
  else if (typeof user['username'] === 'string') {
    headers['authorization'] = `Basic ${Buffer.from(`${user['username']}:${String(user['password'] ?? '')}`).toString('base64')}`;
  }
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  return {
    server: cluster['server'],
    namespace: typeof context['namespace'] === 'string' ? context['namespace'] : 'default',
    insecure: cluster['insecure-skip-tls-verify'] === true,
    headers,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(typeof cluster['tls-server-name'] === 'string' ? { tlsServerName: cluster['tls-server-name'] } : {}),
    ...(typeof cluster['proxy-url'] === 'string' ? { proxyUrl: cluster['proxy-url'] } : {}),
    ...(typeof user['tokenFile'] === 'string' ? { tokenFile: path.resolve(dir, user['tokenFile']) } : {}),
  };
}
