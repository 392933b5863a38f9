/**
 * Golden patch cases: `test/fixtures/patch/<name>.json` holds an object, a patch and what
 * `kubectl patch --local` (apimachinery's own code) made of them, or its error.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isJsonObject, type JsonObject } from '../../src/json.ts';

export type PatchType = 'strategic' | 'merge';

/** A case as written by hand (patch-cases.ts) or built from the schema table (patch-probes.ts). */
export interface PatchCase {
  readonly name: string;
  readonly type: PatchType;
  /** why the case exists, and any known difference from kubectl's raw output */
  readonly note: string;
  readonly original: JsonObject;
  readonly patch: JsonObject;
}

/** What kubectl answered: the patched object, or the text of its error. */
export type KubectlResult = { readonly expected: JsonObject } | { readonly error: string };

export type GoldenCase = PatchCase & KubectlResult;

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/patch/', import.meta.url));

export function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the real apimachinery patch code through `kubectl patch --local`; no cluster needed. */
export function runKubectlPatch(c: PatchCase): KubectlResult {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-patch-'));
  try {
    const file = join(dir, 'original.json');
    writeFileSync(file, JSON.stringify(c.original));
    const args = ['patch', '--local', '-f', file, '--type', c.type, '-p', JSON.stringify(c.patch), '-o', 'json'];
    try {
      const out = execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const parsed: unknown = JSON.parse(out);
      if (!isJsonObject(parsed)) throw new Error(`kubectl printed a non-object for ${c.name}`);
      return { expected: parsed };
    } catch (err) {
      const stderr = (err as { stderr?: unknown }).stderr;
      if (typeof stderr !== 'string' || stderr === '') throw err;
      return { error: stderr.trim() };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function isGolden(value: unknown): value is GoldenCase {
  return (
    isJsonObject(value) &&
    typeof value['name'] === 'string' &&
    isJsonObject(value['original']) &&
    isJsonObject(value['patch']) &&
    (isJsonObject(value['expected']) || typeof value['error'] === 'string')
  );
}

export function loadGoldens(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const parsed: unknown = JSON.parse(readFileSync(join(GOLDEN_DIR, f), 'utf8'));
      if (!isGolden(parsed)) throw new Error(`${f} is not a golden patch case`);
      return parsed;
    });
}

export function writeGolden(g: GoldenCase): void {
  writeFileSync(join(GOLDEN_DIR, `${g.name}.json`), `${JSON.stringify(g, null, 2)}\n`);
}
