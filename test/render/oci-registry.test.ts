/**
 * Charts in an OCI registry against a real one: Debian's docker-registry (the CNCF
 * distribution registry) started per file, charts pushed with the bundled Helm's `helm push`.
 * Versions come from the registry's tags (Helm's `_` read back as `+`), picked by Helm's
 * rules; a pulled version renders as the bundled Helm's own `helm template oci://…` renders
 * it; pulls are cached and checked against the manifest's layer digest; basic credentials
 * reach the registry and Helm without landing in the cache or messages.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore, parseCredentialRules } from '../../src/git/credentials.ts';
import { credentialKey } from '../../src/git/url.ts';
import { parseApplication } from '../../src/app/validate.ts';
import { ChartRepositories } from '../../src/render/chart-repo.ts';
import type { HelmSettings } from '../../src/render/helm.ts';
import { detectHelm } from '../../src/render/helm-binary.ts';
import { chartCache, type ChartCache } from '../../src/render/helm-repo.ts';
import { bearerChallenge, chartLayerDigest, nextPage, parseOciURL, parseTagList, tagToVersion, versionToTag } from '../../src/render/oci-registry.ts';
import { renderSource } from '../../src/render/index.ts';
import { FIXTURES, helmOracleAsync, readTree, yamlObjects } from '../support/helm.ts';
import { REGISTRY_ACCOUNT, registryAvailable, startRegistry, type TestRegistry } from '../support/oci-registry.ts';

const GREETING = join(FIXTURES, 'served', 'greeting');
const settings: HelmSettings = { releaseName: 'web', namespace: 'apps', valueFiles: [], ignoreMissingValueFiles: false, parameters: [], skipCrds: false };

describe('OCI registry URLs, tags and answers (pure)', () => {
  it('splits oci:// URLs into registry and path, keyed as credential rules key them', () => {
    expect(parseOciURL('oci://Registry.Example.com:5000/team/charts/')).toEqual({ registry: 'registry.example.com:5000', path: 'team/charts', url: 'oci://registry.example.com:5000/team/charts' });
    expect(parseOciURL('oci://u:p%40ss@ghcr.io/acme')).toMatchObject({ url: 'oci://ghcr.io/acme', embedded: { username: 'u', password: 'p@ss' } });
    expect(credentialKey('oci://Registry.Example.com:5000/team/charts/')).toBe('oci://registry.example.com:5000/team/charts');
    expect(() => parseOciURL('oci://ghcr.io/Acme')).toThrow(/not a registry repository path/);
    expect(() => parseOciURL('https://ghcr.io/acme')).toThrow(/not an oci/);
  });

  it('maps semver build metadata to tags and back as Helm does', () => {
    expect(versionToTag('1.0.0+build.1')).toBe('1.0.0_build.1');
    expect(tagToVersion('1.0.0_build.1')).toBe('1.0.0+build.1');
  });

  it('reads tag lists, Link pagination, chart layers and Bearer challenges', () => {
    expect(parseTagList(Buffer.from('{"name":"c/x","tags":["1.0.0",2]}'))).toEqual(['1.0.0']);
    expect(parseTagList(Buffer.from('{"name":"c/x","tags":null}'))).toEqual([]);
    expect(parseTagList(Buffer.from('[1]'))).toBeUndefined();
    expect(nextPage('</v2/c/x/tags/list?last=1.0.0&n=100>; rel="next"')).toBe('/v2/c/x/tags/list?last=1.0.0&n=100');
    expect(nextPage(null)).toBeUndefined();
    const layer = 'a'.repeat(64);
    expect(chartLayerDigest(Buffer.from(JSON.stringify({ layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${'b'.repeat(64)}` }, { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: `sha256:${layer}` }] })))).toBe(layer);
    expect(chartLayerDigest(Buffer.from('{"layers":[]}'))).toBeUndefined();
    expect(bearerChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/x:pull"')).toEqual({ realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/x:pull' });
    expect(bearerChallenge('Basic realm="registry"')).toBeUndefined();
  });

  it('takes insecureOCIForceHttp from credential rules, alone or with credentials', () => {
    const store = new CredentialStore(
      parseCredentialRules('- url: oci://reg.local:5000\n  insecureOCIForceHttp: true\n- url: oci://reg.local:5000/private\n  username: u\n  token: t\n', 'creds.yaml', {}),
    );
    expect(store.plainHttp(credentialKey('oci://reg.local:5000/private/charts'))).toBe(true);
    expect(store.lookup(credentialKey('oci://reg.local:5000/private/charts'))).toEqual({ username: 'u', password: 't' });
    expect(store.lookup(credentialKey('oci://reg.local:5000/public'))).toBeUndefined();
    expect(store.plainHttp(credentialKey('oci://other.local/charts'))).toBe(false);
    expect(() => parseCredentialRules('- url: https://git.local/x\n  insecureOCIForceHttp: true\n', 'c', {})).toThrow(/only applies to an oci:\/\/ url/);
    expect(() => parseCredentialRules('- url: oci://reg.local\n  insecureOCIForceHttp: "yes"\n', 'c', {})).toThrow(/must be true or false/);
  });

  it('accepts an oci:// repoURL only with a chart', () => {
    const app = (source: Record<string, unknown>) => ({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Application', metadata: { name: 'a' }, spec: { source, destination: { namespace: 'a' } } });
    expect(parseApplication(app({ repoURL: 'oci://ghcr.io/acme', chart: 'web', targetRevision: '^1.0.0' }), 'test').ok).toBe(true);
    const without = parseApplication(app({ repoURL: 'oci://ghcr.io/acme/web', targetRevision: '1.0.0' }), 'test');
    expect(without.ok).toBe(false);
    expect(JSON.stringify(without)).toContain('needs spec.source.chart');
  });
});

describe('tag list pages', () => {
  it('follows Link pages on the registry host, and refuses one pointing at another host', async () => {
    let elsewhere = false;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const page = url.searchParams.get('last');
      if (url.pathname === '/v2/charts/paged/tags/list') {
        if (page === null) res.setHeader('link', '</v2/charts/paged/tags/list?last=1.0.0&n=1>; rel="next"');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name: 'charts/paged', tags: page === null ? ['1.0.0'] : ['1.1.0'] }));
      } else if (url.pathname === '/v2/charts/away/tags/list') {
        res.setHeader('link', `<http://localhost:${(server.address() as { port: number }).port}/v2/charts/away/tags/list?last=1.0.0>; rel="next"`);
        res.end(JSON.stringify({ name: 'charts/away', tags: ['1.0.0'] }));
        elsewhere = page !== null;
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const cacheDir = mkdtempSync(join(tmpdir(), 'sluice-oci-pages-'));
    try {
      const url = `oci://127.0.0.1:${(server.address() as { port: number }).port}/charts`;
      const repos = new ChartRepositories({ cache: chartCache(cacheDir, { path: '/nonexistent', version: 'v0' }), ociPlainHttp: () => true, credentials: () => REGISTRY_ACCOUNT });
      expect((await repos.oci.versions(url, 'paged')).versions).toEqual(['1.0.0', '1.1.0']);
      await expect(repos.oci.versions(url, 'away')).rejects.toMatchObject({ code: 'FetchFailed', message: expect.stringMatching(/points at another host/) });
      expect(elsewhere).toBe(false);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

const missing = !registryAvailable();
if (missing) console.warn('SKIPPED: docker-registry is not installed (apt-get install docker-registry; .ci/run installs it)');

describe.skipIf(missing)('charts in a real OCI registry', () => {
  let open: TestRegistry;
  let guarded: TestRegistry;
  let scratch: string;
  let cache: ChartCache;

  beforeAll(async () => {
    [open, guarded] = await Promise.all([startRegistry({ path: 'charts' }), startRegistry({ path: 'private/charts', basicAuth: true })]);
    for (const version of ['1.2.3', '1.3.0', '1.0.0+build.1', '2.0.0-rc.1']) open.push(GREETING, version);
    guarded.push(GREETING, '1.2.3');
    scratch = mkdtempSync(join(tmpdir(), 'sluice-oci-test-'));
    cache = chartCache(join(scratch, 'cache'), (await detectHelm())!);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([open?.stop(), guarded?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  const plain = { ociPlainHttp: () => true };

  it('resolves a version or range from the tags as Helm picks it, build metadata included', async () => {
    const source = new ChartRepositories({ cache, ...plain }).chart(open.url, 'greeting');
    const first = await source.resolve('^1.2.0');
    expect([first.sha, first.fetch, first.kind, first.commit.message]).toEqual(['1.3.0', 'fetched', 'tag', 'greeting 1.3.0']);
    expect((await source.resolve('HEAD')).sha).toBe('1.3.0');
    expect((await source.resolve('1.0.0+build.1')).sha).toBe('1.0.0+build.1');
    expect((await source.resolve('>=2.0.0-0')).sha).toBe('2.0.0-rc.1');
    expect((await source.resolve('^1.2.0')).fetch).toBe('cached'); // the tag list is unchanged
    await expect(source.resolve('^3.0.0')).rejects.toMatchObject({ code: 'UnknownRevision', message: expect.stringMatching(/no version of chart greeting satisfies "\^3.0.0"/) });
    await expect(new ChartRepositories({ cache, ...plain }).chart(open.url, 'nothing').resolve('*')).rejects.toMatchObject({ code: 'UnknownRevision' });

    open.push(GREETING, '1.4.0');
    expect(await source.resolve('^1.2.0')).toMatchObject({ sha: '1.4.0', fetch: 'fetched' });
  });

  it('renders a pulled version as `helm template oci://… --version` does, and pulls it once', async () => {
    const repos = new ChartRepositories({ cache, ...plain });
    for (const version of ['1.3.0', '1.0.0+build.1']) {
      const snapshot = await repos.chart(open.url, 'greeting').readFiles(version);
      expect([...snapshot.files.keys()].sort()).toEqual(['Chart.yaml', 'templates/configmap.yaml', 'values.yaml']);
      const result = await renderSource(snapshot.files, { path: '.', helm: settings });
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      const home = mkdtempSync(join(scratch, 'oracle-'));
      const oracle = yamlObjects(await helmOracleAsync(['template', 'web', `${open.url}/greeting`, '--version', version, '--plain-http', '--namespace', 'apps', '--include-crds'], home));
      expect(result.objects.map((o) => o.object)).toEqual(oracle);
      expect(JSON.stringify(oracle)).toContain(`"chartVersion":"${version}"`);
    }
    // a cache over the same directory whose Helm cannot run still answers: the archive is not pulled again
    const offline = new ChartRepositories({ cache: chartCache(join(scratch, 'cache'), { path: '/nonexistent/helm', version: 'v0' }), ...plain });
    expect((await offline.chart(open.url, 'greeting').readFiles('1.3.0')).files.has('Chart.yaml')).toBe(true);
    await expect(offline.chart(open.url, 'greeting').readFiles('1.2.3')).rejects.toMatchObject({ code: 'FetchFailed' });
    await expect(repos.chart(open.url, 'greeting').readFiles('9.9.9')).rejects.toMatchObject({ message: expect.stringMatching(/no such tag/) });
  });

  it('pulls a version again when its tag is pushed again with other content', async () => {
    const repos = new ChartRepositories({ cache, ...plain });
    open.push(GREETING, '1.5.0');
    const values = async () => (await repos.chart(open.url, 'greeting').readFiles('1.5.0')).files.get('values.yaml')!.toString('utf8');
    expect(await values()).toBe(readFileSync(join(GREETING, 'values.yaml'), 'utf8'));
    const changed = join(mkdtempSync(join(scratch, 'changed-')), 'greeting');
    cpSync(GREETING, changed, { recursive: true });
    writeFileSync(join(changed, 'values.yaml'), 'message: pushed again\n');
    open.push(changed, '1.5.0');
    expect(await values()).toBe('message: pushed again\n');
  });

  it('refuses an archive whose sha256 is not the manifest layer digest, and caches nothing', async () => {
    const manifest = await fetch(`http://${open.host}/v2/charts/greeting/manifests/1.2.3`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifestDigest = manifest.headers.get('docker-content-digest')!;
    const digestCache = join(scratch, 'digest-cache');
    const pulled = await chartCache(digestCache, (await detectHelm())!).pull({ repoURL: open.url, chart: 'greeting', version: '1.2.3' }, { kind: 'oci', manifestDigest, digest: '0'.repeat(64), plainHttp: true });
    expect(pulled).toMatchObject({ ok: false, message: expect.stringMatching(/sha256 [0-9a-f]{64} is not the manifest's chart layer digest 0{64}/) });
    expect(readdirSync(digestCache).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('speaks https unless the registry is marked plain HTTP', async () => {
    const source = new ChartRepositories({ cache }).chart(open.url, 'greeting');
    await expect(source.resolve('1.2.3')).rejects.toMatchObject({ code: 'Unreachable' });
  });

  it('sends basic credentials to the registry and to Helm, never into the cache or messages', async () => {
    await expect(new ChartRepositories({ cache, ...plain }).chart(guarded.url, 'greeting').resolve('1.2.3')).rejects.toMatchObject({ code: 'AuthFailed', message: expect.stringMatching(/refused anonymous access/) });
    const wrong = new ChartRepositories({ cache, ...plain, credentials: () => ({ username: REGISTRY_ACCOUNT.username, password: 'wrong' }) });
    await expect(wrong.chart(guarded.url, 'greeting').resolve('1.2.3')).rejects.toMatchObject({ code: 'AuthFailed', message: expect.stringMatching(/refused the credentials/) });

    const repos = new ChartRepositories({ cache, ...plain, credentials: (url) => (url === guarded.url ? REGISTRY_ACCOUNT : undefined) });
    const source = repos.chart(guarded.url, 'greeting');
    expect((await source.resolve('^1.0.0')).sha).toBe('1.2.3');
    expect((await source.readFiles('1.2.3')).files.has('Chart.yaml')).toBe(true);
    const allFiles = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? allFiles(join(dir, name)) : [join(dir, name)]));
    for (const file of allFiles(join(scratch, 'cache'))) expect(readFileSync(file).includes(REGISTRY_ACCOUNT.password)).toBe(false);
    const failed = await repos.pull({ repoURL: guarded.url, chart: 'greeting', version: '9.9.9' });
    expect(failed.ok).toBe(false);
    expect(JSON.stringify(failed)).not.toContain(REGISTRY_ACCOUNT.password);
  });

  it('pulls a Chart.yaml dependency on an oci:// repository and renders as `helm dependency build` + `helm template` do', async () => {
    const chartYaml = (text: string) => text.replace('REPOSITORY_URL', open.url);
    const files = readTree(join(FIXTURES, 'with-dependency'), 'apps/web');
    files.set('apps/web/Chart.yaml', chartYaml(files.get('apps/web/Chart.yaml')!));
    const result = await renderSource(files, { path: 'apps/web', helm: settings, charts: new ChartRepositories({ cache, ...plain }) });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));

    const home = mkdtempSync(join(scratch, 'oracle-'));
    const chart = join(home, 'chart');
    cpSync(join(FIXTURES, 'with-dependency'), chart, { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), chartYaml(readFileSync(join(chart, 'Chart.yaml'), 'utf8')));
    await helmOracleAsync(['dependency', 'build', chart, '--plain-http'], home);
    const oracle = yamlObjects(await helmOracleAsync(['template', 'web', chart, '--namespace', 'apps', '--include-crds'], home));
    expect(result.objects.map((o) => o.object)).toEqual(oracle);
    expect(JSON.stringify(oracle)).toContain('hello from the parent');
  });

  it('inflates a kustomize helmCharts entry whose repo: is an oci:// registry as the same chart vendored', async () => {
    const vendored = readTree(join(FIXTURES, 'kustomize-helmcharts'), 'deploy/prod');
    const files = new Map([...vendored].filter(([key]) => !key.includes('/charts/')));
    files.set('deploy/prod/kustomization.yaml', files.get('deploy/prod/kustomization.yaml')!.replace('  - name: greeting\n', `  - name: greeting\n    repo: ${open.url}\n    version: 1.2.3\n`));
    const result = await renderSource(files, { path: 'deploy/prod', charts: new ChartRepositories({ cache, ...plain }) });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const expected = await renderSource(vendored, { path: 'deploy/prod' }); // compared with kubectl kustomize --enable-helm in helm-kustomize.test.ts
    if (!expected.ok) throw new Error(JSON.stringify(expected.errors));
    expect(result.objects.map((o) => o.object)).toEqual(expected.objects.map((o) => o.object));
    expect(result.objects.map((o) => o.object)).toContainEqual(expect.objectContaining({ kind: 'ConfigMap', data: { message: 'from valuesInline', chartVersion: '1.2.3' } }));
  });

  it('exchanges credentials for a bearer token where the registry asks for one, as Helm does', async () => {
    // a token-auth front for the open registry: 401 with a Bearer challenge unless the request
    // carries the token, which /token hands out for the account's basic credentials
    const token = 'tok-0123456789';
    const basic = `Basic ${Buffer.from(`${REGISTRY_ACCOUNT.username}:${REGISTRY_ACCOUNT.password}`).toString('base64')}`;
    const seen: string[] = [];
    const front = createServer((req, res) => {
      seen.push(`${req.url?.split('?')[0]} ${req.headers.authorization?.split(' ')[0] ?? '-'}`);
      if (req.url?.startsWith('/token')) {
        const ok = req.headers.authorization === basic;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? JSON.stringify({ token }) : '{}');
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        const address = front.address() as { port: number };
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${address.port}/token",service="front",scope="repository:charts/greeting:pull"` }).end();
        return;
      }
      const upstream = httpRequest({ host: '127.0.0.1', port: Number(open.host.split(':')[1]), path: req.url, method: req.method, headers: { ...req.headers, host: open.host, authorization: '' } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const url = `oci://127.0.0.1:${(front.address() as { port: number }).port}/charts`;
      const anonymous = new ChartRepositories({ cache, ...plain });
      await expect(anonymous.chart(url, 'greeting').resolve('1.2.3')).rejects.toMatchObject({ code: 'AuthFailed' });
      const repos = new ChartRepositories({ cache: chartCache(join(scratch, 'bearer-cache'), (await detectHelm())!), ...plain, credentials: () => REGISTRY_ACCOUNT });
      const source = repos.chart(url, 'greeting');
      expect((await source.resolve('~1.2.0')).sha).toBe('1.2.3');
      expect((await source.readFiles('1.2.3')).files.has('Chart.yaml')).toBe(true);
      expect(seen).toContain('/v2/charts/greeting/tags/list Bearer');
      // Sluice asked for one token and reused it for the manifest; Helm's pull asked for its own
      const before = seen.indexOf(seen.find((s) => s.startsWith('/v2/charts/greeting/manifests/'))!);
      expect(seen.slice(0, before + 1).filter((s) => s === '/token Basic').length).toBe(1);
      expect(seen[before]).toBe('/v2/charts/greeting/manifests/1.2.3 Bearer');
      expect(seen.filter((s) => s.startsWith('/v2/charts/greeting/blobs/') && s.endsWith('Bearer')).length).toBeGreaterThan(0); // Helm's own pull
    } finally {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });
});
