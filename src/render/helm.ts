/**
 * The pure half of Helm rendering: which directory is a chart, the `helm template` command
 * line from an app's helm settings and the destination's capabilities, value-file paths
 * resolved in the repository (Argo CD's rules), and Helm's stdout and stderr turned into
 * our RenderResult / RenderError (objects sourced to their chart template, file:line where
 * Helm names one). The binary edge is helm-binary.ts.
 */
import { posix } from 'node:path';
import { isJsonObject, type JsonObject } from '../json.ts';
import { contentHash } from './canonical.ts';
import { duplicateErrors, identityErrors, type Located } from './identity.ts';
import { parseManifestFile } from './parse.ts';
import type { RenderError, RenderedObject, RenderResult } from './types.ts';

export const CHART_FILE = 'Chart.yaml';

/** What the destination cluster serves, so `.Capabilities` in a chart answers as it would there. */
export interface Capabilities {
  /** The API server's gitVersion, e.g. "v1.33.1"; '' leaves Helm's default. */
  readonly kubeVersion: string;
  /** "group/version" and "group/version/Kind" entries ("v1", "apps/v1", "apps/v1/Deployment"), as Argo CD passes them. */
  readonly apiVersions: readonly string[];
}

export interface HelmParameter {
  readonly name: string;
  readonly value: string;
  /** `--set-string` rather than `--set` (which types `true`, `1`, `null`). */
  readonly forceString: boolean;
}

/** An app's `spec.source.helm`, with the release name and namespace already defaulted. */
export interface HelmSettings {
  readonly releaseName: string;
  readonly namespace: string;
  /** Relative to the chart directory; a leading `/` means the repository root (as in Argo CD). */
  readonly valueFiles: readonly string[];
  readonly ignoreMissingValueFiles: boolean;
  /** Inline values (YAML text), applied after the value files. */
  readonly values?: string;
  /** Applied last, in order. */
  readonly parameters: readonly HelmParameter[];
  readonly skipCrds: boolean;
}

/** Settings for a chart whose app sets none: Argo CD's defaults (the caller supplies the release name and namespace). */
export function defaultHelmSettings(releaseName: string, namespace: string): HelmSettings {
  return { releaseName, namespace, valueFiles: [], ignoreMissingValueFiles: false, parameters: [], skipCrds: false };
}

/** Helm's hook events for `helm test`: Argo CD ignores these hooks, and so do we. */
const TEST_HOOKS: ReadonlySet<string> = new Set(['test', 'test-success', 'test-failure']);
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';

export function chartFile(dir: string): string {
  return dir === '' ? CHART_FILE : `${dir}/${CHART_FILE}`;
}

export function isHelmChart(files: ReadonlyMap<string, unknown>, dir: string): boolean {
  return files.has(chartFile(dir));
}

/**
 * A value file's repository path: relative to the chart directory, or to the repository root
 * when it starts with `/`. Remote URLs are refused (no network from a commit) and so is any
 * path that leaves the repository.
 */
export function resolveValueFile(chartDir: string, valueFile: string): { ok: true; path: string } | { ok: false; error: RenderError } {
  const file = chartFile(chartDir);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(valueFile)) {
    return { ok: false, error: { file, code: 'INVALID_OPTIONS', message: `helm value file ${JSON.stringify(valueFile)} is a URL: value files must come from the repository` } };
  }
  const joined = valueFile.startsWith('/') ? valueFile.slice(1) : posix.join(chartDir, valueFile);
  const path = posix.normalize(joined);
  if (path === '..' || path.startsWith('../') || path.startsWith('/') || path === '.' || path === '') {
    return { ok: false, error: { file, code: 'PATH_ESCAPE', message: `helm value file ${JSON.stringify(valueFile)} resolves outside the repository` } };
  }
  return { ok: true, path };
}

/** `helm template` arguments; value files and the inline values are passed as checkout paths. */
export function helmTemplateArgs(settings: HelmSettings, chartPath: string, valuePaths: readonly string[], capabilities: Capabilities | undefined): string[] {
  const args = ['template', settings.releaseName, chartPath, '--namespace', settings.namespace];
  if (capabilities !== undefined) {
    if (capabilities.kubeVersion !== '') args.push('--kube-version', capabilities.kubeVersion);
    for (const apiVersion of capabilities.apiVersions) args.push('--api-versions', apiVersion);
  }
  args.push(settings.skipCrds ? '--skip-crds' : '--include-crds');
  for (const path of valuePaths) args.push('--values', path);
  for (const p of settings.parameters) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
  return args;
}

/** Whether Helm's hook annotation names only `helm test` events (such objects are left out, as Argo CD does). */
export function isTestHook(object: JsonObject): boolean {
  const metadata = object['metadata'];
  const annotations = isJsonObject(metadata) ? metadata['annotations'] : undefined;
  const hook = isJsonObject(annotations) ? annotations[HELM_HOOK_ANNOTATION] : undefined;
  if (typeof hook !== 'string') return false;
  const events = hook.split(',').map((e) => e.trim()).filter((e) => e !== '');
  return events.length > 0 && events.every((e) => TEST_HOOKS.has(e));
}

/** `# Source: <chart>/templates/x.yaml` → the repository path of that template. */
function sourceFile(source: string | undefined, chartDir: string, fallback: string): string {
  if (source === undefined) return fallback;
  const inChart = source.slice(source.indexOf('/') + 1);
  return chartDir === '' ? inChart : `${chartDir}/${inChart}`;
}

/**
 * Helm's stdout → objects, all-or-nothing. Each document is sourced to the chart file its
 * `# Source:` comment names (line 1: Helm's output has no template lines); test hooks are left out.
 */
export function objectsFromHelmOutput(stdout: string, chartDir: string, maxObjects: number): RenderResult {
  const fallback = chartFile(chartDir);
  const errors: RenderError[] = [];
  const located: (Located & { documentIndex: number })[] = [];
  const perFile = new Map<string, number>();
  for (const document of stdout.split(/^---[ \t]*$/m)) {
    const source = /^# Source: (.+)$/m.exec(document)?.[1]?.trim();
    const file = sourceFile(source, chartDir, fallback);
    const parsed = parseManifestFile(file, document);
    errors.push(...parsed.errors.map((e) => ({ ...e, message: `helm output for ${file}: ${e.message}` })));
    for (const candidate of parsed.candidates) {
      if (isTestHook(candidate.object)) continue;
      const documentIndex = perFile.get(file) ?? 0;
      perFile.set(file, documentIndex + 1);
      located.push({ object: candidate.object, file, line: 1, documentIndex });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  if (located.length > maxObjects) {
    return { ok: false, errors: [{ file: fallback, code: 'TOO_MANY_OBJECTS', message: `${fallback}: helm produced ${located.length} objects (limit ${maxObjects})` }] };
  }
  const invalid = located.flatMap((item) => identityErrors(item));
  if (invalid.length === 0) invalid.push(...duplicateErrors(located));
  if (invalid.length > 0) return { ok: false, errors: invalid };
  const objects: RenderedObject[] = located.map((item) => ({
    object: item.object,
    source: { file: item.file, line: item.line, documentIndex: item.documentIndex },
    contentHash: contentHash(item.object),
  }));
  return { ok: true, objects };
}

/**
 * Helm's stderr → one error at the template Helm names (`parse error at (chart/templates/x.yaml:3)`,
 * `template: chart/templates/x.yaml:3:5: executing …`), with checkout paths made repo-relative.
 */
export function helmFailure(stderr: string, chartDir: string, checkout: string): RenderError {
  const fallback = chartFile(chartDir);
  const root = checkout.endsWith('/') ? checkout.slice(0, -1) : checkout;
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('WARNING') && !l.startsWith('walk.go'));
  const message = lines.map((l) => (l.startsWith('Error: ') ? l.slice('Error: '.length) : l)).join('\n').split(`${root}/`).join('').split(root).join('.') || 'helm failed without a message';
  const at = /(?:\(|template: |\s)([\w.-]+\/(?:templates|charts|crds)\/[^\s:()]+):(\d+)/.exec(message);
  if (at === undefined || at === null) return { file: fallback, code: 'HELM_FAILED', message: `${fallback}: helm template failed: ${message}` };
  const file = sourceFile(at[1], chartDir, fallback);
  const line = Number(at[2]);
  return { file, line, code: 'HELM_FAILED', message: `${file}:${line}: helm template failed: ${message}` };
}
