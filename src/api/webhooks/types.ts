/**
 * What a forge's webhook delivery says, once verified: a ping, a push (the repository in
 * every spelling the payload gives, the ref, the new commit, the changed paths when the
 * payload lists them completely), or something Sluice does not act on.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const FORGES = ['github', 'gitlab', 'gitea', 'bitbucket', 'generic'] as const;
export type Forge = (typeof FORGES)[number];

export interface PushEvent {
  readonly kind: 'push';
  readonly repoUrls: readonly string[];
  /** `refs/heads/main`, `refs/tags/v1.2.0` */
  readonly ref: string;
  /** The pushed commit (all zeros when the ref was deleted). */
  readonly after: string;
  /** Every path the push changed, or undefined when the payload does not say (or lists only part). */
  readonly changedPaths?: readonly string[];
  /** The repository's default branch, for apps that follow HEAD. */
  readonly defaultBranch?: string;
}

export type WebhookEvent = { readonly kind: 'ping' } | PushEvent | { readonly kind: 'ignored'; readonly reason: string };

export interface ForgeAdapter {
  /** The header that carries the signature or token: absent → unsigned. */
  readonly signatureHeader: string;
  /** True when the delivery was signed with `secret` (constant-time). */
  verify(headers: IncomingHttpHeaders, body: Buffer, secret: string): boolean;
  /** The forge's id of this delivery (a retry keeps it), for replay protection. */
  deliveryId(headers: IncomingHttpHeaders): string | undefined;
  parse(headers: IncomingHttpHeaders, payload: unknown): WebhookEvent;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time comparison of two strings (their lengths may differ: the time then says only that). */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hmacHex(secret: string, body: Buffer, algorithm: 'sha256' = 'sha256'): string {
  return createHmac(algorithm, secret).update(body).digest('hex');
}

/** A `sha256=<hex>` header (GitHub, Bitbucket, the generic hook) against the body's HMAC. */
export function verifyPrefixedHmac(given: string | undefined, secret: string, body: Buffer): boolean {
  if (given === undefined || !given.startsWith('sha256=')) return false;
  return safeEqual(given.slice('sha256='.length).toLowerCase(), hmacHex(secret, body));
}

// Small readers for untrusted payloads.
export function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
export function strings(...values: unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v !== '');
}

/**
 * The files a list of GitHub-style commits (`added`, `modified`, `removed`) touched, or
 * undefined when the list may be partial: forges cap it (GitHub at 2,048 commits, GitLab
 * at 20, Gitea at its webhook commit limit), so a push counted longer than listed says nothing.
 */
/** A push event; the changed paths and default branch only where the payload said them. */
export function pushEvent(repoUrls: readonly string[], ref: string, after: string, changedPaths: readonly string[] | undefined, defaultBranch: string | undefined): PushEvent {
  return { kind: 'push', repoUrls, ref, after, ...(changedPaths === undefined ? {} : { changedPaths }), ...(defaultBranch === undefined ? {} : { defaultBranch }) };
}

export function pathsOfCommits(commits: unknown, total?: number): string[] | undefined {
  // no commits listed: a new branch or tag at an existing commit, whose changes the payload does not give
  if (!Array.isArray(commits) || commits.length === 0) return undefined;
  if (total !== undefined && total > commits.length) return undefined;
  const paths = new Set<string>();
  for (const c of commits) {
    const commit = obj(c);
    for (const field of ['added', 'modified', 'removed']) {
      const list = commit[field];
      if (!Array.isArray(list)) return undefined;
      for (const p of list) if (typeof p === 'string') paths.add(p);
    }
  }
  return [...paths];
}

const ZERO_SHA = /^0+$/;
export function isDeletion(after: string): boolean {
  return ZERO_SHA.test(after);
}
