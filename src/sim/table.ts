import type { JsonObject } from '../json.ts';
import { PRINTERS as ADMIN } from './table/admin.ts';
import { at, CREATION_DESCRIPTION, NAME_COLUMN, nameOf, type Column, type Printer, type Row } from './table/cells.ts';
import { createdAt, PRINTERS as CLUSTER } from './table/cluster.ts';
import { PRINTERS as CORE } from './table/core.ts';
import { customResourcePrinter, type CustomColumn } from './table/custom.ts';
import { PRINTERS as POD } from './table/pod.ts';
import { PRINTERS as WORKLOADS } from './table/workloads.ts';

export { humanDuration } from './table/duration.ts';
export type { CustomColumn } from './table/custom.ts';

/**
 * Server-side printing: the meta.k8s.io/v1 Table kube-apiserver returns for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, which is all `kubectl get` renders.
 * Columns and cells follow pkg/printers/internalversion; every column is sent (kubectl hides
 * priority-1 ones unless -o wide).
 */

export type IncludeObject = 'None' | 'Object' | 'Metadata';

export interface TableOptions {
  readonly now: Date;
  /** what each row's `object` carries: nothing, the object, or its PartialObjectMetadata (kubectl's default) */
  readonly includeObject: IncludeObject;
  /** the list's metadata (resourceVersion, continue, remainingItemCount); for a single GET, the object's resourceVersion */
  readonly listMeta?: JsonObject;
  /** set for custom resources: the served version's additionalPrinterColumns ([] for none) */
  readonly printerColumns?: readonly CustomColumn[];
}

/** Built-in kinds without a printer get the default convertor: NAME and CREATED AT. */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME_COLUMN, { name: 'Created At', type: 'date', description: CREATION_DESCRIPTION }],
  row: (o) => ({ cells: [nameOf(o), createdAt(o)] }),
};

const PRINTERS: Record<string, Printer> = {
  ...POD,
  ...WORKLOADS,
  ...CORE,
  ...CLUSTER,
  ...ADMIN,
  CustomResourceDefinition: DEFAULT_PRINTER,
  LimitRange: DEFAULT_PRINTER,
};

function printerFor(kind: string, printerColumns: readonly CustomColumn[] | undefined): Printer {
  if (printerColumns) return customResourcePrinter(printerColumns);
  // unknown kinds are taken for custom resources without printer columns: NAME and AGE
  return PRINTERS[kind] ?? customResourcePrinter([]);
}

function columnJson(c: Column): JsonObject {
  return { name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority ?? 0 };
}

/** The row's `object`, as the apiserver's transformObject fills it per includeObject. */
function rowObject(obj: JsonObject, include: IncludeObject): JsonObject | null {
  if (include === 'None') return null;
  if (include === 'Object') return obj;
  const metadata = at(obj, 'metadata');
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metadata ?? {} };
}

function rowJson(row: Row, obj: JsonObject, include: IncludeObject): JsonObject {
  return {
    cells: [...row.cells],
    ...(row.conditions && row.conditions.length > 0 ? { conditions: [...row.conditions] } : {}),
    object: rowObject(obj, include),
  };
}

const LIST_META_FIELDS = ['resourceVersion', 'continue', 'remainingItemCount'] as const;

export function toTable(kind: string, items: readonly JsonObject[], opts: TableOptions): JsonObject {
  const printer = printerFor(kind, opts.printerColumns);
  const metadata: JsonObject = {};
  for (const f of LIST_META_FIELDS) {
    const v = opts.listMeta?.[f];
    // ListMeta fields are omitempty
    if (v !== undefined && v !== null && v !== '') metadata[f] = v;
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: printer.columns.map(columnJson),
    rows: items.map((o) => rowJson(printer.row(o, opts.now), o, opts.includeObject)),
  };
}
