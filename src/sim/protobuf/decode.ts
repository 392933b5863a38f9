import type { JsonObject, JsonValue } from '../../json.ts';
import { messageNamed, type FieldSpec, type MessageSpec, type Scalar, type Special, type ValueType } from './schema.ts';
import {
  isZeroField, ProtobufDecodeError, readFields, readPackedVarints, toInt32, toInt64, type WireField,
} from './wire.ts';

/**
 * Decodes one message into the JSON Go's encoding/json would write for the same struct.
 * Go's protobuf marshalling writes every non-pointer scalar and struct, zero or not, while JSON
 * drops omitempty zeros; pointers (`replicas: 0`) and `!` fields keep them.
 */
export function decodeMessage(spec: MessageSpec, buf: Buffer): JsonObject {
  const byNumber = new Map<number, WireField[]>();
  for (const field of readFields(buf)) {
    if (!spec.fields.has(field.number)) {
      // a newer client's zero-valued field carries nothing; anything else would be lost data
      if (isZeroField(field)) continue;
      throw new ProtobufDecodeError(`${spec.name} has no field ${field.number} (wire type ${field.wireType}) in this server's schema`);
    }
    const list = byNumber.get(field.number);
    if (list) list.push(field);
    else byNumber.set(field.number, [field]);
  }
  const out: JsonObject = {};
  for (const field of spec.fields.values()) {
    const occurrences = byNumber.get(field.number);
    const where = `${spec.name} field ${field.number}`;
    if (field.json === undefined) {
      if (occurrences) Object.assign(out, decodeSingle(field.type, occurrences, where));
      continue;
    }
    const value = occurrences ? decodeField(field, occurrences, where) : absentValue(field);
    if (value !== undefined) out[field.json] = value;
  }
  return out;
}

function decodeField(field: FieldSpec, occurrences: readonly WireField[], where: string): JsonValue | undefined {
  switch (field.shape) {
    case 'repeated':
      return occurrences.flatMap((o) => decodeRepeated(field.type, o, where));
    case 'map':
      return Object.fromEntries(occurrences.map((o) => decodeMapEntry(field.type, bytesOf(o, where), where)));
    case 'pointer':
      return decodeSingle(field.type, occurrences, where);
    case 'value': {
      const value = decodeSingle(field.type, occurrences, where);
      return field.always || field.type.kind !== 'scalar' || !isZeroJson(value) ? value : undefined;
    }
  }
}

/** What Go's JSON shows for a field the wire did not carry (a nil slice, map or pointer, or an unsent zero). */
function absentValue(field: FieldSpec): JsonValue | undefined {
  if (!field.always) return undefined;
  if (field.shape !== 'value' || field.type.kind === 'message') return field.shape === 'value' ? {} : null;
  return field.type.kind === 'scalar' ? scalarZero(field.type.name) : specialZero(field.type.name);
}

/** A singular field: proto keeps the last scalar and merges repeated message occurrences (concatenating does both). */
function decodeSingle(type: ValueType, occurrences: readonly WireField[], where: string): JsonValue {
  if (type.kind === 'scalar') return decodeScalar(type.name, occurrences[occurrences.length - 1]!, where);
  const buf = occurrences.length === 1 ? bytesOf(occurrences[0]!, where) : Buffer.concat(occurrences.map((o) => bytesOf(o, where)));
  return type.kind === 'special' ? decodeSpecial(type.name, buf, where) : decodeMessage(messageNamed(type.name), buf);
}

function decodeRepeated(type: ValueType, field: WireField, where: string): JsonValue[] {
  if (type.kind === 'scalar' && field.wireType === 2 && isPacked(type.name)) {
    return readPackedVarints(field.value).map((v) => decodeScalar(type.name, { number: field.number, wireType: 0, value: v }, where));
  }
  return [decodeSingle(type, [field], where)];
}

const isPacked = (scalar: Scalar): boolean => scalar === 'int32' || scalar === 'int64' || scalar === 'bool';

/** A map entry is a message {key = 1, value = 2}; a missing value is the value type's zero. */
function decodeMapEntry(type: ValueType, buf: Buffer, where: string): [string, JsonValue] {
  let key = '';
  const values: WireField[] = [];
  for (const field of readFields(buf)) {
    if (field.number === 1) key = bytesOf(field, where).toString('utf8');
    else if (field.number === 2) values.push(field);
    else if (!isZeroField(field)) throw new ProtobufDecodeError(`${where}: map entry has field ${field.number}`);
  }
  if (values.length > 0) return [key, decodeSingle(type, values, where)];
  if (type.kind === 'scalar') return [key, scalarZero(type.name)];
  return [key, type.kind === 'special' ? decodeSpecial(type.name, Buffer.alloc(0), where) : {}];
}

function bytesOf(field: WireField, where: string): Buffer {
  if (field.wireType !== 2) throw new ProtobufDecodeError(`${where}: wire type ${field.wireType} where bytes were expected`);
  return field.value;
}

function decodeScalar(scalar: Scalar, field: WireField, where: string): JsonValue {
  if (scalar === 'string') return bytesOf(field, where).toString('utf8');
  if (scalar === 'bytes') return bytesOf(field, where).toString('base64');
  if (scalar === 'double') {
    if (field.wireType !== 1) throw new ProtobufDecodeError(`${where}: wire type ${field.wireType} where a double was expected`);
    return field.value.readDoubleLE(0);
  }
  if (field.wireType !== 0) throw new ProtobufDecodeError(`${where}: wire type ${field.wireType} where a varint was expected`);
  if (scalar === 'bool') return field.value !== 0n;
  return scalar === 'int32' ? toInt32(field.value) : toInt64(field.value);
}

function scalarZero(scalar: Scalar): JsonValue {
  if (scalar === 'string' || scalar === 'bytes') return scalar === 'string' ? '' : null;
  return scalar === 'bool' ? false : 0;
}

const isZeroJson = (value: JsonValue): boolean => value === '' || value === 0 || value === false;

/** A field of the small wrapper messages of the special types, or the scalar's zero when absent. */
function smallField(fields: readonly WireField[], n: number, scalar: Scalar, where: string): JsonValue {
  const field = fields.findLast((f) => f.number === n);
  return field === undefined ? scalarZero(scalar) : decodeScalar(scalar, field, where);
}

/** RFC 3339 in UTC, as metav1.Time (seconds) and metav1.MicroTime (microseconds) write it. */
function formatTime(seconds: number, nanos: number, micro: boolean, where: string): string {
  const date = new Date(seconds * 1000);
  // Go's RFC 3339 has four-digit years; so do Kubernetes' timestamps
  if (!(date.getUTCFullYear() >= 0 && date.getUTCFullYear() <= 9999)) throw new ProtobufDecodeError(`${where}: time out of range`);
  const base = date.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

function parseRawJson(buf: Buffer, where: string): JsonValue {
  if (buf.length === 0) return null;
  try {
    return JSON.parse(buf.toString('utf8')) as JsonValue;
  } catch {
    throw new ProtobufDecodeError(`${where}: embedded raw value is not JSON`);
  }
}

function decodeSpecial(special: Special, buf: Buffer, where: string): JsonValue {
  const fields = readFields(buf);
  const get = (n: number, scalar: Scalar): JsonValue => smallField(fields, n, scalar, where);
  switch (special) {
    case 'IntOrString': // {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}
      return get(1, 'int64') === 1 ? get(3, 'string') : get(2, 'int32');
    case 'Quantity': // {string = 1}; Go's zero Quantity prints as "0"
      return get(1, 'string') || '0';
    case 'Time': // Timestamp {seconds = 1, nanos = 2}; an empty message is the zero time, JSON null
    case 'MicroTime':
      if (buf.length === 0) return null;
      return formatTime(get(1, 'int64') as number, get(2, 'int32') as number, special === 'MicroTime', where);
    case 'FieldsV1': // {raw = 1}: the JSON itself
    case 'RawExtension': {
      const raw = fields.findLast((f) => f.number === 1);
      return parseRawJson(raw ? bytesOf(raw, where) : Buffer.alloc(0), where);
    }
  }
}

function specialZero(special: Special): JsonValue {
  return special === 'IntOrString' ? 0 : special === 'Quantity' ? '0' : null;
}
