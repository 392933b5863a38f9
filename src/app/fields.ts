/**
 * Small readers for untrusted objects: JSON paths for error messages, strict object reading
 * (unknown keys are errors, with a "did you mean" when a known key is close), DNS-1123 names.
 */

export interface ValidationError {
  /** JSON path of the offending field, e.g. `spec.syncPolicy.syncOptions[1]` ('' for the whole object). */
  readonly path: string;
  readonly message: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `spec` + `source` → `spec.source`; `items` + 2 → `items[2]`; odd keys → `metadata.labels["a.b/c"]`. */
export function child(path: string, key: PathSegment): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** The inverse of child(): `spec.syncOptions[1]` → ['spec', 'syncOptions', 1]. */
export function pathSegments(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[]+)/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(m[2]) as string);
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: (ValidationError & { readonly where: string })[] };

/**
 * Runs a reader over an untrusted object: its value when it reported nothing, else every
 * error it collected, each carrying `where` (the object's origin, for messages).
 */
export function validate<T>(what: string, where: string, read: (errors: Errors) => T | undefined): Validated<T> {
  const errors = new Errors();
  const value = read(errors);
  if (errors.list.length > 0 || value === undefined) {
    if (errors.list.length === 0) errors.add('', `is not a valid ${what}`);
    return { ok: false, errors: errors.list.map((e) => ({ where, ...e })) };
  }
  return { ok: true, value };
}

/** Collects errors while a reader walks an object. */
export class Errors {
  readonly list: ValidationError[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** ' (did you mean "source"?)' when one known name is within a couple of edits, else ''. */
export function suggestion(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/**
 * `value` as an object whose keys are all in `allowed`. Absent (undefined or null, as the
 * Kubernetes API treats an explicit null) gives undefined and no error; a non-object gives
 * an error and undefined. Unknown keys are reported one by one, the object is still returned.
 */
export function readObject(errors: Errors, value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    errors.add(path, `must be an object, not ${typeName(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      errors.add(child(path, key), `unknown field "${key}"${suggestion(key, allowed)}; ${path || 'the object'} allows ${allowed.join(', ')}`);
    }
  }
  return value;
}

/** A string field: undefined if absent (or null); an error if present with another type. */
export function readString(errors: Errors, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.add(path, `must be a string, not ${typeName(value)}`);
    return undefined;
  }
  return value;
}

export function readBoolean(errors: Errors, value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    errors.add(path, `must be true or false, not ${typeName(value)}${typeof value === 'string' ? ` "${value}" (remove the quotes)` : ''}`);
    return fallback;
  }
  return value;
}

/** An array field: [] if absent; an error (and []) if not an array. */
export function readArray(errors: Errors, value: unknown, path: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.add(path, `must be a list, not ${typeName(value)}`);
    return [];
  }
  return value;
}

/** Each element must be a non-empty string; returns the good ones. */
export function readStrings(errors: Errors, value: unknown, path: string, check?: (s: string) => string | undefined): string[] {
  const out: string[] = [];
  readArray(errors, value, path).forEach((item, i) => {
    const at = child(path, i);
    if (typeof item !== 'string') errors.add(at, `must be a string, not ${typeName(item)}`);
    else if (item === '') errors.add(at, 'must not be empty');
    else {
      const problem = check?.(item);
      if (problem) errors.add(at, problem);
      else out.push(item);
    }
  });
  return out;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes' IsDNS1123Label message, or undefined when valid. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length > 63) return `"${value}" must be no more than 63 characters`;
  if (!DNS1123_LABEL.test(value)) {
    return `"${value}" is not a valid name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')`;
  }
  return undefined;
}

/** Kubernetes' IsDNS1123Subdomain message, or undefined when valid. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length > 253) return `"${value}" must be no more than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return `"${value}" is not a valid name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')`;
  }
  return undefined;
}
