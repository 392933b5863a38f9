/**
 * A plain HTTP proxy in front of the embedded API server that records every request it
 * forwards: tests count a client's writes (and when they came) without trusting the client.
 * Optionally it injects faults: a request the `fault` function picks is answered with an
 * error Status (500, 429, 409, ...) or has its connection reset, and is not forwarded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** performance.now() when the request reached the proxy */
  readonly at: number;
}

/** An answer in place of the API server's: an HTTP status with a metav1.Status body, or a reset connection. */
export type ProxyFault = { readonly status: number; readonly reason: string } | 'reset';

export interface CountingProxyOptions {
  /** called for every request in arrival order (`index` from 0); a fault is answered instead of forwarding */
  readonly fault?: (request: ProxiedRequest, index: number) => ProxyFault | undefined;
}

export interface CountingProxy {
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  /** POST, PUT, PATCH and DELETE requests, optionally only those that arrived after `since` (a performance.now() time) */
  writes(since?: number): ProxiedRequest[];
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string, options: CountingProxyOptions = {}): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', at: performance.now() };
    requests.push(request);
    const fault = options.fault?.(request, requests.length - 1);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected ${fault.status}`, reason: fault.reason, code: fault.status };
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.status === 429 ? { 'retry-after': '1' } : {}) }).end(JSON.stringify(status));
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    writes: (since = 0) => requests.filter((r) => r.method !== 'GET' && r.at >= since),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
