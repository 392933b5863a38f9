import { isJsonObject, type JsonObject, type JsonValue } from '../../json.ts';
import { SelectorError } from './error.ts';

/** Field selectors as k8s.io/apimachinery/pkg/fields parses them, and the fields each kind lets you select on. */

export type FieldRequirement = { field: string; operator: '=' | '!='; value: string };

/** Terms split on commas not escaped with a backslash (the backslash stays for unescaping). */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: (typeof TERM_OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    const op = TERM_OPERATORS.find((o) => term.startsWith(o, i));
    if (op) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
  }
  return undefined;
}

/** fields.UnescapeValue: only \\, \, and \= are escapes; bare ',' and '=' are errors. */
function unescapeValue(s: string): string {
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go prints the rune with %v, i.e. as its code point
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0) ?? 0}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Parses `metadata.name=foo,status.phase!=Running`; terms come back in apimachinery's (sorted) order. No whitespace trimming. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(text).sort()) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    reqs.push({ field: term.lhs, operator: term.op === '!=' ? '!=' : '=', value: unescapeValue(term.rhs) });
  }
  return reqs;
}

type FieldGetter = (obj: JsonObject) => string;

function at(obj: JsonValue | undefined, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const part of path.split('.')) cur = isJsonObject(cur) ? cur[part] : undefined;
  return cur;
}

function scalar(v: JsonValue | undefined, missing = ''): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return missing;
}

const path =
  (p: string, missing = ''): FieldGetter =>
  (o) =>
    scalar(at(o, p), missing);

/** The selectable fields each kind's registry strategy publishes (GetAttrs), beyond metadata.name/namespace. */
const KIND_FIELDS: Record<string, Record<string, FieldGetter>> = {
  Pod: {
    'spec.nodeName': path('spec.nodeName'),
    'spec.host': path('spec.nodeName'), // legacy alias the v1 conversion still accepts
    'spec.restartPolicy': path('spec.restartPolicy'),
    'spec.schedulerName': path('spec.schedulerName'),
    'spec.serviceAccountName': path('spec.serviceAccountName'),
    'spec.hostNetwork': path('spec.hostNetwork', 'false'),
    'status.phase': path('status.phase'),
    'status.podIP': (o) => {
      const ips = at(o, 'status.podIPs');
      const first = Array.isArray(ips) ? ips[0] : undefined;
      return first !== undefined ? scalar(at(first, 'ip')) : scalar(at(o, 'status.podIP'));
    },
    'status.nominatedNodeName': path('status.nominatedNodeName'),
  },
  Node: { 'spec.unschedulable': path('spec.unschedulable', 'false') },
  Namespace: { 'status.phase': path('status.phase'), name: path('metadata.name') },
  Secret: { type: path('type') },
  Service: { 'spec.clusterIP': path('spec.clusterIP'), 'spec.type': path('spec.type') },
  ReplicaSet: { 'status.replicas': path('status.replicas', '0') },
  ReplicationController: { 'status.replicas': path('status.replicas', '0') },
  Job: { 'status.successful': path('status.succeeded', '0') },
  CertificateSigningRequest: { 'spec.signerName': path('spec.signerName') },
  Event: {
    'involvedObject.kind': path('involvedObject.kind'),
    'involvedObject.namespace': path('involvedObject.namespace'),
    'involvedObject.name': path('involvedObject.name'),
    'involvedObject.uid': path('involvedObject.uid'),
    'involvedObject.apiVersion': path('involvedObject.apiVersion'),
    'involvedObject.resourceVersion': path('involvedObject.resourceVersion'),
    'involvedObject.fieldPath': path('involvedObject.fieldPath'),
    reason: path('reason'),
    reportingComponent: path('reportingComponent'),
    source: path('source.component'),
    type: path('type'),
  },
};

const META_FIELDS: Record<string, FieldGetter> = {
  'metadata.name': path('metadata.name'),
  'metadata.namespace': path('metadata.namespace'),
};

function getterFor(kind: string, field: string): FieldGetter | undefined {
  return META_FIELDS[field] ?? KIND_FIELDS[kind]?.[field];
}

/** Whether the apiserver accepts `field` in a field selector for `kind` (otherwise: "field label not supported: <field>"). */
export function isSupportedField(kind: string, field: string): boolean {
  return getterFor(kind, field) !== undefined;
}

/** All requirements hold; the kind comes from obj.kind. Fields the kind does not publish read as "". */
export function matchesFields(reqs: readonly FieldRequirement[], obj: JsonObject): boolean {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  return reqs.every((r) => {
    const value = (getterFor(kind, r.field) ?? path(r.field))(obj);
    return r.operator === '=' ? value === r.value : value !== r.value;
  });
}
