/**
 * A plain HTTP proxy in front of the embedded API server that records every request it
 * forwards: tests count a client's writes (and when they came) without trusting the client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  /** performance.now() when the request reached the proxy */
  readonly at: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  /** POST, PUT, PATCH and DELETE requests, optionally only those that arrived after `since` (a performance.now() time) */
  writes(since?: number): ProxiedRequest[];
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', at: performance.now() });
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
