/**
 * Git pack entry headers (gitformat-pack(5)), shared by the reader and the indexer.
 * An entry starts with a type-and-size varint; OFS_DELTA adds a base distance, REF_DELTA
 * the base's 20-byte id; then the zlib-compressed payload.
 */
export type PackObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export const OBJECT_TYPES: readonly (PackObjectType | undefined)[] = [undefined, 'commit', 'tree', 'blob', 'tag'];
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

export interface EntryHeader {
  readonly kind: number;
  /** Inflated size of the payload (the object, or the delta). */
  readonly size: number;
  readonly dataStart: number;
  /** Where the entry ends, when the caller knows it (the reader does, the indexer does not). */
  readonly dataEnd: number;
  /** OFS_DELTA base offset, else -1. */
  readonly baseOffset: number;
  readonly baseOid: Buffer | undefined;
}

/** Parses the header of the entry at `offset`; throws a plain Error naming what is wrong. */
export function parseEntryHeader(bytes: Buffer, offset: number, end: number): EntryHeader {
  let pos = offset;
  const next = (): number => {
    if (pos >= end) throw new Error('entry header is truncated');
    return bytes[pos++] as number;
  };
  let byte = next();
  const kind = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let scale = 16;
  while (byte & 0x80) {
    byte = next();
    size += (byte & 0x7f) * scale;
    scale *= 128;
    if (scale > 2 ** 53) throw new Error('entry size varint is too long');
  }
  let baseOffset = -1;
  let baseOid: Buffer | undefined;
  if (kind === OFS_DELTA) {
    byte = next();
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = next();
      distance = (distance + 1) * 128 + (byte & 0x7f);
      if (distance > offset) break;
    }
    baseOffset = offset - distance;
    if (distance === 0 || baseOffset < 12) throw new Error(`OFS_DELTA base distance ${distance} is invalid`);
  } else if (kind === REF_DELTA) {
    if (pos + 20 > end) throw new Error('REF_DELTA base id is truncated');
    baseOid = bytes.subarray(pos, pos + 20);
    pos += 20;
  } else if (OBJECT_TYPES[kind] === undefined) {
    throw new Error(`unknown entry type ${kind}`);
  }
  return { kind, size, dataStart: pos, dataEnd: end, baseOffset, baseOid };
}
