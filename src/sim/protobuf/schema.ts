import { corev1 } from './tables/core.ts';
import { corev1Pod } from './tables/core-pod.ts';
import { authenticationv1, authorizationv1, coordinationv1, networkingv1, policyv1, rbacv1, schedulingv1 } from './tables/groups.ts';
import { metav1 } from './tables/meta.ts';
import { appsv1, autoscalingv1, autoscalingv2, batchv1 } from './tables/workloads.ts';

/**
 * A package's messages: name → fields, written like Go struct fields, `;`-separated:
 *
 *     <field number> <json name | (inline)> <type>[!]
 *
 * type is a scalar (string, int32, int64, bool, bytes, double), a special type (below), or a
 * message of this package or `pkg.Message`, prefixed by `*` (Go pointer), `[]` (repeated) or
 * `map[string]`. `!` marks a JSON tag without omitempty. `(inline)` merges the message's fields
 * into the parent (`json:",inline"`). Non-pointer messages need no mark: Go's JSON never omits a
 * struct, so `status: {}` and `creationTimestamp: null` appear exactly when the wire carries them.
 *
 * The tables were extracted from the descriptors and struct tags compiled into kubectl 1.33 and
 * checked against k8s.io/api's generated.proto; add a field by copying its line from there.
 */
export type Table = Readonly<Record<string, string>>;

export const SCALARS = ['string', 'int32', 'int64', 'bool', 'bytes', 'double'] as const;
export type Scalar = (typeof SCALARS)[number];

/** Types with their own JSON form: IntOrString is a number or a string, Time an RFC 3339 string, ... */
export const SPECIALS = ['IntOrString', 'Quantity', 'Time', 'MicroTime', 'FieldsV1', 'RawExtension'] as const;
export type Special = (typeof SPECIALS)[number];

export type ValueType =
  | { readonly kind: 'scalar'; readonly name: Scalar }
  | { readonly kind: 'special'; readonly name: Special }
  | { readonly kind: 'message'; readonly name: string };

export type Shape = 'value' | 'pointer' | 'repeated' | 'map';

export interface FieldSpec {
  readonly number: number;
  /** undefined for an inlined message */
  readonly json: string | undefined;
  readonly type: ValueType;
  readonly shape: Shape;
  /** JSON without omitempty: zeros are written, and a missing slice, map or pointer is `null` */
  readonly always: boolean;
}

export interface MessageSpec {
  /** `corev1.PodSpec` */
  readonly name: string;
  readonly fields: ReadonlyMap<number, FieldSpec>;
}

const PACKAGES: Readonly<Record<string, readonly Table[]>> = {
  metav1: [metav1],
  corev1: [corev1, corev1Pod],
  appsv1: [appsv1],
  batchv1: [batchv1],
  autoscalingv1: [autoscalingv1],
  autoscalingv2: [autoscalingv2],
  rbacv1: [rbacv1],
  networkingv1: [networkingv1],
  policyv1: [policyv1],
  schedulingv1: [schedulingv1],
  coordinationv1: [coordinationv1],
  authenticationv1: [authenticationv1],
  authorizationv1: [authorizationv1],
};

/** apiVersion → package, for the kinds a protobuf client may send. */
const GROUP_VERSIONS: Readonly<Record<string, string>> = {
  v1: 'corev1',
  'apps/v1': 'appsv1',
  'batch/v1': 'batchv1',
  'autoscaling/v1': 'autoscalingv1',
  'autoscaling/v2': 'autoscalingv2',
  'rbac.authorization.k8s.io/v1': 'rbacv1',
  'networking.k8s.io/v1': 'networkingv1',
  'policy/v1': 'policyv1',
  'scheduling.k8s.io/v1': 'schedulingv1',
  'coordination.k8s.io/v1': 'coordinationv1',
  'authentication.k8s.io/v1': 'authenticationv1',
  'authorization.k8s.io/v1': 'authorizationv1',
};

/** meta/v1 kinds that every group version carries (client-go sends DeleteOptions with the client's version). */
const META_KINDS = new Set(['DeleteOptions']);

const FIELD = /^(\d+) (\(inline\)|[A-Za-z][A-Za-z0-9]*) (\*|\[\]|map\[string\])?([A-Za-z][A-Za-z0-9.]*)(!?)$/;
const SHAPES: Readonly<Record<string, Shape>> = { '': 'value', '*': 'pointer', '[]': 'repeated', 'map[string]': 'map' };

function parseType(pkg: string, name: string): ValueType {
  if ((SCALARS as readonly string[]).includes(name)) return { kind: 'scalar', name: name as Scalar };
  if ((SPECIALS as readonly string[]).includes(name)) return { kind: 'special', name: name as Special };
  return { kind: 'message', name: name.includes('.') ? name : `${pkg}.${name}` };
}

export function parseFields(pkg: string, message: string, source: string): Map<number, FieldSpec> {
  const fields = new Map<number, FieldSpec>();
  for (const token of source.split(';').map((t) => t.trim().replace(/\s+/g, ' '))) {
    const m = FIELD.exec(token);
    if (!m) throw new Error(`protobuf schema ${pkg}.${message}: cannot parse "${token}"`);
    const [, number, json, prefix = '', type, bang] = m;
    const spec: FieldSpec = {
      number: Number(number),
      json: json === '(inline)' ? undefined : json,
      type: parseType(pkg, type!),
      shape: SHAPES[prefix]!,
      always: bang === '!',
    };
    if (fields.has(spec.number)) throw new Error(`protobuf schema ${pkg}.${message}: field ${spec.number} twice`);
    fields.set(spec.number, spec);
  }
  return fields;
}

function compile(): Map<string, MessageSpec> {
  const messages = new Map<string, MessageSpec>();
  for (const [pkg, tables] of Object.entries(PACKAGES)) {
    for (const table of tables) {
      for (const [message, source] of Object.entries(table)) {
        messages.set(`${pkg}.${message}`, { name: `${pkg}.${message}`, fields: parseFields(pkg, message, source) });
      }
    }
  }
  for (const spec of messages.values()) {
    for (const field of spec.fields.values()) {
      if (field.type.kind === 'message' && !messages.has(field.type.name)) {
        throw new Error(`protobuf schema ${spec.name}: field ${field.number} refers to unknown ${field.type.name}`);
      }
    }
  }
  return messages;
}

const MESSAGES = compile();

/** A message by its qualified name (`corev1.PodSpec`); the compiled schema guarantees references resolve. */
export function messageNamed(name: string): MessageSpec {
  const spec = MESSAGES.get(name);
  if (!spec) throw new Error(`protobuf schema: no message ${name}`);
  return spec;
}

/** The message of a top-level kind (one with ObjectMeta, or a meta/v1 option kind), or undefined. */
export function messageForKind(apiVersion: string, kind: string): MessageSpec | undefined {
  if (META_KINDS.has(kind)) return MESSAGES.get(`metav1.${kind}`);
  const pkg = GROUP_VERSIONS[apiVersion];
  const spec = pkg === undefined ? undefined : MESSAGES.get(`${pkg}.${kind}`);
  return spec?.fields.get(1)?.json === 'metadata' ? spec : undefined;
}

/** Every compiled message, for tests. */
export function allMessages(): readonly MessageSpec[] {
  return [...MESSAGES.values()];
}
