import type { ConnectionOptions } from 'node:tls';
import { readFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import type { ConnectionSettings } from './kubeconfig.ts';
import { KubeError, redact } from './errors.ts';

/**
 * The HTTP edge: undici connection pools (one for requests, one for watches) per client,
 * with TLS material and credentials from our own kubeconfig reader (kubeconfig.ts) or
 * client-node's KubeConfig (applyToHTTPSOptions), or none at all for a plain URL (forUrl).
 * client-node is only ever a type here: its runtime (~830 modules, ~100 MB resident under
 * tsx) is loaded by whoever builds a KubeConfig, never for a plain URL.
 *
 * Why not KubernetesObjectApi: client-node builds a new http(s).Agent for every request
 * (KubeConfig.createAgent inside applySecurityAuthentication), so each call opens a fresh
 * TCP (and TLS) connection and pays its generic object API's per-call plumbing (bench kube
 * prints the ratio).
 * Why undici's Pool rather than node:http with a keep-alive Agent: the same requests cost
 * ~25–30 % less CPU in the client (500 creates against the embedded cluster, 16 in flight:
 * 78–146 ms of CPU vs 108–198 ms), which a controller making thousands of requests per
 * reconcile pays on every one. Not global fetch: its WHATWG streams cost more than the
 * socket (800–2,400 gets/s measured), and in Node 20 it takes no CA or client certificate.
 */

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** path and query, e.g. /api/v1/namespaces/a/configmaps?labelSelector=x */
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  /** for error messages: what the request is about */
  readonly subject: string;
  /** aborting cuts the request (the server may or may not have acted on it) and request() rejects with an AbortError */
  readonly signal?: AbortSignal;
}

export interface StreamSpec {
  /** path and query of a GET whose body arrives over time (a watch) */
  readonly path: string;
  readonly subject: string;
  /** aborting destroys the connection, and stream() rejects with an AbortError */
  readonly signal: AbortSignal;
  /** fail when nothing arrives for this long (a half-open connection); 0 = never */
  readonly idleTimeoutMs: number;
}

type TlsOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
type Headers = Record<string, string>;

export interface TransportOptions {
  /** concurrent connections to the API server (default 64) */
  readonly maxSockets?: number;
  /** per-request timeout (default 30 s) */
  readonly timeoutMs?: number;
}

export class Transport {
  /** The path prefix of the server URL (a proxy serving the API under /k8s/clusters/x, say). */
  private readonly prefix: string;
  /**
   * Watches hold their connection for minutes: they get their own pool, unbounded, so
   * that a controller's dozens of watches never take connections from its requests.
   */
  private readonly streams: Dispatcher;
  private readonly pool: Dispatcher;

  private constructor(
    private readonly server: URL,
    tls: TlsOptions,
    /** kubeconfig's proxy-url: every connection tunnels through it (HTTP CONNECT) */
    proxyUrl: string | undefined,
    connections: number,
    private headers: Headers,
    /** exec/auth-provider users get short-lived tokens: re-ask client-node per request */
    private readonly refreshAuth: (() => Promise<Headers>) | undefined,
    private readonly timeoutMs: number,
  ) {
    this.prefix = server.pathname.replace(/\/$/, '');
    this.pool = dispatcher(server, tls, proxyUrl, connections);
    // a dead peer behind a silent watch is found by TCP keep-alive probes as well as by the idle timeout
    this.streams = dispatcher(server, { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 }, proxyUrl, null);
  }

  /** The API server's URL, for messages (it carries no credentials). */
  get url(): string {
    return this.server.toString().replace(/\/$/, '');
  }

  /**
   * A server without credentials: the embedded cluster, `sluice --server URL`. As the
   * kubeconfig this replaces did (insecure-skip-tls-verify), an https URL is not verified.
   */
  static forUrl(url: string, options: TransportOptions = {}): Transport {
    const server = new URL(url);
    if (server.protocol !== 'http:' && server.protocol !== 'https:') throw new Error(`unsupported server URL ${url}: want http(s)://host:port`);
    const tls: TlsOptions = server.protocol === 'https:' ? { rejectUnauthorized: false } : {};
    return new Transport(server, tls, undefined, options.maxSockets ?? 64, {}, undefined, options.timeoutMs ?? 30_000);
  }

  /** From settings read without client-node (see kubeconfig.ts). */
  static fromSettings(settings: ConnectionSettings, options: TransportOptions = {}): Transport {
    const { tokenFile } = settings;
    // A token file is read for every request: the kubelet rotates service account tokens in place.
    const refresh = tokenFile === undefined ? undefined : async () => ({ ...settings.headers, authorization: `Bearer ${(await readFile(tokenFile, 'utf8')).trim()}` });
    const material = { ca: settings.ca, cert: settings.cert, key: settings.key, servername: settings.tlsServerName };
    return Transport.secured(settings.server, settings.insecure, material, settings.proxyUrl, { ...settings.headers }, refresh, options);
  }

  static async fromKubeConfig(config: KubeConfig, options: TransportOptions = {}): Promise<Transport> {
    const kc = plainHttpAllowed(config);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const resolve = async (): Promise<{ opts: RequestOptions; headers: Headers }> => {
      const opts: RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      // lower-cased, so there is one Authorization header to send and to redact
      const headers: Headers = {};
      for (const [name, value] of Object.entries(opts.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = String(value);
      if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      return { opts, headers };
    };
    const { opts, headers } = await resolve();
    const user = kc.getCurrentUser();
    const dynamic = user?.exec !== undefined || user?.authProvider !== undefined;
    const material = { ca: opts.ca, cert: opts.cert, key: opts.key, servername: cluster.tlsServerName };
    return Transport.secured(cluster.server, cluster.skipTLSVerify === true, material, cluster.proxyUrl, headers, dynamic ? async () => (await resolve()).headers : undefined, options);
  }

  /** The TLS options and pool every credentialed transport needs, whichever reader found them. */
  private static secured(
    url: string,
    insecure: boolean,
    material: Pick<TlsOptions, 'ca' | 'cert' | 'key' | 'servername'>,
    proxyUrl: string | undefined,
    headers: Headers,
    refresh: (() => Promise<Headers>) | undefined,
    options: TransportOptions,
  ): Transport {
    const server = new URL(url);
    // plain HTTP has no TLS to verify or present: kubectl talks to an http:// server whatever
    // insecure-skip-tls-verify says, and so do we
    const tls: TlsOptions = server.protocol === 'http:' ? {} : Object.fromEntries(Object.entries(material).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    if (insecure && server.protocol !== 'http:') tls.rejectUnauthorized = false;
    return new Transport(server, tls, proxyUrl, options.maxSockets ?? 64, headers, refresh, options.timeoutMs ?? 30_000);
  }

  get baseUrl(): string {
    return this.server.origin + this.prefix;
  }

  async request(spec: RequestSpec): Promise<HttpResponse> {
    const headers = await this.requestHeaders();
    if (spec.body !== undefined) headers['content-type'] = spec.contentType ?? 'application/json';
    if (spec.signal?.aborted) throw abortError();
    try {
      const res = await this.pool.request({
        origin: this.server.origin,
        method: spec.method,
        path: this.prefix + spec.path,
        headers,
        body: spec.body ?? null,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(spec.signal === undefined ? {} : { signal: spec.signal }),
      });
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    } catch (e) {
      if (spec.signal?.aborted || isAbortError(e)) throw abortError();
      throw this.networkError(spec, e, `no response in ${this.timeoutMs} ms`);
    }
  }

  /**
   * A GET whose body is handed over chunk by chunk as it arrives (a watch): for a 2xx
   * answer each chunk goes to onChunk and the result's body is empty; any other answer is
   * read whole and returned, as request() would. Resolves when the server ends the body;
   * rejects with a KubeError (status 0) when the connection fails or stays silent for
   * idleTimeoutMs, and with an AbortError once the signal fires.
   */
  async stream(spec: StreamSpec, onChunk: (chunk: Buffer) => void): Promise<HttpResponse> {
    const headers = await this.requestHeaders();
    spec.signal.throwIfAborted();
    const failure = (e: unknown): Error => (isAbortError(e) || spec.signal.aborted ? abortError() : this.networkError({ method: 'GET', ...spec }, e, `nothing received in ${spec.idleTimeoutMs} ms`));
    let res: Dispatcher.ResponseData;
    try {
      res = await this.streams.request({ origin: this.server.origin, method: 'GET', path: this.prefix + spec.path, headers, signal: spec.signal, headersTimeout: spec.idleTimeoutMs, bodyTimeout: spec.idleTimeoutMs });
    } catch (e) {
      throw failure(e);
    }
    const status = res.statusCode;
    if (status < 200 || status >= 300) return { status, headers: res.headers, body: await res.body.text().catch((e: unknown) => Promise.reject(failure(e))) };
    let consumerError: { error: unknown } | undefined;
    try {
      for await (const chunk of res.body) {
        try {
          onChunk(chunk as Buffer);
        } catch (e) {
          // the consumer gave up on the stream: leaving the loop destroys the body, and its error goes out as is
          consumerError = { error: e };
          break;
        }
      }
    } catch (e) {
      throw failure(e);
    }
    if (consumerError !== undefined) throw consumerError.error;
    return { status, headers: res.headers, body: '' };
  }

  /** Closes the pools' connections so a process (or a test) can exit; resolves once they are closed. */
  async close(): Promise<void> {
    await Promise.all([this.pool.destroy(), this.streams.destroy()]);
  }

  /** Credentials that must never appear in an error message. */
  secrets(): string[] {
    const auth = this.headers.authorization;
    if (typeof auth !== 'string') return [];
    const token = auth.replace(/^(Bearer|Basic)\s+/i, '');
    return [token, ...(auth.startsWith('Basic ') ? [Buffer.from(token, 'base64').toString('utf8')] : [])];
  }

  private async requestHeaders(): Promise<Headers> {
    if (this.refreshAuth) this.headers = await this.refreshAuth();
    return { ...this.headers, accept: 'application/json' };
  }

  /** A KubeError (status 0) naming the request; undici's timeouts read as `timeoutMessage`. */
  private networkError(spec: Pick<RequestSpec, 'method' | 'path' | 'subject'>, e: unknown, timeoutMessage: string): KubeError {
    const error = e instanceof Error ? e : new Error(String(e));
    // undici wraps the socket's error (ECONNREFUSED, ECONNRESET …) as its cause
    const cause = error.cause instanceof Error ? error.cause : undefined;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
    const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
    const message = timedOut ? timeoutMessage : (cause ?? error).message;
    const shown = timedOut ? 'ETIMEDOUT' : code;
    const text = redact(`${spec.method} ${this.server.host}${spec.path}: ${shown ? `${shown} ` : ''}${message}`, this.secrets());
    return new KubeError(0, shown ?? 'NetworkError', text, spec.subject, { cause: error });
  }
}

/** `connections`: per origin; null = unbounded. */
function dispatcher(server: URL, tls: TlsOptions & { keepAlive?: boolean; keepAliveInitialDelay?: number }, proxyUrl: string | undefined, connections: number | null): Dispatcher {
  if (proxyUrl === undefined || proxyUrl === '') return new Pool(server.origin, { connections, connect: tls });
  const proxy = new URL(proxyUrl);
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new Error(`proxy-url ${proxy.protocol}//${proxy.host}: only http and https proxies are supported`);
  }
  // credentials in the URL become Proxy-Authorization; the API server's TLS runs inside the tunnel
  return new ProxyAgent({ uri: proxyUrl, connections, requestTls: tls, proxyTunnel: true });
}

/** The error an aborted request or stream fails with (whatever the signal's reason). */
export function abortError(): Error {
  return new DOMException('the request was aborted', 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * client-node refuses an http:// cluster unless it skips TLS verification ("HTTP protocol is
 * not allowed when skipTLSVerify is not set or false"), which kubectl does not ask for. For
 * such a current cluster this is a copy of the config that says so: over plain HTTP the flag
 * changes nothing else.
 */
function plainHttpAllowed(kc: KubeConfig): KubeConfig {
  const current = kc.getCurrentCluster();
  if (current === null || !current.server.startsWith('http:') || current.skipTLSVerify) return kc;
  const copy = new (kc.constructor as new () => KubeConfig)();
  copy.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, skipTLSVerify: true } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return copy;
}
