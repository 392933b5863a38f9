import { beforeAll, describe, expect, it } from 'vitest';
import { isJsonObject, jsonEqual, type JsonObject } from '../../src/json.ts';
import { normalizeObject } from '../../src/diff/normalize.ts';
import { diffResource } from '../../src/diff/resource-diff.ts';
import { lastAppliedText } from '../../src/diff/three-way.ts';
import { applyDefaults } from '../../src/sim/defaults.ts';
import { SPURIOUS_CASES, THREE_WAY_CASES } from './three-way-cases.ts';
import { hasKubectl, loadSpuriousGoldens, loadThreeWayGoldens, runSpuriousCases, runThreeWayCases, type SpuriousGolden, type ThreeWayGolden } from './three-way-oracle.ts';

const goldens = loadThreeWayGoldens(THREE_WAY_CASES);
const spurious = loadSpuriousGoldens(SPURIOUS_CASES);

/** The prediction as the API server would store it: its defaulting fills what the patch added bare. */
function serverView(obj: JsonObject): JsonObject {
  const copy = structuredClone(obj);
  applyDefaults(copy);
  return normalizeObject(copy);
}

describe('three-way apply agrees with kubectl (goldens from gen-three-way-goldens.ts)', () => {
  it('covers the table', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(25);
  });

  it.each(goldens.map((g) => [g.name, g] as const))('%s', (_name, g) => {
    const d = diffResource({ desired: g.modified, live: g.live, ignore: [] });
    expect(d.predicted).toBeDefined();
    const predicted = d.predicted as JsonObject;
    expect(serverView(predicted)).toEqual(normalizeObject(g.result));
    // the new last-applied annotation is byte-for-byte kubectl's
    expect(lastAppliedText(predicted)).toBe(lastAppliedText(g.result));
    expect(d.patchType).toBe(String(g.modified.apiVersion).startsWith('example.com/') ? 'merge' : 'strategic');

    const kubectlChanged = !jsonEqual(normalizeObject(g.live), normalizeObject(g.result));
    expect(d.status).toBe(kubectlChanged ? 'OutOfSync' : 'Synced');
    if (kubectlChanged) expect(d.jsonPatch.length).toBeGreaterThan(0);
    else expect(d.jsonPatch).toEqual([]);
  });

  it('finds the unchanged cases in sync and the changed ones out of sync', () => {
    const status = (name: string): string => {
      const g = goldens.find((x) => x.name === name);
      if (g === undefined) throw new Error(name);
      return diffResource({ desired: g.modified, live: g.live, ignore: [] }).status;
    };
    expect(status('unchanged')).toBe('Synced');
    expect(status('unchanged-service')).toBe('Synced');
    expect(status('hpa-replicas-kept')).toBe('OutOfSync');
    expect(status('scalar-change')).toBe('OutOfSync');
  });

  it('leaves the HPA-owned replicas alone when the manifest omits them', () => {
    const g = goldens.find((x) => x.name === 'hpa-replicas-kept');
    const d = diffResource({ desired: g!.modified, live: g!.live, ignore: [] });
    expect(isJsonObject(d.patch?.spec) && Object.hasOwn(d.patch.spec, 'replicas')).toBe(false);
    expect((d.predicted?.spec as JsonObject).replicas).toBe(5);
  });
});

describe('no spurious diff right after kubectl apply created the object', () => {
  it.each(spurious.map((g) => [g.name, g] as const))('%s', (_name, g) => {
    const d = diffResource({ desired: g.manifest, live: g.live, ignore: [] });
    expect(d.jsonPatch).toEqual([]);
    expect(d.status).toBe('Synced');
  });
});

// kubectl is the oracle the goldens came from; where it is not installed only this re-check is skipped.
// One oracle run per table (three kubectl invocations for all its cases, ~1 s), then one check per case.
describe.skipIf(!hasKubectl())('the goldens still agree with kubectl', () => {
  let threeWayNow: readonly ThreeWayGolden[] = [];
  let spuriousNow: readonly SpuriousGolden[] = [];
  beforeAll(async () => {
    [threeWayNow, spuriousNow] = await Promise.all([runThreeWayCases(THREE_WAY_CASES), runSpuriousCases(SPURIOUS_CASES)]);
  });

  it.each(goldens.map((g, i) => [g.name, i] as const))('three-way %s', (name, i) => {
    const now = threeWayNow[i];
    expect(now?.name).toBe(name);
    expect(normalizeObject(now!.result)).toEqual(normalizeObject(goldens[i]!.result));
    expect(lastAppliedText(now!.result)).toBe(lastAppliedText(goldens[i]!.result));
  });

  it.each(spurious.map((g, i) => [g.name, i] as const))('spurious-diff %s', (name, i) => {
    const now = spuriousNow[i];
    expect(now?.name).toBe(name);
    // fresh objects (new uids in Job selectors): the diff itself is what must stay empty
    const d = diffResource({ desired: now!.manifest, live: now!.live, ignore: [] });
    expect({ status: d.status, jsonPatch: d.jsonPatch }).toEqual({ status: 'Synced', jsonPatch: [] });
  });
});
