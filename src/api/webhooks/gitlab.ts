/**
 * GitLab: `X-Gitlab-Token` carries the configured secret itself (no HMAC), compared in
 * constant time; `X-Gitlab-Event` ("Push Hook", "Tag Push Hook", …); the delivery id is
 * `Idempotency-Key` (the same on retries; GitLab ≥ 17.4), else `X-Gitlab-Event-UUID`.
 * Payload: object_kind push | tag_push, ref, after (checkout_sha), project.{git_http_url,
 * web_url, git_ssh_url, default_branch}, repository.{git_http_url, homepage, url},
 * commits[].{added, modified, removed} — at most 20, total_commits_count says how many.
 * GitLab has no ping: its "Test" button sends a sample push.
 */
import { header, obj, pathsOfCommits, safeEqual, str, strings, pushEvent, type ForgeAdapter, type WebhookEvent } from './types.ts';

export const gitlab: ForgeAdapter = {
  signatureHeader: 'x-gitlab-token',
  verify: (headers, _body, secret) => {
    const given = header(headers, 'x-gitlab-token');
    return given !== undefined && safeEqual(given, secret);
  },
  deliveryId: (headers) => header(headers, 'idempotency-key') ?? header(headers, 'x-gitlab-event-uuid'),
  parse(_headers, payload): WebhookEvent {
    const body = obj(payload);
    const kind = body['object_kind'];
    if (kind !== 'push' && kind !== 'tag_push') return { kind: 'ignored', reason: `object_kind ${String(kind)} is not a push` };
    const project = obj(body['project']);
    const repo = obj(body['repository']);
    const ref = str(body['ref']);
    const after = str(body['after']) ?? str(body['checkout_sha']);
    if (ref === undefined || after === undefined) return { kind: 'ignored', reason: 'push without ref or after' };
    const total = body['total_commits_count'];
    const changed = pathsOfCommits(body['commits'], typeof total === 'number' ? total : undefined);
    const defaultBranch = str(project['default_branch']);
    return pushEvent(strings(project['git_http_url'], project['http_url'], project['web_url'], project['git_ssh_url'], repo['git_http_url'], repo['homepage'], repo['url']), ref, after, changed, defaultBranch);
  },
};
