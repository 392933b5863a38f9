import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { KubeClient, kubeClientFor } from '../../src/kube/client.ts';
import { KubeError } from '../../src/kube/errors.ts';
import { Informer, LineSplitter, parseWatchEvent, type InformerEventType } from '../../src/kube/watch.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { SimHttpServer } from '../../src/sim/http.ts';
import { ObjectStore } from '../../src/sim/store.ts';
import { newConfigMap } from '../support/sim.ts';
import { Signal } from '../support/client-node.ts';

/**
 * The Informer against a bare embedded API server whose HTTP side the test can stop and
 * start again on the same port (the same store behind it), and whose watch history can be
 * made tiny so that resuming answers 410 Gone.
 */

class RestartableServer {
  private http: SimHttpServer | undefined;
  private port = 0;
  readonly api: SimApiServer;

  constructor(historyLimit?: number) {
    this.api = new SimApiServer(historyLimit === undefined ? {} : { store: new ObjectStore(historyLimit) });
  }

  async start(): Promise<string> {
    this.http = new SimHttpServer(this.api);
    const url = await this.http.listen(this.port);
    this.port = Number(new URL(url).port);
    return url;
  }

  async stop(): Promise<void> {
    await this.http?.close();
    this.http = undefined;
  }
}

const NS = 'default';
const cm = (name: string, data: Record<string, string> = {}, labels: Record<string, string> = { team: 'a' }): JsonObject => {
  const o = newConfigMap(name, data, labels);
  return { ...o, metadata: { ...(o.metadata as JsonObject), namespace: NS } };
};
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name });
const nameOf = (o: JsonObject) => String((o.metadata as JsonObject).name);

/** An informer on team=a ConfigMaps in default, recording every callback. */
function recordingInformer(client: KubeClient, backoff: { baseDelayMs: number; maxDelayMs: number }) {
  const informer = new Informer(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, labelSelector: 'team=a', backoff });
  const log: string[] = [];
  const errors: unknown[] = [];
  const signal = new Signal();
  informer.onChange((o: JsonObject, type: InformerEventType) => {
    log.push(`${type} ${nameOf(o)}`);
    signal.notify();
  });
  informer.onError((e) => {
    errors.push(e);
    signal.notify();
  });
  const seen = (entry: string) => signal.until(() => log.includes(entry), `${entry} (log: ${log.join(', ')})`);
  return { informer, log, errors, signal, seen };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(historyLimit?: number, backoff = { baseDelayMs: 10, maxDelayMs: 50 }) {
  const server = new RestartableServer(historyLimit);
  const url = await server.start();
  const client = await kubeClientFor(url, { retry: { attempts: 1 } });
  cleanups.push(() => server.stop(), () => client.close());
  const rec = recordingInformer(client, backoff);
  cleanups.push(() => rec.informer.stop());
  return { server, client, ...rec };
}

describe('Informer', () => {
  it('lists what exists, then emits add, update and delete for its selector only', async () => {
    const { client, informer, log, seen } = await setup();
    await client.create(cm('before'));
    await informer.start();
    expect(log).toEqual(['add before']);
    await client.create(cm('other', {}, { team: 'b' }));
    await client.create(cm('x', { v: '1' }));
    await seen('add x');
    await client.patch(ref('x'), { data: { v: '2' } }, { type: 'merge' });
    await seen('update x');
    expect(informer.get(NS, 'x')?.data).toEqual({ v: '2' });
    await client.delete(ref('x'));
    await seen('delete x');
    expect(log).toEqual(['add before', 'add x', 'update x', 'delete x']);
    expect(informer.list().map(nameOf)).toEqual(['before']);
    expect(informer.get(NS, 'before')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it('survives an API server restart, resuming from its resourceVersion without a relist', async () => {
    const { server, client, informer, log, errors, signal, seen } = await setup();
    await informer.start();
    await server.stop();
    // changes while the client cannot connect; the store keeps them in its watch history
    server.api.create(server.api.registry.lookup('', 'v1', 'configmaps')!, NS, cm('while-down'));
    await signal.until(() => errors.length >= 1, 'a connection error to be reported');
    await server.start();
    await seen('add while-down');
    await client.create(cm('after'));
    await seen('add after');
    expect(informer.lists).toBe(1);
    expect(log).toEqual(['add while-down', 'add after']);
  });

  it('relists on 410 Gone and emits only the differences', async () => {
    const { server, client, informer, log, seen } = await setup(5);
    await client.create(cm('kept', { v: '1' }));
    await client.create(cm('changed', { v: '1' }));
    await client.create(cm('removed'));
    await informer.start();
    await server.stop();
    const rt = server.api.registry.lookup('', 'v1', 'configmaps')!;
    server.api.delete(rt, NS, 'removed', {});
    server.api.create(rt, NS, cm('new'));
    server.api.patch(rt, NS, 'changed', 'merge', { data: { v: '2' } });
    // churn past the 5-event history so that resuming from the old resourceVersion is too old
    for (let i = 0; i < 8; i++) server.api.create(rt, NS, cm(`noise-${i}`, {}, { team: 'b' }));
    await server.start();
    await seen('delete removed');
    expect(informer.lists).toBe(2);
    expect(log.slice(3).sort()).toEqual(['add new', 'delete removed', 'update changed']);
    expect(informer.get(NS, 'changed')?.data).toEqual({ v: '2' });
  });

  it('stop() ends the watch and any backoff, leaving no timers or sockets', async () => {
    const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;
    // a long backoff: stop() must cut it short rather than wait it out
    const { server, client, informer, errors, signal } = await setup(undefined, { baseDelayMs: 2_000, maxDelayMs: 2_000 });
    const before = handles();
    await informer.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(handles()).toBeGreaterThan(before); // the watch connection
    await server.stop();
    await signal.until(() => errors.length >= 1, 'a failed reconnect');
    const stopping = Date.now();
    await informer.stop();
    expect(Date.now() - stopping).toBeLessThan(50);
    await client.close(); // the client's own keep-alive pool is not the informer's to close
    await new Promise((r) => setImmediate(r));
    expect(handles()).toBeLessThanOrEqual(before);
  });
});

/**
 * A proxy in front of the sim whose next watch requests get scripted answers (events cut
 * across chunks, garbage, error statuses); everything else, later watches included, goes
 * through to the sim. It records every watch request's query.
 */
class WatchScriptProxy {
  readonly scripts: ((res: ServerResponse) => void)[] = [];
  readonly watches: URLSearchParams[] = [];
  /** the Authorization header of each watch request */
  readonly watchAuthorizations: string[] = [];
  private readonly server: Server;

  constructor(target: string) {
    const upstream = new URL(target);
    this.server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://proxy').searchParams;
      if (query.has('watch')) {
        this.watches.push(query);
        this.watchAuthorizations.push(req.headers.authorization ?? '');
      }
      const script = query.has('watch') ? this.scripts.shift() : undefined;
      if (script) {
        req.resume();
        return script(res);
      }
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        res.on('close', () => up.destroy());
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const event = (type: string, object: JsonObject): string => `${JSON.stringify({ type, object })}\n`;
const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));

/** An informer behind a WatchScriptProxy; rv() is the sim's current resourceVersion. */
async function setupScripted(token?: string) {
  const server = new RestartableServer();
  const proxy = new WatchScriptProxy(await server.start());
  const client = token === undefined ? await kubeClientFor(await proxy.listen(), { retry: { attempts: 1 } }) : await tokenClient(await proxy.listen(), token);
  cleanups.push(() => server.stop(), () => proxy.close(), () => client.close());
  const rec = recordingInformer(client, { baseDelayMs: 10, maxDelayMs: 50 });
  cleanups.push(() => rec.informer.stop());
  const rv = () => String(server.api.store.currentRevision);
  const withRv = (o: JsonObject): JsonObject => ({ ...o, metadata: { ...(o.metadata as JsonObject), resourceVersion: rv() } });
  return { server, proxy, client, rv, withRv, ...rec };
}

/** A client through a kubeconfig whose user has a bearer token. */
async function tokenClient(url: string, token: string): Promise<KubeClient> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: NS }],
    currentContext: 'x',
  });
  return KubeClient.create(kc, { retry: { attempts: 1 } });
}

describe('the watch stream', () => {
  it.each([
    { name: 'whole lines', chunks: ['{"a":1}\n{"b":2}\n'], want: ['{"a":1}', '{"b":2}'] },
    { name: 'a line over three chunks', chunks: ['{"a"', ':', '1}\n'], want: ['{"a":1}'] },
    { name: 'the newline alone', chunks: ['{"a":1}', '\n{"b"', ':2}\n'], want: ['{"a":1}', '{"b":2}'] },
    { name: 'an unfinished last line', chunks: ['{"a":1}\n{"b"'], want: ['{"a":1}'] },
  ])('splits $name', ({ chunks, want }) => {
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for (const chunk of chunks) splitter.push(Buffer.from(chunk), (line) => lines.push(line));
    expect(lines).toEqual(want);
  });

  it('keeps a multi-byte character cut between two chunks', () => {
    const bytes = Buffer.from('{"v":"é✓"}\n');
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i++) splitter.push(bytes.subarray(i, i + 1), (line) => lines.push(line));
    expect(lines).toEqual(['{"v":"é✓"}']);
    expect(splitter.unfinished).toBe(0);
  });

  it.each([
    { name: 'not JSON', line: 'not json', want: 'is not JSON: not json' },
    { name: 'no type', line: '{"object":{}}', want: 'is not a {type, object} event' },
    { name: 'an object that is not one', line: '{"type":"ADDED","object":"x"}', want: 'is not a {type, object} event' },
  ])('rejects a line that is $name', ({ line, want }) => {
    expect(() => parseWatchEvent(line, '/api/v1/configmaps')).toThrow(want);
  });

  it('applies an event cut across chunks, a UTF-8 character included', async () => {
    const { proxy, informer, errors, seen, withRv } = await setupScripted();
    const line = Buffer.from(event('ADDED', withRv(cm('split', { v: 'é✓' }))));
    const cut = line.indexOf(Buffer.from('✓')) + 1; // inside the three bytes of ✓
    proxy.scripts.push((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line.subarray(0, 10));
      void tick().then(() => res.write(line.subarray(10, cut)));
      void tick(30).then(() => res.write(line.subarray(cut)));
    });
    await informer.start();
    await seen('add split');
    expect(informer.get(NS, 'split')?.data).toEqual({ v: 'é✓' });
    expect(errors).toEqual([]);
  });

  it('reports a malformed line, then resumes from the last good event without a relist', async () => {
    const { proxy, client, informer, log, errors, seen, signal, withRv } = await setupScripted();
    const good = withRv(cm('good'));
    proxy.scripts.push((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(event('ADDED', good) + 'not json\n' + event('ADDED', withRv(cm('after-garbage'))));
    });
    await informer.start();
    await seen('add good');
    await signal.until(() => errors.length >= 1, 'the malformed line to be reported');
    expect(errors[0]).toBeInstanceOf(KubeError);
    expect((errors[0] as KubeError).message).toContain('a watch event that is not JSON: not json');
    await client.create(cm('later'));
    await seen('add later'); // through the second watch, which went to the sim
    expect(proxy.watches).toHaveLength(2);
    expect(proxy.watches[1]?.get('resourceVersion')).toBe((good.metadata as JsonObject).resourceVersion);
    expect(log).toEqual(['add good', 'add later']); // nothing after the bad line was applied
    expect(informer.lists).toBe(1);
    expect(proxy.watches[0]?.get('watch')).toBe('1');
    expect(proxy.watches[0]?.get('allowWatchBookmarks')).toBe('true');
    expect(proxy.watches[0]?.get('labelSelector')).toBe('team=a');
  });

  it.each([
    { name: '410 Gone relists', status: 410, lists: 2, reported: undefined },
    { name: '403 Forbidden is reported and retried', status: 403, lists: 1, reported: 'v1 ConfigMap' },
  ])('maps a non-2xx watch answer: $name', async ({ status, lists, reported }) => {
    const { proxy, client, informer, errors, seen } = await setupScripted();
    proxy.scripts.push((res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: status, reason: status === 410 ? 'Expired' : 'Forbidden', message: 'scripted' }));
    });
    await informer.start();
    await client.create(cm('next'));
    await seen('add next');
    expect(informer.lists).toBe(lists);
    if (reported === undefined) expect(errors).toEqual([]);
    else expect(errors.map((e) => [(e as KubeError).status, (e as KubeError).reason])).toEqual([[status, 'Forbidden']]);
  });

  it("sends the kubeconfig user's credentials on the watch too", async () => {
    const { proxy, client, informer, seen } = await setupScripted('watch-token-1234');
    await informer.start();
    await client.create(cm('authed'));
    await seen('add authed');
    expect(proxy.watchAuthorizations).toEqual(['Bearer watch-token-1234']);
  });
});
