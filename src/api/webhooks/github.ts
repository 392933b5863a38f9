/**
 * GitHub (and GitHub Enterprise): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
 * body>`, `X-GitHub-Event` (push, ping, …), `X-GitHub-Delivery` (a GUID per delivery).
 * Push payload: ref, after, repository.{clone_url, html_url, ssh_url, git_url, url,
 * default_branch}, commits[].{added, modified, removed} (at most 2,048 commits).
 */
import { header, obj, pathsOfCommits, str, strings, verifyPrefixedHmac, pushEvent, type ForgeAdapter, type WebhookEvent } from './types.ts';

export const github: ForgeAdapter = {
  signatureHeader: 'x-hub-signature-256',
  verify: (headers, body, secret) => verifyPrefixedHmac(header(headers, 'x-hub-signature-256'), secret, body),
  deliveryId: (headers) => header(headers, 'x-github-delivery'),
  parse(headers, payload): WebhookEvent {
    const event = header(headers, 'x-github-event');
    if (event === 'ping') return { kind: 'ping' };
    if (event !== 'push') return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not a push` };
    const body = obj(payload);
    const repo = obj(body['repository']);
    const ref = str(body['ref']);
    const after = str(body['after']);
    if (ref === undefined || after === undefined) return { kind: 'ignored', reason: 'push without ref or after' };
    // GitHub lists at most 2,048 commits: a full list may be a cut one
    const commits = body['commits'];
    const changed = pathsOfCommits(commits, Array.isArray(commits) && commits.length >= 2048 ? Infinity : undefined);
    const defaultBranch = str(repo['default_branch']) ?? str(repo['master_branch']);
    return pushEvent(strings(repo['clone_url'], repo['html_url'], repo['url'], repo['git_url'], repo['ssh_url']), ref, after, changed, defaultBranch);
  },
};
