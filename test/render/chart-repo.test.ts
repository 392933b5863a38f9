/**
 * Chart-repository sources against a chart repository the test serves itself (`helm package`
 * + `helm repo index` over a local HTTP server, with and without basic auth): versions picked
 * by Helm's rules, the index re-read with If-None-Match, the exact version pulled into the
 * cache with the repository's credentials (never on argv, never left on disk), digests
 * checked, and the chart rendered as the bundled Helm's own `helm template --repo` renders it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError } from '../../src/git/errors.ts';
import { ChartRepositories } from '../../src/render/chart-repo.ts';
import type { HelmSettings } from '../../src/render/helm.ts';
import { detectHelm } from '../../src/render/helm-binary.ts';
import { chartCache, type ChartCache } from '../../src/render/helm-repo.ts';
import { renderSource } from '../../src/render/index.ts';
import { FIXTURES, helmOracleAsync, serveChartRepo, yamlObjects, type ServedChartRepo } from '../support/helm.ts';

const GREETING = join(FIXTURES, 'served', 'greeting');
const AUTH = { username: 'deployer', password: 's3cret-chart-token' };
const settings: HelmSettings = { releaseName: 'web', namespace: 'apps', valueFiles: [], ignoreMissingValueFiles: false, parameters: [], skipCrds: false };

let open: ServedChartRepo;
let guarded: ServedChartRepo;
let scratch: string;
let cache: ChartCache;

beforeAll(async () => {
  open = await serveChartRepo([GREETING]);
  open.publish(GREETING, '1.3.0');
  open.publish(GREETING, '2.0.0-rc.1');
  guarded = await serveChartRepo([GREETING], { basicAuth: AUTH });
  scratch = mkdtempSync(join(tmpdir(), 'sluice-chart-repo-test-'));
  const helm = await detectHelm();
  if (helm === undefined) throw new Error('no helm');
  cache = chartCache(join(scratch, 'cache'), helm);
});

afterAll(async () => {
  await open.close();
  await guarded.close();
  rmSync(scratch, { recursive: true, force: true });
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? allFiles(join(dir, name)) : [join(dir, name)]));
}

describe('a chart repository as an app source', () => {
  it('resolves a version or range as Helm picks it, and reads the index again only with If-None-Match', async () => {
    const repos = new ChartRepositories({ cache });
    const source = repos.chart(open.url, 'greeting');
    const first = await source.resolve('^1.2.0');
    expect([first.sha, first.fetch, first.kind]).toEqual(['1.3.0', 'fetched', 'tag']);
    expect((await source.resolve('1.2.3')).sha).toBe('1.2.3');
    expect((await source.resolve('HEAD')).sha).toBe('1.3.0'); // the newest release, not the prerelease
    expect((await source.resolve('>=2.0.0-0')).sha).toBe('2.0.0-rc.1');
    const again = await source.resolve('^1.2.0');
    expect(again.fetch).toBe('cached'); // the server answered 304
    await expect(source.resolve('^3.0.0')).rejects.toMatchObject({ code: 'UnknownRevision', message: expect.stringMatching(/no version of chart greeting satisfies "\^3.0.0"/) });
    await expect(repos.chart(open.url, 'nothing').resolve('*')).rejects.toBeInstanceOf(GitError);

    open.publish(GREETING, '1.4.0');
    const published = await source.resolve('^1.2.0');
    expect([published.sha, published.fetch]).toEqual(['1.4.0', 'fetched']);
  });

  it('renders a pulled version as `helm template --repo --version` does, pulling each version once', async () => {
    const repos = new ChartRepositories({ cache });
    const snapshot = await repos.chart(open.url, 'greeting').readFiles('1.3.0');
    expect([...snapshot.files.keys()].sort()).toEqual(['Chart.yaml', 'templates/configmap.yaml', 'values.yaml']);
    const result = await renderSource(snapshot.files, { path: '.', helm: settings });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const home = mkdtempSync(join(scratch, 'oracle-'));
    const oracle = yamlObjects(await helmOracleAsync(['template', 'web', 'greeting', '--repo', open.url, '--version', '1.3.0', '--namespace', 'apps', '--include-crds'], home));
    expect(result.objects.map((o) => o.object)).toEqual(oracle);
    expect(result.objects[0]!.source.file).toBe('templates/configmap.yaml');

    const pulls = open.requests.filter((r) => r.endsWith('.tgz')).length;
    await repos.chart(open.url, 'greeting').readFiles('1.3.0');
    expect(open.requests.filter((r) => r.endsWith('.tgz')).length).toBe(pulls);
  });

  it('sends basic credentials for the index and the archive, and keeps them out of the cache, argv and messages', async () => {
    const expected = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;
    const anonymous = new ChartRepositories({ cache });
    await expect(anonymous.chart(guarded.url, 'greeting').resolve('1.2.3')).rejects.toMatchObject({ code: 'AuthFailed' });

    const repos = new ChartRepositories({ cache, credentials: (url) => (url === guarded.url ? AUTH : undefined) });
    const snapshot = await repos.chart(guarded.url, 'greeting').readFiles('1.2.3');
    expect(snapshot.files.has('Chart.yaml')).toBe(true);
    const served = guarded.requests.map((r, i) => [r, guarded.authorizations[i]]).filter(([, auth]) => auth !== '');
    expect(served.map(([r]) => r)).toEqual(['/index.yaml', '/greeting-1.2.3.tgz']);
    expect(served.every(([, auth]) => auth === expected)).toBe(true);
    for (const file of allFiles(join(scratch, 'cache'))) expect(readFileSync(file).includes(AUTH.password)).toBe(false);

    // a failing pull's message (Helm's stderr included) does not carry the secret either
    const failed = await repos.pull({ repoURL: guarded.url, chart: 'greeting', version: '9.9.9' });
    expect(failed.ok).toBe(false);
    expect(JSON.stringify(failed)).not.toContain(AUTH.password);
  });

  it('refuses an archive whose sha256 is not the index digest', async () => {
    const repos = new ChartRepositories({ cache: chartCache(join(scratch, 'digest-cache'), (await detectHelm())!) });
    const { text, entry } = await repos.select(open.url, 'greeting', '1.2.3');
    const pulled = await repos.pullExact(open.url, 'greeting', { ...entry, digest: '0'.repeat(64) }, text);
    expect(pulled).toMatchObject({ ok: false, message: expect.stringMatching(/sha256 [0-9a-f]{64} is not the index's digest 0{64}/) });
    expect(readdirSync(join(scratch, 'digest-cache')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });
});
