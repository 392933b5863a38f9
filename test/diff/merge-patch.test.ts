import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/json.ts';
import { applyMergePatch } from '../../src/diff/merge-patch.ts';
import { loadGoldens, type GoldenCase } from './patch-goldens.ts';

describe('applyMergePatch: RFC 7386 appendix A', () => {
  it.each<{ original: JsonValue; patch: JsonValue; want: JsonValue }>([
    { original: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
    { original: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
    { original: { a: 'b' }, patch: { a: null }, want: {} },
    { original: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
    { original: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
    { original: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
    { original: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
    { original: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
    { original: ['a', 'b'], patch: ['c', 'd'], want: ['c', 'd'] },
    { original: { a: 'b' }, patch: ['c'], want: ['c'] },
    { original: { a: 'foo' }, patch: null, want: null },
    { original: { a: 'foo' }, patch: 'bar', want: 'bar' },
    { original: { e: null }, patch: { a: 1 }, want: { e: null, a: 1 } },
    { original: [1, 2], patch: { a: 'b', c: null }, want: { a: 'b' } },
    { original: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
  ])('$original + $patch', ({ original, patch, want }) => {
    expect(applyMergePatch(original, patch)).toEqual(want);
  });
});

describe('applyMergePatch: kube-apiserver details', () => {
  it.each<{ name: string; original: JsonValue | undefined; patch: JsonValue; want: JsonValue }>([
    { name: 'no document yet', original: undefined, patch: { a: { b: null, c: 1 } }, want: { a: { c: 1 } } },
    { name: 'a null target member counts as absent', original: { a: null }, patch: { a: { b: null, c: [{ d: null }] } }, want: { a: { c: [{}] } } },
    { name: 'new arrays lose null object members, keep null items', original: {}, patch: { a: [{ b: null }, null] }, want: { a: [{}, null] } },
    { name: 'an object replaced by an array is taken verbatim', original: { a: { x: 1 } }, patch: { a: [{ b: null }] }, want: { a: [{ b: null }] } },
  ])('$name', ({ original, patch, want }) => {
    expect(applyMergePatch(original, patch)).toEqual(want);
  });

  it('never mutates its inputs, and the result shares nothing with them', () => {
    const original = { a: { b: 1 }, keep: { deep: [1] } };
    const patch = { a: { c: { d: 2 } } };
    const result = applyMergePatch(original, patch) as { keep: { deep: number[] }; a: { c: { d: number } } };
    result.keep.deep.push(2);
    result.a.c.d = 3;
    expect(original).toEqual({ a: { b: 1 }, keep: { deep: [1] } });
    expect(patch).toEqual({ a: { c: { d: 2 } } });
  });
});

describe('applyMergePatch: kubectl goldens', () => {
  const goldens = loadGoldens().filter((g) => g.type === 'merge');
  it.each(goldens.map((g) => [g.name, g] as const))('%s', (_name, g: GoldenCase) => {
    if ('error' in g) throw new Error(`${g.name}: kubectl refused a merge patch: ${g.error}`);
    expect(applyMergePatch(g.original, g.patch)).toEqual(g.expected);
  });
});
