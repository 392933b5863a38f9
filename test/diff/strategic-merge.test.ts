import { describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject, type JsonValue } from '../../src/json.ts';
import { patchMetaFor, UNKNOWN_PATCH_META, type PatchMeta } from '../../src/diff/patch-meta.ts';
import { applyStrategicMergePatch, PatchError } from '../../src/diff/strategic-merge.ts';
import { loadGoldens, type GoldenCase } from './patch-goldens.ts';

const goldens = loadGoldens().filter((g) => g.type === 'strategic');
const table = goldens.map((g) => [g.name, g] as const);

function metaOf(obj: JsonObject): PatchMeta {
  const meta = patchMetaFor(String(obj['apiVersion']), String(obj['kind']));
  if (meta === undefined) throw new Error(`no patch meta for ${String(obj['apiVersion'])} ${String(obj['kind'])}`);
  return meta;
}

/** kubectl prints apimachinery's raw result; the API server (and we) drop leftover directive keys. */
function withoutDirectiveKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutDirectiveKeys);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !(k === '$patch' || k === '$retainKeys' || /^\$(setElementOrder|deleteFromPrimitiveList)\//.test(k)))
      .map(([k, v]) => [k, withoutDirectiveKeys(v)]),
  );
}

function deepFreeze<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) value.forEach(deepFreeze);
  else if (isJsonObject(value)) Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

describe('applyStrategicMergePatch: kubectl goldens', () => {
  it('has the goldens (run test/diff/gen-patch-goldens.ts to make them)', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(30);
  });

  it.each(table)('%s', (_name, g: GoldenCase) => {
    // frozen: a write into either input throws (modules run in strict mode)
    const original = deepFreeze(structuredClone(g.original));
    const patch = deepFreeze(structuredClone(g.patch));
    const apply = (): JsonObject => applyStrategicMergePatch(original, patch, metaOf(g.original));
    if ('error' in g) {
      expect(apply).toThrow(PatchError);
    } else {
      expect(apply()).toEqual(withoutDirectiveKeys(g.expected));
      // sharing what the patch left alone changes nothing in the result
      expect(applyStrategicMergePatch(original, patch, metaOf(g.original), { share: true })).toEqual(withoutDirectiveKeys(g.expected));
    }
    // inputs are never mutated
    expect(original).toEqual(g.original);
    expect(patch).toEqual(g.patch);
  });
});

const pod = (spec: JsonObject): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });

interface InlineCase {
  readonly name: string;
  readonly original: JsonObject;
  readonly patch: JsonObject;
  readonly want?: JsonObject;
  readonly meta?: PatchMeta;
}

describe('applyStrategicMergePatch: cases kubectl cannot show', () => {
  it.each<InlineCase>([
    {
      name: 'root $patch: delete empties the object',
      original: pod({ hostname: 'h' }),
      patch: { $patch: 'delete' },
      want: {},
    },
    {
      name: 'the result shares nothing with the inputs',
      original: pod({ containers: [{ name: 'a', image: 'a' }] }),
      patch: { spec: { volumes: [{ name: 'v', emptyDir: {} }] } },
      want: pod({ containers: [{ name: 'a', image: 'a' }], volumes: [{ name: 'v', emptyDir: {} }] }),
    },
    {
      name: 'an unknown field of a known kind merges maps and replaces lists',
      original: pod({ extra: { a: 1, list: [1, 2] } }),
      patch: { spec: { extra: { b: 2, list: [3] } } },
      want: pod({ extra: { a: 1, b: 2, list: [3] } }),
    },
    {
      name: 'with the unknown meta (a CRD) every list is atomic',
      original: { metadata: { finalizers: ['a'] }, spec: { items: [{ name: 'x' }] } },
      patch: { metadata: { finalizers: ['b'] }, spec: { items: [{ name: 'y' }] } },
      want: { metadata: { finalizers: ['b'] }, spec: { items: [{ name: 'y' }] } },
      meta: UNKNOWN_PATCH_META,
    },
  ])('$name', ({ original, patch, want, meta }) => {
    const result = applyStrategicMergePatch(original, patch, meta ?? metaOf(original));
    expect(result).toEqual(want);
    const spec = result['spec'];
    if (isJsonObject(spec)) spec['mutated'] = true;
    expect(original['spec']).not.toHaveProperty('mutated');
    expect(patch).not.toHaveProperty('spec.mutated');
  });

  it.each<InlineCase>([
    { name: 'a non-object patch', original: pod({}), patch: ['x'] as unknown as JsonObject },
    { name: 'a non-object original', original: null as unknown as JsonObject, patch: {} },
    {
      name: 'a null element in a merged list',
      original: { ...pod({}), metadata: { name: 'p', finalizers: ['a'] } },
      patch: { metadata: { finalizers: [null] } },
    },
    {
      name: 'live keyed items without their merge key',
      original: pod({ containers: [{ image: 'x' }] }),
      patch: { spec: { containers: [{ name: 'a' }] } },
    },
  ])('throws PatchError for $name', ({ original, patch }) => {
    expect(() => applyStrategicMergePatch(original, patch, metaOf(pod({})))).toThrow(PatchError);
  });
});
