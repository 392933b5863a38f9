/**
 * The kustomize differential cases (fixture directories under test/fixtures/kustomize) and,
 * when run directly (`npx tsx test/render/gen-kustomize-goldens.ts`), the regeneration of
 * each case's expected.yaml with `kubectl kustomize`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

export const KUSTOMIZE_FIXTURES = join(import.meta.dirname, '../fixtures/kustomize');

export const CASES = [
  { name: 'full-base', path: 'full/base' },
  { name: 'full-overlay', path: 'full/overlay' },
  { name: 'full-top', path: 'full/top' },
  { name: 'patches-overlay', path: 'patches/overlay' },
  { name: 'generators-base', path: 'generators/base' },
  { name: 'generators-overlay', path: 'generators/overlay' },
] as const;

export function goldenPath(path: string): string {
  return join(KUSTOMIZE_FIXTURES, path, 'expected.yaml');
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

function main(): void {
  for (const c of CASES) {
    const out = execFileSync('kubectl', ['kustomize', join(KUSTOMIZE_FIXTURES, c.path)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    writeFileSync(goldenPath(c.path), out);
    console.log(`wrote ${goldenPath(c.path)}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
