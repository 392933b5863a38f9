/**
 * Regenerates test/fixtures/three-way/*.json from the real kubectl against the embedded
 * cluster (the oracle for three-way apply). Run after changing three-way-cases.ts:
 *   npx tsx test/diff/gen-three-way-goldens.ts
 * Review the fixture diff before committing: the goldens are the expected results.
 */
import { SPURIOUS_CASES, THREE_WAY_CASES } from './three-way-cases.ts';
import { GOLDEN_DIR, hasKubectl, runSpuriousCases, runThreeWayCases, writeGoldens } from './three-way-oracle.ts';

if (!hasKubectl()) {
  console.error('kubectl is not on PATH: goldens can only be generated with it');
  process.exit(1);
}
const names = new Set(THREE_WAY_CASES.map((c) => c.name));
if (names.size !== THREE_WAY_CASES.length) throw new Error('duplicate case names');

const threeWay = await runThreeWayCases(THREE_WAY_CASES);
const spurious = await runSpuriousCases(SPURIOUS_CASES);
writeGoldens(threeWay, spurious);
console.log(`${threeWay.length + spurious.length} goldens written to ${GOLDEN_DIR}`);
