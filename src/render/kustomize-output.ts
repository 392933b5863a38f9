/**
 * The pure half of the kustomize-binary fallback: its multi-document stdout becomes the
 * same RenderResult the native renderer returns (every object sourced to the kustomization
 * file, identity and duplicate checks, the object limit), and its stderr becomes a
 * RenderError with the temporary checkout's paths turned back into repo-relative ones.
 */
import { contentHash } from './canonical.ts';
import { duplicateErrors, identityErrors } from './identity.ts';
import { parseManifestFile } from './parse.ts';
import type { RenderError, RenderResult } from './types.ts';

export function objectsFromKustomizeOutput(file: string, stdout: string, maxObjects: number): RenderResult {
  const parsed = parseManifestFile(file, stdout);
  if (parsed.errors.length > 0) {
    return { ok: false, errors: parsed.errors.map((e) => ({ ...e, file, message: `kustomize output: ${e.message}` })) };
  }
  if (parsed.candidates.length > maxObjects) {
    return { ok: false, errors: [{ file, code: 'TOO_MANY_OBJECTS', message: `${file}: kustomize produced ${parsed.candidates.length} objects (limit ${maxObjects})` }] };
  }
  const located = parsed.candidates.map((c) => ({ object: c.object, file, line: 1 }));
  const errors = located.flatMap((item) => identityErrors(item));
  if (errors.length === 0) errors.push(...duplicateErrors(located));
  if (errors.length > 0) return { ok: false, errors };
  const objects = parsed.candidates.map((c) => ({ object: c.object, source: { file, line: 1, documentIndex: 0 }, contentHash: contentHash(c.object) }));
  return { ok: true, objects };
}

/**
 * kustomize's own message from its stderr: kubectl logs `E… run.go:72] "command failed"
 * err="<Go-quoted message>"`, kustomize prints `Error: <message>`; warnings (`# Warning: …`)
 * are dropped. Paths under `checkout` are shown relative to the repository root.
 */
export function kustomizeMessage(stderr: string, checkout: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('# Warning'));
  const message = lines.map(unwrapLine).join('\n') || 'kustomize failed without a message';
  const root = checkout.endsWith('/') ? checkout.slice(0, -1) : checkout;
  return message.split(`${root}/`).join('').split(root).join('.');
}

function unwrapLine(line: string): string {
  const quoted = /\berr="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
  if (quoted !== undefined) {
    try {
      const unquoted: unknown = JSON.parse(`"${quoted}"`);
      if (typeof unquoted === 'string') return unquoted;
    } catch {
      return quoted;
    }
  }
  return line.startsWith('Error: ') ? line.slice('Error: '.length) : line;
}

export function kustomizeFailure(file: string, stderr: string, checkout: string): RenderError {
  return { file, code: 'KUSTOMIZE_FAILED', message: `${file}: kustomize failed: ${kustomizeMessage(stderr, checkout)}` };
}
