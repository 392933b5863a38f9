import { stringify } from 'yaml';

/** What the sim benchmark writes: its knobs (from the environment) and the objects and patches it sends. */

export interface SimBenchConfig {
  /** ConfigMaps created and then patched */
  readonly objects: number;
  /** Deployments created and then patched (the heavier strategic-merge path) */
  readonly deployments: number;
  readonly watchers: number;
  /** requests in flight at once */
  readonly concurrency: number;
  /** ConfigMaps the kubectl peer comparison creates */
  readonly peerObjects: number;
  readonly listRepeats: number;
  readonly pageSize: number;
  /** target for the write phases */
  readonly minWritesPerSec: number;
  /** write a CPU profile of the server child here (SIM_BENCH_CPU_PROF=1 picks a temp dir) */
  readonly cpuProf: string | undefined;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function configFrom(env: NodeJS.ProcessEnv): SimBenchConfig {
  const objects = intFrom(env, 'SIM_BENCH_OBJECTS', 10_000, 1);
  return {
    objects,
    deployments: intFrom(env, 'SIM_BENCH_DEPLOYMENTS', Math.max(1, Math.round(objects / 5)), 0),
    watchers: intFrom(env, 'SIM_BENCH_WATCHERS', 10, 0),
    concurrency: intFrom(env, 'SIM_BENCH_CONCURRENCY', 32, 1),
    peerObjects: intFrom(env, 'SIM_BENCH_PEER_OBJECTS', Math.min(1_000, objects), 0),
    listRepeats: intFrom(env, 'SIM_BENCH_LIST_REPEATS', 5, 1),
    pageSize: intFrom(env, 'SIM_BENCH_PAGE_SIZE', 500, 1),
    minWritesPerSec: intFrom(env, 'SIM_BENCH_MIN_WRITES', 2_000, 0),
    cpuProf: env.SIM_BENCH_CPU_PROF || undefined,
  };
}

export function configMapName(i: number): string {
  return `cm-${String(i).padStart(5, '0')}`;
}

export function deploymentName(i: number): string {
  return `web-${String(i).padStart(5, '0')}`;
}

export function configMap(i: number): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(i), labels: { app: 'bench', shard: String(i % 16) } },
    data: { revision: 'v1', 'settings.yaml': `replicas: 3\nshard: ${i % 16}\nfeatures:\n  - a\n  - b\n` },
  };
}

/** Changes data on every object, so each patch is a real write (no-op patches store nothing). */
export function configMapPatch(i: number): object {
  return { data: { revision: `v2-${i}` } };
}

export function deployment(i: number): object {
  const name = deploymentName(i);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80 }],
              env: [{ name: 'MODE', value: 'bench' }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
            { name: 'sidecar', image: 'busybox:1.36', args: ['sleep', 'infinity'] },
          ],
        },
      },
    },
  };
}

/** A template image change: merges into the containers list by name, as `kubectl set image` does. */
export function deploymentPatch(): object {
  return { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } };
}

/** A multi-document YAML of n ConfigMaps, for kubectl -f. */
export function configMapManifest(n: number): string {
  return Array.from({ length: n }, (_, i) => stringify(configMap(i))).join('---\n');
}
