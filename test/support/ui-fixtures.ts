/** Builders for the web UI's tests and bench: app summaries, a guestbook app mid-rollout, a fleet. */
import type { AppSummary, HistoryEntry, ResourceDiff, ResourceNode, RolloutProgress } from '../../web/src/api-types.ts';
import { HEALTH_STATUSES, SYNC_STATUSES } from '../../web/src/api-types.ts';
import type { FakeApp } from './fake-api.ts';

export const SHA = {
  old: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  good: 'b2c3d4e5f60718293a4b5c6d7e8f901234567890',
  next: 'c3d4e5f60718293a4b5c6d7e8f90123456789012',
};

const minutesAgo = (now: number, minutes: number) => new Date(now - minutes * 60_000).toISOString();

export function newAppSummary(name: string, overrides: Partial<AppSummary> = {}, now = Date.now()): AppSummary {
  return {
    name,
    namespace: 'sluice-system',
    source: { repoURL: 'http://git.example/deploy.git', targetRevision: 'main', path: `apps/${name}` },
    destination: { namespace: name },
    sync: 'Synced',
    health: 'Healthy',
    revision: SHA.good,
    syncedRevision: SHA.good,
    commit: { message: `${name}: bump image to 1.4.2\n\nLonger body.`, author: 'Ada Lovelace', time: minutesAgo(now, 42) },
    lastOperation: { id: `${name}-op-1`, kind: 'sync', trigger: 'webhook', phase: 'Succeeded', revision: SHA.good, message: 'successfully synced', startedAt: minutesAgo(now, 41), finishedAt: minutesAgo(now, 40) },
    autoSync: true,
    badRevisions: [],
    conditions: [],
    comparedAt: minutesAgo(now, 1),
    ...overrides,
  };
}

/** The guestbook's web Deployment at `step` of 4, `updated` of 8 pods on the new revision. */
export function rolloutAt(step: number, updated: number, now = Date.now()): RolloutProgress {
  return {
    phase: 'Progressing',
    revision: SHA.next,
    fromRevision: SHA.good,
    step,
    steps: 4,
    message: `web: step ${step} of 4, ${updated}/8 pods on the new revision`,
    startedAt: minutesAgo(now, 2),
    workloads: [
      {
        kind: 'Deployment',
        namespace: 'guestbook',
        name: 'web',
        desired: 8,
        updated,
        ready: Math.max(0, updated - 1) + (8 - updated),
        available: 8 - 1,
        stepTarget: step * 2,
        maxSurge: 2,
        maxUnavailable: 0,
        holdUntil: new Date(now + 45_000).toISOString(),
      },
    ],
  };
}

const node = (kind: string, name: string, extra: Partial<ResourceNode> = {}): ResourceNode => {
  const group = kind === 'Deployment' || kind === 'ReplicaSet' ? 'apps' : '';
  // the contract's key: group/ left out when empty (src/sync/resource-key.ts keyString)
  return { key: `${group === '' ? '' : `${group}/`}${kind}/guestbook/${name}`, group, version: 'v1', kind, namespace: 'guestbook', name, health: { status: 'Healthy' }, ...extra };
};

export function guestbookTree(): ResourceNode[] {
  const deployment = node('Deployment', 'web', { status: 'OutOfSync', health: { status: 'Progressing', message: 'Waiting for rollout to finish: 2 of 8 updated replicas are available' } });
  const oldRs = node('ReplicaSet', 'web-7d9c8b6f5', { parent: deployment.key });
  const newRs = node('ReplicaSet', 'web-5f6d7c8b9', { parent: deployment.key, health: { status: 'Progressing', message: '2 of 4 pods ready' } });
  return [
    deployment,
    oldRs,
    newRs,
    ...[0, 1, 2, 3, 4, 5].map((i) => node('Pod', `web-7d9c8b6f5-p${i}`, { parent: oldRs.key })),
    node('Pod', 'web-5f6d7c8b9-q0', { parent: newRs.key }),
    node('Pod', 'web-5f6d7c8b9-q1', { parent: newRs.key, health: { status: 'Progressing', message: 'container web is not ready: readiness probe failing' } }),
    node('Service', 'web', { status: 'Synced' }),
    node('ConfigMap', 'web-config', { status: 'Synced' }),
    node('Secret', 'web-credentials', { status: 'OutOfSync' }),
  ];
}

export function guestbookDiffs(): ResourceDiff[] {
  return [
    {
      key: 'apps/Deployment/guestbook/web',
      status: 'OutOfSync',
      desired: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 8\n  template:\n    spec:\n      containers:\n        - name: web\n          image: guestbook:1.5.0\n',
      live: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 8\n  template:\n    spec:\n      containers:\n        - name: web\n          image: guestbook:1.4.2\n',
      diff: '--- live\n+++ desired\n@@ -9,3 +9,3 @@\n       containers:\n         - name: web\n-          image: guestbook:1.4.2\n+          image: guestbook:1.5.0\n',
    },
    {
      key: 'Secret/guestbook/web-credentials',
      status: 'OutOfSync',
      desired: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-credentials\ndata:\n  password: ++++++++\n',
      live: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-credentials\ndata:\n  password: +++++++++\n',
      diff: '--- live\n+++ desired\n@@ -4,2 +4,2 @@\n data:\n-  password: +++++++++\n+  password: ++++++++\n',
    },
    { key: 'Service/guestbook/web', status: 'Synced', desired: 'kind: Service\n', live: 'kind: Service\n', diff: '' },
  ];
}

export function guestbookHistory(now = Date.now()): HistoryEntry[] {
  const entry = (id: string, revision: string, minutes: number, message: string): HistoryEntry => ({
    id,
    revision,
    startedAt: minutesAgo(now, minutes + 1),
    finishedAt: minutesAgo(now, minutes),
    trigger: 'webhook',
    phase: 'Succeeded',
    message,
    kind: 'sync',
    resources: [],
  });
  return [entry('h-2', SHA.good, 40, 'synced guestbook 1.4.2'), entry('h-1', SHA.old, 180, 'synced guestbook 1.4.1')];
}

/** The guestbook app during a rollout of SHA.next at step 1 of 4. */
export function guestbookApp(now = Date.now()): FakeApp {
  return {
    summary: newAppSummary('guestbook', { sync: 'OutOfSync', health: 'Progressing', revision: SHA.next, commit: { message: 'guestbook 1.5.0', author: 'Grace Hopper', time: minutesAgo(now, 3) }, rollout: rolloutAt(1, 2, now) }, now),
    resources: guestbookTree(),
    diffs: guestbookDiffs(),
    history: guestbookHistory(now),
  };
}

/** `count` apps named app-0000…, with a spread of states; deterministic. */
export function fleet(count: number, now = Date.now()): FakeApp[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `app-${String(i).padStart(4, '0')}`;
    return {
      summary: newAppSummary(
        name,
        {
          sync: SYNC_STATUSES[i % 7 === 0 ? 1 : 0],
          health: HEALTH_STATUSES[i % 11 === 0 ? 4 : i % 5 === 0 ? 2 : 0],
          autoSync: i % 3 !== 0,
          ...(i % 13 === 0 ? { pinned: { revision: SHA.old, since: minutesAgo(now, 10), by: 'ops' } } : {}),
        },
        now,
      ),
    };
  });
}
