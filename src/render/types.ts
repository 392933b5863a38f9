/** Types of the plain-directory renderer: files in, Kubernetes objects (or every error) out. */
import type { JsonObject } from '../json.ts';

export interface RenderedObject {
  readonly object: JsonObject;
  /** Where the object was written: its file, the 1-based line its document (or List item) starts on, and the document's 0-based index in the file's stream. */
  readonly source: { readonly file: string; readonly line: number; readonly documentIndex: number };
  /** sha256 (hex) of the object's canonical JSON (keys sorted at every level). */
  readonly contentHash: string;
}

export const RENDER_ERROR_CODES = [
  'INVALID_OPTIONS',
  'PATH_ESCAPE',
  'PATH_NOT_FOUND',
  'INVALID_PATH',
  'SYMLINK_ESCAPE',
  'SYMLINK_LOOP',
  'TOO_MANY_FILES',
  'FILE_TOO_LARGE',
  'TOTAL_TOO_LARGE',
  'TOO_MANY_OBJECTS',
  'INVALID_ENCODING',
  'YAML_SYNTAX',
  'ALIAS_LIMIT',
  'NOT_JSON',
  'NOT_A_MAPPING',
  'INVALID_LIST',
  'MISSING_FIELD',
  'INVALID_FIELD',
  'DUPLICATE_OBJECT',
  'UNSUPPORTED_KUSTOMIZE_FIELD',
  'INVALID_KUSTOMIZATION',
  'KUSTOMIZE_CYCLE',
  'PATCH_FAILED',
  'KUSTOMIZE_FAILED',
  'KUSTOMIZE_UNAVAILABLE',
  'HELM_FAILED',
  'HELM_UNAVAILABLE',
  'TOO_MANY_ERRORS',
] as const;
export type RenderErrorCode = (typeof RENDER_ERROR_CODES)[number];

export interface RenderError {
  /** Repo-relative path of the offending file (or of the render path / symlink for path errors). */
  readonly file: string;
  /** 1-based line, where one is meaningful. */
  readonly line?: number;
  readonly message: string;
  readonly code: RenderErrorCode;
}

/** All-or-nothing: any error means no objects at all. */
export type RenderResult = { ok: true; objects: RenderedObject[] } | { ok: false; errors: RenderError[] };

export interface RenderLimits {
  /** Manifest files (.yaml/.yml/.json) under the path. */
  maxFiles: number;
  maxFileBytes: number;
  /** Sum of the manifest files' sizes. */
  maxTotalBytes: number;
  /** Objects after List flattening. */
  maxObjects: number;
}

export const DEFAULT_RENDER_LIMITS: Readonly<RenderLimits> = Object.freeze({
  maxFiles: 5_000,
  maxFileBytes: 4 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxObjects: 20_000,
});

/** Aliases resolved per document before it counts as an alias bomb (yaml's own default is 100). */
export const MAX_ALIAS_COUNT = 100;

export interface RenderDirectoryOptions {
  /** Repo-relative POSIX directory to render; '' or '.' is the repo root. */
  readonly path: string;
  /** Descend into subdirectories (default true). */
  readonly recurse?: boolean;
  readonly limits?: Partial<RenderLimits>;
  /** Symlinks the source reports: repo-relative link path → link target as stored in the link. */
  readonly symlinks?: ReadonlyMap<string, string>;
}
