/** The protobuf wire format: a flat reader that knows nothing about schemas. */

/** A malformed or unsupported protobuf body; the API server answers it with 400 BadRequest. */
export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

/** One field as it appears on the wire; repeated fields appear once per element. */
export type WireField =
  | { readonly number: number; readonly wireType: 0; readonly value: bigint }
  | { readonly number: number; readonly wireType: 1 | 2 | 5; readonly value: Buffer };

// 1 = fixed 64-bit, 2 = length-delimited, 5 = fixed 32-bit; 3/4 (groups) are proto1 relics nobody sends
const FIXED_SIZE = { 1: 8, 5: 4 } as const;

/** Reads a base-128 varint at `pos`; returns the value and the position after it. */
export function readVarint(buf: Buffer, pos: number): [value: bigint, next: number] {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos + i];
    if (byte === undefined) throw new ProtobufDecodeError('truncated varint');
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) return [BigInt.asUintN(64, value), pos + i + 1];
  }
  throw new ProtobufDecodeError('varint longer than 10 bytes');
}

/** Splits a message into its fields, in wire order. */
export function readFields(buf: Buffer): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number < 1 || number > 0x1fffffff) throw new ProtobufDecodeError(`invalid field number ${number}`);
    if (wireType === 0) {
      const [value, next] = readVarint(buf, afterKey);
      fields.push({ number, wireType, value });
      pos = next;
    } else if (wireType === 2) {
      const [length, start] = readVarint(buf, afterKey);
      const end = start + Number(length);
      if (length > BigInt(buf.length) || end > buf.length) throw new ProtobufDecodeError(`field ${number}: truncated bytes`);
      fields.push({ number, wireType, value: buf.subarray(start, end) });
      pos = end;
    } else if (wireType === 1 || wireType === 5) {
      const end = afterKey + FIXED_SIZE[wireType];
      if (end > buf.length) throw new ProtobufDecodeError(`field ${number}: truncated fixed-width value`);
      fields.push({ number, wireType, value: buf.subarray(afterKey, end) });
      pos = end;
    } else {
      throw new ProtobufDecodeError(`field ${number}: unsupported wire type ${wireType}`);
    }
  }
  return fields;
}

/** The varints of a packed repeated field (proto3 style; Kubernetes' proto2 writes them unpacked). */
export function readPackedVarints(buf: Buffer): bigint[] {
  const values: bigint[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const [value, next] = readVarint(buf, pos);
    values.push(value);
    pos = next;
  }
  return values;
}

/** int32 values travel as sign-extended 64-bit varints: -1 is ten bytes long. */
export const toInt32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
/** JSON numbers; past 2^53 precision is lost exactly as JSON.parse would lose it. */
export const toInt64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

/** A field holding its type's zero value carries no data (Go writes non-pointer zeros anyway). */
export function isZeroField(field: WireField): boolean {
  if (field.wireType === 0) return field.value === 0n;
  return field.wireType === 2 ? field.value.length === 0 : field.value.every((b) => b === 0);
}
