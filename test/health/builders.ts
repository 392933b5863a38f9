import { isJsonObject, type JsonObject } from '../../src/json.ts';

/** Live objects as the API server returns them, for health tests. */

export function newLiveDeployment(opts: { generation?: number; replicas?: number; paused?: boolean; status?: JsonObject; progressDeadlineSeconds?: number } = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation: opts.generation ?? 2, uid: 'd-1' },
    spec: {
      replicas: opts.replicas ?? 3,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 600,
      ...(opts.paused ? { paused: true } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } },
    },
    status: opts.status ?? {},
  };
}

export function progressingCondition(reason: string, message: string): JsonObject {
  return { type: 'Progressing', status: reason === 'ProgressDeadlineExceeded' ? 'False' : 'True', reason, message, lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' };
}

export function newLiveStatefulSet(opts: { generation?: number; replicas?: number; strategy?: JsonObject; status?: JsonObject } = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default', generation: opts.generation ?? 1 },
    spec: { replicas: opts.replicas ?? 3, serviceName: 'db', updateStrategy: opts.strategy ?? { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } },
    status: opts.status ?? {},
  };
}

export function newLiveDaemonSet(opts: { generation?: number; strategy?: string; status?: JsonObject } = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system', generation: opts.generation ?? 1 },
    spec: { updateStrategy: { type: opts.strategy ?? 'RollingUpdate' } },
    status: opts.status ?? {},
  };
}

export function newLivePod(opts: { phase?: string; restartPolicy?: string; conditions?: JsonObject[]; containerStatuses?: JsonObject[]; message?: string } = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f-abcde', namespace: 'default' },
    spec: { restartPolicy: opts.restartPolicy ?? 'Always', containers: [{ name: 'app', image: 'nginx:1.25' }] },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.message ? { message: opts.message } : {}),
      conditions: opts.conditions ?? [],
      containerStatuses: opts.containerStatuses ?? [],
    },
  };
}

export const podReady = (status: 'True' | 'False', message?: string): JsonObject => ({ type: 'Ready', status, ...(message ? { reason: 'ContainersNotReady', message } : {}) });

export function waitingContainer(reason: string, message?: string): JsonObject {
  return { name: 'app', ready: false, restartCount: 4, image: 'nginx:1.25', state: { waiting: { reason, ...(message ? { message } : {}) } } };
}

export function newLiveJob(opts: { suspend?: boolean; conditions?: JsonObject[]; active?: number } = {}): JsonObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'default', generation: 1 },
    spec: { backoffLimit: 6, ...(opts.suspend !== undefined ? { suspend: opts.suspend } : {}), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'migrate:1' }] } } },
    status: { ...(opts.active !== undefined ? { active: opts.active } : {}), ...(opts.conditions ? { conditions: opts.conditions } : {}) },
  };
}

/** Any kind: body fields go in as given, metadata merged over a default name and namespace. */
export function newLive(apiVersion: string, kind: string, body: JsonObject = {}): JsonObject {
  const { metadata, ...rest } = body;
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'default', ...(isJsonObject(metadata) ? metadata : {}) }, ...rest };
}
