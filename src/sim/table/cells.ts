import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { formatLabelRequirements, labelSelectorFromJson, SelectorError } from '../selectors.ts';
import { humanDuration } from './duration.ts';

/** What each printer (one per kind, as in pkg/printers/internalversion) is made of. */

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly format?: string;
  readonly description: string;
  /** 1: shown only with -o wide */
  readonly priority?: number;
}

export type Cell = string | number | boolean | null;

export interface Row {
  readonly cells: readonly Cell[];
  /** metav1.TableRowCondition, e.g. a finished Pod's "Completed" */
  readonly conditions?: readonly JsonObject[];
}

export interface Printer {
  readonly columns: readonly Column[];
  row(obj: JsonObject, now: Date): Row;
}

// ---- the descriptions most columns share -------------------------------------------------

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const NAME_COLUMN: Column = { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION };
export const AGE_COLUMN: Column = { name: 'Age', type: 'string', description: CREATION_DESCRIPTION };
export const CONTAINERS_COLUMN: Column = { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.' };
export const IMAGES_COLUMN: Column = { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.' };

export const col = (name: string, type: ColumnType, description: string, priority = 0): Column => ({ name, type, description, ...(priority ? { priority } : {}) });

// ---- reading objects ---------------------------------------------------------------------

export function at(v: JsonValue | undefined, path: string): JsonValue | undefined {
  let cur = v;
  for (const part of path.split('.')) cur = isJsonObject(cur) ? cur[part] : undefined;
  return cur;
}

export const str = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : '');
export const int = (v: JsonValue | undefined, fallback = 0): number => (typeof v === 'number' ? Math.trunc(v) : fallback);
export const objOf = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {});
export const list = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
export const strings = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

export const nameOf = (o: JsonObject): string => str(at(o, 'metadata.name'));

/** An RFC 3339 timestamp as epoch ms, undefined when absent or unparseable (Go's zero time). */
export function timeOf(v: JsonValue | undefined): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** translateTimestampSince: "<unknown>" for an absent time. */
export function since(v: JsonValue | undefined, now: Date): string {
  const t = timeOf(v);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}

export const ageOf = (o: JsonObject, now: Date): string => since(at(o, 'metadata.creationTimestamp'), now);

/** time.RFC3339 in UTC, without fractional seconds (Go's format). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** labels.FormatLabels: sorted "k=v,k2=v2", or "<none>". */
export function formatLabels(v: JsonValue | undefined): string {
  const entries = Object.entries(objOf(v)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, val]) => `${k}=${typeof val === 'string' ? val : String(val)}`).join(',');
}

/** metav1.FormatLabelSelector: the selector string, "<none>" when it selects everything or nothing, "<error>" when bad. */
export function formatSelector(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return '<none>';
  try {
    return formatLabelRequirements(labelSelectorFromJson(v)) || '<none>';
  } catch (e) {
    if (e instanceof SelectorError) return '<error>';
    throw e;
  }
}

/** layoutContainerCells: names and images, comma-joined. */
export function containerCells(podSpec: JsonValue | undefined): [string, string] {
  const containers = list(at(podSpec, 'containers'));
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

/** "a, b, c" lists cut at 3 entries: "a,b,c + 2 more...". */
export function listWithMore(items: readonly string[], max: number, total = items.length): string {
  const shown = items.slice(0, max).join(',');
  return total > max ? `${shown} + ${total - max} more...` : shown;
}
