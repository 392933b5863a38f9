/**
 * Git's delta format (the payload of OFS_DELTA and REF_DELTA pack entries), as a pure
 * function over Buffers. Layout: source size varint, target size varint, then
 * instructions — a byte with the high bit set copies from the source (low 4 bits say
 * which offset bytes follow, the next 3 which size bytes; size 0 means 0x10000), a byte
 * 1..127 inserts that many literal bytes from the delta, 0 is reserved.
 *
 * Every inconsistency throws a DeltaError; the caller adds which object and pack.
 */
export class DeltaError extends Error {
  override readonly name = 'DeltaError';
}

/** Reads a little-endian base-128 varint at `pos`; returns the value and the next position. */
function readSize(delta: Buffer, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = delta[pos++];
    if (byte === undefined) throw new DeltaError('delta header is truncated');
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
    if (scale > 2 ** 49) throw new DeltaError('delta size varint is too long');
  }
}

export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const [sourceSize, afterSource] = readSize(delta, 0);
  if (sourceSize !== base.length) {
    throw new DeltaError(`delta expects a base of ${sourceSize} bytes, base has ${base.length}`);
  }
  const [targetSize, start] = readSize(delta, afterSource);
  const out = Buffer.allocUnsafe(targetSize);
  let written = 0;
  let pos = start;
  const end = delta.length;
  while (pos < end) {
    const op = delta[pos++] as number;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) {
          const byte = delta[pos++];
          if (byte === undefined) throw new DeltaError('copy instruction is truncated');
          offset += byte * 2 ** (8 * bit);
        }
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (0x10 << bit)) {
          const byte = delta[pos++];
          if (byte === undefined) throw new DeltaError('copy instruction is truncated');
          size += byte << (8 * bit);
        }
      }
      if (size === 0) size = 0x10000;
      if (offset + size > base.length) {
        throw new DeltaError(`copy of ${size} bytes at ${offset} runs past the ${base.length}-byte base`);
      }
      if (written + size > targetSize) throw new DeltaError(`delta writes past its ${targetSize}-byte target`);
      base.copy(out, written, offset, offset + size);
      written += size;
    } else if (op !== 0) {
      if (pos + op > end) throw new DeltaError('insert instruction is truncated');
      if (written + op > targetSize) throw new DeltaError(`delta writes past its ${targetSize}-byte target`);
      delta.copy(out, written, pos, pos + op);
      written += op;
      pos += op;
    } else {
      throw new DeltaError('reserved delta opcode 0');
    }
  }
  if (written !== targetSize) {
    throw new DeltaError(`delta produced ${written} bytes, its header says ${targetSize}`);
  }
  return out;
}
