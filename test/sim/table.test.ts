import { describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject, type JsonValue } from '../../src/json.ts';
import { humanDuration, toTable, type CustomColumn } from '../../src/sim/table.ts';

const NOW = new Date('2024-05-01T12:00:00Z');
/** An RFC 3339 time `s` seconds before NOW. */
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.000Z$/, 'Z');
const HOUR = 3600;
const DAY = 24 * HOUR;

const meta = (name: string, extra: JsonObject = {}): JsonObject => ({ name, namespace: 'default', creationTimestamp: ago(3 * DAY), ...extra });

const rowsOf = (table: JsonObject): JsonObject[] => (Array.isArray(table.rows) ? table.rows.filter(isJsonObject) : []);
const columnsOf = (table: JsonObject): JsonObject[] => (Array.isArray(table.columnDefinitions) ? table.columnDefinitions.filter(isJsonObject) : []);

function cells(kind: string, obj: JsonObject, printerColumns?: readonly CustomColumn[]): JsonValue {
  const table = toTable(kind, [obj], { now: NOW, includeObject: 'None', ...(printerColumns ? { printerColumns } : {}) });
  return rowsOf(table)[0]?.cells ?? null;
}

function columnNames(kind: string, printerColumns?: readonly CustomColumn[]): string[] {
  const table = toTable(kind, [], { now: NOW, includeObject: 'None', ...(printerColumns ? { printerColumns } : {}) });
  return columnsOf(table).map((c) => `${String(c.name)}${c.priority === 1 ? '*' : ''}`);
}

describe('humanDuration', () => {
  it.each([
    [-3000, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [45_000, '45s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [310_000, '5m10s'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * HOUR * 1000, '3h'],
    [(3 * HOUR + 25 * 60) * 1000, '3h25m'],
    [8 * HOUR * 1000, '8h'],
    [47 * HOUR * 1000, '47h'],
    [2 * DAY * 1000, '2d'],
    [(2 * DAY + 5 * HOUR) * 1000, '2d5h'],
    [8 * DAY * 1000, '8d'],
    [400 * DAY * 1000, '400d'],
    [(2 * 365 + 3) * DAY * 1000, '2y3d'],
    [3 * 365 * DAY * 1000, '3y'],
    [9 * 365 * DAY * 1000, '9y'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('columns', () => {
  it.each([
    ['Pod', ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']],
    ['Deployment', ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']],
    ['ReplicaSet', ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']],
    ['StatefulSet', ['Name', 'Ready', 'Age', 'Containers*', 'Images*']],
    ['DaemonSet', ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*']],
    ['Job', ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']],
    ['CronJob', ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*']],
    ['Service', ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']],
    ['Namespace', ['Name', 'Status', 'Age']],
    ['Node', ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']],
    ['ConfigMap', ['Name', 'Data', 'Age']],
    ['Secret', ['Name', 'Type', 'Data', 'Age']],
    ['ServiceAccount', ['Name', 'Secrets', 'Age']],
    ['Event', ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']],
    ['PersistentVolumeClaim', ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode*']],
    ['Ingress', ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']],
    ['HorizontalPodAutoscaler', ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']],
    ['Endpoints', ['Name', 'Endpoints', 'Age']],
    ['Lease', ['Name', 'Holder', 'Age']],
    ['CustomResourceDefinition', ['Name', 'Created At']],
    ['Widget', ['Name', 'Age']],
    ['ResourceQuota', ['Name', 'Age', 'Request', 'Limit']],
    ['LimitRange', ['Name', 'Created At']],
    ['MutatingWebhookConfiguration', ['Name', 'Webhooks', 'Age']],
    ['ValidatingWebhookConfiguration', ['Name', 'Webhooks', 'Age']],
    ['CSIDriver', ['Name', 'AttachRequired', 'PodInfoOnMount', 'StorageCapacity', 'TokenRequests', 'RequiresRepublish', 'Modes', 'Age']],
    ['CSINode', ['Name', 'Drivers', 'Age']],
    ['CertificateSigningRequest', ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']],
    ['APIService', ['Name', 'Service', 'Available', 'Age']],
    ['PodDisruptionBudget', ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']],
    ['PriorityClass', ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']],
    ['StorageClass', ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age']],
    ['IngressClass', ['Name', 'Controller', 'Parameters', 'Age']],
  ])('%s', (kind, want) => {
    expect(columnNames(kind)).toEqual(want);
  });

  it('defines every column in full', () => {
    const [name, ready] = columnsOf(toTable('Pod', [], { now: NOW, includeObject: 'None' }));
    expect(name).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    expect(ready).toEqual({ name: 'Ready', type: 'string', format: '', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0 });
  });
});

// ---- per-kind cells -----------------------------------------------------------------------

const running = (name: string, extra: JsonObject = {}): JsonObject => ({ name, ready: true, restartCount: 0, state: { running: { startedAt: ago(HOUR) } }, ...extra });
const pod = (status: JsonObject, spec: JsonObject = {}, metaExtra: JsonObject = {}): JsonObject => ({
  kind: 'Pod',
  metadata: meta('web-0', metaExtra),
  spec: { containers: [{ name: 'web', image: 'nginx' }], nodeName: 'node-a', ...spec },
  status,
});

describe('Pod', () => {
  it.each<{ name: string; obj: JsonObject; want: JsonValue[] }>([
    {
      name: 'running',
      obj: pod({ phase: 'Running', podIPs: [{ ip: '10.1.0.5' }], containerStatuses: [running('web')] }),
      want: ['web-0', '1/1', 'Running', '0', '3d', '10.1.0.5', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'pending, unscheduled',
      obj: pod({ phase: 'Pending' }, { nodeName: '' }),
      want: ['web-0', '0/1', 'Pending', '0', '3d', '<none>', '<none>', '<none>', '<none>'],
    },
    {
      name: 'image pull back-off',
      obj: pod({ phase: 'Pending', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] }),
      want: ['web-0', '0/1', 'ImagePullBackOff', '0', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'crash loop with restarts',
      obj: pod({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'web',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(300) } },
          },
        ],
      }),
      want: ['web-0', '0/1', 'CrashLoopBackOff', '3 (5m ago)', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'completed',
      obj: pod({ phase: 'Succeeded', containerStatuses: [{ name: 'web', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
      want: ['web-0', '0/1', 'Completed', '0', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'killed by a signal',
      obj: pod({ phase: 'Failed', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 137, signal: 9 } } }] }),
      want: ['web-0', '0/1', 'Signal:9', '0', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'init containers running',
      obj: pod(
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'migrate', state: { terminated: { exitCode: 0 } } },
            { name: 'seed', state: { running: {} } },
          ],
        },
        { initContainers: [{ name: 'migrate' }, { name: 'seed' }] },
      ),
      want: ['web-0', '0/1', 'Init:1/2', '0', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'init container failing',
      obj: pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
        { initContainers: [{ name: 'migrate' }] },
      ),
      want: ['web-0', '0/1', 'Init:CrashLoopBackOff', '2', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'sidecar counts towards READY',
      obj: pod(
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [{ name: 'proxy', started: true, ready: true, restartCount: 0, state: { running: {} } }],
          containerStatuses: [running('web')],
        },
        { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      ),
      want: ['web-0', '2/2', 'Running', '0', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'terminating',
      obj: pod({ phase: 'Running', containerStatuses: [running('web')] }, {}, { deletionTimestamp: ago(10) }),
      want: ['web-0', '1/1', 'Terminating', '0', '3d', '<none>', 'node-a', '<none>', '<none>'],
    },
    {
      name: 'readiness gates',
      obj: pod(
        { phase: 'Running', containerStatuses: [running('web')], conditions: [{ type: 'example.com/lb', status: 'True' }] },
        { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      ),
      want: ['web-0', '1/1', 'Running', '0', '3d', '<none>', 'node-a', '<none>', '1/2'],
    },
  ])('$name', ({ obj, want }) => {
    expect(cells('Pod', obj)).toEqual(want);
  });

  it('marks finished pods with a Completed row condition', () => {
    const table = toTable('Pod', [pod({ phase: 'Succeeded' })], { now: NOW, includeObject: 'None' });
    expect(rowsOf(table)[0]?.conditions).toEqual([{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  });
});

const CONTAINERS: JsonValue = [
  { name: 'web', image: 'nginx:1.27' },
  { name: 'proxy', image: 'envoy' },
];
const TEMPLATE: JsonObject = { spec: { containers: CONTAINERS } };

describe('workloads', () => {
  it.each<{ kind: string; obj: JsonObject; want: JsonValue[] }>([
    {
      kind: 'Deployment',
      obj: { metadata: meta('web'), spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: TEMPLATE }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } },
      want: ['web', '2/3', 3, 2, '3d', 'web,proxy', 'nginx:1.27,envoy', 'app=web'],
    },
    {
      kind: 'Deployment',
      obj: { metadata: meta('new'), spec: { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] }, template: TEMPLATE } },
      want: ['new', '0/1', 0, 0, '3d', 'web,proxy', 'nginx:1.27,envoy', 'tier in (a,b)'],
    },
    {
      kind: 'ReplicaSet',
      obj: { metadata: meta('web-5d4'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: TEMPLATE }, status: { replicas: 2, readyReplicas: 1 } },
      want: ['web-5d4', 2, 2, 1, '3d', 'web,proxy', 'nginx:1.27,envoy', 'app=web'],
    },
    {
      kind: 'StatefulSet',
      obj: { metadata: meta('db'), spec: { replicas: 3, template: TEMPLATE }, status: { readyReplicas: 3 } },
      want: ['db', '3/3', '3d', 'web,proxy', 'nginx:1.27,envoy'],
    },
    {
      kind: 'DaemonSet',
      obj: {
        metadata: meta('agent'),
        spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { containers: CONTAINERS, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
        status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
      },
      want: ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '3d', 'web,proxy', 'nginx:1.27,envoy', 'app=agent'],
    },
    {
      kind: 'Job',
      obj: {
        metadata: meta('migrate'),
        spec: { completions: 1, template: TEMPLATE, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
        status: { succeeded: 1, startTime: ago(600), completionTime: ago(570), conditions: [{ type: 'Complete', status: 'True' }] },
      },
      want: ['migrate', 'Complete', '1/1', '30s', '3d', 'web,proxy', 'nginx:1.27,envoy', 'batch.kubernetes.io/controller-uid=u1'],
    },
    {
      kind: 'Job',
      obj: { metadata: meta('work'), spec: { parallelism: 3, template: TEMPLATE }, status: { startTime: ago(90) } },
      want: ['work', 'Running', '0/1 of 3', '90s', '3d', 'web,proxy', 'nginx:1.27,envoy', '<none>'],
    },
    {
      kind: 'Job',
      obj: { metadata: meta('broken'), spec: { completions: 2, template: TEMPLATE }, status: { failed: 6, conditions: [{ type: 'Failed', status: 'True' }] } },
      want: ['broken', 'Failed', '0/2', '', '3d', 'web,proxy', 'nginx:1.27,envoy', '<none>'],
    },
    {
      kind: 'CronJob',
      obj: {
        metadata: meta('nightly'),
        spec: { schedule: '0 3 * * *', suspend: false, jobTemplate: { spec: { template: TEMPLATE } } },
        status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(4 * HOUR) },
      },
      want: ['nightly', '0 3 * * *', '<none>', 'False', 1, '4h', '3d', 'web,proxy', 'nginx:1.27,envoy', '<none>'],
    },
    {
      kind: 'CronJob',
      obj: { metadata: meta('weekly'), spec: { schedule: '@weekly', timeZone: 'Europe/Paris', jobTemplate: { spec: { template: TEMPLATE } } } },
      want: ['weekly', '@weekly', 'Europe/Paris', '<unset>', 0, '<none>', '3d', 'web,proxy', 'nginx:1.27,envoy', '<none>'],
    },
  ])('$kind $obj.metadata.name', ({ kind, obj, want }) => {
    expect(cells(kind, obj)).toEqual(want);
  });
});

describe('core and cluster kinds', () => {
  it.each<{ kind: string; obj: JsonObject; want: JsonValue[] }>([
    {
      kind: 'Service',
      obj: { metadata: meta('web'), spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } } },
      want: ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '3d', 'app=web'],
    },
    {
      kind: 'Service',
      obj: {
        metadata: meta('edge'),
        spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.11'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }, { port: 53, nodePort: 30053, protocol: 'UDP' }] },
        status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example.com' }] } },
      },
      want: ['edge', 'LoadBalancer', '10.96.0.11', '203.0.113.7,lb.example.com', '443:31443/TCP,53:30053/UDP', '3d', '<none>'],
    },
    {
      kind: 'Service',
      obj: { metadata: meta('pending'), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.12'], ports: [{ port: 80 }] } },
      want: ['pending', 'LoadBalancer', '10.96.0.12', '<pending>', '80/TCP', '3d', '<none>'],
    },
    {
      kind: 'Service',
      obj: { metadata: meta('db'), spec: { type: 'ExternalName', externalName: 'db.example.com' } },
      want: ['db', 'ExternalName', '<none>', 'db.example.com', '<none>', '3d', '<none>'],
    },
    { kind: 'Namespace', obj: { metadata: meta('shop'), status: { phase: 'Active' } }, want: ['shop', 'Active', '3d'] },
    {
      kind: 'Node',
      obj: {
        metadata: meta('node-a', { labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' } }),
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: { kubeletVersion: 'v1.31.0', osImage: 'Debian GNU/Linux 12' },
          addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
        },
      },
      want: ['node-a', 'Ready,SchedulingDisabled', 'control-plane,worker', '3d', 'v1.31.0', '172.18.0.2', '<none>', 'Debian GNU/Linux 12', '<unknown>', '<unknown>'],
    },
    {
      kind: 'Node',
      obj: { metadata: meta('node-b'), status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } },
      want: ['node-b', 'NotReady', '<none>', '3d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
    },
    { kind: 'ConfigMap', obj: { metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, want: ['cfg', 3, '3d'] },
    { kind: 'Secret', obj: { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }, want: ['tls', 'kubernetes.io/tls', 2, '3d'] },
    { kind: 'ServiceAccount', obj: { metadata: meta('default') }, want: ['default', 0, '3d'] },
    {
      kind: 'Endpoints',
      obj: { metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.1.0.5' }, { ip: '10.1.0.6' }], ports: [{ port: 8080 }, { port: 9090 }] }] },
      want: ['web', '10.1.0.5:8080,10.1.0.6:8080,10.1.0.5:9090 + 1 more...', '3d'],
    },
    { kind: 'Endpoints', obj: { metadata: meta('none') }, want: ['none', '<none>', '3d'] },
    {
      kind: 'Event',
      obj: {
        metadata: meta('web-0.17c'),
        involvedObject: { kind: 'Pod', name: 'web-0' },
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container\n',
        source: { component: 'kubelet', host: 'node-a' },
        firstTimestamp: ago(HOUR),
        lastTimestamp: ago(60),
        count: 12,
      },
      want: ['60s', 'Warning', 'BackOff', 'pod/web-0', '', 'kubelet, node-a', 'Back-off restarting failed container', '60m', 12, 'web-0.17c'],
    },
    { kind: 'Lease', obj: { metadata: meta('leader'), spec: { holderIdentity: 'sluice-7f9' } }, want: ['leader', 'sluice-7f9', '3d'] },
    {
      kind: 'PersistentVolumeClaim',
      obj: { metadata: meta('data'), spec: { volumeName: 'pv-1', storageClassName: 'standard', volumeMode: 'Filesystem' }, status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] } },
      want: ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'standard', '<unset>', '3d', 'Filesystem'],
    },
    {
      kind: 'PersistentVolume',
      obj: {
        metadata: meta('pv-1'),
        spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'standard' },
        status: { phase: 'Bound' },
      },
      want: ['pv-1', '10Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/data', 'standard', '<unset>', '', '3d', '<unset>'],
    },
    {
      kind: 'Ingress',
      obj: { metadata: meta('web'), spec: { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com' }, {}], tls: [{ hosts: ['shop.example.com'] }] }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } },
      want: ['web', 'nginx', 'shop.example.com', '203.0.113.9', '80, 443', '3d'],
    },
    {
      kind: 'HorizontalPodAutoscaler',
      obj: {
        metadata: meta('web'),
        spec: {
          scaleTargetRef: { kind: 'Deployment', name: 'web' },
          minReplicas: 2,
          maxReplicas: 10,
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
          ],
        },
        status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] },
      },
      want: ['web', 'Deployment/web', 'cpu: 45%/80%, memory: <unknown>/500Mi', '2', 10, 3, '3d'],
    },
    { kind: 'CustomResourceDefinition', obj: { metadata: { name: 'widgets.example.com', creationTimestamp: '2024-04-01T08:30:00Z' } }, want: ['widgets.example.com', '2024-04-01T08:30:00Z'] },
    { kind: 'Widget', obj: { metadata: meta('w1') }, want: ['w1', '3d'] },
    {
      kind: 'ResourceQuota',
      obj: { metadata: meta('small'), status: { hard: { pods: '10', 'limits.cpu': '4', 'requests.cpu': '2' }, used: { pods: '3', 'requests.cpu': '500m' } } },
      want: ['small', '3d', 'pods: 3/10, requests.cpu: 500m/2', 'limits.cpu: 0/4'],
    },
    { kind: 'ValidatingWebhookConfiguration', obj: { metadata: meta('policy'), webhooks: [{ name: 'a.b.c' }, { name: 'd.e.f' }] }, want: ['policy', 2, '3d'] },
    {
      kind: 'CSIDriver',
      obj: { metadata: meta('csi.example.com'), spec: { attachRequired: true, podInfoOnMount: false, storageCapacity: false, requiresRepublish: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] } },
      want: ['csi.example.com', true, false, false, '<unset>', false, 'Persistent,Ephemeral', '3d'],
    },
    {
      kind: 'APIService',
      obj: { metadata: meta('v1beta1.metrics.k8s.io'), spec: { service: { name: 'metrics-server', namespace: 'kube-system' } }, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } },
      want: ['v1beta1.metrics.k8s.io', 'kube-system/metrics-server', 'False (MissingEndpoints)', '3d'],
    },
  ])('$kind $obj.metadata.name', ({ kind, obj, want }) => {
    expect(cells(kind, obj)).toEqual(want);
  });
});

describe('custom resources with printer columns', () => {
  const columns: CustomColumn[] = [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend', priority: 1 },
    { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' },
    { name: 'First', type: 'string', jsonPath: ".spec.hosts[0]" },
    { name: 'Team', type: 'string', jsonPath: ".metadata.labels['example.com/team']" },
    { name: 'Synced', type: 'date', jsonPath: '.status.lastSync' },
    { name: 'Missing', type: 'string', jsonPath: '.status.nothing' },
  ];
  const widget: JsonObject = {
    kind: 'Widget',
    metadata: meta('w1', { labels: { 'example.com/team': 'shop' } }),
    spec: { replicas: 2.0, suspend: false, hosts: ['a.example.com', 'b.example.com'] },
    status: { conditions: [{ type: 'Synced', status: 'True' }, { type: 'Ready', status: 'False' }], lastSync: ago(90) },
  };

  it('evaluates each column', () => {
    expect(cells('Widget', widget, columns)).toEqual(['w1', 'False', 2, false, '["a.example.com","b.example.com"]', 'a.example.com', 'shop', '90s', null]);
  });

  it('describes the columns from the CRD', () => {
    expect(columnNames('Widget', columns)).toEqual(['Name', 'Ready', 'Replicas', 'Suspended*', 'Hosts', 'First', 'Team', 'Synced', 'Missing']);
    const defs = columnsOf(toTable('Widget', [], { now: NOW, includeObject: 'None', printerColumns: columns }));
    expect(defs[2]?.description).toBe('Custom resource definition column (in JSONPath format): .spec.replicas');
  });

  it('falls back to AGE when the CRD has no columns', () => {
    expect(cells('Deployment', { metadata: meta('looks-builtin') }, [])).toEqual(['looks-builtin', '3d']);
  });
});

describe('toTable envelope', () => {
  const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg', { uid: 'u1', resourceVersion: '42', labels: { a: 'b' } }), data: { k: 'v' } };

  it.each<{ include: 'None' | 'Object' | 'Metadata'; want: JsonValue }>([
    { include: 'None', want: null },
    { include: 'Object', want: cm },
    { include: 'Metadata', want: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata ?? null } },
  ])('includeObject=$include', ({ include, want }) => {
    const table = toTable('ConfigMap', [cm], { now: NOW, includeObject: include });
    expect(rowsOf(table)[0]?.object).toEqual(want);
  });

  it('wraps rows in a meta.k8s.io/v1 Table with the list metadata', () => {
    const table = toTable('ConfigMap', [cm, cm], { now: NOW, includeObject: 'None', listMeta: { resourceVersion: '77', continue: '', remainingItemCount: 3 } });
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '77', remainingItemCount: 3 } });
    expect(table.metadata).not.toHaveProperty('continue');
    expect(table.rows).toHaveLength(2);
  });

  it('sends an empty list as no rows', () => {
    expect(toTable('Pod', [], { now: NOW, includeObject: 'Metadata' })).toMatchObject({ rows: [], metadata: {} });
  });
});
