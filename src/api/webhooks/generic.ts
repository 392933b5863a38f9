/**
 * Sluice's own hook for anything else (a CI job, a script): `X-Sluice-Signature:
 * sha256=<hex HMAC-SHA256 of the body>`, optional `X-Sluice-Delivery`, body
 * `{repoURL, ref, after, changedPaths?}`; `X-Sluice-Event: ping` is answered.
 */
import { header, obj, str, verifyPrefixedHmac, type ForgeAdapter, type WebhookEvent } from './types.ts';

export const generic: ForgeAdapter = {
  signatureHeader: 'x-sluice-signature',
  verify: (headers, body, secret) => verifyPrefixedHmac(header(headers, 'x-sluice-signature'), secret, body),
  deliveryId: (headers) => header(headers, 'x-sluice-delivery'),
  parse(headers, payload): WebhookEvent {
    if (header(headers, 'x-sluice-event') === 'ping') return { kind: 'ping' };
    const body = obj(payload);
    const repoURL = str(body['repoURL']);
    const ref = str(body['ref']);
    const after = str(body['after']);
    if (repoURL === undefined || ref === undefined || after === undefined) return { kind: 'ignored', reason: 'body must have repoURL, ref and after' };
    const paths = body['changedPaths'];
    const changedPaths = Array.isArray(paths) && paths.every((p) => typeof p === 'string') ? (paths as string[]) : undefined;
    return { kind: 'push', repoUrls: [repoURL], ref: ref.startsWith('refs/') ? ref : `refs/heads/${ref}`, after, ...(changedPaths === undefined ? {} : { changedPaths }) };
  },
};
