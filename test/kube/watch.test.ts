import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/diff/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { Informer, type InformerEventType } from '../../src/kube/watch.ts';
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
    client.close(); // the client's own keep-alive pool is not the informer's to close
    await new Promise((r) => setImmediate(r));
    expect(handles()).toBeLessThanOrEqual(before);
  });
});
