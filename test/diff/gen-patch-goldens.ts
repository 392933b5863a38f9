/**
 * Regenerates test/fixtures/patch/*.json from kubectl, the oracle (it runs apimachinery's
 * own patch code locally). Run once after changing the cases or the schema table:
 *   npx tsx test/diff/gen-patch-goldens.ts
 * Review the diff of the fixtures before committing: they are the expected results.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PATCH_CASES } from './patch-cases.ts';
import { GOLDEN_DIR, hasKubectl, runKubectlPatch, writeGolden } from './patch-goldens.ts';
import { probeCases } from './patch-probes.ts';

if (!hasKubectl()) {
  console.error('kubectl is not on PATH: goldens can only be generated with it');
  process.exit(1);
}

const cases = [...PATCH_CASES, ...probeCases()];
const names = new Set(cases.map((c) => c.name));
if (names.size !== cases.length) throw new Error('duplicate case names');

// drop goldens of cases that no longer exist
for (const file of readdirSync(GOLDEN_DIR)) {
  if (file.endsWith('.json') && !names.has(file.slice(0, -'.json'.length))) rmSync(join(GOLDEN_DIR, file));
}
for (const c of cases) {
  const result = runKubectlPatch(c);
  writeGolden({ ...c, ...result });
  console.log(`${'error' in result ? 'error' : 'ok   '} ${c.name}`);
}
console.log(`${cases.length} goldens written to ${GOLDEN_DIR}`);
