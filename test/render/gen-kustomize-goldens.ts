/**
 * The kustomize differential cases (fixture directories under test/fixtures/kustomize) and,
 * when run directly (`npx tsx test/render/gen-kustomize-goldens.ts [path...]`), the
 * regeneration of each case's (or the named cases') expected.yaml with `kubectl kustomize`,
 * headed by the kustomize version that made it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const KUSTOMIZE_FIXTURES = join(import.meta.dirname, '../fixtures/kustomize');

export const CASES = [
  { name: 'full-base', path: 'full/base' },
  { name: 'full-overlay', path: 'full/overlay' },
  { name: 'full-top', path: 'full/top' },
  { name: 'patches-overlay', path: 'patches/overlay' },
  { name: 'generators-base', path: 'generators/base' },
  { name: 'generators-overlay', path: 'generators/overlay' },
  { name: 'generators-empty (an empty Secret has data: {})', path: 'generators/empty' },
  { name: 'generators-base64 (Secret values in 70-column lines, binaryData for a binary file)', path: 'generators/base64' },
  { name: 'behavior-base (generatorOptions, immutable)', path: 'behavior/base' },
  { name: 'behavior-overlay (merge and replace)', path: 'behavior/overlay' },
  { name: 'labels-common (commonLabels updates selectors)', path: 'labels/common' },
  { name: 'labels-selectors (includeSelectors)', path: 'labels/selectors' },
  { name: 'labels-templates (includeTemplates only)', path: 'labels/templates' },
  { name: 'labels-affinity (selector labels in affinity terms and topology spread constraints)', path: 'labels/affinity' },
  { name: 'components-overlay-a (nested, patch, merge, before own transformers)', path: 'components/overlay-a' },
  { name: 'components-overlay-b (shared components, namespace)', path: 'components/overlay-b' },
  { name: 'content (go-yaml numbers, block scalar at EOF, empty annotations)', path: 'content' },
  { name: 'rbac-base (subjects follow an account the namespace transformer moved)', path: 'rbac/base' },
  { name: 'rbac-written (after a namespace transformer, a subject gets its account\'s namespace)', path: 'rbac/written' },
  { name: 'rbac-unset (no namespace transformer: subjects as written)', path: 'rbac/unset' },
  { name: 'rbac-overlay (roleRef and subjects with namespace and namePrefix)', path: 'rbac/overlay' },
  { name: 'generators-legacy (behavior: add is create, the singular env)', path: 'generators/legacy' },
  { name: 'images (tagSuffix, newTag with digest)', path: 'images' },
  { name: 'patches-nulls (nulls dropped where a patch merges)', path: 'patches/nulls' },
  { name: 'patches-json-replace (a JSON 6902 replace of a missing member adds it)', path: 'patches/json-replace' },
  { name: 'patches-text (go-yaml reading of patch files: final block scalar, octal)', path: 'patches/text' },
  { name: 'patches-empty-values (a patch clears empty fields throughout its object, keeps written nulls)', path: 'patches/empty-values' },
  { name: 'versions (one kind and name in two API versions)', path: 'versions' },
  { name: 'metadata (the kustomization\'s own metadata changes nothing)', path: 'metadata' },
  { name: 'legacy-overlay (bases, patchesStrategicMerge with $patch: delete, patchesJson6902 order)', path: 'legacy/overlay' },
  { name: 'configurations-base (fieldSpecs and nameReference for custom kinds)', path: 'configurations/base' },
  { name: 'configurations-overlay (a base\'s configurations apply above it, merged with the overlay\'s)', path: 'configurations/overlay' },
  { name: 'vars-base (objref and fieldref, $$ and unknown vars, typed whole values)', path: 'vars/base' },
  { name: 'vars-overlay (vars resolved after prefix, namespace and hash; configured varReference)', path: 'vars/overlay' },
  { name: 'transformers (builtin transformers in files and inline)', path: 'transformers' },
  { name: 'references-base (Role, account and cluster binding found across namespaces once moved)', path: 'references/base' },
  { name: 'references-overlay (patch by an earlier name, replace without hash)', path: 'references/overlay' },
  { name: 'references-earlier (a reference a top level patches in follows the base\'s name through two renames)', path: 'references/earlier/top' },
  { name: 'replacements-base (inline and path files, delimiter/index, create, label/annotation selectors, wildcards)', path: 'replacements/base' },
  { name: 'replacements-overlay (ids before renames, list index, mapping copy, unanchored list filter, reject)', path: 'replacements/overlay' },
] as const;

/** Cases the native renderer refuses (unsupported fields) and renderSource sends to the kustomize binary. */
export const FALLBACK_CASES = [{ name: 'fallback-sort-options', path: 'fallback/sort-options' }] as const;

export function goldenPath(path: string): string {
  return join(KUSTOMIZE_FIXTURES, path, 'expected.yaml');
}

export function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `kubectl kustomize` of a fixture directory, as kustomize prints it. */
export function kubectlKustomize(path: string): string {
  return execFileSync('kubectl', ['kustomize', join(KUSTOMIZE_FIXTURES, path)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** A multi-document YAML stream as plain values (empty documents dropped). */
export function parseStream(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d !== null);
}

/** The fixture tree as the repo-relative file map the git layer hands over. */
export function loadTree(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(KUSTOMIZE_FIXTURES, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'expected.yaml') continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(KUSTOMIZE_FIXTURES, full).split('\\').join('/'), readFileSync(full));
  }
  return files;
}

/** The kustomize version a golden was made with, as its first line. */
function versionHeader(): string {
  const version = /Kustomize Version: (\S+)/.exec(execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return `# kubectl kustomize (kustomize ${version})\n`;
}

function main(): void {
  const header = versionHeader();
  const only = process.argv.slice(2);
  for (const c of [...CASES, ...FALLBACK_CASES].filter((c) => only.length === 0 || only.includes(c.path))) {
    writeFileSync(goldenPath(c.path), header + kubectlKustomize(c.path));
    console.log(`wrote ${goldenPath(c.path)}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
