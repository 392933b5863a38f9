import { isJsonObject, type JsonValue } from '../../json.ts';
import { goQuote } from './content.ts';
import { goSprintV, structFields, structOfKind, type ListKeys, type TypeRef } from './go-decode.ts';

/**
 * Server-side apply's type check (sigs.k8s.io/structured-merge-diff, typed.AsTyped on the
 * applied configuration), in its words: `.spec.replicas: expected numeric (int or float), got
 * string`. It knows scalars only as numeric, string, boolean or untyped (IntOrString and
 * Quantity), so `replicas: 1.5` or `cpu: lots` pass here and fail later, when the merged
 * object is converted to its Go type. Paths name list items as SSA does: `[name="app"]` for
 * keyed lists, `[="a"]` for sets, `[0]` otherwise (a key missing from an item, with no default, is left out).
 */

type Scalar = 'numeric' | 'string' | 'boolean' | 'untyped' | 'any';

const SCALARS: Readonly<Record<string, Scalar>> = {
  int32: 'numeric', int64: 'numeric', float64: 'numeric',
  string: 'string', bytes: 'string', time: 'string',
  bool: 'boolean',
  intstr: 'untyped', quantity: 'untyped',
  any: 'any',
};

/** Every error, in the body's order, as `typed.ValidationErrors.Error()` joins them; undefined when it types. */
export function applyTypeError(apiVersion: string, kind: string, config: JsonValue): string | undefined {
  const key = structOfKind(apiVersion, kind);
  if (key === undefined) return undefined;
  const errors: string[] = [];
  walk(key, config, '', errors);
  if (errors.length === 0) return undefined;
  return errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
}

function walk(ref: TypeRef, value: JsonValue, path: string, errors: string[]): void {
  if (value === null || value === undefined) return;
  if (typeof ref !== 'string') {
    const [shape, elem, keys] = ref;
    if (shape === 'map') {
      if (!isJsonObject(value)) errors.push(`${path}: expected map, got ${pointerV(value)}`);
      else for (const name in value) walk(elem, value[name]!, `${path}.${name}`, errors);
      return;
    }
    if (!Array.isArray(value)) errors.push(`${path}: expected list, got ${pointerV(value)}`);
    else value.forEach((item, i) => walk(elem, item, `${path}${itemElement(item, i, keys)}`, errors));
    return;
  }
  const scalar = SCALARS[ref];
  if (scalar === undefined) {
    const fields = structFields(ref);
    if (!fields) return;
    if (!isJsonObject(value)) {
      errors.push(`${path}: expected map, got ${pointerV(value)}`);
      return;
    }
    for (const name in value) {
      const field = fields[name];
      if (field !== undefined) walk(field, value[name]!, `${path}.${name}`, errors);
    }
    return;
  }
  const message = scalarError(scalar, value);
  if (message) errors.push(`${path}: ${message}`);
}

/** validateScalar */
function scalarError(scalar: Scalar, value: JsonValue): string | undefined {
  const isScalar = typeof value !== 'object';
  switch (scalar) {
    case 'numeric':
      return typeof value === 'number' ? undefined : `expected numeric (int or float), got ${goTypeOf(value)}`;
    case 'string':
      return typeof value === 'string' ? undefined : `expected string, got &value.valueUnstructured{Value:${goSharpV(value)}}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected boolean, got ${pointerV(value)}`;
    case 'untyped':
      return isScalar ? undefined : `expected any scalar, got ${pointerV(value)}`;
    default:
      return undefined;
  }
}

/**
 * Defaults of list-map keys, which an item may leave out: the OpenAPI v3 schema SSA reads has
 * them, the v2 document the type table comes from does not. In 1.33 they are all ports' protocol.
 */
const KEY_DEFAULTS: Readonly<Record<string, JsonValue>> = { protocol: 'TCP' };

/** fieldpath.PathElement.String() of a list item. */
function itemElement(item: JsonValue, index: number, keys: ListKeys | undefined): string {
  if (keys === 'set') return `[=${valueString(item)}]`;
  if (keys === undefined || !isJsonObject(item)) return `[${index}]`;
  const named = [...keys].sort().flatMap((k) => {
    const v = item[k] ?? KEY_DEFAULTS[k];
    return v === undefined ? [] : [`${k}=${valueString(v)}`];
  });
  return `[${named.join(',')}]`;
}

/** value.ToString */
function valueString(v: JsonValue): string {
  if (typeof v === 'string') return goQuote(v);
  if (v === null) return 'null';
  return typeof v === 'object' ? goSprintV(v) : String(v);
}

/** %v of a *value.valueUnstructured */
function pointerV(v: JsonValue): string {
  return `&{${goSprintV(v)}}`;
}

/** %T of a decoded JSON value */
function goTypeOf(v: JsonValue): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (isJsonObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** %#v of a decoded JSON value */
function goSharpV(v: JsonValue): string {
  if (v === null) return 'interface {}(nil)';
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharpV).join(', ')}}`;
  if (isJsonObject(v)) {
    return `map[string]interface {}{${Object.keys(v).sort().map((k) => `${goQuote(k)}:${goSharpV(v[k]!)}`).join(', ')}}`;
  }
  return goSprintV(v);
}
