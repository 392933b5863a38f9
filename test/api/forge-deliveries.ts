/** Signed deliveries as each forge sends them (headers and payload shapes from their documentation). */
import { createHmac, randomUUID } from 'node:crypto';
import type { Forge } from '../../src/api/webhooks/types.ts';

export interface Push {
  readonly repoUrl: string;
  readonly ref: string;
  readonly after: string;
  /** Files changed; undefined: a payload that does not list them. */
  readonly paths?: readonly string[];
}

export interface Delivery {
  readonly headers: Record<string, string>;
  readonly body: string;
}

const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

function payload(forge: Forge, push: Push): unknown {
  const commits = push.paths === undefined ? [] : [{ id: push.after, message: 'change', added: [], modified: push.paths, removed: [] }];
  const branch = push.ref.replace(/^refs\/(heads|tags)\//, '');
  switch (forge) {
    case 'github':
      return { ref: push.ref, before: '0'.repeat(39) + '1', after: push.after, repository: { clone_url: `${push.repoUrl}.git`, html_url: push.repoUrl, default_branch: 'main' }, commits };
    case 'gitea':
      return { ref: push.ref, before: '0'.repeat(39) + '1', after: push.after, repository: { clone_url: `${push.repoUrl}.git`, html_url: push.repoUrl, default_branch: 'main' }, commits, total_commits: commits.length };
    case 'gitlab':
      return { object_kind: 'push', ref: push.ref, after: push.after, checkout_sha: push.after, project: { git_http_url: `${push.repoUrl}.git`, web_url: push.repoUrl, default_branch: 'main' }, commits, total_commits_count: commits.length };
    case 'bitbucket':
      return { repository: { full_name: 'org/apps', links: { html: { href: push.repoUrl } } }, push: { changes: [{ new: { type: push.ref.startsWith('refs/tags/') ? 'tag' : 'branch', name: branch, target: { hash: push.after } }, old: null }] } };
    case 'generic':
      return { repoURL: push.repoUrl, ref: push.ref, after: push.after, ...(push.paths === undefined ? {} : { changedPaths: push.paths }) };
  }
}

/** A push delivery signed with `secret` (undefined: unsigned; `sign` overrides the signature value). */
export function pushDelivery(forge: Forge, push: Push, secret: string | undefined, opts: { id?: string; sign?: string; padBytes?: number } = {}): Delivery {
  const base = payload(forge, push) as Record<string, unknown>;
  const body = JSON.stringify(opts.padBytes === undefined ? base : { ...base, padding: 'x'.repeat(opts.padBytes) });
  return { headers: { 'content-type': 'application/json', ...eventHeaders(forge, 'push', opts.id ?? randomUUID()), ...signature(forge, body, secret, opts.sign) }, body };
}

export function pingDelivery(forge: Exclude<Forge, 'gitlab' | 'gitea'>, secret: string | undefined): Delivery {
  const body = JSON.stringify(forge === 'github' ? { zen: 'Keep it logically awesome.', hook_id: 1 } : {});
  return { headers: { 'content-type': 'application/json', ...eventHeaders(forge, 'ping', randomUUID()), ...signature(forge, body, secret) }, body };
}

function eventHeaders(forge: Forge, event: 'push' | 'ping', id: string): Record<string, string> {
  switch (forge) {
    case 'github':
      return { 'x-github-event': event, 'x-github-delivery': id };
    case 'gitea':
      return { 'x-gitea-event': event, 'x-gitea-delivery': id, 'x-forgejo-event': event, 'x-forgejo-delivery': id };
    case 'gitlab':
      return { 'x-gitlab-event': 'Push Hook', 'idempotency-key': id, 'x-gitlab-event-uuid': id };
    case 'bitbucket':
      return { 'x-event-key': event === 'ping' ? 'diagnostics:ping' : 'repo:push', 'x-request-uuid': id };
    case 'generic':
      return { 'x-sluice-delivery': id, ...(event === 'ping' ? { 'x-sluice-event': 'ping' } : {}) };
  }
}

function signature(forge: Forge, body: string, secret: string | undefined, override?: string): Record<string, string> {
  if (secret === undefined) return {};
  const hex = override ?? hmac(secret, body);
  switch (forge) {
    case 'github':
      return { 'x-hub-signature-256': `sha256=${hex}` };
    case 'gitea':
      return { 'x-gitea-signature': hex };
    case 'gitlab':
      return { 'x-gitlab-token': override ?? secret };
    case 'bitbucket':
      return { 'x-hub-signature': `sha256=${hex}` };
    case 'generic':
      return { 'x-sluice-signature': `sha256=${hex}` };
  }
}
