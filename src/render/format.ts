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
/** Errors one render reports: 20,000 bad objects must not make 20,000 stored errors. */
export const MAX_ERRORS = 100;

/**
 * The result with at most MAX_ERRORS errors (the last one saying how many more there were)
 * and every message cut to MAX_MESSAGE_CHARS (saying how long it was).
 */
export function bounded(result: RenderResult): RenderResult {
  if (result.ok) return result;
  const { errors } = result;
  if (errors.length <= MAX_ERRORS && errors.every((e) => e.message.length <= MAX_MESSAGE_CHARS)) return result;
  const kept = errors.slice(0, errors.length > MAX_ERRORS ? MAX_ERRORS - 1 : MAX_ERRORS).map((e) =>
    e.message.length <= MAX_MESSAGE_CHARS ? e : { ...e, message: `${e.message.slice(0, MAX_MESSAGE_CHARS)}… (${e.message.length} characters)` });
  const next = errors[kept.length];
  if (next !== undefined) {
    kept.push({
      file: next.file,
      ...(next.line !== undefined ? { line: next.line } : {}),
      code: 'TOO_MANY_ERRORS',
      message: `${errors.length - kept.length} more errors from here on, not shown (${errors.length} in all)`,
    });
  }
  return { ok: false, errors: kept };
}
