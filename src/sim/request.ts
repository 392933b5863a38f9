import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { JsonValue } from '../json.ts';
import type { PatchType, Subresource } from './apiserver.ts';
import { errors, StatusError } from './errors.ts';
import { decodeKubernetesProtobuf, ProtobufDecodeError } from './protobuf.ts';

/** Where a request path points: discovery, or a resource collection / item / subresource. */
export type Route =
  | { readonly kind: 'version' | 'api' | 'apis' | 'openapi-v2' | 'openapi-v3' | 'healthz' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'resource-list'; readonly group: string; readonly version: string }
  | {
      readonly kind: 'resource';
      readonly group: string;
      readonly version: string;
      readonly plural: string;
      readonly namespace?: string;
      readonly name?: string;
      readonly subresource?: string;
      /** legacy `/watch/` path prefix */
      readonly watchPath: boolean;
    };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Parses an API path (`/api/v1/namespaces/ns/pods/x/status`, `/apis/apps/v1/deployments`, ...). */
export function parseRoute(pathname: string): Route | undefined {
  const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [root, ...rest] = segments;
  if (root === 'version' && rest.length === 0) return { kind: 'version' };
  if ((root === 'healthz' || root === 'readyz' || root === 'livez') && rest.length === 0) return { kind: 'healthz' };
  if (root === 'openapi' && rest[0] === 'v2' && rest.length === 1) return { kind: 'openapi-v2' };
  if (root === 'openapi' && rest[0] === 'v3' && rest.length === 1) return { kind: 'openapi-v3' };
  if (root === 'api') {
    if (rest.length === 0) return { kind: 'api' };
    const [version, ...path] = rest;
    return resourceRoute('', version!, path);
  }
  if (root === 'apis') {
    if (rest.length === 0) return { kind: 'apis' };
    const [group, version, ...path] = rest;
    if (version === undefined) return { kind: 'group', group: group! };
    return resourceRoute(group!, version, path);
  }
  return undefined;
}

function resourceRoute(group: string, version: string, path: string[]): Route | undefined {
  if (path.length === 0) return { kind: 'resource-list', group, version };
  let segments = path;
  const watchPath = segments[0] === 'watch';
  if (watchPath) segments = segments.slice(1);
  let namespace: string | undefined;
  if (segments[0] === 'namespaces' && segments.length >= 3 && !(segments.length === 3 && NAMESPACE_SUBRESOURCES.has(segments[2]!))) {
    namespace = segments[1];
    segments = segments.slice(2);
  }
  const [plural, name, subresource, ...extra] = segments;
  if (!plural || extra.length > 0) return undefined;
  return {
    kind: 'resource',
    group,
    version,
    plural,
    watchPath,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

export const SUBRESOURCES: readonly Subresource[] = ['status', 'scale', 'finalize'];

export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  switch (base) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
      return 'apply';
    default:
      throw errors.unsupportedMediaType(contentType ?? '(none)');
  }
}

/** Largest request body the API server accepts (kube-apiserver: 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Past this much, a body is not even read to its end: the connection is dropped instead of answered. */
const MAX_DRAINED_BYTES = 4 * MAX_BODY_BYTES;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    // Leaving the loop destroys the socket before the 413 is sent, and the client sees a
    // reset instead of the answer: read (and drop) the rest of a moderately large body.
    if (size > MAX_DRAINED_BYTES) break;
    if (size <= MAX_BODY_BYTES) chunks.push(buf);
  }
  if (size > MAX_BODY_BYTES) throw new StatusError('RequestEntityTooLarge', `the request body exceeds ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks);
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Decodes a request body: JSON, Kubernetes protobuf (typed clients), or YAML for apply patches and YAML content types. */
export function decodeBody(raw: Buffer, contentType: string | undefined): JsonValue {
  const base = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (base === PROTOBUF) {
    if (raw.length === 0) throw errors.badRequest('the request body is empty');
    try {
      return decodeKubernetesProtobuf(raw);
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw errors.badRequest(`the protobuf request body could not be decoded: ${e.message}`);
      throw e;
    }
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  if (base.includes('protobuf') || base.includes('cbor')) throw errors.unsupportedMediaType(base);
  try {
    if (base.endsWith('yaml')) return parseYaml(text, { maxAliasCount: 100 }) as JsonValue;
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw errors.badRequest(`the request body could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** What representation the client asked for in Accept (kubectl asks for Tables). */
export type Representation = 'object' | 'table' | 'metadata';

export function representationOf(accept: string | undefined): Representation {
  if (!accept) return 'object';
  for (const part of accept.split(',')) {
    const params = part.split(';').map((p) => p.trim());
    const as = params.find((p) => p.startsWith('as='))?.slice(3);
    const g = params.find((p) => p.startsWith('g='))?.slice(2);
    if (g !== 'meta.k8s.io') {
      if (!as) return 'object';
      continue;
    }
    if (as === 'Table') return 'table';
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return 'metadata';
  }
  return 'object';
}

/** Default field manager, as kube-apiserver derives it from the User-Agent (`kubectl/v1.30 ...` → `kubectl`). */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const first = (userAgent ?? '').split('/')[0]?.trim();
  return first ? first.slice(0, 128) : 'unknown';
}
