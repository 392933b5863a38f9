import type { JsonObject } from '../json.ts';
import { SERVER_VERSION } from './discovery.ts';

/**
 * The embedded cluster publishes no schemas: an empty but well-formed OpenAPI document.
 * kubectl's client-side validation then skips kinds it finds no schema for, instead of
 * failing to parse the document (kubectl 1.20 asks for gnostic protobuf).
 */
// clients ask with `...spec.v2@v1.0+protobuf`; the reply's type must parse as a MIME type, so no '@'
export const OPENAPI_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const TITLE = 'Sluice embedded cluster';

export function openApiV2Json(): JsonObject {
  return { swagger: '2.0', info: { title: TITLE, version: SERVER_VERSION.gitVersion }, paths: {}, definitions: {} };
}

/** openapi_v2.Document { swagger = 1; info = 2 { title = 1; version = 2 } } in protobuf wire format. */
export function openApiV2Protobuf(): Buffer {
  const field = (tag: number, payload: Buffer) => Buffer.concat([Buffer.from([(tag << 3) | 2]), varint(payload.length), payload]);
  const info = Buffer.concat([field(1, Buffer.from(TITLE)), field(2, Buffer.from(SERVER_VERSION.gitVersion))]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info)]);
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

export function openApiV3Root(): JsonObject {
  return { paths: {} };
}
