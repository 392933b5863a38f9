import type { RenderError, RenderResult } from './types.ts';

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

/** Characters of one render error's message (kustomize's stderr alone may be 64 KB). */
export const MAX_MESSAGE_CHARS = 2_000;

/** The result with every error message cut to MAX_MESSAGE_CHARS, saying how long it was. */
export function boundMessages(result: RenderResult): RenderResult {
  if (result.ok || result.errors.every((e) => e.message.length <= MAX_MESSAGE_CHARS)) return result;
  const errors = result.errors.map((e) =>
    e.message.length <= MAX_MESSAGE_CHARS ? e : { ...e, message: `${e.message.slice(0, MAX_MESSAGE_CHARS)}… (${e.message.length} characters)` });
  return { ok: false, errors };
}
