import { describe, expect, it } from 'vitest';
import { hasKubectl, loadGoldens, runKubectlPatch, type GoldenCase } from './patch-goldens.ts';

const goldens = loadGoldens();

describe('patch goldens still agree with kubectl', () => {
  // kubectl is the oracle the goldens came from (gen-patch-goldens.ts). Where it is not
  // installed only this re-check is skipped; the goldens themselves are still tested.
  it.skipIf(!hasKubectl()).each(goldens.map((g) => [g.name, g] as const))('%s', (_name, g: GoldenCase) => {
    const now = runKubectlPatch(g);
    if ('error' in g) expect(now).toHaveProperty('error');
    else expect(now).toEqual({ expected: g.expected });
  });
});
