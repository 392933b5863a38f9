/**
 * `npm run bench -- diff`: resource diff throughput (normalize + three-way patch + status).
 *
 * DIFF_BENCH_OBJECTS (20,000) desired/live pairs, a mix of Deployments, Services and
 * ConfigMaps. Each live object is what the API server would hold after `kubectl apply`:
 * the last-applied annotation, server defaults (sim/defaults.ts), uid/resourceVersion/
 * generation/creationTimestamp, two managedFields entries and a status. About 10% of the
 * desired objects carry a change (image, env value, replicas, port, data); 20% of the
 * Deployments spell quantities the way the server does not store them (`1000m`, `0.5Gi`),
 * so they take the full path (patch, apply, normalize, compare) although they are in sync.
 * Gated: at least DIFF_BENCH_TARGET (20,000) objects/s, and the statuses as planted.
 */
import { performance } from 'node:perf_hooks';
import type { JsonObject } from '../src/json.ts';
import { diffResource, type SyncStatus } from '../src/diff/resource-diff.ts';
import { withLastApplied } from '../src/diff/three-way.ts';
import { applyDefaults } from '../src/sim/defaults.ts';

const OBJECTS = Number(process.env.DIFF_BENCH_OBJECTS ?? 20_000);
const TARGET = Number(process.env.DIFF_BENCH_TARGET ?? 20_000);
const WARMUP = Number(process.env.DIFF_BENCH_WARMUP ?? 2);
const REPEATS = Number(process.env.DIFF_BENCH_REPEATS ?? 5);

interface Pair {
  readonly desired: JsonObject;
  readonly live: JsonObject;
  readonly expected: SyncStatus;
}

function deployment(i: number, variant: { image?: string; replicas?: number; env?: string; quantities?: 'server' | 'manifest' }): JsonObject {
  const name = `app-${i}`;
  const server = variant.quantities !== 'manifest';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'team-a', labels: { app: name, tier: 'web' } },
    spec: {
      replicas: variant.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: variant.image ?? 'registry.example.com/app:1.0',
              ports: [{ containerPort: 8080, name: 'http' }],
              env: [
                { name: 'APP_NAME', value: name },
                { name: 'LOG_LEVEL', value: variant.env ?? 'info' },
              ],
              resources: {
                requests: { cpu: server ? '1' : '1000m', memory: server ? '512Mi' : '0.5Gi' },
                limits: { cpu: '2', memory: '1Gi' },
              },
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
              volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
            },
            { name: 'proxy', image: 'envoyproxy/envoy:v1.30', ports: [{ containerPort: 9901 }] },
          ],
          volumes: [{ name: 'config', configMap: { name: `${name}-config` } }],
        },
      },
    },
  };
}

function service(i: number, port = 8080): JsonObject {
  const name = `app-${i}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'team-a', labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: port }] },
  };
}

function configMap(i: number, level = 'info'): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `app-${i}-config`, namespace: 'team-a' },
    data: { 'app.properties': `name=app-${i}\nlevel=${level}\n`, 'feature.flags': 'a=true\nb=false\n' },
  };
}

/** The API server's copy of an applied manifest: canonical quantities, defaults, metadata, status. */
function liveOf(applied: JsonObject, i: number): JsonObject {
  const live = structuredClone(withLastApplied(applied));
  applyDefaults(live);
  const meta = live.metadata as JsonObject;
  Object.assign(meta, {
    uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resourceVersion: String(1000 + i),
    generation: 1,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: String(live.apiVersion),
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:spec': { '.': {} } },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        time: '2026-01-01T00:00:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:status': { 'f:replicas': {}, 'f:conditions': {} } },
      },
    ],
  });
  if (live.kind === 'Deployment') {
    live.status = {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastUpdateTime: '2026-01-01T00:00:05Z', lastTransitionTime: '2026-01-01T00:00:05Z' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: '2026-01-01T00:00:05Z', lastTransitionTime: '2026-01-01T00:00:01Z' },
      ],
    };
  } else if (live.kind === 'Service') {
    (live.spec as JsonObject).clusterIP = `10.96.${(i >> 8) & 255}.${i & 255}`;
    (live.spec as JsonObject).clusterIPs = [(live.spec as JsonObject).clusterIP as string];
    live.status = { loadBalancer: {} };
  }
  return live;
}

function workload(count: number): Pair[] {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const changed = i % 10 === 3;
    const kind = i % 3;
    if (kind === 0) {
      const quantities = i % 5 === 0 ? 'manifest' : 'server';
      const live = liveOf(deployment(i, {}), i);
      const variant = changed ? [{ image: 'registry.example.com/app:1.1' }, { replicas: 5 }, { env: 'debug' }][i % 3]! : {};
      pairs.push({ desired: deployment(i, { ...variant, quantities }), live, expected: changed ? 'OutOfSync' : 'Synced' });
    } else if (kind === 1) {
      pairs.push({ desired: service(i, changed ? 9090 : 8080), live: liveOf(service(i), i), expected: changed ? 'OutOfSync' : 'Synced' });
    } else {
      pairs.push({ desired: configMap(i, changed ? 'debug' : 'info'), live: liveOf(configMap(i), i), expected: changed ? 'OutOfSync' : 'Synced' });
    }
  }
  return pairs;
}

function pass(pairs: readonly Pair[]): { ms: number; wrong: string[] } {
  const wrong: string[] = [];
  const start = performance.now();
  for (const p of pairs) {
    const d = diffResource({ desired: p.desired, live: p.live, ignore: [] });
    if (d.status !== p.expected) wrong.push(`${String((p.desired.metadata as JsonObject).name)}: ${d.status}, expected ${p.expected}`);
  }
  return { ms: performance.now() - start, wrong };
}

export async function run(): Promise<number> {
  const pairs = workload(OBJECTS);
  const outOfSync = pairs.filter((p) => p.expected === 'OutOfSync').length;
  console.log(`diff: ${pairs.length} objects (${outOfSync} changed), ${WARMUP} warm-up passes, median of ${REPEATS}`);
  for (let i = 0; i < WARMUP; i++) pass(pairs);
  const runs: number[] = [];
  let wrong: string[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const r = pass(pairs);
    runs.push(r.ms);
    wrong = r.wrong;
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)] ?? 0;
  const perSecond = Math.round(pairs.length / (median / 1000));
  console.log(`diff: median ${median.toFixed(1)} ms (min ${(runs[0] ?? 0).toFixed(1)} ms) = ${perSecond.toLocaleString('en')} objects/s (target ${TARGET.toLocaleString('en')})`);
  let code = 0;
  if (wrong.length > 0) {
    console.error(`diff: ${wrong.length} wrong statuses, e.g. ${wrong.slice(0, 3).join('; ')}`);
    code = 1;
  }
  if (perSecond < TARGET) {
    console.error(`diff: below target`);
    code = 1;
  }
  return code;
}
