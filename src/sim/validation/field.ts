import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { goQuote } from './content.ts';

/**
 * Field errors as k8s.io/apimachinery/pkg/util/validation/field builds them: the cause's
 * `message` is Error.ErrorBody() ("Invalid value: \"x\": detail") and `field` the path string,
 * exactly what metav1.Status.details.causes carry.
 */

export const CAUSE_REASONS = [
  'FieldValueRequired',
  'FieldValueInvalid',
  'FieldValueNotSupported',
  'FieldValueDuplicate',
  'FieldValueForbidden',
  'FieldValueTooLong',
] as const;
export type CauseReason = (typeof CAUSE_REASONS)[number];

export interface FieldCause {
  reason: CauseReason;
  message: string;
  field: string;
}

/** A value Go prints through fmt.Stringer (IntOrString shows as `25%`, not `"25%"`). */
export class Stringer {
  constructor(readonly text: string) {}
}

export type BadValue = JsonValue | undefined | Stringer;

function showValue(value: BadValue): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Stringer) return value.text;
  // Go prints structs with %#v; JSON is the closest readable form for plain data
  return JSON.stringify(value);
}

function withDetail(body: string, detail: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export function required(field: string, detail = ''): FieldCause {
  return { reason: 'FieldValueRequired', field, message: withDetail('Required value', detail) };
}

export function invalid(field: string, value: BadValue, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: withDetail(`Invalid value: ${showValue(value)}`, detail) };
}

export function notSupported(field: string, value: BadValue, valid: readonly string[]): FieldCause {
  const detail = valid.length > 0 ? `supported values: ${valid.map(goQuote).join(', ')}` : '';
  return { reason: 'FieldValueNotSupported', field, message: withDetail(`Unsupported value: ${showValue(value)}`, detail) };
}

export function duplicate(field: string, value: BadValue): FieldCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${showValue(value)}` };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueForbidden', field, message: withDetail('Forbidden', detail) };
}

export function tooLong(field: string, maxBytes: number): FieldCause {
  return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${maxBytes} bytes` };
}

export const IMMUTABLE = 'field is immutable';
export const NEGATIVE = 'must be greater than or equal to 0';

/** ValidateNonnegativeField, for a field that may be absent. */
export function nonNegative(field: string, value: JsonValue | undefined): FieldCause[] {
  return typeof value === 'number' && value < 0 ? [invalid(field, value, NEGATIVE)] : [];
}

// ---- paths (field.Path.String()) and JSON access -----------------------------------------

export const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

export function obj(v: JsonValue | undefined): JsonObject {
  return isJsonObject(v) ? v : {};
}

export function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

export function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

export function stringMap(v: JsonValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(v))) out[k] = typeof val === 'string' ? val : String(val);
  return out;
}
