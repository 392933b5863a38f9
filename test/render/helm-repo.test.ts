/**
 * Charts from a chart repository the test serves itself (`helm package` + `helm repo index`
 * over a local HTTP server): a Chart.yaml dependency fetched into the chart cache once, and
 * rendered as the bundled Helm renders it after a user's `helm repo add` + `helm dependency build`.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelmSettings } from '../../src/render/helm.ts';
import { detectHelm } from '../../src/render/helm-binary.ts';
import { chartCache, chartCacheKey, type ChartFetcher } from '../../src/render/helm-repo.ts';
import { renderSource } from '../../src/render/index.ts';
import { FIXTURES, helmOracle, helmOracleAsync, readTree, serveChartRepo, yamlObjects, type ServedChartRepo } from '../support/helm.ts';

const settings: HelmSettings = { releaseName: 'web', namespace: 'apps', valueFiles: [], ignoreMissingValueFiles: false, parameters: [], skipCrds: false };

let repo: ServedChartRepo;
let scratch: string;
let charts: ChartFetcher;

beforeAll(async () => {
  repo = await serveChartRepo([join(FIXTURES, 'served', 'greeting')]);
  scratch = mkdtempSync(join(tmpdir(), 'sluice-helm-repo-test-'));
  const helm = await detectHelm();
  if (helm === undefined) throw new Error('no helm');
  charts = chartCache(join(scratch, 'cache'), helm);
});

afterAll(async () => {
  await repo.close();
  rmSync(scratch, { recursive: true, force: true });
});

function parentFiles(): Map<string, string> {
  const files = readTree(join(FIXTURES, 'with-dependency'), 'apps/web');
  files.set('apps/web/Chart.yaml', files.get('apps/web/Chart.yaml')!.replace('REPOSITORY_URL', repo.url));
  return files;
}

/** What a user gets: `helm repo add`, `helm dependency build`, `helm template`. */
async function oracle(): Promise<unknown[]> {
  const home = join(scratch, 'oracle-home');
  const chart = join(scratch, 'oracle-chart');
  cpSync(join(FIXTURES, 'with-dependency'), chart, { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), readFileSync(join(chart, 'Chart.yaml'), 'utf8').replace('REPOSITORY_URL', repo.url));
  await helmOracleAsync(['repo', 'add', 'served', repo.url], home);
  await helmOracleAsync(['dependency', 'build', chart], home);
  return yamlObjects(helmOracle(['template', 'web', chart, '--namespace', 'apps', '--include-crds'], home));
}

describe('chart dependencies from a chart repository', () => {
  it('fetches the dependency once into the cache and renders as Helm does', async () => {
    const before = repo.requests.length;
    const result = await renderSource(parentFiles(), { path: 'apps/web', helm: settings, charts });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const rendered = result.objects.map((o) => o.object);
    expect(rendered).toEqual(await oracle());
    const greeting = rendered.find((o) => o['kind'] === 'ConfigMap') as { data: Record<string, string> };
    expect(greeting.data).toEqual({ message: 'hello from the parent', chartVersion: '1.2.3' });
    const fetched = repo.requests.length - before;
    expect(fetched).toBeGreaterThan(0);
    const entry = join(scratch, 'cache', chartCacheKey({ repoURL: repo.url, chart: 'greeting', version: '^1.2.0' }));
    expect(readdirSync(entry)).toEqual(['greeting-1.2.3.tgz']);

    const again = await renderSource(parentFiles(), { path: 'apps/web', helm: settings, charts });
    expect(again.ok && again.objects.map((o) => o.object)).toEqual(rendered);
    expect(repo.requests.length - before).toBe(fetched);
  });

  it('without a fetcher the dependency is an error, and no request is made', async () => {
    const before = repo.requests.length;
    const result = await renderSource(parentFiles(), { path: 'apps/web', helm: settings });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file])).toEqual([['HELM_FAILED', 'apps/web/Chart.yaml']]);
    expect(repo.requests.length).toBe(before);
  });

  it('a version no release satisfies is an error naming the chart', async () => {
    const files = parentFiles();
    files.set('apps/web/Chart.yaml', files.get('apps/web/Chart.yaml')!.replace('^1.2.0', '^2.0.0'));
    const result = await renderSource(files, { path: 'apps/web', helm: settings, charts });
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['HELM_FAILED']);
    expect(result.ok ? '' : result.errors[0]!.message).toMatch(/greeting/);
  });
});
