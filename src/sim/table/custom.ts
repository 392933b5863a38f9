import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { CREATION_DESCRIPTION, NAME_COLUMN, nameOf, timeOf, type Cell, type Column, type ColumnType, type Printer } from './cells.ts';
import { humanDuration } from './duration.ts';
import type { PrinterColumn } from '../resources.ts';

/**
 * Custom resources: NAME plus the CRD's additionalPrinterColumns (an AGE column when it has
 * none), evaluated with the subset of kubectl JSONPath that printer columns use.
 */

/** A CRD additionalPrinterColumns entry. */
export type CustomColumn = PrinterColumn;

const DEFAULT_COLUMNS: readonly CustomColumn[] = [{ name: 'Age', type: 'date', description: CREATION_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' }];

type Segment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'filter'; readonly path: readonly Segment[]; readonly op: '==' | '!='; readonly value: JsonValue };

function literal(text: string): JsonValue {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  return t !== '' && !Number.isNaN(n) ? n : t;
}

/** Parses ".a.b", ".a[0]", ".a[*].b", ".a['x.y']", ".a[?(@.type==\"Ready\")].status". Undefined when unsupported. */
export function parseJsonPath(path: string): Segment[] | undefined {
  const segments: Segment[] = [];
  let rest = path.trim().replace(/^\{(.*)\}$/, '$1').replace(/^\$/, '');
  while (rest !== '') {
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^\.([^.[\]]+)/))) segments.push(m[1] === '*' ? { kind: 'all' } : { kind: 'field', name: m[1] ?? '' });
    else if ((m = rest.match(/^\[\s*(-?\d+)\s*\]/))) segments.push({ kind: 'index', index: Number(m[1]) });
    else if ((m = rest.match(/^\[\s*\*\s*\]/))) segments.push({ kind: 'all' });
    else if ((m = rest.match(/^\[\s*(['"])(.*?)\1\s*\]/))) segments.push({ kind: 'field', name: m[2] ?? '' });
    else if ((m = rest.match(/^\[\?\(@((?:\.[^.=!)\s]+)+)\s*(==|!=)\s*(.*?)\)\]/))) {
      const inner = parseJsonPath(m[1] ?? '');
      if (!inner) return undefined;
      segments.push({ kind: 'filter', path: inner, op: m[2] === '!=' ? '!=' : '==', value: literal(m[3] ?? '') });
    } else return undefined;
    rest = rest.slice(m[0].length);
  }
  return segments;
}

export function evalJsonPath(root: JsonValue, segments: readonly Segment[]): JsonValue[] {
  let current: JsonValue[] = [root];
  for (const s of segments) {
    current = current.flatMap((v): JsonValue[] => {
      switch (s.kind) {
        case 'field':
          return isJsonObject(v) && v[s.name] !== undefined ? [v[s.name] ?? null] : [];
        case 'index': {
          if (!Array.isArray(v)) return [];
          const item = v[s.index < 0 ? v.length + s.index : s.index];
          return item === undefined ? [] : [item];
        }
        case 'all':
          return Array.isArray(v) ? v : isJsonObject(v) ? Object.values(v) : [];
        case 'filter':
          return (Array.isArray(v) ? v : []).filter((item) => {
            const found = evalJsonPath(item, s.path)[0];
            return found !== undefined && (found === s.value) === (s.op === '==');
          });
      }
    });
  }
  return current;
}

/** cellForJSONValue, and jsonpath's text printing for string columns. */
function cellFor(type: string, value: JsonValue | undefined, now: Date): Cell {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      const t = timeOf(value);
      return t === undefined ? '<invalid>' : humanDuration(now.getTime() - t);
    }
    default:
      return null;
  }
}

const COLUMN_TYPES: readonly ColumnType[] = ['string', 'integer', 'number', 'boolean', 'date'];

export function customResourcePrinter(columns: readonly CustomColumn[]): Printer {
  const effective = columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const parsed = effective.map((c) => parseJsonPath(c.jsonPath));
  const defs: Column[] = effective.map((c) => ({
    name: c.name,
    type: COLUMN_TYPES.find((t) => t === c.type) ?? 'string',
    ...(c.format ? { format: c.format } : {}),
    description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
    ...(c.priority ? { priority: c.priority } : {}),
  }));
  return {
    columns: [NAME_COLUMN, ...defs],
    row: (o: JsonObject, now: Date) => ({
      cells: [
        nameOf(o),
        ...effective.map((c, i) => {
          const segments = parsed[i];
          return cellFor(c.type, segments ? evalJsonPath(o, segments)[0] : undefined, now);
        }),
      ],
    }),
  };
}
