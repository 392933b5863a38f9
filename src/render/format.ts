import type { RenderError } from './types.ts';

/** `file:line: message [CODE]`: how every command prints a render error. */
export function formatRenderError(e: RenderError): string {
  return `${e.file}${e.line === undefined ? '' : `:${e.line}`}: ${e.message} [${e.code}]`;
}
