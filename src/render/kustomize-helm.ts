/**
 * Kustomize's `helmCharts` (with `helmGlobals.chartHome`), built with the same Helm as chart
 * apps: each chart is inflated by renderHelmChart (sandboxed `helm template`, no network),
 * its objects written to a generated file beside the kustomization, and the kustomization
 * rewritten to list that file under `resources` instead of the helm fields — so the native
 * renderer then applies the kustomization's own transformers to the chart's objects, as
 * kustomize does with its Helm generator's output. Charts come from the repository
 * (`<kustomization dir>/<chartHome>/<name>`, chartHome default `charts`), else — when the
 * entry names a `repo` — from that chart repository through the chart fetcher (the chart
 * cache, with the repository's credentials and digest check), which the caller gates: a
 * commit must not make Sluice download from anywhere (compare.ts allows only repositories
 * the app's project names explicitly). Field meanings follow kustomize's HelmChart type:
 * valuesFile (relative to the kustomization), additionalValuesFiles, valuesInline (merged
 * over the files: valuesMerge `override`, the default), releaseName, namespace, includeCRDs
 * (default false), apiVersions and kubeVersion (else the destination's capabilities).
 */
import { posix } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { FileContents } from './directory.ts';
import { chartFile, type Capabilities, type HelmSettings } from './helm.ts';
import { readFile } from 'node:fs/promises';
import { readChartPackage } from './chart-archive.ts';
import { renderHelmChart, type HelmBinary } from './helm-binary.ts';
import type { ChartFetcher } from './helm-repo.ts';
import { KUSTOMIZATION_FILES } from './kustomize.ts';
import { isUnder } from './paths.ts';
import { DEFAULT_RENDER_LIMITS, type RenderError, type RenderLimits } from './types.ts';

export const HELM_KUSTOMIZE_FIELDS = ['helmCharts', 'helmGlobals'] as const;
const CHART_FIELDS = new Set(['name', 'version', 'repo', 'releaseName', 'namespace', 'valuesFile', 'additionalValuesFiles', 'valuesInline', 'valuesMerge', 'includeCRDs', 'skipTests', 'apiVersions', 'kubeVersion', 'skipHooks']);
/** kustomize's default release name when a helmCharts entry names none. */
const DEFAULT_RELEASE_NAME = 'release-name';

export interface KustomizeHelmOptions {
  readonly binary: HelmBinary;
  readonly capabilities?: Capabilities;
  readonly limits?: Partial<RenderLimits>;
  readonly timeoutMs?: number;
  /** Pulls charts that entries name with `repo:` and the repository does not vendor; absent, such entries are an error. */
  readonly charts?: ChartFetcher;
}

type Inflated = { ok: true; files: Map<string, FileContents> } | { ok: false; errors: RenderError[] };

function text(contents: FileContents | undefined): string {
  return contents === undefined ? '' : typeof contents === 'string' ? contents : Buffer.from(contents).toString('utf8');
}

/** Whether this kustomization file uses the helm fields. */
export function usesHelmCharts(files: ReadonlyMap<string, FileContents>, file: string): boolean {
  if (!KUSTOMIZATION_FILES.some((name) => file === name || file.endsWith(`/${name}`))) return false;
  try {
    const k: unknown = parseYaml(text(files.get(file)));
    return typeof k === 'object' && k !== null && HELM_KUSTOMIZE_FIELDS.some((f) => f in k);
  } catch {
    return false;
  }
}

/** The file map with `file`'s charts inflated into generated resources and its helm fields removed. */
export async function inflateHelmCharts(files: ReadonlyMap<string, FileContents>, file: string, options: KustomizeHelmOptions): Promise<Inflated> {
  const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
  const k = parseYaml(text(files.get(file))) as Record<string, unknown>;
  const globals = (k['helmGlobals'] ?? {}) as Record<string, unknown>;
  const chartHome = typeof globals['chartHome'] === 'string' ? globals['chartHome'] : 'charts';
  const charts = Array.isArray(k['helmCharts']) ? (k['helmCharts'] as unknown[]) : [];
  const out = new Map(files);
  const generated: string[] = [];
  for (const [i, entry] of charts.entries()) {
    const at = `helmCharts[${i}]`;
    const problem = entryProblem(entry);
    if (problem !== undefined) return invalid(file, `${file}: ${at}: ${problem}`);
    const chart = entry as Record<string, unknown>;
    const name = chart['name'] as string;
    const chartDir = posix.normalize(posix.join(dir, chartHome, name));
    if (chartDir.startsWith('../') || chartDir === '..') return { ok: false, errors: [{ file, code: 'PATH_ESCAPE', message: `${file}: ${at}: chart ${name} under chartHome ${JSON.stringify(chartHome)} lies outside the repository` }] };
    let chartSource: ReadonlyMap<string, FileContents> = files;
    if (!files.has(chartFile(chartDir))) {
      const repo = chart['repo'];
      if (typeof repo !== 'string') return invalid(file, `${file}: ${at}: chart ${name} is not in the repository at ${chartDir}, and the entry names no repo`);
      const pulled = await pulledChart(files, chartDir, { repoURL: repo, chart: name, version: typeof chart['version'] === 'string' ? chart['version'] : '' }, options);
      if (!pulled.ok) return { ok: false, errors: [{ file, code: 'HELM_FAILED', message: `${file}: ${at}: ${pulled.message}` }] };
      chartSource = pulled.files;
    }
    const valueFiles = [...(typeof chart['valuesFile'] === 'string' ? [chart['valuesFile']] : []), ...((chart['additionalValuesFiles'] as string[] | undefined) ?? [])].map((f) => `/${posix.join(dir, f)}`);
    const settings: HelmSettings = {
      releaseName: typeof chart['releaseName'] === 'string' ? chart['releaseName'] : DEFAULT_RELEASE_NAME,
      namespace: typeof chart['namespace'] === 'string' ? chart['namespace'] : 'default',
      valueFiles,
      ignoreMissingValueFiles: false,
      ...(chart['valuesInline'] !== undefined ? { values: stringify(chart['valuesInline']) } : {}),
      parameters: [],
      skipCrds: chart['includeCRDs'] !== true,
    };
    const capabilities = chartCapabilities(chart, options.capabilities);
    const rendered = await renderHelmChart(chartSource, {
      path: chartDir,
      settings,
      binary: options.binary,
      ...(capabilities !== undefined ? { capabilities } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    if (!rendered.ok) return rendered;
    const target = dir === '' ? `sluice-helm-chart-${i}-${name}.yaml` : `${dir}/sluice-helm-chart-${i}-${name}.yaml`;
    out.set(target, rendered.objects.map((o) => stringify(o.object)).join('---\n'));
    generated.push(posix.basename(target));
  }
  const rewritten: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(k)) if (!(HELM_KUSTOMIZE_FIELDS as readonly string[]).includes(key)) rewritten[key] = value;
  rewritten['resources'] = [...((k['resources'] as unknown[] | undefined) ?? []), ...generated];
  out.set(file, stringify(rewritten));
  return { ok: true, files: out };
}

/**
 * The file map with the chart pulled from its repository in place of anything under
 * `chartDir` (where kustomize would have downloaded it), for this one render.
 */
async function pulledChart(
  files: ReadonlyMap<string, FileContents>,
  chartDir: string,
  ref: { repoURL: string; chart: string; version: string },
  options: KustomizeHelmOptions,
): Promise<{ ok: true; files: Map<string, FileContents> } | { ok: false; message: string }> {
  if (options.charts === undefined) return { ok: false, message: `chart ${ref.chart} from ${ref.repoURL}: downloading helmCharts from a repository is not enabled here; vendor the chart instead` };
  const pulled = await options.charts.pull(ref);
  if (!pulled.ok) return pulled;
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  const read = readChartPackage(await readFile(pulled.archive), { maxFiles: limits.maxFiles, maxTotalBytes: limits.maxTotalBytes });
  if (!read.ok) return { ok: false, message: `chart ${ref.chart} from ${ref.repoURL}: ${read.message}` };
  const out = new Map<string, FileContents>([...files].filter(([key]) => !isUnder(key, chartDir, true)));
  for (const [key, contents] of read.files) out.set(`${chartDir}/${key}`, contents);
  return { ok: true, files: out };
}

function chartCapabilities(chart: Record<string, unknown>, destination: Capabilities | undefined): Capabilities | undefined {
  const kubeVersion = typeof chart['kubeVersion'] === 'string' ? chart['kubeVersion'] : destination?.kubeVersion;
  const apiVersions = Array.isArray(chart['apiVersions']) ? (chart['apiVersions'] as string[]) : destination?.apiVersions ?? [];
  return kubeVersion === undefined && apiVersions.length === 0 ? undefined : { kubeVersion: kubeVersion ?? '', apiVersions };
}

function entryProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'must be a mapping';
  const chart = entry as Record<string, unknown>;
  const unknown = Object.keys(chart).find((key) => !CHART_FIELDS.has(key));
  if (unknown !== undefined) return `field ${JSON.stringify(unknown)} is not supported`;
  if (typeof chart['name'] !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart['name'])) return 'name must be a chart name';
  if (chart['valuesMerge'] !== undefined && chart['valuesMerge'] !== 'override') return `valuesMerge ${JSON.stringify(chart['valuesMerge'])} is not supported (only override, the default)`;
  if (chart['skipHooks'] === true) return 'skipHooks is not supported (hooks are kept for the sync hooks)';
  for (const field of ['valuesFile', 'releaseName', 'namespace', 'kubeVersion', 'repo', 'version']) {
    if (chart[field] !== undefined && typeof chart[field] !== 'string') return `${field} must be a string`;
  }
  const lists = ['additionalValuesFiles', 'apiVersions'];
  for (const field of lists) {
    const v = chart[field];
    if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) return `${field} must be a list of strings`;
  }
  return undefined;
}

function invalid(file: string, message: string): Inflated {
  return { ok: false, errors: [{ file, code: 'INVALID_KUSTOMIZATION', message }] };
}
