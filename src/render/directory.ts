/**
 * The plain-directory renderer: every .yaml/.yml/.json file under a path, in sorted path
 * order then document order, becomes Kubernetes objects. Pure: the git layer supplies the
 * file map (and the symlinks it saw); nothing here touches the file system. All-or-nothing:
 * any error yields every error found and no objects.
 *
 * Steps: check options → select files (path and symlink safety) → check size limits →
 * decode and parse → check identities, duplicates and the object limit → hash.
 */
import { contentHash } from './canonical.ts';
import { duplicateErrors, identityErrors, type Located } from './identity.ts';
import { fieldLocator, parseManifestFile, type Candidate } from './parse.ts';
import { decodeText, lineAtByte } from './text.ts';
import { checkRenderPath, checkRepoPath, checkSymlink, isAncestorOrSelf, isManifestFile, isUnder } from './paths.ts';
import type { FieldPath } from './validate.ts';
import { DEFAULT_RENDER_LIMITS, type RenderDirectoryOptions, type RenderError, type RenderLimits, type RenderResult, type RenderedObject } from './types.ts';

export type FileContents = Buffer | string;

export function renderDirectory(files: ReadonlyMap<string, FileContents>, options: RenderDirectoryOptions): RenderResult {
  const limits = resolveLimits(options.limits, options.path);
  if (!limits.ok) return { ok: false, errors: limits.errors };
  const root = checkRenderPath(options.path);
  if (!root.ok) return { ok: false, errors: [root.error] };

  const selected = selectFiles(files, options.symlinks ?? new Map(), root.path, options.recurse ?? true);
  const sized = checkSizes(selected.files, limits.value);
  const errors = [...selected.errors, ...sized.errors];
  if (sized.abort) return { ok: false, errors };

  const located: (Located & { documentIndex: number; lineOf: (path: FieldPath) => number | undefined })[] = [];
  for (const { path, bytes } of sized.files) {
    const text = decodeText(path, bytes);
    if (!text.ok) {
      errors.push(text.error);
      continue;
    }
    const parsed = parseManifestFile(path, text.value);
    errors.push(...parsed.errors);
    const locator = fieldLocator(text.value);
    for (const c of parsed.candidates) located.push({ ...locate(path, c), lineOf: (field) => locator(c.documentIndex, c.line, field) });
  }

  if (located.length > limits.value.maxObjects) {
    // the first object past the limit says where it was crossed
    const past = located[limits.value.maxObjects];
    errors.push({
      file: past?.file ?? root.path,
      ...(past !== undefined ? { line: past.line } : {}),
      code: 'TOO_MANY_OBJECTS',
      message: `path ${JSON.stringify(options.path)} yields ${located.length} objects, more than the limit of ${limits.value.maxObjects}`,
    });
    return { ok: false, errors };
  }
  const valid = located.filter((item) => {
    const problems = identityErrors(item, item.lineOf);
    errors.push(...problems);
    return problems.length === 0;
  });
  errors.push(...duplicateErrors(valid));
  if (errors.length > 0) return { ok: false, errors };

  const objects: RenderedObject[] = valid.map((item) => ({
    object: item.object,
    source: { file: item.file, line: item.line, documentIndex: item.documentIndex },
    contentHash: contentHash(item.object),
  }));
  return { ok: true, objects };
}

function locate(file: string, c: Candidate): Located & { documentIndex: number } {
  return { object: c.object, file, line: c.line, documentIndex: c.documentIndex };
}

type LimitsCheck = { ok: true; value: RenderLimits } | { ok: false; errors: RenderError[] };

function resolveLimits(partial: Partial<RenderLimits> | undefined, path: string): LimitsCheck {
  const value: RenderLimits = { ...DEFAULT_RENDER_LIMITS, ...partial };
  const errors: RenderError[] = [];
  for (const [name, limit] of Object.entries(value)) {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      errors.push({ file: path, code: 'INVALID_OPTIONS', message: `limits.${name} must be a non-negative integer, got ${String(limit)}` });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

interface SelectedFile {
  readonly path: string;
  readonly bytes: FileContents;
}

/** Manifest files under the root in sorted order, plus every path and symlink error in scope. */
function selectFiles(
  files: ReadonlyMap<string, FileContents>,
  symlinks: ReadonlyMap<string, string>,
  root: string,
  recurse: boolean,
): { files: SelectedFile[]; errors: RenderError[] } {
  const errors: RenderError[] = [];
  const selected: SelectedFile[] = [];
  let exists = root === '';
  for (const key of sortedKeys(files)) {
    const check = checkRepoPath(key);
    if (!check.ok) {
      errors.push(check.error);
      continue;
    }
    if (key === root) {
      errors.push({ file: key, code: 'INVALID_OPTIONS', message: `render path ${JSON.stringify(root)} is a file, not a directory` });
      continue;
    }
    if (isUnder(key, root, true)) exists = true;
    if (!isUnder(key, root, recurse) || !isManifestFile(key)) continue;
    selected.push({ path: key, bytes: files.get(key) ?? '' });
  }
  for (const link of sortedKeys(symlinks)) {
    const check = checkRepoPath(link);
    if (!check.ok) {
      errors.push(check.error);
      continue;
    }
    if (isUnder(link, root, true)) exists = true;
    if (!isUnder(link, root, recurse) && !isAncestorOrSelf(link, root)) continue;
    if (link === root) exists = true;
    const problem = checkSymlink(link, symlinks);
    if (problem !== undefined) errors.push(problem);
  }
  if (!exists) errors.push({ file: root, code: 'PATH_NOT_FOUND', message: `render path ${JSON.stringify(root)} does not exist in the repository (no files under it)` });
  return { files: selected, errors };
}

function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  // Code-unit order, not localeCompare: identical on every machine and locale.
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function byteLength(contents: FileContents): number {
  return typeof contents === 'string' ? Buffer.byteLength(contents, 'utf8') : contents.byteLength;
}

/** Per-file and total size limits; too many files or bytes stops before any parsing. */
function checkSizes(files: readonly SelectedFile[], limits: RenderLimits): { files: SelectedFile[]; errors: RenderError[]; abort: boolean } {
  const errors: RenderError[] = [];
  const kept: SelectedFile[] = [];
  let total = 0;
  let crossed: { path: string; line: number } | undefined;
  for (const file of files) {
    const size = byteLength(file.bytes);
    if (crossed === undefined && total + size > limits.maxTotalBytes) crossed = { path: file.path, line: lineAtByte(file.bytes, limits.maxTotalBytes - total) };
    total += size;
    if (size > limits.maxFileBytes) {
      const line = lineAtByte(file.bytes, limits.maxFileBytes);
      errors.push({ file: file.path, line, code: 'FILE_TOO_LARGE', message: `${file.path} is ${size} bytes, more than the limit of ${limits.maxFileBytes} (reached at line ${line})` });
    } else kept.push(file);
  }
  let abort = false;
  if (files.length > limits.maxFiles) {
    errors.unshift({ file: files[limits.maxFiles]?.path ?? '', code: 'TOO_MANY_FILES', message: `${files.length} manifest files, more than the limit of ${limits.maxFiles}` });
    abort = true;
  }
  if (crossed !== undefined) {
    errors.push({ file: crossed.path, line: crossed.line, code: 'TOTAL_TOO_LARGE', message: `manifest files total ${total} bytes, more than the limit of ${limits.maxTotalBytes} (reached in this file at line ${crossed.line})` });
    abort = true;
  }
  return { files: kept, errors, abort };
}

