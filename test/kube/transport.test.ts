import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeError } from '../../src/kube/errors.ts';
import { isAbortError, Transport } from '../../src/kube/transport.ts';
import { makeCertificates, type TestCertificates } from '../support/certificates.ts';

/** The HTTP edge against servers that misbehave on purpose: silent, slow, gone. */

const servers: Server[] = [];
const transports: Transport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function transport(url: string, timeoutMs = 30_000): Transport {
  const t = Transport.forUrl(url, { timeoutMs });
  transports.push(t);
  return t;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('Transport.request', () => {
  it('sends method, path (under the server URL prefix), headers and body, and reads the answer', async () => {
    const seen: { method?: string; url?: string; type?: string; accept?: string; body?: string }[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], accept: req.headers.accept, body });
        res.writeHead(201, { 'content-type': 'application/json', 'x-extra': 'yes' }).end('{"ok":true}');
      });
    });
    const res = await transport(`${url}/k8s/clusters/c-1/`).request({ method: 'PATCH', path: '/api/v1/x?dryRun=All', body: '{"a":1}', contentType: 'application/merge-patch+json', subject: 'x' });
    expect([res.status, res.body, res.headers['x-extra']]).toEqual([201, '{"ok":true}', 'yes']);
    expect(seen).toEqual([{ method: 'PATCH', url: '/k8s/clusters/c-1/api/v1/x?dryRun=All', type: 'application/merge-patch+json', accept: 'application/json', body: '{"a":1}' }]);
  });

  it('fails with a status-0 KubeError naming the request when the server does not answer in time', async () => {
    const url = await serve(() => undefined); // accepts, never answers
    const e = await rejection(transport(url, 200).request({ method: 'GET', path: '/api/v1/namespaces', subject: 'v1 Namespace' }));
    expect(e).toBeInstanceOf(KubeError);
    const error = e as KubeError;
    expect([error.status, error.transient, error.subject]).toEqual([0, true, 'v1 Namespace']);
    expect(error.message).toMatch(/GET 127\.0\.0\.1:\d+\/api\/v1\/namespaces: ETIMEDOUT no response in 200 ms$/);
  });

  it('names the socket error when nothing listens', async () => {
    const url = await serve(() => undefined);
    const gone = servers.pop()!;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const e = (await rejection(transport(url).request({ method: 'GET', path: '/version', subject: 'version' }))) as KubeError;
    expect([e.status, e.reason]).toEqual([0, 'ECONNREFUSED']);
    expect(e.message).toContain('ECONNREFUSED');
  });
});

describe('Transport.stream', () => {
  /** A watch-like server: answers 200, writes `lines` one by one, then stays silent with the connection open. */
  async function chattyThenSilent(lines: readonly string[]): Promise<string> {
    return serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (const line of lines) res.write(`${line}\n`);
    });
  }

  it('hands over every chunk, then fails with a KubeError when the stream stays silent past idleTimeoutMs', async () => {
    const url = await chattyThenSilent(['{"type":"ADDED"}']);
    const chunks: string[] = [];
    const e = await rejection(
      transport(url).stream({ path: '/api/v1/pods?watch=1', subject: 'v1 Pod', signal: new AbortController().signal, idleTimeoutMs: 200 }, (c) => chunks.push(c.toString())),
    );
    expect(chunks.join('')).toBe('{"type":"ADDED"}\n');
    expect(e).toBeInstanceOf(KubeError);
    expect((e as KubeError).message).toContain('nothing received in 200 ms');
  });

  it('rejects with an AbortError once the signal fires mid-stream', async () => {
    const url = await chattyThenSilent(['{"type":"ADDED"}']);
    const abort = new AbortController();
    const e = await rejection(transport(url).stream({ path: '/w', subject: 'w', signal: abort.signal, idleTimeoutMs: 0 }, () => abort.abort()));
    expect(isAbortError(e)).toBe(true);
  });

  it("passes the consumer's own error through as is, and closes the stream", async () => {
    let closed = false;
    const url = await serve((req, res) => {
      req.socket.on('close', () => (closed = true));
      res.writeHead(200);
      res.write('one\n');
    });
    const mine = new Error('malformed event');
    const e = await rejection(
      transport(url).stream({ path: '/w', subject: 'w', signal: new AbortController().signal, idleTimeoutMs: 0 }, () => {
        throw mine;
      }),
    );
    expect(e).toBe(mine);
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
  });

  it('returns a non-2xx answer whole, as request() does', async () => {
    const url = await serve((_req, res) => res.writeHead(410, { 'content-type': 'application/json' }).end('{"reason":"Expired"}'));
    const res = await transport(url).stream({ path: '/w', subject: 'w', signal: new AbortController().signal, idleTimeoutMs: 1_000 }, () => {
      throw new Error('no chunks for an error answer');
    });
    expect([res.status, res.body]).toEqual([410, '{"reason":"Expired"}']);
  });
});

describe('TLS', () => {
  let dir: string;
  let pem: TestCertificates;

  /** A CA, a server certificate for the name "kube-api" and a client certificate for CN=ann. */
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-tls-'));
    pem = await makeCertificates(dir, 'kube-api', 'ann');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** An HTTPS server that wants a client certificate signed by the CA and answers with the client's CN. */
  async function mutualTlsServer(): Promise<string> {
    const server = createTlsServer({ cert: pem.serverCert, key: pem.serverKey, ca: pem.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cn: (req.socket as TLSSocket).getPeerCertificate().subject.CN }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const settings = (server: string, fields: object) => ({ server, namespace: 'default', insecure: false, headers: {}, ...fields });

  it('verifies the server against the CA under the TLS server name and presents the client certificate', async () => {
    const url = await mutualTlsServer();
    const t = Transport.fromSettings(settings(url, { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey, tlsServerName: 'kube-api' }));
    transports.push(t);
    const res = await t.request({ method: 'GET', path: '/version', subject: 'version' });
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { cn: 'ann' }]);
  });

  it('refuses a server its CA did not sign, and a name the certificate does not carry', async () => {
    const url = await mutualTlsServer();
    const unknownCa = Transport.fromSettings(settings(url, { cert: pem.clientCert, key: pem.clientKey, tlsServerName: 'kube-api' }));
    const wrongName = Transport.fromSettings(settings(url, { ca: pem.ca, cert: pem.clientCert, key: pem.clientKey, tlsServerName: 'other' }));
    transports.push(unknownCa, wrongName);
    const first = (await rejection(unknownCa.request({ method: 'GET', path: '/version', subject: 'version' }))) as KubeError;
    const second = (await rejection(wrongName.request({ method: 'GET', path: '/version', subject: 'version' }))) as KubeError;
    expect([first.status, first.message]).toEqual([0, expect.stringMatching(/SELF_SIGNED|self[- ]signed|unable to verify/i)]);
    expect([second.status, second.message]).toEqual([0, expect.stringMatching(/ERR_TLS_CERT_ALTNAME_INVALID|does not match/i)]);
  });
});
