import { describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject, type JsonValue } from '../../src/json.ts';
import { validateObject, type FieldCause } from '../../src/sim/validation.ts';
import { cronScheduleError } from '../../src/sim/validation/cron.ts';

// ---- builders -----------------------------------------------------------------------------

const KINDS: Record<string, { group: string; namespaced: boolean }> = {
  Pod: { group: '', namespaced: true },
  Service: { group: '', namespaced: true },
  ConfigMap: { group: '', namespaced: true },
  Secret: { group: '', namespaced: true },
  Namespace: { group: '', namespaced: false },
  Deployment: { group: 'apps', namespaced: true },
  ReplicaSet: { group: 'apps', namespaced: true },
  StatefulSet: { group: 'apps', namespaced: true },
  DaemonSet: { group: 'apps', namespaced: true },
  Job: { group: 'batch', namespaced: true },
  CronJob: { group: 'batch', namespaced: true },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', namespaced: false },
  ClusterRole: { group: 'rbac.authorization.k8s.io', namespaced: false },
  Widget: { group: 'example.com', namespaced: true },
};

type Patch = (o: JsonObject) => void;

function build(base: JsonObject, ...patches: Patch[]): JsonObject {
  const o = structuredClone(base);
  for (const p of patches) p(o);
  return o;
}

const meta = (name: string, namespaced = true): JsonObject => ({ name, ...(namespaced ? { namespace: 'default' } : {}) });
const container = (name = 'web', image = 'nginx:1.27'): JsonObject => ({ name, image });
const podTemplate = (labels: Record<string, string> = { app: 'web' }): JsonObject => ({ metadata: { labels }, spec: { containers: [container()] } });

const POD: JsonObject = { kind: 'Pod', metadata: meta('web-0'), spec: { containers: [container()] } };
const DEPLOYMENT: JsonObject = {
  kind: 'Deployment',
  metadata: meta('web'),
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate() },
};
const workload = (kind: string): JsonObject => ({ ...structuredClone(DEPLOYMENT), kind });
const SERVICE: JsonObject = { kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
const JOB: JsonObject = {
  kind: 'Job',
  metadata: meta('migrate'),
  spec: {
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
    template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u1' } }, spec: { restartPolicy: 'Never', containers: [container()] } },
  },
};
const CRONJOB: JsonObject = {
  kind: 'CronJob',
  metadata: meta('nightly'),
  spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container()] } } } } },
};
const CRD: JsonObject = {
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{ name: 'v1', served: true, storage: true }],
  },
};

const set =
  (path: string, value: JsonValue | undefined): Patch =>
  (o) => {
    const parts = path.split('.');
    const last = parts.pop() ?? '';
    let cur = o;
    for (const p of parts) {
      const next = cur[p];
      const created: JsonObject = isJsonObject(next) ? next : {};
      cur[p] = created;
      cur = created;
    }
    if (value === undefined) delete cur[last];
    else cur[last] = value;
  };

interface Case {
  name: string;
  obj: JsonObject;
  old?: JsonObject;
  /** [field, reason] of every cause, in order */
  want: [string, FieldCause['reason']][];
}

function run(c: Case): [string, string][] {
  const kind = String(c.obj.kind);
  const resource = { kind, ...(KINDS[kind] ?? { group: '', namespaced: true }) };
  return validateObject(c.obj, c.old, resource).map((cause) => [cause.field, cause.reason]);
}

// ---- tables -------------------------------------------------------------------------------

describe('validateObject: metadata', () => {
  it.each<Case>([
    { name: 'valid pod', obj: POD, want: [] },
    { name: 'missing name', obj: build(POD, set('metadata.name', undefined)), want: [['metadata.name', 'FieldValueRequired']] },
    { name: 'generateName only', obj: build(POD, set('metadata.name', undefined), set('metadata.generateName', 'web-')), want: [] },
    {
      name: 'bad generateName',
      obj: build(POD, set('metadata.name', undefined), set('metadata.generateName', 'Web_')),
      want: [['metadata.generateName', 'FieldValueInvalid']],
    },
    { name: 'uppercase name', obj: build(POD, set('metadata.name', 'Foo_bar')), want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'subdomain name with dots', obj: build(POD, set('metadata.name', 'web.v1')), want: [] },
    { name: 'namespace name with dots', obj: { kind: 'Namespace', metadata: { name: 'team.a' } }, want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'service name starting with a digit', obj: build(SERVICE, set('metadata.name', '1web')), want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'statefulset name with dots', obj: build(workload('StatefulSet'), set('metadata.name', 'db.v1')), want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'rbac name with colons', obj: { kind: 'ClusterRole', metadata: { name: 'system:aggregate-to-view' } }, want: [] },
    { name: 'rbac name with a slash', obj: { kind: 'ClusterRole', metadata: { name: 'a/b' } }, want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'missing namespace', obj: build(POD, set('metadata.namespace', undefined)), want: [['metadata.namespace', 'FieldValueRequired']] },
    { name: 'namespace on a cluster-scoped kind', obj: { kind: 'Namespace', metadata: { name: 'a', namespace: 'b' } }, want: [['metadata.namespace', 'FieldValueForbidden']] },
    {
      name: 'bad label key and value',
      obj: build(POD, set('metadata.labels', { 'a/b/c': 'x', ok: 'has space' })),
      want: [
        ['metadata.labels', 'FieldValueInvalid'],
        ['metadata.labels', 'FieldValueInvalid'],
      ],
    },
    { name: 'label value too long', obj: build(POD, set('metadata.labels', { a: 'x'.repeat(64) })), want: [['metadata.labels', 'FieldValueInvalid']] },
    { name: 'uppercase annotation key is fine', obj: build(POD, set('metadata.annotations', { 'Example.COM/Key': 'v' })), want: [] },
    { name: 'bad annotation key', obj: build(POD, set('metadata.annotations', { '-x': 'v' })), want: [['metadata.annotations', 'FieldValueInvalid']] },
    {
      name: 'annotations over 256 KiB',
      obj: build(POD, set('metadata.annotations', { big: 'x'.repeat(256 * 1024) })),
      want: [['metadata.annotations', 'FieldValueTooLong']],
    },
    { name: 'custom resource, any spec', obj: { kind: 'Widget', metadata: meta('w'), spec: { anything: true } }, want: [] },
    { name: 'custom resource, bad name', obj: { kind: 'Widget', metadata: meta('W') }, want: [['metadata.name', 'FieldValueInvalid']] },
    {
      name: 'update may not rename',
      obj: build(POD, set('metadata.name', 'other')),
      old: POD,
      want: [['metadata.name', 'FieldValueInvalid']],
    },
  ])('$name', (c) => {
    expect(run(c)).toEqual(c.want);
  });

  it('words causes as the apiserver does', () => {
    const [cause] = validateObject(build(POD, set('metadata.name', 'Foo_bar')), undefined, { kind: 'Pod', namespaced: true, group: '' });
    expect(cause).toEqual({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message:
        "Invalid value: \"Foo_bar\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    });
  });
});

describe('validateObject: apps/v1 workloads', () => {
  it.each<Case>([
    { name: 'valid deployment', obj: DEPLOYMENT, want: [] },
    {
      name: 'no selector',
      obj: build(DEPLOYMENT, set('spec.selector', undefined)),
      want: [
        ['spec.selector', 'FieldValueRequired'],
        ['spec.template.metadata.labels', 'FieldValueInvalid'],
      ],
    },
    { name: 'empty selector', obj: build(DEPLOYMENT, set('spec.selector', {})), want: [['spec.selector', 'FieldValueInvalid']] },
    {
      name: 'selector does not match the template',
      obj: build(DEPLOYMENT, set('spec.selector', { matchLabels: { app: 'api' } })),
      want: [['spec.template.metadata.labels', 'FieldValueInvalid']],
    },
    {
      name: 'bad selector operator',
      obj: build(DEPLOYMENT, set('spec.selector', { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] })),
      want: [
        ['spec.selector.matchExpressions[0].operator', 'FieldValueInvalid'],
        ['spec.selector', 'FieldValueInvalid'],
      ],
    },
    { name: 'negative replicas', obj: build(DEPLOYMENT, set('spec.replicas', -1)), want: [['spec.replicas', 'FieldValueInvalid']] },
    {
      name: 'maxSurge and maxUnavailable both 0',
      obj: build(DEPLOYMENT, set('spec.strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } })),
      want: [['spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid']],
    },
    {
      name: 'bad percentage',
      obj: build(DEPLOYMENT, set('spec.strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: '20Percent', maxUnavailable: 1 } })),
      want: [['spec.strategy.rollingUpdate.maxSurge', 'FieldValueInvalid']],
    },
    {
      name: 'rollingUpdate with Recreate',
      obj: build(DEPLOYMENT, set('spec.strategy', { type: 'Recreate', rollingUpdate: {} })),
      want: [['spec.strategy.rollingUpdate', 'FieldValueForbidden']],
    },
    { name: 'no containers', obj: build(DEPLOYMENT, set('spec.template.spec.containers', [])), want: [['spec.template.spec.containers', 'FieldValueRequired']] },
    {
      name: 'container without name and image',
      obj: build(DEPLOYMENT, set('spec.template.spec.containers', [{}])),
      want: [
        ['spec.template.spec.containers[0].name', 'FieldValueRequired'],
        ['spec.template.spec.containers[0].image', 'FieldValueRequired'],
      ],
    },
    {
      name: 'duplicate container names',
      obj: build(DEPLOYMENT, set('spec.template.spec.containers', [container(), container('web', 'busybox')])),
      want: [['spec.template.spec.containers[1].name', 'FieldValueDuplicate']],
    },
    {
      name: 'container port out of range',
      obj: build(DEPLOYMENT, set('spec.template.spec.containers', [{ ...container(), ports: [{ containerPort: 70000 }, { containerPort: 0 }] }])),
      want: [
        ['spec.template.spec.containers[0].ports[0].containerPort', 'FieldValueInvalid'],
        ['spec.template.spec.containers[0].ports[1].containerPort', 'FieldValueRequired'],
      ],
    },
    {
      name: 'restartPolicy other than Always',
      obj: build(DEPLOYMENT, set('spec.template.spec.restartPolicy', 'Never')),
      want: [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']],
    },
    { name: 'template labels are checked at spec.template.labels', obj: build(DEPLOYMENT, set('spec.template.metadata.labels', { app: 'web', 'b c': '' })), want: [['spec.template.labels', 'FieldValueInvalid']] },
    {
      name: 'selector changed on update',
      obj: build(DEPLOYMENT, set('spec.selector', { matchLabels: { app: 'web', tier: 'x' } }), set('spec.template.metadata.labels', { app: 'web', tier: 'x' })),
      old: DEPLOYMENT,
      want: [['spec.selector', 'FieldValueInvalid']],
    },
    { name: 'scaling on update is fine', obj: build(DEPLOYMENT, set('spec.replicas', 5)), old: DEPLOYMENT, want: [] },
    { name: 'valid replicaset', obj: workload('ReplicaSet'), want: [] },
    {
      name: 'replicaset selector changed',
      obj: build(workload('ReplicaSet'), set('spec.selector', { matchLabels: {} }), set('spec.selector.matchExpressions', [{ key: 'app', operator: 'Exists' }])),
      old: workload('ReplicaSet'),
      want: [['spec.selector', 'FieldValueInvalid']],
    },
    { name: 'valid statefulset', obj: workload('StatefulSet'), want: [] },
    {
      name: 'statefulset spec change outside the allowed fields',
      obj: build(workload('StatefulSet'), set('spec.serviceName', 'other')),
      old: workload('StatefulSet'),
      want: [['spec', 'FieldValueForbidden']],
    },
    { name: 'statefulset template change is allowed', obj: build(workload('StatefulSet'), set('spec.template.spec.containers', [container('web', 'nginx:2')])), old: workload('StatefulSet'), want: [] },
    { name: 'valid daemonset', obj: build(workload('DaemonSet'), set('spec.replicas', undefined)), want: [] },
    {
      name: 'daemonset without selector',
      obj: build(workload('DaemonSet'), set('spec.replicas', undefined), set('spec.selector', undefined)),
      want: [['spec.template.metadata.labels', 'FieldValueInvalid']],
    },
    {
      name: 'daemonset rolling update with surge and unavailability',
      obj: build(workload('DaemonSet'), set('spec.updateStrategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } })),
      want: [['spec.updateStrategy.rollingUpdate.maxSurge', 'FieldValueInvalid']],
    },
  ])('$name', (c) => {
    expect(run(c)).toEqual(c.want);
  });

  it('prints IntOrString values without quotes, like the apiserver', () => {
    const obj = build(DEPLOYMENT, set('spec.strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }));
    const causes = validateObject(obj, undefined, { kind: 'Deployment', namespaced: true, group: 'apps' });
    expect(causes.map((c) => c.message)).toEqual(['Invalid value: 0: may not be 0 when `maxSurge` is 0']);
  });

  it('words a selector mismatch as the apiserver does', () => {
    const obj = build(DEPLOYMENT, set('spec.selector', { matchLabels: { app: 'api' } }));
    const [cause] = validateObject(obj, undefined, { kind: 'Deployment', namespaced: true, group: 'apps' });
    expect(cause?.message).toBe('Invalid value: {"app":"web"}: `selector` does not match template `labels`');
  });
});

describe('validateObject: core kinds', () => {
  it.each<Case>([
    { name: 'valid pod update of an image', obj: build(POD, set('spec.containers', [container('web', 'nginx:2')])), old: POD, want: [] },
    {
      name: 'pod update of anything else',
      obj: build(POD, set('spec.containers', [{ ...container(), ports: [{ containerPort: 80 }] }])),
      old: POD,
      want: [['spec', 'FieldValueForbidden']],
    },
    { name: 'pod binding sets nodeName once', obj: build(POD, set('spec.nodeName', 'node-a')), old: POD, want: [] },
    {
      name: 'pod nodeName may not move',
      obj: build(POD, set('spec.nodeName', 'node-b')),
      old: build(POD, set('spec.nodeName', 'node-a')),
      want: [['spec', 'FieldValueForbidden']],
    },
    { name: 'pod without containers', obj: build(POD, set('spec.containers', undefined)), want: [['spec.containers', 'FieldValueRequired']] },
    {
      name: 'init container name clashes with a container',
      obj: build(POD, set('spec.initContainers', [container()])),
      want: [['spec.containers[0].name', 'FieldValueDuplicate']],
    },
    { name: 'valid service', obj: SERVICE, want: [] },
    { name: 'service without ports', obj: build(SERVICE, set('spec.ports', [])), want: [['spec.ports', 'FieldValueRequired']] },
    { name: 'headless service without ports', obj: build(SERVICE, set('spec.ports', []), set('spec.clusterIP', 'None')), want: [] },
    {
      name: 'ExternalName without ports',
      obj: build(SERVICE, set('spec.ports', []), set('spec.type', 'ExternalName'), set('spec.externalName', 'db.example.com.')),
      want: [],
    },
    { name: 'ExternalName without a name', obj: build(SERVICE, set('spec.type', 'ExternalName')), want: [['spec.externalName', 'FieldValueRequired']] },
    { name: 'unknown service type', obj: build(SERVICE, set('spec.type', 'Ingress')), want: [['spec.type', 'FieldValueNotSupported']] },
    {
      name: 'second port without a name',
      obj: build(SERVICE, set('spec.ports', [{ name: 'http', port: 80 }, { port: 443 }])),
      want: [['spec.ports[1].name', 'FieldValueRequired']],
    },
    {
      name: 'duplicate port names and ports',
      obj: build(SERVICE, set('spec.ports', [{ name: 'http', port: 80 }, { name: 'http', port: 80 }])),
      want: [
        ['spec.ports[1].name', 'FieldValueDuplicate'],
        ['spec.ports[1]', 'FieldValueDuplicate'],
      ],
    },
    { name: 'port out of range', obj: build(SERVICE, set('spec.ports', [{ port: 0 }])), want: [['spec.ports[0].port', 'FieldValueInvalid']] },
    { name: 'named targetPort too long', obj: build(SERVICE, set('spec.ports', [{ port: 80, targetPort: 'a-very-long-port-name' }])), want: [['spec.ports[0].targetPort', 'FieldValueInvalid']] },
    { name: 'nodePort on ClusterIP', obj: build(SERVICE, set('spec.ports', [{ port: 80, nodePort: 30080 }])), want: [['spec.ports[0].nodePort', 'FieldValueForbidden']] },
    {
      name: 'clusterIP changed',
      obj: build(SERVICE, set('spec.clusterIP', '10.96.0.11'), set('spec.clusterIPs', ['10.96.0.11'])),
      old: build(SERVICE, set('spec.clusterIP', '10.96.0.10'), set('spec.clusterIPs', ['10.96.0.10'])),
      want: [['spec.clusterIPs[0]', 'FieldValueInvalid']],
    },
    {
      name: 'clusterIP set where none was',
      obj: build(SERVICE, set('spec.clusterIP', '10.96.0.11')),
      old: SERVICE,
      want: [],
    },
    { name: 'valid configmap', obj: { kind: 'ConfigMap', metadata: meta('cfg'), data: { 'app.yaml': 'x', KEY_1: 'y' } }, want: [] },
    {
      name: 'bad configmap keys',
      obj: { kind: 'ConfigMap', metadata: meta('cfg'), data: { 'a b': 'x', '..x': 'y' }, binaryData: { k: 'eA==' } },
      want: [
        ['data[a b]', 'FieldValueInvalid'],
        ['data[..x]', 'FieldValueInvalid'],
      ],
    },
    {
      name: 'immutable configmap changed',
      obj: { kind: 'ConfigMap', metadata: meta('cfg'), immutable: true, data: { a: '2' } },
      old: { kind: 'ConfigMap', metadata: meta('cfg'), immutable: true, data: { a: '1' } },
      want: [['data', 'FieldValueForbidden']],
    },
    { name: 'valid secret', obj: { kind: 'Secret', metadata: meta('s'), data: { password: 'aHVudGVyMg==' } }, want: [] },
    {
      name: 'tls secret without its keys',
      obj: { kind: 'Secret', metadata: meta('s'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } },
      want: [['data[tls.key]', 'FieldValueRequired']],
    },
    {
      name: 'secret type changed',
      obj: { kind: 'Secret', metadata: meta('s'), type: 'kubernetes.io/basic-auth' },
      old: { kind: 'Secret', metadata: meta('s'), type: 'Opaque' },
      want: [['type', 'FieldValueInvalid']],
    },
  ])('$name', (c) => {
    expect(run(c)).toEqual(c.want);
  });
});

describe('validateObject: batch/v1', () => {
  it.each<Case>([
    { name: 'valid job', obj: JOB, want: [] },
    {
      name: 'job with the defaulted restartPolicy',
      obj: build(JOB, set('spec.template.spec.restartPolicy', 'Always')),
      want: [['spec.template.spec.restartPolicy', 'FieldValueRequired']],
    },
    {
      name: 'job with an unknown restartPolicy',
      obj: build(JOB, set('spec.template.spec.restartPolicy', 'Sometimes')),
      want: [
        ['spec.template.spec.restartPolicy', 'FieldValueNotSupported'],
        ['spec.template.spec.restartPolicy', 'FieldValueNotSupported'],
      ],
    },
    { name: 'job without selector', obj: build(JOB, set('spec.selector', undefined)), want: [['spec.selector', 'FieldValueRequired']] },
    { name: 'negative backoffLimit', obj: build(JOB, set('spec.backoffLimit', -1)), want: [['spec.backoffLimit', 'FieldValueInvalid']] },
    {
      name: 'job template changed on update',
      obj: build(JOB, set('spec.template.spec.containers', [container('web', 'nginx:2')])),
      old: JOB,
      want: [['spec.template', 'FieldValueInvalid']],
    },
    {
      name: 'job selector changed on update',
      obj: build(JOB, set('spec.selector', { matchLabels: {} })),
      old: JOB,
      want: [['spec.selector', 'FieldValueInvalid']],
    },
    { name: 'valid cronjob', obj: CRONJOB, want: [] },
    { name: 'cronjob without schedule', obj: build(CRONJOB, set('spec.schedule', undefined)), want: [['spec.schedule', 'FieldValueRequired']] },
    { name: 'cronjob with a bad schedule', obj: build(CRONJOB, set('spec.schedule', '61 * * * *')), want: [['spec.schedule', 'FieldValueInvalid']] },
    { name: 'cronjob name over 52 characters', obj: build(CRONJOB, set('metadata.name', 'n'.repeat(53))), want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'long name is fine on update', obj: build(CRONJOB, set('metadata.name', 'n'.repeat(53))), old: build(CRONJOB, set('metadata.name', 'n'.repeat(53))), want: [] },
    {
      name: 'cronjob job template with Always',
      obj: build(CRONJOB, set('spec.jobTemplate.spec.template.spec.restartPolicy', 'Always')),
      want: [['spec.jobTemplate.spec.template.spec.restartPolicy', 'FieldValueRequired']],
    },
    { name: 'unknown time zone', obj: build(CRONJOB, set('spec.timeZone', 'Mars/Olympus')), want: [['spec.timeZone', 'FieldValueInvalid']] },
    { name: 'known time zone', obj: build(CRONJOB, set('spec.timeZone', 'Europe/Paris')), want: [] },
    { name: 'bad concurrencyPolicy', obj: build(CRONJOB, set('spec.concurrencyPolicy', 'Never')), want: [['spec.concurrencyPolicy', 'FieldValueNotSupported']] },
  ])('$name', (c) => {
    expect(run(c)).toEqual(c.want);
  });

  it.each([
    { schedule: '*/5 * * * *', want: undefined },
    { schedule: '0 0 1 jan,jul MON-FRI', want: undefined },
    { schedule: '@hourly', want: undefined },
    { schedule: '@every 1h30m', want: undefined },
    { schedule: '0 0 * *', want: 'expected exactly 5 fields, found 4: [0 0 * *]' },
    { schedule: '60 * * * *', want: 'end of range (60) above maximum (59): 60' },
    { schedule: '* * 0 * *', want: 'beginning of range (0) below minimum (1): 0' },
    { schedule: '5-1 * * * *', want: 'beginning of range (5) beyond end of range (1): 5-1' },
    { schedule: 'x * * * *', want: 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax' },
    { schedule: '@sometimes', want: 'unrecognized descriptor: @sometimes' },
    { schedule: '*/0 * * * *', want: 'step of range should be a positive number: */0' },
  ])('cron $schedule', ({ schedule, want }) => {
    expect(cronScheduleError(schedule)).toBe(want);
  });
});

describe('validateObject: CustomResourceDefinition', () => {
  it.each<Case>([
    { name: 'valid', obj: CRD, want: [] },
    { name: 'name not plural.group', obj: build(CRD, set('metadata.name', 'widget.example.com')), want: [['metadata.name', 'FieldValueInvalid']] },
    { name: 'bad scope', obj: build(CRD, set('spec.scope', 'Global')), want: [['spec.scope', 'FieldValueNotSupported']] },
    { name: 'no scope', obj: build(CRD, set('spec.scope', undefined)), want: [['spec.scope', 'FieldValueRequired']] },
    { name: 'no versions', obj: build(CRD, set('spec.versions', [])), want: [['spec.versions', 'FieldValueInvalid']] },
    {
      name: 'two storage versions',
      obj: build(CRD, set('spec.versions', [{ name: 'v1', storage: true }, { name: 'v2', storage: true }])),
      want: [['spec.versions', 'FieldValueInvalid']],
    },
    {
      name: 'missing kind and plural',
      obj: build(CRD, set('spec.names', { singular: 'widget' }), set('metadata.name', '.example.com')),
      want: [
        ['metadata.name', 'FieldValueInvalid'],
        ['spec.names.plural', 'FieldValueRequired'],
        ['spec.names.kind', 'FieldValueRequired'],
      ],
    },
    { name: 'group without a dot', obj: build(CRD, set('spec.group', 'example'), set('metadata.name', 'widgets.example')), want: [['spec.group', 'FieldValueInvalid']] },
    {
      name: 'bad printer column',
      obj: build(CRD, set('spec.versions', [{ name: 'v1', storage: true, additionalPrinterColumns: [{ name: 'X', type: 'text', jsonPath: 'spec.x' }] }])),
      want: [
        ['spec.versions[0].additionalPrinterColumns[0].type', 'FieldValueInvalid'],
        ['spec.versions[0].additionalPrinterColumns[0].JSONPath', 'FieldValueInvalid'],
      ],
    },
    {
      name: 'group changed on update',
      obj: build(CRD, set('spec.group', 'example.org')),
      old: CRD,
      want: [['spec.group', 'FieldValueInvalid']],
    },
  ])('$name', (c) => {
    expect(run(c)).toEqual(c.want);
  });
});
