import type { JsonObject } from '../json.ts';
import { decodeMessage } from './protobuf/decode.ts';
import { messageForKind } from './protobuf/schema.ts';
import { ProtobufDecodeError, readFields, type WireField } from './protobuf/wire.ts';

export { ProtobufDecodeError } from './protobuf/wire.ts';

/** `application/vnd.kubernetes.protobuf` bodies start with these four bytes. */
const MAGIC = Buffer.from('k8s\0', 'latin1');

/** runtime.Unknown: {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4}. */
interface Envelope {
  readonly apiVersion: string;
  readonly kind: string;
  readonly raw: Buffer;
}

function text(field: WireField | undefined, what: string): string {
  if (field === undefined) return '';
  if (field.wireType !== 2) throw new ProtobufDecodeError(`runtime.Unknown ${what}: wire type ${field.wireType}`);
  return field.value.toString('utf8');
}

function readEnvelope(buf: Buffer): Envelope {
  const fields = new Map(readFields(buf).map((f) => [f.number, f]));
  const typeMetaField = fields.get(1);
  const typeMeta = new Map(typeMetaField?.wireType === 2 ? readFields(typeMetaField.value).map((f) => [f.number, f]) : []);
  const encoding = text(fields.get(3), 'contentEncoding');
  const contentType = text(fields.get(4), 'contentType');
  // a gzip-encoded or JSON-in-protobuf Unknown is legal but no client sends one
  if (encoding !== '') throw new ProtobufDecodeError(`unsupported protobuf content encoding "${encoding}"`);
  if (contentType !== '' && contentType !== 'application/vnd.kubernetes.protobuf') {
    throw new ProtobufDecodeError(`unsupported protobuf content type "${contentType}"`);
  }
  const raw = fields.get(2);
  return {
    apiVersion: text(typeMeta.get(1), 'apiVersion'),
    kind: text(typeMeta.get(2), 'kind'),
    raw: raw?.wireType === 2 ? raw.value : Buffer.alloc(0),
  };
}

/**
 * Decodes a Kubernetes protobuf request body (what typed clients such as kubectl 1.33's `create`
 * generators send) into the JSON the same object has. Throws ProtobufDecodeError for bodies that are
 * malformed, of a kind without a schema, or carry fields the schema does not know: never drops data.
 */
export function decodeKubernetesProtobuf(raw: Buffer): JsonObject {
  if (raw.length < MAGIC.length || !raw.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufDecodeError('the protobuf body does not start with the k8s\\0 prefix');
  }
  const envelope = readEnvelope(raw.subarray(MAGIC.length));
  if (!envelope.apiVersion || !envelope.kind) throw new ProtobufDecodeError('the protobuf body has no apiVersion or kind');
  const spec = messageForKind(envelope.apiVersion, envelope.kind);
  if (!spec) throw new ProtobufDecodeError(`protobuf bodies of ${envelope.apiVersion} ${envelope.kind} are not supported; send JSON`);
  return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...decodeMessage(spec, envelope.raw) };
}
