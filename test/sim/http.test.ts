import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { sluiceArgs } from '../support/cli.ts';

let cluster: SimCluster;

beforeAll(async () => {
  cluster = await startSimCluster({ port: 0, controllers: false });
});
afterAll(async () => {
  await cluster.stop();
});

async function call(method: string, path: string, init: { body?: string; type?: string; accept?: string } = {}) {
  const res = await fetch(`${cluster.url}${path}`, {
    method,
    headers: { ...(init.type ? { 'Content-Type': init.type } : {}), ...(init.accept ? { Accept: init.accept } : {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (e.g. protobuf); the caller checks text
  }
  return { status: res.status, json, text, contentType: res.headers.get('content-type') };
}

describe('discovery', () => {
  it('serves /version, /api, /apis and resource lists with subresources', async () => {
    expect((await call('GET', '/version')).json).toMatchObject({ major: '1', minor: '30' });
    expect((await call('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const apis = (await call('GET', '/apis')).json as { groups: { name: string; preferredVersion: { version: string } }[] };
    expect(apis.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'autoscaling', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io']));
    const apps = (await call('GET', '/apis/apps/v1')).json as { resources: Record<string, unknown>[] };
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', shortNames: ['deploy'] }));
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'deployments/scale', group: 'autoscaling', version: 'v1', kind: 'Scale' }));
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'deployments/status', kind: 'Deployment' }));
    expect((await call('GET', '/apis/apps')).json).toMatchObject({ kind: 'APIGroup', name: 'apps' });
    expect((await call('GET', '/apis/nope/v1')).status).toBe(404);
  });

  it('serves an empty OpenAPI document as JSON and as gnostic protobuf', async () => {
    expect((await call('GET', '/openapi/v2')).json).toMatchObject({ swagger: '2.0', paths: {} });
    const pb = await fetch(`${cluster.url}/openapi/v2`, { headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    const bytes = Buffer.from(await pb.arrayBuffer());
    expect(pb.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    // field 1 (swagger), length 3, "2.0"
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 3, 0x32, 0x2e, 0x30]);
  });
});

describe('errors are Status objects with the right codes', () => {
  const cm = (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });

  it.each([
    { name: 'malformed JSON', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '{"apiVersion":', type: 'application/json', code: 400, reason: 'BadRequest' },
    { name: 'an empty body', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: '', type: 'application/json', code: 400, reason: 'BadRequest' },
    { name: 'an unknown patch type', method: 'PATCH', path: '/api/v1/namespaces/default/configmaps/x', body: '{}', type: 'text/plain', code: 415, reason: 'UnsupportedMediaType' },
    { name: 'POST to an item', method: 'POST', path: '/api/v1/namespaces/default/configmaps/x', body: '{}', type: 'application/json', code: 405, reason: 'MethodNotAllowed' },
    { name: 'an unknown resource', method: 'GET', path: '/api/v1/namespaces/default/gizmos', code: 404, reason: 'NotFound' },
    { name: 'a missing object', method: 'GET', path: '/apis/apps/v1/namespaces/default/deployments/none', code: 404, reason: 'NotFound' },
    { name: 'a scale subresource on a kind without one', method: 'GET', path: '/api/v1/namespaces/default/configmaps/x/scale', code: 404, reason: 'NotFound' },
    { name: 'a body over 3 MiB', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: 'x'.repeat(3 * 1024 * 1024 + 1), type: 'application/json', code: 413, reason: 'RequestEntityTooLarge' },
    { name: 'an invalid object', method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: cm('UPPER'), type: 'application/json', code: 422, reason: 'Invalid' },
  ])('$name → $code $reason', async ({ method, path, body, type, code, reason }) => {
    const r = await call(method, path, { ...(body !== undefined ? { body } : {}), ...(type ? { type } : {}) });
    expect(r.status).toBe(code);
    expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  });

  it('stays up after garbage of every sort', async () => {
    for (const body of ['null', '[]', '"x"', '{"metadata":"x"}', '{"metadata":{"name":5}}', '\u0000\u0001', '{"kind":{}}']) {
      const r = await call('POST', '/api/v1/namespaces/default/configmaps', { body, type: 'application/json' });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    for (const [type, body] of [['application/json-patch+json', '{"op":"x"}'], ['application/json-patch+json', '[{"op":"remove","path":"/nope"}]'], ['application/strategic-merge-patch+json', '{"data":{"$patch":"bogus"}}'], ['application/apply-patch+yaml', ': : :']]) {
      await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('victim'), type: 'application/json' });
      const r = await call('PATCH', '/api/v1/namespaces/default/configmaps/victim?fieldManager=t', { body, type });
      expect(r.status, `${type} ${body}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${type} ${body}`).toBeLessThan(500);
    }
    expect((await call('GET', '/version')).status).toBe(200);
  });
});

describe('representations', () => {
  it('answers kubectl’s Table request with the real columns, and metadata-only requests', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'tbl' }, data: { a: '1', b: '2' } }), type: 'application/json' });
    const table = await call('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dtbl', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(table.json).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const t = table.json as { columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(t.rows[0]?.cells.slice(0, 2)).toEqual(['tbl', 2]);
    expect(t.rows[0]?.object.kind).toBe('PartialObjectMetadata');
    const partial = await call('GET', '/api/v1/namespaces/default/configmaps/tbl', { accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' });
    expect(partial.json).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tbl' } });
    expect(partial.json).not.toHaveProperty('data');
  });

  it('answers the legacy /watch/ path and cross-namespace watches as a chunked JSON stream', async () => {
    const res = await fetch(`${cluster.url}/api/v1/watch/configmaps?resourceVersion=0&timeoutSeconds=1`);
    const text = await res.text();
    const events = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { namespace: string } } });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.type === 'ADDED')).toBe(true);
  });
});

describe('the sluice sim command', () => {
  it('serves on the given port, writes a kubeconfig, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, sluiceArgs('sim', '--port', '0', '--kubeconfig', kubeconfig), { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(await readFile(kubeconfig, 'utf8')).toContain(`server: ${url}`);
      expect((await fetch(`${url}/version`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
