import { isJsonObject, type JsonValue } from '../../json.ts';
import { parseQuantityMilli } from '../../diff/quantity.ts';
import table from '../openapi-data/types.json' with { type: 'json' };

/**
 * Type checks of built-in kinds, as kube-apiserver decodes a body into its Go struct before
 * anything else looks at it. The field types come from the OpenAPI document Kubernetes
 * publishes (openapi-data/types.json, made by scripts/openapi-types.ts), so every built-in
 * kind is covered by data alone. Two Go decoders run in a real server, with their own words:
 *
 * - encoding/json (sigs.k8s.io/json) for create and update bodies and for the result of a
 *   JSON or merge patch: `json: cannot unmarshal string into Go struct field
 *   DeploymentSpec.spec.replicas of type int32`. It goes on after a type error and reports
 *   the first; a custom decoder's error (Quantity, IntOrString, Time) stops it at once.
 * - runtime.DefaultUnstructuredConverter for the result of a strategic merge patch:
 *   `unrecognized type: int32`, `cannot convert float64 to int32`, first error only.
 *
 * Go's own type names are approximated from the schema: named maps and slices
 * (v1.ResourceList) print as what they hold (map[string]resource.Quantity). Unknown fields
 * are not this module's business (a real server drops them, or refuses them only when the
 * client asks for strict field validation).
 */

/** How server-side apply tells a list's items apart: by these keys (list-type map), by value (set), else by index. */
export type ListKeys = readonly string[] | 'set';

/** A scalar code, a list or map of a type, or the key of a struct in the table ("apps.v1.DeploymentSpec"). */
export type TypeRef = string | readonly ['[]', TypeRef, ListKeys?] | readonly ['map', TypeRef];

interface TypeTable {
  /** "apps/v1/Deployment" (core: "v1/Pod") -> struct key */
  readonly kinds: Readonly<Record<string, string>>;
  readonly types: Readonly<Record<string, Readonly<Record<string, TypeRef>>>>;
}

const TYPES = table as unknown as TypeTable;

/** [lowest, first past the highest]: 2 ** 63 - 1 is no double, so the int64 bound must be exclusive */
const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31],
  int64: [-(2 ** 63), 2 ** 63],
  uint8: [0, 256],
};

/** resource.ErrFormatWrong: what ParseQuantity says of anything that does not read as a quantity */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The struct key of a built-in kind, or undefined (custom resources, kinds without a published schema). */
export function structOfKind(apiVersion: string, kind: string): string | undefined {
  return TYPES.kinds[`${apiVersion}/${kind}`];
}

/** Go's reflect.Type.String() of a field type: v1.DeploymentSpec, []v1.Container, map[string]string. */
export function goTypeName(ref: TypeRef): string {
  if (typeof ref !== 'string') return ref[0] === '[]' ? `[]${goTypeName(ref[1])}` : `map[string]${goTypeName(ref[1])}`;
  switch (ref) {
    case 'bytes':
      return '[]uint8';
    case 'time':
      return 'v1.Time';
    case 'intstr':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'any':
      return 'interface {}';
    default:
      return TYPES.types[ref] ? ref.split('.').slice(-2).join('.') : ref;
  }
}

/** The fields of a struct key, or undefined for a scalar code. */
export function structFields(key: string): Readonly<Record<string, TypeRef>> | undefined {
  return TYPES.types[key];
}

const structName = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** How Go's JSON decoder names a JSON value in an UnmarshalTypeError ("number 1.5" for an int target). */
function jsonKind(value: JsonValue, withNumber: boolean): string {
  if (Array.isArray(value)) return 'array';
  if (isJsonObject(value)) return 'object';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return withNumber ? `number ${numberText(value)}` : 'number';
  return 'string';
}

/** The literal as a client would have written it (JSON.parse keeps no text: 1e20 prints in full). */
function numberText(n: number): string {
  return Number.isInteger(n) && Number.isFinite(n) ? BigInt(n).toString() : String(n);
}

/** Where Go's base64.StdEncoding would stop on `value`, or undefined when it decodes. */
export function base64ErrorOffset(value: string): number | undefined {
  const body = value.replace(/[\r\n]/g, '');
  const bad = body.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return bad;
  const pad = body.indexOf('=');
  if (pad >= 0 && (!/^={1,2}$/.test(body.slice(pad)) || body.length % 4 !== 0)) return pad;
  return body.length % 4 === 0 ? undefined : body.length - (body.length % 4);
}

/** The items of a list or the values of a map. */
function itemsOf(value: JsonValue): readonly JsonValue[] {
  return Array.isArray(value) ? value : isJsonObject(value) ? Object.values(value) : [];
}

function fitsInt(value: number, type: string): boolean {
  const range = INT_RANGES[type]!;
  return Number.isInteger(value) && value >= range[0] && value < range[1];
}

function quantityError(value: JsonValue): string | undefined {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return parseQuantityMilli(text.trim()) === undefined ? QUANTITY_FORMAT_ERROR : undefined;
}

// ---- encoding/json ----

interface JsonDecode {
  /** the first type error, as d.saveError keeps it */
  saved?: string;
}

/**
 * Where the decoder is (errorContext): the struct whose field it decodes and the path of field
 * names, kept as a chain so that no path string is built unless an error needs it.
 */
interface Context {
  readonly struct: string;
  readonly name: string;
  readonly parent: Context | undefined;
}

function fieldPath(ctx: Context): string {
  return ctx.parent ? `${fieldPath(ctx.parent)}.${ctx.name}` : ctx.name;
}

function typeError(value: string, type: string, ctx: Context | undefined): string {
  if (!ctx) return `json: cannot unmarshal ${value} into Go value of type ${type}`;
  return `json: cannot unmarshal ${value} into Go struct field ${structName(ctx.struct)}.${fieldPath(ctx)} of type ${type}`;
}

function save(state: JsonDecode, message: string): undefined {
  state.saved ??= message;
  return undefined;
}

/**
 * The error kube-apiserver's JSON decoder reports for `obj` as a `kind` of `apiVersion`, or
 * undefined when it decodes. Kinds without a schema always decode.
 */
export function jsonDecodeError(apiVersion: string, kind: string, obj: JsonValue): string | undefined {
  const key = structOfKind(apiVersion, kind);
  if (key === undefined) return undefined;
  const state: JsonDecode = {};
  const fatal = decodeJson(key, obj, undefined, state);
  return fatal ?? state.saved;
}

/** Returns a fatal error (a custom UnmarshalJSON failed); type errors are saved in `state`. */
function decodeJson(ref: TypeRef, value: JsonValue, ctx: Context | undefined, state: JsonDecode): string | undefined {
  // undefined: an in-process caller's absent field, which JSON would not carry
  if (value === null || value === undefined) return undefined;
  if (typeof ref !== 'string') return decodeCollection(ref, value, ctx, state);
  switch (ref) {
    case 'any':
      return undefined;
    case 'string':
      return typeof value === 'string' ? undefined : save(state, typeError(jsonKind(value, false), 'string', ctx));
    case 'bool':
      return typeof value === 'boolean' ? undefined : save(state, typeError(jsonKind(value, false), 'bool', ctx));
    case 'float64':
      return typeof value === 'number' ? undefined : save(state, typeError(jsonKind(value, false), 'float64', ctx));
    case 'int32':
    case 'int64':
      return typeof value === 'number' && fitsInt(value, ref) ? undefined : save(state, typeError(jsonKind(value, true), ref, ctx));
    case 'bytes':
      return decodeBytes(value, ctx, state);
    case 'time':
      // metav1.Time.UnmarshalJSON decodes a string first (the RFC 3339 parse is not checked here)
      return typeof value === 'string' ? undefined : typeError(jsonKind(value, false), 'string', ctx);
    case 'intstr':
      // IntOrString.UnmarshalJSON: a string, or else whatever decodes into its int32
      if (typeof value === 'string' || (typeof value === 'number' && fitsInt(value, 'int32'))) return undefined;
      return typeError(jsonKind(value, true), 'int32', ctx);
    case 'quantity':
      return quantityError(value);
    default:
      return decodeStruct(ref, value, ctx, state);
  }
}

/** Lists and maps: their items keep the context of the field that holds them. */
function decodeCollection(ref: Exclude<TypeRef, string>, value: JsonValue, ctx: Context | undefined, state: JsonDecode): string | undefined {
  const [shape, elem] = ref;
  if (shape === '[]' ? !Array.isArray(value) : !isJsonObject(value)) return save(state, typeError(jsonKind(value, false), goTypeName(ref), ctx));
  for (const item of itemsOf(value)) {
    const fatal = decodeJson(elem, item, ctx, state);
    if (fatal) return fatal;
  }
  return undefined;
}

function decodeBytes(value: JsonValue, ctx: Context | undefined, state: JsonDecode): undefined {
  if (typeof value === 'string') {
    const offset = base64ErrorOffset(value);
    // base64's CorruptInputError carries no field context
    return offset === undefined ? undefined : save(state, `illegal base64 data at input byte ${offset}`);
  }
  if (!Array.isArray(value)) return save(state, typeError(jsonKind(value, false), '[]uint8', ctx));
  const bad = value.find((b) => !(typeof b === 'number' && fitsInt(b, 'uint8')));
  return bad === undefined || bad === null ? undefined : save(state, typeError(jsonKind(bad, true), 'uint8', ctx));
}

function decodeStruct(key: string, value: JsonValue, ctx: Context | undefined, state: JsonDecode): string | undefined {
  const fields = TYPES.types[key];
  if (!fields) return undefined;
  if (!isJsonObject(value)) return save(state, typeError(jsonKind(value, false), goTypeName(key), ctx));
  for (const name in value) {
    const ref = fields[name];
    if (ref === undefined) continue;
    const fatal = decodeJson(ref, value[name]!, { struct: key, name, parent: ctx }, state);
    if (fatal) return fatal;
  }
  return undefined;
}

// ---- runtime.DefaultUnstructuredConverter ----

/** reflect.Kind of a value decoded by apimachinery's JSON (whole numbers are int64). */
function goKind(value: JsonValue): string {
  if (Array.isArray(value)) return 'slice';
  if (isJsonObject(value)) return 'map';
  if (typeof value === 'number') return Number.isInteger(value) && fitsInt(value, 'int64') ? 'int64' : 'float64';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

/**
 * The error FromUnstructured reports converting `obj` (a strategic merge patch's result) to a
 * `kind` of `apiVersion`, or undefined. One deviation: a whole number out of an int32
 * field's range is refused as `cannot convert int64 to int32` (Go's conversion would wrap it).
 */
export function unstructuredConvertError(apiVersion: string, kind: string, obj: JsonValue): string | undefined {
  const key = structOfKind(apiVersion, kind);
  return key === undefined ? undefined : convert(key, obj);
}

function convert(ref: TypeRef, value: JsonValue): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof ref !== 'string') {
    const [shape, elem] = ref;
    if (shape === '[]' && !Array.isArray(value)) return `cannot restore slice from ${goKind(value)}`;
    if (shape === 'map' && !isJsonObject(value)) return `cannot restore map from ${goKind(value)}`;
    for (const item of itemsOf(value)) {
      const error = convert(elem, item);
      if (error) return error;
    }
    return undefined;
  }
  const kind = goKind(value);
  switch (ref) {
    case 'any':
      return undefined;
    case 'string':
      return kind === 'string' ? undefined : kind === 'int64' ? 'cannot convert int64 to string' : 'unrecognized type: string';
    case 'bool':
      return kind === 'bool' ? undefined : 'unrecognized type: bool';
    case 'float64':
      return kind === 'int64' || kind === 'float64' ? undefined : 'unrecognized type: float64';
    case 'int32':
    case 'int64':
      if (kind !== 'int64' && kind !== 'float64') return `unrecognized type: ${ref}`;
      return fitsInt(value as number, ref) ? undefined : `cannot convert ${kind} to ${ref}`;
    case 'bytes':
      if (kind === 'string') {
        const offset = base64ErrorOffset(value as string);
        return offset === undefined ? undefined : `error decoding from json: illegal base64 data at input byte ${offset}`;
      }
      return kind === 'slice' ? undefined : `cannot restore slice from ${kind}`;
    case 'time':
      return kind === 'string' ? undefined : `json: cannot unmarshal ${jsonKind(value, false)} into Go value of type string`;
    case 'intstr':
      if (kind === 'string' || (typeof value === 'number' && fitsInt(value, 'int32'))) return undefined;
      return `json: cannot unmarshal ${jsonKind(value, true)} into Go value of type int32`;
    case 'quantity':
      return quantityError(value);
    default: {
      const fields = TYPES.types[ref];
      if (!fields) return undefined;
      if (kind !== 'map') return `cannot restore struct from: ${kind}`;
      const obj = value as Record<string, JsonValue>;
      // Go visits the struct's fields in declaration order, which the schema does not keep: the body's order stands in
      for (const name in obj) {
        const field = fields[name];
        const error = field === undefined ? undefined : convert(field, obj[name]!);
        if (error) return error;
      }
      return undefined;
    }
  }
}

/** fmt's %+v of a decoded JSON value: `map[spec:map[replicas:three]]`, as the apiserver quotes a strategic merge patch. */
export function goSprintV(value: JsonValue): string {
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goSprintV).join(' ')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goSprintV(value[k]!)}`).join(' ')}]`;
  }
  if (typeof value === 'number') return goKind(value) === 'int64' ? numberText(value) : goFloat(value);
  return String(value);
}

/** strconv.FormatFloat(f, 'g', -1, 64): exponent form from 1e+06 up and below 1e-04. */
function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  const exp = f === 0 ? 0 : Math.floor(Math.log10(Math.abs(f)));
  // in this range JavaScript's shortest digits are Go's too
  if (exp >= -4 && exp < 6) return String(f);
  const [mantissa, e = '0'] = f.toExponential().split('e');
  const sign = e.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
}
