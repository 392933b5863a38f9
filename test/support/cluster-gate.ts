/**
 * A gate in front of an embedded cluster (which has no authentication and speaks plain
 * HTTP): it can demand a bearer token and, over TLS, a client certificate, as a real API
 * server would, and it can hang — accept connections and never answer, as a cluster behind
 * a dead network does — and open again. Tests of several clusters use it to make one
 * cluster unreachable mid-sync while the others stay up.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface GateOptions {
  /** Requests without `Authorization: Bearer <token>` get 401, as from a real API server. */
  readonly bearerToken?: string;
  /** Serve HTTPS and require a client certificate signed by `ca`. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer };
}

export interface ClusterGate {
  readonly url: string;
  /** Requests that reached the upstream cluster, with whether they carried the token. */
  readonly forwarded: number;
  /** From now on nothing is answered; connections open now go silent too. */
  hang(): void;
  /** Answers again; connections left hanging are reset (the client sees them fail, as after an outage). */
  open(): void;
  stop(): Promise<void>;
}

export async function startClusterGate(target: string, options: GateOptions = {}): Promise<ClusterGate> {
  const upstream = new URL(target);
  let hung = false;
  let forwarded = 0;
  const held = new Set<http.ServerResponse>();
  /** Responses being relayed now, with the upstream answer they relay. */
  const relaying = new Map<http.ServerResponse, http.IncomingMessage>();
  const sockets = new Set<Socket>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (hung) {
      held.add(res);
      return;
    }
    if (options.bearerToken !== undefined && req.headers.authorization !== `Bearer ${options.bearerToken}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
      return;
    }
    forwarded++;
    const { authorization: _, ...headers } = req.headers;
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      relaying.set(res, answer);
      answer.pipe(res);
    });
    forward.on('error', () => {
      if (!held.has(res)) res.destroy();
    });
    res.on('close', () => {
      relaying.delete(res);
      forward.destroy();
    });
    req.pipe(forward);
  };
  const server = options.tls === undefined ? http.createServer(handler) : https.createServer({ ...options.tls, requestCert: true, rejectUnauthorized: true }, handler);
  server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    get forwarded() {
      return forwarded;
    },
    hang: () => {
      hung = true;
      // what is streaming now (watches, a response half sent) stops, as behind a dead network: nothing more arrives
      for (const [res, answer] of relaying) {
        held.add(res);
        answer.unpipe(res);
        answer.destroy();
      }
      relaying.clear();
    },
    open: () => {
      hung = false;
      for (const res of held) res.destroy();
      held.clear();
      for (const socket of sockets) socket.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
