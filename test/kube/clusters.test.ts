import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { JsonObject } from '../../src/json.ts';
import { clusterFromSecret, clusterRegistry, connectionKey, resolveDestination, type ClusterEntry, type DestinationRef } from '../../src/kube/clusters.ts';
import { kubeconfigContexts } from '../../src/kube/kubeconfig.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function clusterSecret(name: string, data: Record<string, string>): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'sluice-system', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function entry(name: string, server: string, origin: ClusterEntry['origin'] = 'secret'): ClusterEntry {
  return { name, server, origin, from: `${origin} ${name}`, settings: { server, namespace: 'default', insecure: false, headers: {} } };
}

describe('resolveDestination (Argo CD rules)', () => {
  const registry = clusterRegistry([entry('west', 'https://west.example:6443', 'kubeconfig')], [entry('east', 'https://east.example'), entry('twin', 'https://a.example'), entry('twin', 'https://b.example')]);
  it.each<[string, DestinationRef, string | RegExp]>([
    ['neither: the own cluster', {}, 'in-cluster'],
    ['in-cluster by name', { name: 'in-cluster' }, 'in-cluster'],
    ['the in-cluster server', { server: 'https://kubernetes.default.svc' }, 'in-cluster'],
    ['the in-cluster server with a trailing slash', { server: 'https://kubernetes.default.svc/' }, 'in-cluster'],
    ['a kubeconfig context by name', { name: 'west' }, 'west'],
    ['a kubeconfig context by server', { server: 'https://west.example:6443' }, 'west'],
    ['a Secret by name', { name: 'east' }, 'east'],
    ['a Secret by server', { server: 'https://east.example/' }, 'east'],
    ['both name and server', { name: 'east', server: 'https://east.example' }, /^application destination can't have both name and server defined: east https:\/\/east.example$/],
    ['an unknown name', { name: 'prod' }, /^application references destination cluster prod which does not exist$/],
    ['an unknown server', { server: 'https://1.2.3.4' }, /^destination server https:\/\/1.2.3.4 is not a registered cluster/],
    ['a name two clusters have', { name: 'twin' }, /^there are 2 clusters with the same name: twin/],
  ])('%s', (_, destination, want) => {
    const got = resolveDestination(registry, destination);
    if (typeof want === 'string') expect(got.ok && got.cluster.name).toBe(want);
    else expect(!got.ok && got.message).toMatch(want);
  });

  it('a Secret for https://kubernetes.default.svc renames the own cluster, keeping its connection', () => {
    const renamed = clusterRegistry([], [{ ...entry('home', 'https://kubernetes.default.svc'), from: 'Secret x/home' }]);
    expect(renamed).toEqual([{ name: 'home', server: 'https://kubernetes.default.svc', origin: 'home', from: 'Secret x/home' }]);
    expect(resolveDestination(renamed, { name: 'home' })).toMatchObject({ ok: true, cluster: { origin: 'home' } });
    expect(resolveDestination(renamed, { name: 'in-cluster' }).ok).toBe(false);
  });
});

describe('clusterFromSecret (Argo CD cluster Secret)', () => {
  it('reads name, server and a bearer token', () => {
    const got = clusterFromSecret(clusterSecret('east', { name: 'east', server: 'https://east.example', config: JSON.stringify({ bearerToken: 's3cret', tlsClientConfig: { insecure: true } }) }));
    expect(got).toEqual({
      ok: true,
      entry: { name: 'east', server: 'https://east.example', origin: 'secret', from: 'Secret sluice-system/east', settings: { server: 'https://east.example', namespace: 'default', insecure: true, headers: { authorization: 'Bearer s3cret' } } },
    });
  });

  it('reads TLS client certificates, CA and server name (PEM in base64)', () => {
    const config = { tlsClientConfig: { caData: b64('CA PEM'), certData: b64('CERT PEM'), keyData: b64('KEY PEM'), serverName: 'kube-api' } };
    const got = clusterFromSecret(clusterSecret('c', { name: 'c', server: 'https://c.example', config: JSON.stringify(config) }));
    expect(got.ok && got.entry.settings).toEqual({ server: 'https://c.example', namespace: 'default', insecure: false, headers: {}, ca: Buffer.from('CA PEM'), cert: Buffer.from('CERT PEM'), key: Buffer.from('KEY PEM'), tlsServerName: 'kube-api' });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no server', { name: 'x' }, /Secret sluice-system\/bad: data.server is missing/],
    ['a server that is no URL', { name: 'x', server: 'east' }, /data.server "east" is not an http\(s\) URL/],
    ['config that is not JSON', { name: 'x', server: 'https://x', config: '{bearerToken: s3cret' }, /data.config is not JSON$/],
    ['exec auth', { name: 'x', server: 'https://x', config: JSON.stringify({ execProviderConfig: { command: 'argocd-k8s-auth' } }) }, /data.config.execProviderConfig is not supported/],
    ['a certificate without its key', { name: 'x', server: 'https://x', config: JSON.stringify({ tlsClientConfig: { certData: b64('C') } }) }, /needs both certData and keyData/],
  ])('refuses %s, naming the Secret and field and no value', (_, data, want) => {
    const got = clusterFromSecret(clusterSecret('bad', data));
    expect(!got.ok && got.message).toMatch(want);
    expect(JSON.stringify(got)).not.toContain('s3cret');
  });

  it('keys connections by server and credentials: a rotated token is a new connection, and the key shows no token', () => {
    const read = (token: string) => {
      const got = clusterFromSecret(clusterSecret('east', { name: 'east', server: 'https://east.example', config: JSON.stringify({ bearerToken: token }) }));
      if (!got.ok) throw new Error(got.message);
      return connectionKey(got.entry);
    };
    expect(read('one')).toBe(read('one'));
    expect(read('one')).not.toBe(read('two'));
    expect(read('one')).toMatch(/^https:\/\/east.example#[0-9a-f]{12}$/);
  });
});

describe('kubeconfigContexts', () => {
  it('registers every context of the one kubeconfig file, and names those left out', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-contexts-'));
    const file = path.join(dir, 'config');
    await writeFile(file, stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'west',
      contexts: [
        { name: 'west', context: { cluster: 'w', user: 'token', namespace: 'apps' } },
        { name: 'east', context: { cluster: 'e', user: 'token' } },
        { name: 'cloud', context: { cluster: 'e', user: 'exec' } },
        { name: 'broken', context: { cluster: 'nowhere', user: 'token' } },
      ],
      clusters: [{ name: 'w', cluster: { server: 'https://west.example:6443' } }, { name: 'e', cluster: { server: 'https://east.example' } }],
      users: [{ name: 'token', user: { token: 't' } }, { name: 'exec', user: { exec: { command: 'aws' } } }],
    }));
    const { contexts, skipped } = kubeconfigContexts({ KUBECONFIG: file });
    expect([...contexts].map(([name, s]) => [name, s.server, s.namespace, s.headers])).toEqual([
      ['west', 'https://west.example:6443', 'apps', { authorization: 'Bearer t' }],
      ['east', 'https://east.example', 'default', { authorization: 'Bearer t' }],
    ]);
    expect(skipped).toEqual([`${file}: context cloud: its user authenticates with an exec plugin or auth provider`, `${file}: context broken: no cluster with a server`]);
    expect(kubeconfigContexts({ KUBECONFIG: `${file}${path.delimiter}${file}` }).skipped).toEqual(['KUBECONFIG names 2 files: their contexts are not registered as clusters']);
  });
});
