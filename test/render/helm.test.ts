/**
 * Charts written for these tests (test/fixtures/helm/), rendered through renderSource and
 * compared with the bundled Helm's own `helm template` of the same chart directory (the
 * oracle), plus the values Sluice's precedence must give.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Capabilities, HelmSettings } from '../../src/render/helm.ts';
import { detectHelm } from '../../src/render/helm-binary.ts';
import { renderSource } from '../../src/render/index.ts';
import type { RenderResult } from '../../src/render/types.ts';
import { FIXTURES, helmOracle, readTree, yamlObjects } from '../support/helm.ts';

const CAPABILITIES: Capabilities = {
  kubeVersion: 'v1.31.4',
  apiVersions: ['v1', 'batch/v1', 'batch/v1/Job', 'batch/v1/CronJob', 'policy/v1', 'policy/v1/PodDisruptionBudget'],
};

const settings = (overrides: Partial<HelmSettings> = {}): HelmSettings => ({
  releaseName: 'demo',
  namespace: 'apps',
  valueFiles: [],
  ignoreMissingValueFiles: false,
  parameters: [],
  skipCrds: false,
  ...overrides,
});

const scratch = mkdtempSync(join(tmpdir(), 'sluice-helm-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The same chart rendered by the bundled Helm straight from the fixture directory, as a user would run it. */
function oracle(chart: string, helm: HelmSettings, capabilities: Capabilities | undefined): unknown[] {
  const dir = join(FIXTURES, chart);
  const args = ['template', helm.releaseName, dir, '--namespace', helm.namespace, '--skip-tests', helm.skipCrds ? '--skip-crds' : '--include-crds'];
  if (capabilities) args.push('--kube-version', capabilities.kubeVersion, ...capabilities.apiVersions.flatMap((v) => ['--api-versions', v]));
  for (const f of helm.valueFiles) args.push('--values', join(dir, f));
  if (helm.values !== undefined) {
    const inline = join(scratch, `${chart}-inline.yaml`);
    writeFileSync(inline, helm.values);
    args.push('--values', inline);
  }
  for (const p of helm.parameters) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
  return yamlObjects(helmOracle(args));
}

async function render(chart: string, helm: HelmSettings, capabilities: Capabilities | undefined = CAPABILITIES): Promise<RenderResult> {
  return renderSource(readTree(join(FIXTURES, chart), `charts/${chart}`), { path: `charts/${chart}`, helm, ...(capabilities ? { capabilities } : {}) });
}

function objects(result: RenderResult): unknown[] {
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.file}:${e.line ?? ''} ${e.code} ${e.message}`).join('\n'));
  return result.objects.map((o) => o.object);
}

function dataOf(result: RenderResult, name: string): Record<string, string> {
  const found = objects(result).find((o) => (o as { metadata: { name: string } }).metadata.name === name) as { data: Record<string, string> } | undefined;
  if (found === undefined) throw new Error(`no object ${name}`);
  return found.data;
}

describe('Helm charts (renderSource with the bundled Helm)', () => {
  it('finds a working Helm and reports its version', async () => {
    const helm = await detectHelm();
    expect(helm?.version).toMatch(/^v\d+\.\d+\.\d+/);
  });

  it('values precedence: chart values < valueFiles in order < values < parameters', async () => {
    const helm = settings({
      valueFiles: ['values-one.yaml', 'values-two.yaml'],
      values: 'd: from-inline\ne: from-inline\n',
      parameters: [
        { name: 'e', value: 'from-parameter', forceString: false },
        { name: 'count', value: '10', forceString: false },
        { name: 'countString', value: '10', forceString: true },
        { name: 'enabled', value: 'true', forceString: false },
        { name: 'enabledString', value: 'true', forceString: true },
        { name: 'ratio', value: '0.5', forceString: false },
      ],
    });
    const result = await render('precedence', helm);
    expect(dataOf(result, 'demo-values')).toEqual({
      a: 'from-chart',
      b: 'from-values-one',
      c: 'from-values-two',
      d: 'from-inline',
      e: 'from-parameter',
      // --set types what it can (int64, bool, else string); --set-string never does
      count: 'int64=10',
      countString: 'string=10',
      enabled: 'bool=true',
      enabledString: 'string=true',
      ratio: 'string=0.5',
    });
    expect(objects(result)).toEqual(oracle('precedence', helm, CAPABILITIES));
  });

  it('.Capabilities.KubeVersion and .Capabilities.APIVersions.Has answer with the destination\'s facts', async () => {
    const result = await render('capabilities', settings());
    expect(dataOf(result, 'demo-facts')).toEqual({ kubeVersion: 'v1.31.4', minor: '31', hasCronJob: 'true', hasWidgets: 'false' });
    expect(objects(result).map((o) => (o as { kind: string }).kind)).toEqual(['PodDisruptionBudget', 'ConfigMap']);
    expect(objects(result)).toEqual(oracle('capabilities', settings(), CAPABILITIES));

    const older: Capabilities = { kubeVersion: 'v1.26.0', apiVersions: ['v1', 'example.com/v1'] };
    const other = await render('capabilities', settings(), older);
    expect(dataOf(other, 'demo-facts')).toMatchObject({ kubeVersion: 'v1.26.0', hasCronJob: 'false', hasWidgets: 'true' });
    expect(objects(other).map((o) => (o as { kind: string }).kind)).toEqual(['ConfigMap']);
    expect(objects(other)).toEqual(oracle('capabilities', settings(), older));
  });

  it('a chart\'s kubeVersion constraint fails against an older cluster, with Helm\'s words', async () => {
    const result = await render('capabilities', settings(), { kubeVersion: 'v1.24.0', apiVersions: [] });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file])).toEqual([['HELM_FAILED', 'charts/capabilities/Chart.yaml']]);
    expect(result.ok ? '' : result.errors[0]!.message).toMatch(/kubeVersion|incompatible/i);
  });

  it('CRDs in crds/ come first; skipCrds leaves them out; hooks keep their annotations; test hooks are left out', async () => {
    const result = await render('crds', settings());
    const rendered = objects(result) as { kind: string; metadata: { name: string; annotations?: Record<string, string> } }[];
    expect(rendered.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['CustomResourceDefinition/widgets.example.com', 'Widget/demo', 'Job/demo-migrate']);
    expect(rendered[2]!.metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-5',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(rendered).toEqual(oracle('crds', settings(), CAPABILITIES));
    const sources = result.ok ? result.objects.map((o) => o.source.file) : [];
    expect(sources).toEqual(['charts/crds/crds/widgets.yaml', 'charts/crds/templates/widget.yaml', 'charts/crds/templates/migrate.yaml']);

    const skipped = await render('crds', settings({ skipCrds: true }));
    expect(objects(skipped).map((o) => (o as { kind: string }).kind)).toEqual(['Widget', 'Job']);
    expect(objects(skipped)).toEqual(oracle('crds', settings({ skipCrds: true }), CAPABILITIES));
  });

  it.each([
    ['a missing value file', { valueFiles: ['values-absent.yaml'] }, 'PATH_NOT_FOUND', 'charts/precedence/values-absent.yaml'],
    ['a value file outside the repository', { valueFiles: ['../../../etc/passwd'] }, 'PATH_ESCAPE', 'charts/precedence/Chart.yaml'],
    ['a value file from a URL', { valueFiles: ['https://example.com/values.yaml'] }, 'INVALID_OPTIONS', 'charts/precedence/Chart.yaml'],
  ])('%s is an error naming the file', async (_name, overrides, code, file) => {
    const result = await render('precedence', settings(overrides));
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file])).toEqual([[code, file]]);
  });

  it('ignoreMissingValueFiles skips a missing value file; a leading / is the repository root', async () => {
    const files = readTree(join(FIXTURES, 'precedence'), 'charts/precedence');
    files.set('env/prod.yaml', 'a: from-repo-root\n');
    const result = await renderSource(files, { path: 'charts/precedence', helm: settings({ valueFiles: ['absent.yaml', '/env/prod.yaml', '../../env/prod.yaml'], ignoreMissingValueFiles: true }) });
    expect(dataOf(result, 'demo-values')['a']).toBe('from-repo-root');
  });

  it('a template error names the template file and line', async () => {
    const files = readTree(join(FIXTURES, 'precedence'), 'charts/broken');
    files.set('charts/broken/templates/bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.a | nosuchfunction }}\n');
    const result = await renderSource(files, { path: 'charts/broken', helm: settings() });
    expect(result.ok ? [] : result.errors.map((e) => [e.code, e.file, e.line])).toEqual([['HELM_FAILED', 'charts/broken/templates/bad.yaml', 4]]);
  });

  it('a file:// dependency outside the repository is refused before Helm runs', async () => {
    const files = readTree(join(FIXTURES, 'precedence'), 'charts/escape');
    files.set('charts/escape/Chart.yaml', 'apiVersion: v2\nname: escape\nversion: 0.1.0\ndependencies:\n  - name: outside\n    version: 0.1.0\n    repository: file://../../../outside\n');
    const result = await renderSource(files, { path: 'charts/escape', helm: settings() });
    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['PATH_ESCAPE']);
  });
});
