/**
 * API tokens and roles. Tokens are configured by their sha256 (never in clear), with a
 * name and a role, in a YAML or JSON file or in a Kubernetes Secret holding that file:
 *
 *   tokens:
 *     - { name: ci-bot, role: operator, sha256: 9f86d08… }
 *
 * A request's bearer token is hashed and looked up; the comparison of digests is
 * constant-time. Nothing here ever logs or returns a token or its hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { isJsonObject } from '../json.ts';
import type { KubeClient } from '../kube/client.ts';
import { ApiError } from './errors.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

export interface Principal {
  readonly name: string;
  readonly role: Role;
}

interface TokenEntry extends Principal {
  readonly digest: Buffer;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random token (for `npm start` and `sluice token`): 32 bytes, base64url. */
export function newToken(): string {
  return `sluice_${randomBytes(32).toString('base64url')}`;
}

export class TokenStore {
  private readonly entries: readonly TokenEntry[];

  constructor(tokens: readonly (Principal & { readonly sha256: string })[]) {
    this.entries = tokens.map((t) => ({ name: t.name, role: t.role, digest: Buffer.from(t.sha256, 'hex') }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Who a bearer token is, or undefined. Every entry is compared, so the time taken does not say which matched. */
  authenticate(token: string): Principal | undefined {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (entry.digest.length === digest.length && timingSafeEqual(entry.digest, digest) && found === undefined) found = { name: entry.name, role: entry.role };
    }
    return found;
  }

  /** The principal of an `Authorization` header, allowed `needed`; 401 or 403 otherwise. */
  authorize(header: string | undefined, needed: Role): Principal {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (match === null) throw new ApiError('Unauthenticated', 'an Authorization: Bearer <token> header is required');
    const principal = this.authenticate(match[1]!);
    if (principal === undefined) throw new ApiError('Unauthenticated', 'the token is not valid');
    if (!roleAllows(principal.role, needed)) throw new ApiError('Forbidden', `${principal.name} (${principal.role}) may not do this: it needs the ${needed} role`);
    return principal;
  }
}

/** Parses a tokens file's text; errors name the entry and field, never a value. */
export function parseTokens(text: string, source: string): TokenStore {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`${source}: not YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = isJsonObject(doc) ? doc['tokens'] : undefined;
  if (!Array.isArray(list)) throw new Error(`${source}: expected "tokens:" with a list of {name, role, sha256}`);
  const names = new Set<string>();
  const tokens = list.map((item, i) => {
    const at = `${source}: tokens[${i}]`;
    if (!isJsonObject(item)) throw new Error(`${at}: must be an object`);
    const { name, role, sha256 } = item;
    if (typeof name !== 'string' || name === '') throw new Error(`${at}.name: is required`);
    if (names.has(name)) throw new Error(`${at}.name: ${name} appears twice`);
    names.add(name);
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new Error(`${at}.role: must be one of ${ROLES.join(', ')}`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256)) throw new Error(`${at}.sha256: must be the 64 hex digits of the token's sha256 (sluice token hash)`);
    return { name, role: role as Role, sha256: sha256.toLowerCase() };
  });
  return new TokenStore(tokens);
}

export async function tokensFromFile(file: string): Promise<TokenStore> {
  return parseTokens(await readFile(file, 'utf8'), file);
}

/** The tokens file kept under `key` (default `tokens.yaml`) of a Secret `namespace/name`. */
export async function tokensFromSecret(kube: KubeClient, ref: string, key = 'tokens.yaml'): Promise<TokenStore> {
  const [namespace, name] = ref.includes('/') ? ref.split('/', 2) : ['sluice-system', ref];
  const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: namespace!, name: name! });
  const data = secret?.['data'];
  const encoded = isJsonObject(data) ? data[key] : undefined;
  if (typeof encoded !== 'string') throw new Error(`Secret ${namespace}/${name}: no data key ${key}`);
  return parseTokens(Buffer.from(encoded, 'base64').toString('utf8'), `Secret ${namespace}/${name} key ${key}`);
}
