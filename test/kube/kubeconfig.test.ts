import http from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeClient } from '../../src/kube/client.ts';
import { connectionSettings, fromKubeconfigFile } from '../../src/kube/kubeconfig.ts';

function kubeconfig(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}, namespace?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'main',
    contexts: [{ name: 'main', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } }],
    clusters: [{ name: 'c', cluster: { server, ...cluster } }],
    users: [{ name: 'u', user }],
  });
}

describe('kubeconfig without client-node', () => {
  let dir: string;
  let server: http.Server;
  let url: string;
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sluice-kubeconfig-'));
    // Answers every request 404, recording the Authorization header it carried.
    server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function write(name: string, text: string): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  }

  async function authorizationSent(file: string): Promise<string | undefined> {
    const client = KubeClient.fromSettings(fromKubeconfigFile(file)!);
    try {
      // discovery of v1 answers 404; what matters is the header the request carried
      await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: 'y' }).catch(() => undefined);
      return seen.at(-1);
    } finally {
      await client.close();
    }
  }

  it('sends a bearer token, basic auth, and a token file read anew for every request', async () => {
    expect(await authorizationSent(await write('token.yaml', kubeconfig(url, { token: 'abc' }, { 'insecure-skip-tls-verify': true })))).toBe('Bearer abc');
    expect(await authorizationSent(await write('basic.yaml', kubeconfig(url, { username: 'ann', password: 'pw' }, { 'insecure-skip-tls-verify': true })))).toBe(
      `Basic ${Buffer.from('ann:pw').toString('base64')}`,
    );
    const tokenFile = await write('token', 'first\n');
    const file = await write('file.yaml', kubeconfig(url, { tokenFile: 'token' }, { 'insecure-skip-tls-verify': true }));
    expect(await authorizationSent(file)).toBe('Bearer first');
    await writeFile(tokenFile, 'rotated\n');
    expect(await authorizationSent(file)).toBe('Bearer rotated');
  });

  it('reads certificates from data and from paths relative to the kubeconfig, and the context namespace', async () => {
    await write('ca.crt', 'CA FROM FILE');
    const settings = fromKubeconfigFile(
      await write('certs.yaml', kubeconfig('https://k8s.example:6443', { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key': 'ca.crt' }, { 'certificate-authority': 'ca.crt', 'tls-server-name': 'api' }, 'team-a')),
    )!;
    expect(settings).toMatchObject({ server: 'https://k8s.example:6443', namespace: 'team-a', insecure: false, tlsServerName: 'api', headers: {} });
    expect(settings.ca?.toString()).toBe('CA FROM FILE');
    expect(settings.cert?.toString()).toBe('CERT');
    expect(settings.key?.toString()).toBe('CA FROM FILE');
  });

  it('leaves exec plugins, auth providers and merged kubeconfigs to client-node', async () => {
    expect(fromKubeconfigFile(await write('exec.yaml', kubeconfig(url, { exec: { command: 'get-token' } })))).toBeUndefined();
    expect(fromKubeconfigFile(await write('provider.yaml', kubeconfig(url, { 'auth-provider': { name: 'oidc' } })))).toBeUndefined();
    const one = await write('one.yaml', kubeconfig(url, { token: 'a' }));
    expect(connectionSettings({ KUBECONFIG: `${one}${path.delimiter}${one}` })).toBeUndefined();
    expect(connectionSettings({ KUBECONFIG: one })?.server).toBe(url);
  });

  it("tunnels through the cluster's proxy-url (HTTP CONNECT), with the proxy's credentials from the URL", async () => {
    // a CONNECT proxy that records what it was asked for and pipes the tunnel to the target
    const tunnels: { target: string; auth: string | undefined }[] = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
      tunnels.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client).on('error', () => undefined);
        client.pipe(upstream).on('error', () => undefined);
      });
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://ann:s3cret@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const file = await write('proxied.yaml', kubeconfig(url, { token: 'via-proxy' }, { 'insecure-skip-tls-verify': true, 'proxy-url': proxyUrl }));
      const settings = fromKubeconfigFile(file)!;
      expect(settings.proxyUrl).toBe(proxyUrl);
      expect(await authorizationSent(file)).toBe('Bearer via-proxy');
      expect(tunnels[0]).toEqual({ target: new URL(url).host, auth: `Basic ${Buffer.from('ann:s3cret').toString('base64')}` });
      const socks = await write('socks.yaml', kubeconfig(url, { token: 'a' }, { 'insecure-skip-tls-verify': true, 'proxy-url': 'socks5://127.0.0.1:1080' }));
      expect(() => KubeClient.fromSettings(fromKubeconfigFile(socks)!)).toThrow('proxy-url socks5://127.0.0.1:1080: only http and https proxies are supported');
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('talks plain HTTP to an http:// server without insecure-skip-tls-verify, as kubectl does, through either reader', async () => {
    const file = await write('plain.yaml', kubeconfig(url, { token: 'plain' }));
    expect(await authorizationSent(file)).toBe('Bearer plain');
    // client-node alone refuses it ("HTTP protocol is not allowed when skipTLSVerify is not set")
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const client = await KubeClient.create(kc);
    try {
      await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'x', name: 'y' }).catch(() => undefined);
      expect(seen.at(-1)).toBe('Bearer plain');
    } finally {
      await client.close();
    }
  });

  it('says what is missing from a kubeconfig', async () => {
    const broken = await write('broken.yaml', kubeconfig(url, {}).replace('current-context: main', 'current-context: other'));
    expect(() => fromKubeconfigFile(broken)).toThrow(`${broken}: no context named "other" (current-context)`);
    expect(() => connectionSettings({ HOME: dir })).toThrow('no cluster: set KUBECONFIG or pass --server URL');
  });
});
