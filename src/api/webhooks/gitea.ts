/**
 * Gitea and Forgejo: `X-Gitea-Signature` (Forgejo also sends `X-Forgejo-Signature`, which
 * wins when present): the bare hex HMAC-SHA256 of the body; `X-Gitea-Event` /
 * `X-Forgejo-Event`; `X-Gitea-Delivery` / `X-Forgejo-Delivery`. The push payload has
 * GitHub's shape (ref, after, repository.{clone_url, html_url, ssh_url, default_branch},
 * commits[].{added, modified, removed}, total_commits). Gitea's "test delivery" is a push.
 */
import { hmacHex, header, obj, pathsOfCommits, safeEqual, str, strings, pushEvent, type ForgeAdapter, type WebhookEvent } from './types.ts';

export const gitea: ForgeAdapter = {
  signatureHeader: 'x-gitea-signature',
  verify(headers, body, secret) {
    const given = header(headers, 'x-forgejo-signature') ?? header(headers, 'x-gitea-signature');
    return given !== undefined && safeEqual(given.toLowerCase(), hmacHex(secret, body));
  },
  deliveryId: (headers) => header(headers, 'x-forgejo-delivery') ?? header(headers, 'x-gitea-delivery'),
  parse(headers, payload): WebhookEvent {
    const event = header(headers, 'x-forgejo-event') ?? header(headers, 'x-gitea-event');
    if (event !== 'push') return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not a push` };
    const body = obj(payload);
    const repo = obj(body['repository']);
    const ref = str(body['ref']);
    const after = str(body['after']);
    if (ref === undefined || after === undefined) return { kind: 'ignored', reason: 'push without ref or after' };
    const total = body['total_commits'];
    const changed = pathsOfCommits(body['commits'], typeof total === 'number' ? total : undefined);
    const defaultBranch = str(repo['default_branch']);
    return pushEvent(strings(repo['clone_url'], repo['html_url'], repo['ssh_url']), ref, after, changed, defaultBranch);
  },
};
