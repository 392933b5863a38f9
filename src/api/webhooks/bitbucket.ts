/**
 * Bitbucket Cloud and Bitbucket Data Center: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of
 * the body>` (note: not GitHub's SHA-1 header of the same name), `X-Event-Key`.
 * Cloud: `repo:push`, delivery `X-Request-UUID`, payload push.changes[].new.{type: branch |
 * tag, name, target.hash}, repository.links.html.href. Data Center: `repo:refs_changed`
 * (and `diagnostics:ping`), delivery `X-Request-Id`, payload changes[].{ref.id, toHash},
 * repository.links.clone[].href. Neither lists changed files, so every app on the branch
 * is synced (a sync of an unchanged app changes nothing).
 */
import { header, obj, str, strings, verifyPrefixedHmac, type ForgeAdapter, type WebhookEvent } from './types.ts';

function cloudPush(body: Record<string, unknown>): WebhookEvent {
  const repo = obj(body['repository']);
  const links = obj(repo['links']);
  const change = (Array.isArray(obj(body['push'])['changes']) ? (obj(body['push'])['changes'] as unknown[]) : []).map(obj).find((c) => c['new'] !== null && c['new'] !== undefined);
  if (change === undefined) return { kind: 'ignored', reason: 'push with no new ref (a deletion)' };
  const target = obj(change['new']);
  const name = str(target['name']);
  const after = str(obj(target['target'])['hash']);
  if (name === undefined || after === undefined) return { kind: 'ignored', reason: 'push without a ref name or commit' };
  const fullName = str(repo['full_name']);
  return {
    kind: 'push',
    repoUrls: strings(obj(links['html'])['href'], fullName === undefined ? undefined : `https://bitbucket.org/${fullName}`),
    ref: `${target['type'] === 'tag' ? 'refs/tags/' : 'refs/heads/'}${name}`,
    after,
  };
}

function serverPush(body: Record<string, unknown>): WebhookEvent {
  const repo = obj(body['repository']);
  const clones = Array.isArray(obj(repo['links'])['clone']) ? (obj(repo['links'])['clone'] as unknown[]).map((c) => obj(c)['href']) : [];
  const change = (Array.isArray(body['changes']) ? body['changes'] : []).map(obj).find((c) => c['type'] !== 'DELETE');
  if (change === undefined) return { kind: 'ignored', reason: 'push with no new ref (a deletion)' };
  const ref = str(obj(change['ref'])['id']);
  const after = str(change['toHash']);
  if (ref === undefined || after === undefined) return { kind: 'ignored', reason: 'push without ref or toHash' };
  return { kind: 'push', repoUrls: strings(...clones), ref, after };
}

export const bitbucket: ForgeAdapter = {
  signatureHeader: 'x-hub-signature',
  verify: (headers, body, secret) => verifyPrefixedHmac(header(headers, 'x-hub-signature'), secret, body),
  deliveryId: (headers) => header(headers, 'x-request-uuid') ?? header(headers, 'x-request-id'),
  parse(headers, payload): WebhookEvent {
    const event = header(headers, 'x-event-key');
    if (event === 'diagnostics:ping') return { kind: 'ping' };
    if (event === 'repo:push') return cloudPush(obj(payload));
    if (event === 'repo:refs_changed') return serverPush(obj(payload));
    return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not a push` };
  },
};
