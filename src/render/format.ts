import type { RenderError } from './types.ts';

/** `file:line: message [CODE]`: how every command prints a render error. */
export function formatRenderError(e: RenderError): string {
  return `${e.file}${e.line === undefined ? '' : `:${e.line}`}: ${e.message} [${e.code}]`;
}

/** Characters of a value quoted in a message: a 100,000-character name must not make a 100 KB message. */
export const MAX_QUOTED_CHARS = 100;

/** A value for a message: JSON-quoted, cut to MAX_QUOTED_CHARS with its full length said. */
export function quoted(value: string, max: number = MAX_QUOTED_CHARS): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}
