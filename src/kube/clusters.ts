/**
 * The destination clusters a controller knows, and which one an Application's
 * `destination.server` / `destination.name` selects. Pure: entries in, an entry or the
 * reason there is none out. Follows Argo CD's rules:
 * - `in-cluster` / https://kubernetes.default.svc is the controller's own cluster (a cluster
 *   Secret with that server may rename it, as in Argo CD);
 * - a name must match exactly one cluster; a server must match a registered one;
 * - name and server together are refused with Argo CD's own message;
 * - neither selects the controller's own cluster (Sluice's default: `destination.namespace` only).
 * Entries come from the controller's kubeconfig contexts (kubeconfig.ts) and from Secrets in
 * Argo CD's cluster-secret format (clusterFromSecret). No value of a Secret is ever put in a message.
 */
import { createHash } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../json.ts';
import type { ConnectionSettings } from './kubeconfig.ts';

export const IN_CLUSTER_NAME = 'in-cluster';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export const CLUSTER_SECRET_LABEL = 'argocd.argoproj.io/secret-type';
export const CLUSTER_SECRET_TYPE = 'cluster';

export type ClusterOrigin = 'home' | 'kubeconfig' | 'secret';

export interface ClusterEntry {
  readonly name: string;
  /** The server URL destinations name (for the home cluster: IN_CLUSTER_SERVER). */
  readonly server: string;
  readonly origin: ClusterOrigin;
  /** Where it was read (kubeconfig context, or Secret namespace/name), for messages. */
  readonly from: string;
  /** How to connect; absent for the home cluster (the controller's own client). */
  readonly settings?: ConnectionSettings;
}

export interface DestinationRef {
  readonly server?: string;
  readonly name?: string;
}

export type ClusterResolution = { readonly ok: true; readonly cluster: ClusterEntry } | { readonly ok: false; readonly message: string };

/** The controller's own cluster, before any Secret renames it. */
export const HOME_CLUSTER: ClusterEntry = { name: IN_CLUSTER_NAME, server: IN_CLUSTER_SERVER, origin: 'home', from: 'the controller itself' };

function normalServer(server: string): string {
  return server.replace(/\/+$/, '');
}

/**
 * The registry from its sources, home first. A Secret for IN_CLUSTER_SERVER names the home
 * cluster (it keeps the controller's own connection); other entries are taken as they come.
 */
export function clusterRegistry(kubeconfig: readonly ClusterEntry[], secrets: readonly ClusterEntry[]): ClusterEntry[] {
  const homeSecret = secrets.find((s) => normalServer(s.server) === IN_CLUSTER_SERVER);
  const home: ClusterEntry = homeSecret === undefined ? HOME_CLUSTER : { ...HOME_CLUSTER, name: homeSecret.name, from: homeSecret.from };
  return [home, ...kubeconfig, ...secrets.filter((s) => s !== homeSecret)];
}

/** The cluster a destination selects, or why none (Argo CD's messages where it has one). */
export function resolveDestination(clusters: readonly ClusterEntry[], destination: DestinationRef): ClusterResolution {
  const { name, server } = destination;
  if (name !== undefined && server !== undefined) {
    return { ok: false, message: `application destination can't have both name and server defined: ${name} ${server}` };
  }
  if (name !== undefined) {
    const named = clusters.filter((c) => c.name === name);
    if (named.length === 0) return { ok: false, message: `application references destination cluster ${name} which does not exist` };
    if (named.length > 1) return { ok: false, message: `there are ${named.length} clusters with the same name: ${name} (${named.map((c) => c.from).join(', ')})` };
    return { ok: true, cluster: named[0]! };
  }
  const wanted = normalServer(server ?? IN_CLUSTER_SERVER);
  const found = clusters.find((c) => normalServer(c.server) === wanted);
  if (found === undefined) return { ok: false, message: `destination server ${server} is not a registered cluster (no kubeconfig context or cluster Secret has it)` };
  return { ok: true, cluster: found };
}

/**
 * One connection per distinct server and credentials: contexts that name the same cluster
 * and user share a pool; a Secret whose token changed gets a new one. A hash, so the key
 * can be logged without the credentials in it.
 */
export function connectionKey(entry: ClusterEntry): string {
  if (entry.settings === undefined) return 'home';
  const { ca, cert, key, ...rest } = entry.settings;
  const material = JSON.stringify([rest, ca?.toString('base64'), cert?.toString('base64'), key?.toString('base64')]);
  return `${normalServer(entry.server)}#${createHash('sha256').update(material).digest('hex').slice(0, 12)}`;
}

export type SecretReading = { readonly ok: true; readonly entry: ClusterEntry } | { readonly ok: false; readonly message: string };

/**
 * A Secret in Argo CD's cluster format: data `name`, `server` and `config`, a JSON object with
 * `bearerToken` or `username`/`password`, and `tlsClientConfig` {insecure, caData, certData,
 * keyData, serverName} (the *Data fields PEM in base64). Exec and cloud auth are refused by name.
 */
export function clusterFromSecret(secret: JsonObject): SecretReading {
  const metadata = isJsonObject(secret.metadata) ? secret.metadata : {};
  const where = `Secret ${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`;
  const fail = (what: string): SecretReading => ({ ok: false, message: `${where}: ${what}` });
  const data = isJsonObject(secret.data) ? secret.data : {};
  const text = (key: string): string | undefined => (typeof data[key] === 'string' ? Buffer.from(data[key], 'base64').toString('utf8') : undefined);
  const server = text('server');
  if (server === undefined || server === '') return fail('data.server is missing');
  if (!/^https?:\/\//.test(server)) return fail(`data.server ${JSON.stringify(server)} is not an http(s) URL`);
  const name = text('name') || server;
  let config: unknown = {};
  const configText = text('config');
  if (configText !== undefined && configText.trim() !== '') {
    try {
      config = JSON.parse(configText);
    } catch {
      return fail('data.config is not JSON');
    }
  }
  if (!isJsonObject(config)) return fail('data.config is not a JSON object');
  for (const unsupported of ['execProviderConfig', 'awsAuthConfig']) {
    if (config[unsupported] !== undefined) return fail(`data.config.${unsupported} is not supported (use bearerToken or tlsClientConfig client certificates)`);
  }
  const tls = isJsonObject(config.tlsClientConfig) ? config.tlsClientConfig : {};
  const pem = (key: string): Buffer | undefined => (typeof tls[key] === 'string' && tls[key] !== '' ? Buffer.from(tls[key], 'base64') : undefined);
  const headers: Record<string, string> = {};
  if (typeof config.bearerToken === 'string' && config.bearerToken !== '') headers['authorization'] = `Bearer ${config.bearerToken}`;
  else if (typeof config.username === 'string' && config.username !== '') {
    headers['authorization'] = `Basic ${Buffer.from(`${config.username}:${typeof config.password === 'string' ? config.password : ''}`).toString('base64')}`;
  }
  const ca = pem('caData');
  const cert = pem('certData');
  const key = pem('keyData');
  if ((cert === undefined) !== (key === undefined)) return fail('data.config.tlsClientConfig needs both certData and keyData');
  const settings: ConnectionSettings = {
    server,
    namespace: 'default',
    insecure: tls.insecure === true,
    headers,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(typeof tls.serverName === 'string' && tls.serverName !== '' ? { tlsServerName: tls.serverName } : {}),
  };
  return { ok: true, entry: { name, server, origin: 'secret', from: where, settings } };
}
