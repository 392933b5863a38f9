import { isJsonObject, type JsonObject } from '../json.ts';
import { errors } from './errors.ts';
import type { ResourceType } from './resources.ts';

/**
 * The review APIs (authorization.k8s.io SubjectAccessReviews and rules reviews,
 * authentication.k8s.io TokenReview and SelfSubjectReview): a create that is answered with
 * the request plus a status, and stores nothing. The embedded cluster has no authentication
 * and no authorization, so every caller is the cluster's administrator and may do anything:
 * `kubectl auth can-i` says yes, `kubectl auth whoami` names that user, and a token (which
 * the cluster never issued) does not authenticate.
 */
export const SIM_USER = { username: 'sluice-sim-admin', groups: ['system:masters', 'system:authenticated'] } as const;

const ALLOWED_REASON = 'the embedded cluster has no authorization: every request is allowed';

function status(kind: string): JsonObject {
  switch (kind) {
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview':
      return { allowed: true, reason: ALLOWED_REASON };
    case 'SelfSubjectRulesReview':
      return {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      };
    case 'TokenReview':
      return { authenticated: false, user: {}, error: 'the embedded cluster issues no tokens and authenticates none' };
    case 'SelfSubjectReview':
      return { userInfo: { username: SIM_USER.username, groups: [...SIM_USER.groups] } };
    default:
      throw errors.methodNotAllowed(`create ${kind}`);
  }
}

/** The answer to a review create: the request's metadata and spec, and the status. */
export function answerReview(rt: ResourceType, body: JsonObject, apiVersion: string): JsonObject {
  const spec = isJsonObject(body.spec) ? body.spec : {};
  if (rt.kind.endsWith('AccessReview') && !isJsonObject(spec.resourceAttributes) && !isJsonObject(spec.nonResourceAttributes)) {
    throw errors.invalid({ group: rt.group, plural: rt.plural, kind: rt.kind, name: '' }, [
      { reason: 'FieldValueRequired', field: 'spec.resourceAttributes', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' },
    ]);
  }
  return {
    kind: rt.kind,
    apiVersion,
    metadata: { ...(isJsonObject(body.metadata) ? body.metadata : {}), creationTimestamp: null },
    ...(rt.kind === 'SelfSubjectReview' ? {} : { spec }),
    status: status(rt.kind),
  };
}
