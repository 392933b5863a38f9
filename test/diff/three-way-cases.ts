/**
 * The three-way oracle table: (original, modified, current) triples whose expected outcome
 * is what the real `kubectl apply` does to `current` (gen-three-way-goldens.ts records it),
 * and the "no spurious diff" manifests. Names double as object names.
 */
import type { JsonObject } from '../../src/json.ts';

export interface ThreeWayCase {
  readonly name: string;
  /** the last-applied configuration on the live object; absent: created without apply */
  readonly original?: JsonObject;
  /** the manifest applied now */
  readonly modified: JsonObject;
  /** the live object before the apply (default: original); written as is, plus the annotation */
  readonly current?: JsonObject;
}

export interface SpuriousCase {
  readonly name: string;
  readonly manifest: JsonObject;
}

export const NAMESPACE = 'default';
export const CR_GROUP = 'example.com';

type Obj = JsonObject;
const clone = <T>(v: T): T => structuredClone(v);

interface DeployOpts {
  replicas?: number;
  containers?: Obj[];
  initContainers?: Obj[];
  volumes?: Obj[];
  tolerations?: Obj[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  spec?: Obj;
  podSpec?: Obj;
}

const app = (image = 'nginx:1.25', extra: Obj = {}): Obj => ({ name: 'app', image, ...extra });

function deploy(name: string, o: DeployOpts = {}): Obj {
  const metadata: Obj = { name, namespace: NAMESPACE, labels: o.labels ?? { app: name } };
  if (o.annotations) metadata.annotations = o.annotations;
  if (o.finalizers) metadata.finalizers = o.finalizers;
  const podSpec: Obj = { containers: o.containers ?? [app()], ...(o.podSpec ?? {}) };
  if (o.initContainers) podSpec.initContainers = o.initContainers;
  if (o.volumes) podSpec.volumes = o.volumes;
  if (o.tolerations) podSpec.tolerations = o.tolerations;
  const spec: Obj = {
    ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: podSpec },
    ...(o.spec ?? {}),
  };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}

function service(name: string, ports: Obj[], extra: Obj = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NAMESPACE },
    spec: { selector: { app: name }, ports, ...extra },
  };
}

function configMap(name: string, data: Record<string, string>, labels?: Record<string, string>): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE, ...(labels ? { labels } : {}) }, data };
}

function widget(name: string, spec: Obj): Obj {
  return { apiVersion: `${CR_GROUP}/v1`, kind: 'Widget', metadata: { name, namespace: NAMESPACE }, spec };
}

/** A pair of deployments differing by `change`, named `name`. */
function deployCase(name: string, before: DeployOpts, after: DeployOpts, live?: (o: Obj) => void): ThreeWayCase {
  const original = deploy(name, before);
  const current = clone(original);
  live?.(current);
  return { name, original, modified: deploy(name, after), current };
}

const env = (pairs: Record<string, string>): Obj[] => Object.entries(pairs).map(([name, value]) => ({ name, value }));
const podSpecOf = (o: Obj): Obj => ((o.spec as Obj).template as Obj).spec as Obj;
const sidecar: Obj = { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', '3600'] };

export const THREE_WAY_CASES: readonly ThreeWayCase[] = [
  deployCase('scalar-change', { replicas: 2 }, { replicas: 2, containers: [app('nginx:1.27')] }),
  deployCase('removed-field', { replicas: 2, spec: { minReadySeconds: 5 } }, { replicas: 2 }),
  deployCase('live-only-field-kept', { replicas: 2 }, { replicas: 2, containers: [app('nginx:1.26')] }, (o) => {
    (o.spec as Obj).progressDeadlineSeconds = 900;
    ((o.metadata as Obj).labels as Obj).team = 'web';
  }),
  deployCase('hpa-replicas-kept', {}, { containers: [app('nginx:1.26')] }, (o) => {
    (o.spec as Obj).replicas = 5;
  }),
  deployCase('replicas-dropped-from-manifest', { replicas: 3 }, {}),
  deployCase('containers-add', { replicas: 1 }, { replicas: 1, containers: [app(), sidecar] }),
  deployCase('containers-remove', { replicas: 1, containers: [app(), sidecar] }, { replicas: 1 }),
  deployCase('containers-reorder', { replicas: 1, containers: [app(), sidecar] }, { replicas: 1, containers: [sidecar, app()] }),
  deployCase(
    'containers-remove-and-change',
    { replicas: 1, containers: [sidecar, app()] },
    { replicas: 1, containers: [app('nginx:1.27', { args: ['-g', 'daemon off;'] })] },
  ),
  deployCase(
    'env-add-remove-change',
    { containers: [app('nginx:1.25', { env: env({ A: '1', B: '2', C: '3' }) })] },
    { containers: [app('nginx:1.25', { env: env({ C: '3', A: 'one', D: '4' }) })] },
  ),
  deployCase(
    'env-live-only-kept',
    { containers: [app('nginx:1.25', { env: env({ A: '1' }) })] },
    { containers: [app('nginx:1.25', { env: env({ A: '2' }) })] },
    (o) => {
      const c = (podSpecOf(o).containers as Obj[])[0] as Obj;
      (c.env as Obj[]).push({ name: 'INJECTED', value: 'by-webhook' });
    },
  ),
  deployCase(
    'ports-merge-key',
    { containers: [app('nginx:1.25', { ports: [{ containerPort: 80, name: 'http' }, { containerPort: 9090, name: 'metrics' }] })] },
    { containers: [app('nginx:1.25', { ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'metrics' }] })] },
  ),
  deployCase(
    'volumes-source-change-retain-keys',
    { volumes: [{ name: 'conf', configMap: { name: 'conf' } }], containers: [app('nginx:1.25', { volumeMounts: [{ name: 'conf', mountPath: '/etc/conf' }] })] },
    { volumes: [{ name: 'conf', secret: { secretName: 'conf' } }], containers: [app('nginx:1.25', { volumeMounts: [{ name: 'conf', mountPath: '/etc/conf' }] })] },
  ),
  deployCase(
    'volumes-add-remove',
    { volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', emptyDir: {} }] },
    { volumes: [{ name: 'b', emptyDir: { medium: 'Memory' } }, { name: 'c', emptyDir: {} }] },
  ),
  deployCase(
    'tolerations-atomic',
    { tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }] },
    { tolerations: [{ key: 'b', operator: 'Exists', effect: 'NoSchedule' }] },
    (o) => {
      (podSpecOf(o).tolerations as Obj[]).push({ key: 'injected', operator: 'Exists' });
    },
  ),
  deployCase('finalizers-set', { finalizers: ['example.com/a', 'example.com/b'] }, { finalizers: ['example.com/b', 'example.com/c'] }, (o) => {
    ((o.metadata as Obj).finalizers as string[]).push('example.com/live');
  }),
  deployCase(
    'labels-annotations-removed',
    { labels: { app: 'labels-annotations-removed', tier: 'web' }, annotations: { owner: 'team-a', note: 'x' } },
    { labels: { app: 'labels-annotations-removed' }, annotations: { owner: 'team-b' } },
    (o) => {
      ((o.metadata as Obj).labels as Obj).live = 'yes';
    },
  ),
  deployCase('annotations-all-removed', { annotations: { note: 'x' } }, {}),
  deployCase(
    'strategy-recreate-retain-keys',
    { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } },
    { spec: { strategy: { type: 'Recreate' } } },
  ),
  // the server defaulted rollingUpdate; only $retainKeys clears it
  deployCase('strategy-recreate-from-defaults', {}, { spec: { strategy: { type: 'Recreate' } } }),
  {
    name: 'volume-source-change-adopted',
    modified: deploy('volume-source-change-adopted', { volumes: [{ name: 'conf', secret: { secretName: 'conf' } }] }),
    current: deploy('volume-source-change-adopted', { volumes: [{ name: 'conf', configMap: { name: 'conf' } }] }),
  },
  deployCase(
    'resources-quantities',
    { containers: [app('nginx:1.25', { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } })] },
    { containers: [app('nginx:1.25', { resources: { requests: { cpu: '200m' }, limits: { memory: '512Mi' } } })] },
  ),
  deployCase('init-containers-add', {}, { initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['true'] }] }),
  deployCase(
    'image-pull-secrets-remove',
    { podSpec: { imagePullSecrets: [{ name: 'a' }, { name: 'b' }] } },
    { podSpec: { imagePullSecrets: [{ name: 'b' }] } },
  ),
  {
    name: 'service-ports',
    original: service('service-ports', [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'admin', port: 9000 }]),
    modified: service('service-ports', [{ name: 'http', port: 80, targetPort: 8081 }, { name: 'https', port: 443, targetPort: 8443 }]),
  },
  {
    name: 'configmap-data',
    original: configMap('configmap-data', { a: '1', b: '2' }, { app: 'x' }),
    modified: configMap('configmap-data', { a: '1', c: '3' }),
    current: configMap('configmap-data', { a: '1', b: '2', live: 'kept' }, { app: 'x' }),
  },
  {
    name: 'secret-string-data',
    original: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secret-string-data', namespace: NAMESPACE }, stringData: { user: 'admin', pass: 'old' } },
    modified: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secret-string-data', namespace: NAMESPACE }, stringData: { user: 'admin', pass: 'new' } },
  },
  {
    name: 'cr-list-replaced',
    original: widget('cr-list-replaced', { items: [{ name: 'a', size: 1 }, { name: 'b', size: 2 }], color: 'red', old: true }),
    modified: widget('cr-list-replaced', { items: [{ name: 'b', size: 3 }], color: 'blue' }),
    current: widget('cr-list-replaced', { items: [{ name: 'a', size: 1 }, { name: 'b', size: 2 }, { name: 'live', size: 9 }], color: 'red', old: true, liveOnly: { x: 1 } }),
  },
  {
    name: 'cr-nested-removal',
    original: widget('cr-nested-removal', { config: { a: 1, b: { c: 2, d: 3 } } }),
    modified: widget('cr-nested-removal', { config: { a: 1, b: { c: 2 } }, added: 'yes' }),
  },
  {
    name: 'adoption-no-last-applied',
    modified: deploy('adoption-no-last-applied', { replicas: 2, containers: [app('nginx:1.27')] }),
    current: deploy('adoption-no-last-applied', { replicas: 2, spec: { minReadySeconds: 7 }, labels: { app: 'adoption-no-last-applied', extra: 'kept' } }),
  },
  deployCase('unchanged', { replicas: 2 }, { replicas: 2 }),
  {
    name: 'unchanged-service',
    original: service('unchanged-service', [{ port: 80, targetPort: 8080 }]),
    modified: service('unchanged-service', [{ port: 80, targetPort: 8080 }]),
  },
  {
    name: 'cronjob-change',
    original: cronJob('cronjob-change', '*/5 * * * *', env({ A: '1', B: '2' })),
    modified: cronJob('cronjob-change', '*/10 * * * *', env({ A: '1' })),
  },
];

function cronJob(name: string, schedule: string, envs: Obj[]): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      schedule,
      jobTemplate: {
        spec: {
          template: {
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: 'busybox:1.36', command: ['date'], env: envs }] },
          },
        },
      },
    },
  };
}

const probe = (path: string): Obj => ({ httpGet: { path, port: 8080 }, initialDelaySeconds: 3, periodSeconds: 10 });
const podTemplate = (name: string, extra: Obj = {}): Obj => ({
  metadata: { labels: { app: name } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        ports: [{ containerPort: 8080 }],
        resources: { requests: { cpu: '1000m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
        ...extra,
      },
    ],
  },
});
const meta = (name: string): Obj => ({ name, namespace: NAMESPACE, labels: { app: name } });

export const SPURIOUS_CASES: readonly SpuriousCase[] = [
  {
    name: 'deployment',
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('deployment'),
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'deployment' } },
        template: podTemplate('deployment', { livenessProbe: probe('/healthz'), readinessProbe: probe('/ready') }),
      },
    },
  },
  { name: 'service', manifest: service('service', [{ name: 'http', port: 80, targetPort: 'http' }]) },
  {
    name: 'ingress',
    manifest: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('ingress'),
      spec: {
        rules: [
          {
            host: 'web.example.com',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'service', port: { number: 80 } } } }] },
          },
        ],
      },
    },
  },
  { name: 'configmap', manifest: configMap('configmap', { 'app.properties': 'a=1\nb=2\n' }) },
  {
    name: 'secret',
    manifest: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('secret'),
      type: 'Opaque',
      stringData: { password: 's3cret' },
      data: { token: Buffer.from('tok').toString('base64') },
    },
  },
  {
    name: 'hpa',
    manifest: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('hpa'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'deployment' },
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    },
  },
  {
    name: 'statefulset',
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('statefulset'),
      spec: {
        serviceName: 'statefulset',
        replicas: 1,
        selector: { matchLabels: { app: 'statefulset' } },
        template: podTemplate('statefulset'),
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
        ],
      },
    },
  },
  {
    name: 'daemonset',
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('daemonset'),
      spec: { selector: { matchLabels: { app: 'daemonset' } }, template: podTemplate('daemonset') },
    },
  },
  {
    name: 'job',
    manifest: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('job'),
      spec: {
        backoffLimit: 2,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'busybox:1.36', command: ['true'] }] } },
      },
    },
  },
  { name: 'cronjob', manifest: cronJob('cronjob', '0 * * * *', env({ A: '1' })) },
  {
    name: 'pvc',
    manifest: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('pvc'),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
  },
  {
    name: 'networkpolicy',
    manifest: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('networkpolicy'),
      spec: {
        podSelector: { matchLabels: { app: 'deployment' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
      },
    },
  },
];
