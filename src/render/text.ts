/**
 * Manifest bytes as text, and where in them something happened: the one UTF-8 decoder of the
 * renderer (a BOM is dropped, as kubectl does) whose error names the line of the first bad
 * byte, and the line a byte offset falls on (where a size limit is crossed). Pure.
 */
import type { FileContents } from './directory.ts';
import type { RenderError } from './types.ts';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LENIENT = new TextDecoder('utf-8');

export type Decoded = { ok: true; value: string } | { ok: false; error: RenderError };

export function decodeText(path: string, contents: FileContents): Decoded {
  if (typeof contents === 'string') return { ok: true, value: contents.replace(/^\uFEFF/, '') };
  try {
    return { ok: true, value: UTF8.decode(contents).replace(/^\uFEFF/, '') };
  } catch {
    const offset = firstInvalidByte(contents);
    return { ok: false, error: { file: path, line: lineAtByte(contents, offset), code: 'INVALID_ENCODING', message: `${path} is not valid UTF-8 (byte ${offset})` } };
  }
}

/**
 * Offset of the first byte that is not UTF-8: the lenient decoder's text re-encoded equals
 * the input up to there (its U+FFFD is itself valid UTF-8, so cannot be what stood there).
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  const again = Buffer.from(LENIENT.decode(bytes), 'utf8');
  let i = 0;
  while (i < bytes.length && bytes[i] === again[i]) i += 1;
  return i;
}

/** The 1-based line byte `offset` falls on. */
export function lineAtByte(contents: FileContents, offset: number): number {
  const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
  let line = 1;
  for (let i = 0; i < Math.min(offset, bytes.length); i += 1) if (bytes[i] === 0x0a) line += 1;
  return line;
}
