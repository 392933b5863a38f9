import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject, type JsonValue } from '../../src/json.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { decodeKubernetesProtobuf } from '../../src/sim/protobuf.ts';
import { allMessages, messageForKind, parseFields } from '../../src/sim/protobuf/schema.ts';
import { readFields, readPackedVarints, readVarint, toInt32, toInt64 } from '../../src/sim/protobuf/wire.ts';
import { decodeBody } from '../../src/sim/request.ts';
import { Kubectl } from '../support/kubectl.ts';

// A minimal protobuf writer for hand-made inputs.
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
function varint(n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const bytes: number[] = [];
  do {
    bytes.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
    v >>= 7n;
  } while (v > 0n);
  return Buffer.from(bytes);
}
const num = (field: number, n: bigint | number): Buffer => cat(varint(field << 3), varint(n));
const len = (field: number, payload: Buffer | string): Buffer => {
  const b = Buffer.from(payload);
  return cat(varint((field << 3) | 2), varint(b.length), b);
};
const msg = (field: number, ...parts: Buffer[]): Buffer => len(field, cat(...parts));
const entry = (field: number, key: string, value: Buffer | string): Buffer => msg(field, len(1, key), len(2, value));
const envelope = (apiVersion: string, kind: string, body: Buffer): Buffer =>
  cat(Buffer.from('k8s\0', 'latin1'), msg(1, len(1, apiVersion), len(2, kind)), len(2, body), len(3, ''), len(4, ''));
/** ObjectMeta as Go writes it: every non-pointer field, zero or not; creationTimestamp an empty Time. */
const meta = (name: string): Buffer =>
  msg(1, len(1, name), len(2, ''), len(3, ''), len(4, ''), len(5, ''), len(6, ''), num(7, 0), len(8, ''));

describe('protobuf wire reader', () => {
  it.each([
    { bytes: [0x00], want: 0n },
    { bytes: [0x01], want: 1n },
    { bytes: [0x7f], want: 127n },
    { bytes: [0x80, 0x01], want: 128n },
    { bytes: [0xac, 0x02], want: 300n },
    { bytes: [0xff, 0xff, 0xff, 0xff, 0x0f], want: 0xffffffffn },
    { bytes: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], want: 2n ** 64n - 1n },
  ])('reads varint $want', ({ bytes, want }) => {
    expect(readVarint(Buffer.from(bytes), 0)).toEqual([want, bytes.length]);
  });

  it.each([
    { name: 'int32 -1 (a ten-byte varint)', value: -1, read: toInt32 },
    { name: 'int32 min', value: -2147483648, read: toInt32 },
    { name: 'int32 max', value: 2147483647, read: toInt32 },
    { name: 'int64 -5', value: -5, read: toInt64 },
    { name: 'int64 -2^40', value: -(2 ** 40), read: toInt64 },
  ])('decodes negative and extreme $name', ({ value, read }) => {
    const encoded = varint(value);
    expect(encoded.length).toBe(value < 0 ? 10 : encoded.length);
    expect(read(readVarint(encoded, 0)[0])).toBe(value);
  });

  it('splits fields of every wire type, in order', () => {
    const fixed64 = cat(varint((3 << 3) | 1), Buffer.alloc(8, 1));
    const fixed32 = cat(varint((4 << 3) | 5), Buffer.alloc(4, 2));
    const fields = readFields(cat(num(1, 150), len(2, 'hi'), fixed64, fixed32, num(1, 7)));
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([[1, 0], [2, 2], [3, 1], [4, 5], [1, 0]]);
    expect(fields[1]?.value).toEqual(Buffer.from('hi'));
  });

  it('reads packed varints', () => {
    expect(readPackedVarints(cat(varint(1), varint(300), varint(-1)))).toEqual([1n, 300n, 2n ** 64n - 1n]);
  });

  it.each([
    { name: 'a truncated varint', bytes: [0x08, 0x80] },
    { name: 'a length past the end', bytes: [0x12, 0x05, 0x61] },
    { name: 'a truncated fixed64', bytes: [0x19, 0x00, 0x00] },
    { name: 'a group (wire type 3)', bytes: [0x0b] },
    { name: 'field number 0', bytes: [0x00, 0x01] },
  ])('rejects $name', ({ bytes }) => {
    expect(() => readFields(Buffer.from(bytes))).toThrow();
  });
});

describe('protobuf schema', () => {
  it('compiles every table with resolvable references', () => {
    expect(allMessages().length).toBeGreaterThan(300);
  });

  it.each([
    ['v1', 'Pod', 'corev1.Pod'],
    ['apps/v1', 'Deployment', 'appsv1.Deployment'],
    ['autoscaling/v1', 'Scale', 'autoscalingv1.Scale'],
    ['apps/v1', 'DeleteOptions', 'metav1.DeleteOptions'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'rbacv1.ClusterRole'],
  ])('finds %s %s', (apiVersion, kind, name) => {
    expect(messageForKind(apiVersion, kind)?.name).toBe(name);
  });

  it.each([
    ['v1', 'PodSpec'],
    ['apps/v1beta1', 'Deployment'],
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
  ])('has no kind %s %s', (apiVersion, kind) => {
    expect(messageForKind(apiVersion, kind)).toBeUndefined();
  });

  it.each(['1 name', 'x name string', '1 name string; 1 other string', '1 name *[]string'])('rejects the field list "%s"', (source) => {
    expect(() => parseFields('test', 'Bad', source)).toThrow(/Bad/);
  });
});

describe('decodeKubernetesProtobuf', () => {
  const decode = (apiVersion: string, kind: string, ...fields: Buffer[]) => decodeKubernetesProtobuf(envelope(apiVersion, kind, cat(...fields)));

  it('drops omitempty zeros but keeps pointer zeros and non-omitempty fields', () => {
    const container = msg(2, len(1, 'app'), len(2, 'nginx'), len(5, ''), msg(8), num(17, 0), num(16, 0));
    const podSpec = msg(2, container, len(3, 'Always'), num(4, 0), len(6, ''), num(11, 0));
    const spec = msg(2, num(1, 0), msg(2, entry(1, 'app', 'web')), msg(3, meta(''), podSpec), msg(4, len(1, '')), num(5, 0), num(7, 0));
    expect(decode('apps/v1', 'Deployment', meta('web'), spec, msg(3))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: null },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null },
          spec: {
            containers: [{ name: 'app', image: 'nginx', resources: {} }],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 0,
          },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('decodes negative int32 and int64 values', () => {
    const spec = msg(2, num(1, -1), msg(3, meta(''), msg(2, num(5, -5))));
    const out = decode('apps/v1', 'Deployment', meta('neg'), spec);
    expect(out.spec).toMatchObject({ replicas: -1, template: { spec: { activeDeadlineSeconds: -5 } } });
  });

  it('decodes string and bytes maps, and base64-encodes bytes', () => {
    const out = decode('v1', 'ConfigMap', meta('cm'), entry(2, 'a', 'b'), entry(2, 'empty', ''), entry(3, 'bin', Buffer.from([0, 255])), num(4, 0));
    expect(out).toMatchObject({ data: { a: 'b', empty: '' }, binaryData: { bin: 'AP8=' }, immutable: false });
  });

  it('reads repeated int64 packed and unpacked alike', () => {
    const pod = (groups: Buffer) => decode('v1', 'Pod', meta('p'), msg(2, msg(14, groups)));
    const unpacked = pod(cat(num(4, 1), num(4, 2), num(4, 3)));
    const packed = pod(len(4, cat(varint(1), varint(2), varint(3))));
    expect(unpacked.spec).toEqual({ containers: null, securityContext: { supplementalGroups: [1, 2, 3] } });
    expect(packed).toEqual(unpacked);
  });

  it('decodes IntOrString, Quantity, inlined handlers and resource maps', () => {
    const quantity = (q: string) => msg(2, len(1, q));
    const probe = msg(10, msg(1, msg(2, len(1, '/healthz'), msg(2, num(1, 1), num(2, 0), len(3, 'http')))), num(2, 0));
    const resources = msg(8, msg(1, len(1, 'cpu'), quantity('500m')), msg(2, len(1, 'memory'), quantity('64Mi')));
    const container = msg(2, len(1, 'app'), resources, probe, msg(6, num(3, 80), len(4, 'TCP')));
    const out = decode('v1', 'Pod', meta('p'), msg(2, container));
    expect(out.spec).toEqual({
      containers: [{
        name: 'app',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      }],
    });
  });

  it('decodes Time, MicroTime and managed fields', () => {
    const ts = (seconds: number, nanos = 0) => cat(num(1, seconds), num(2, nanos));
    const managed = msg(17, len(1, 'kubectl'), len(2, 'Update'), msg(4, ts(1_700_000_000)), len(6, 'FieldsV1'), msg(7, len(1, '{"f:spec":{}}')));
    const leaseSpec = msg(2, len(1, 'me'), msg(3, ts(1_700_000_000, 123_456_789)), num(5, 0));
    const out = decode('coordination.k8s.io/v1', 'Lease', msg(1, len(1, 'l'), msg(9, ts(0)), managed), leaseSpec);
    expect(out).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'l',
        deletionTimestamp: '1970-01-01T00:00:00Z',
        managedFields: [{ manager: 'kubectl', operation: 'Update', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
      },
      spec: { holderIdentity: 'me', acquireTime: '2023-11-14T22:13:20.123456Z', leaseTransitions: 0 },
    });
  });

  it('writes null for absent fields whose JSON has no omitempty, as Go does', () => {
    expect(decode('rbac.authorization.k8s.io/v1', 'ClusterRole', meta('agg'))).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'agg', creationTimestamp: null }, rules: null,
    });
  });

  it('merges a repeated singular message like proto does', () => {
    const out = decode('v1', 'Namespace', msg(1, len(1, 'a')), msg(1, entry(11, 'k', 'v')));
    expect(out.metadata).toEqual({ name: 'a', labels: { k: 'v' } });
  });

  it('decodes DeleteOptions sent with any group version', () => {
    const out = decode('apps/v1', 'DeleteOptions', num(1, 0), len(4, 'Foreground'), len(5, 'All'));
    expect(out).toEqual({ apiVersion: 'apps/v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] });
  });

  it('ignores unknown fields holding zero values, which newer Go clients always write', () => {
    expect(decode('v1', 'Namespace', meta('a'), num(99, 0), len(98, '')).metadata).toEqual({ name: 'a', creationTimestamp: null });
  });

  it.each([
    { name: 'an unknown field with data', body: envelope('v1', 'ConfigMap', cat(meta('a'), len(99, 'x'))), error: /corev1\.ConfigMap has no field 99/ },
    { name: 'an unknown nested field', body: envelope('v1', 'Pod', msg(2, msg(2, num(77, 1)))), error: /corev1\.Container has no field 77/ },
    { name: 'a wrong wire type', body: envelope('v1', 'ConfigMap', num(1, 5)), error: /corev1\.ConfigMap field 1: wire type 0/ },
    { name: 'a kind without schema', body: envelope('apps/v1', 'Widget', Buffer.alloc(0)), error: /apps\/v1 Widget are not supported/ },
    { name: 'no magic', body: Buffer.from('{"kind":"Pod"}'), error: /k8s\\0 prefix/ },
    { name: 'no type meta', body: cat(Buffer.from('k8s\0', 'latin1'), len(2, '')), error: /no apiVersion or kind/ },
    { name: 'gzip content encoding', body: cat(Buffer.from('k8s\0', 'latin1'), msg(1, len(1, 'v1'), len(2, 'Pod')), len(3, 'gzip')), error: /content encoding "gzip"/ },
    { name: 'a timestamp out of range', body: envelope('v1', 'Namespace', msg(1, msg(9, num(1, 10 ** 12)))), error: /time out of range/ },
    { name: 'managed fields that are not JSON', body: envelope('v1', 'Namespace', msg(1, msg(17, msg(7, len(1, '{'))))), error: /not JSON/ },
  ])('rejects $name', ({ body, error }) => {
    expect(() => decodeKubernetesProtobuf(body)).toThrow(error);
  });
});

// Captured once from kubectl 1.33 (protobuf) and kubectl 1.30 (JSON) running the GENERATORS commands
// below through a recording proxy; hpa.json is reviewed decoder output (1.30 sends autoscaling/v1 there).
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'protobuf');
const goldens = readdirSync(FIXTURES).filter((f) => f.endsWith('.pb')).map((f) => f.slice(0, -3)).sort();

describe('golden bodies from kubectl 1.33', () => {
  it.each(goldens)('%s decodes to what kubectl 1.30 sends as JSON', (name) => {
    const want = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as JsonObject;
    expect(decodeKubernetesProtobuf(readFileSync(join(FIXTURES, `${name}.pb`)))).toEqual(want);
  });

  it('has one for every generator below (secret-tls would commit a private key)', () => {
    expect(goldens).toEqual(GENERATORS.map((g) => g.fixture).filter((f) => f !== 'secret-tls').sort());
  });
});

describe('the embedded API server', () => {
  let cluster: SimCluster;
  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false });
  });
  afterAll(() => cluster.stop());

  const post = (body: Buffer) =>
    fetch(`${cluster.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', body, headers: { 'content-type': 'application/vnd.kubernetes.protobuf' } });

  it('creates objects from protobuf bodies and answers undecodable ones with 400 naming the field', async () => {
    const created = await post(readFileSync(join(FIXTURES, 'configmap.pb')));
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ metadata: { name: 'cm', namespace: 'default' }, data: { a: 'b', empty: '' } });
    const rejected = await post(envelope('v1', 'ConfigMap', cat(meta('x'), len(42, 'data'))));
    expect(rejected.status).toBe(400);
    expect(await rejected.json()).toMatchObject({ reason: 'BadRequest', message: expect.stringMatching(/corev1\.ConfigMap has no field 42/) });
  });
});

describe('decodeBody', () => {
  const pb = readFileSync(join(FIXTURES, 'configmap.pb'));

  it('decodes protobuf bodies, with or without parameters on the media type', () => {
    expect(decodeBody(pb, 'application/vnd.kubernetes.protobuf')).toMatchObject({ kind: 'ConfigMap', data: { a: 'b' } });
    expect(decodeBody(pb, 'application/vnd.kubernetes.protobuf; charset=binary')).toMatchObject({ kind: 'ConfigMap' });
  });

  it.each([
    { name: 'corrupt protobuf', body: Buffer.from('k8s\0\x0a\x7f', 'latin1'), type: 'application/vnd.kubernetes.protobuf', code: 400 },
    { name: 'empty protobuf', body: Buffer.alloc(0), type: 'application/vnd.kubernetes.protobuf', code: 400 },
    { name: 'CBOR', body: Buffer.from([0xa0]), type: 'application/cbor', code: 415 },
  ])('answers $name with $code', ({ body, type, code }) => {
    expect(() => decodeBody(body, type)).toThrow(expect.objectContaining({ code }));
  });
});

const KUBECTL_PROTOBUF = '/usr/lib/google-cloud-sdk/bin/kubectl.1.33';
const KUBECTL_JSON = '/usr/lib/google-cloud-sdk/bin/kubectl.1.30';

interface Generator {
  readonly fixture: string;
  readonly resource: string;
  readonly name: string;
  readonly args: (name: string) => string[];
  readonly clusterScoped?: boolean;
  /** run with the JSON kubectl first, in the same namespace */
  readonly setup?: readonly (readonly string[])[];
  /** why the differential run cannot compare this one (the golden body still covers it) */
  readonly skip?: string;
}

/** kubectl commands whose typed clients send protobuf (kubectl 1.33 `-v=8`); `run`, `expose`, `scale` and `delete` send JSON. */
const GENERATORS: readonly Generator[] = [
  { fixture: 'namespace', resource: 'namespace', name: 'pb-ns', clusterScoped: true, args: (n) => ['create', 'namespace', n] },
  { fixture: 'configmap', resource: 'configmap', name: 'cm', args: (n) => ['create', 'configmap', n, '--from-literal=a=b', '--from-literal=empty=', '--from-file=file.txt'] },
  { fixture: 'secret-generic', resource: 'secret', name: 'sg', args: (n) => ['create', 'secret', 'generic', n, '--from-literal=user=admin', '--type=Opaque'] },
  { fixture: 'secret-tls', resource: 'secret', name: 'tls', args: (n) => ['create', 'secret', 'tls', n, '--cert=tls.crt', '--key=tls.key'] },
  {
    fixture: 'secret-docker-registry', resource: 'secret', name: 'dr',
    args: (n) => ['create', 'secret', 'docker-registry', n, '--docker-server=r.example', '--docker-username=u', '--docker-password=p', '--docker-email=u@example.com'],
  },
  { fixture: 'serviceaccount', resource: 'serviceaccount', name: 'sa', args: (n) => ['create', 'serviceaccount', n] },
  { fixture: 'service-clusterip', resource: 'service', name: 'svc', args: (n) => ['create', 'service', 'clusterip', n, '--tcp=80:8080', '--tcp=443'] },
  { fixture: 'service-nodeport', resource: 'service', name: 'svc', args: (n) => ['create', 'service', 'nodeport', n, '--tcp=80:8080'] },
  { fixture: 'service-loadbalancer', resource: 'service', name: 'svc', args: (n) => ['create', 'service', 'loadbalancer', n, '--tcp=80:8080'] },
  { fixture: 'service-externalname', resource: 'service', name: 'svc', args: (n) => ['create', 'service', 'externalname', n, '--external-name=example.com'] },
  { fixture: 'deployment', resource: 'deployment', name: 'web', args: (n) => ['create', 'deployment', n, '--image=nginx', '--image=busybox', '--replicas=3', '--port=80'] },
  { fixture: 'deployment-zero-replicas', resource: 'deployment', name: 'web', args: (n) => ['create', 'deployment', n, '--image=nginx', '--replicas=0'] },
  { fixture: 'job', resource: 'job', name: 'jb', args: (n) => ['create', 'job', n, '--image=busybox', '--', 'echo', 'hi'] },
  { fixture: 'cronjob', resource: 'cronjob', name: 'cj', args: (n) => ['create', 'cronjob', n, '--image=busybox', '--schedule=*/5 * * * *', '--restart=Never', '--', 'date'] },
  {
    fixture: 'job-from-cronjob', resource: 'job', name: 'manual', args: (n) => ['create', 'job', n, '--from=cronjob/src'],
    setup: [['create', 'cronjob', 'src', '--image=busybox', '--schedule=*/5 * * * *']],
  },
  { fixture: 'role', resource: 'role', name: 'rl', args: (n) => ['create', 'role', n, '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=x'] },
  { fixture: 'clusterrole', resource: 'clusterrole', name: 'cr', clusterScoped: true, args: (n) => ['create', 'clusterrole', n, '--verb=get', '--non-resource-url=/logs/*'] },
  {
    fixture: 'clusterrole-aggregation', resource: 'clusterrole', name: 'agg', clusterScoped: true,
    args: (n) => ['create', 'clusterrole', n, '--aggregation-rule=rbac.example.com/aggregate=true'],
  },
  { fixture: 'rolebinding', resource: 'rolebinding', name: 'rb', args: (n) => ['create', 'rolebinding', n, '--role=rl', '--user=alice', '--group=devs', '--serviceaccount=default:sa'] },
  { fixture: 'clusterrolebinding', resource: 'clusterrolebinding', name: 'crb', clusterScoped: true, args: (n) => ['create', 'clusterrolebinding', n, '--clusterrole=cr', '--user=alice'] },
  {
    fixture: 'ingress', resource: 'ingress', name: 'ing',
    args: (n) => ['create', 'ingress', n, '--class=nginx', '--rule=foo.com/bar*=svc:8080,tls=cert', '--rule=/=svc:http', '--default-backend=svc:80', '--annotation=a=b'],
  },
  {
    fixture: 'pod-debug-copy', resource: 'pod', name: 'rich-copy', args: (n) => ['debug', 'rich', `--copy-to=${n}`, '--container=app', '--image=nginx:1.26', '-q'],
    setup: [['create', '-f', join(FIXTURES, 'rich-pod.yaml')]],
  },
  {
    fixture: 'poddisruptionbudget', resource: 'poddisruptionbudget', name: 'pdb', args: (n) => ['create', 'poddisruptionbudget', n, '--selector=app=web', '--max-unavailable=50%'],
    skip: 'the embedded cluster does not serve policy/v1',
  },
  {
    fixture: 'priorityclass', resource: 'priorityclass', name: 'pc', clusterScoped: true,
    args: (n) => ['create', 'priorityclass', n, '--value=1000', '--description=high', '--preemption-policy=Never', '--global-default=false'],
    skip: 'the embedded cluster does not serve scheduling.k8s.io/v1',
  },
  { fixture: 'quota', resource: 'quota', name: 'rq', args: (n) => ['create', 'quota', n, '--hard=cpu=1,memory=1Gi,pods=10', '--scopes=BestEffort'], skip: 'the embedded cluster does not serve resourcequotas' },
  {
    fixture: 'hpa', resource: 'hpa', name: 'scaled', args: (n) => ['autoscale', 'deployment', n, '--min=2', '--max=5', '--cpu-percent=80'],
    setup: [['create', 'deployment', 'scaled', '--image=nginx']],
    skip: 'kubectl 1.30 creates autoscaling/v1 HPAs, which the embedded cluster does not serve',
  },
];

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Drops what legitimately differs between two creations: identity and times, allocated IPs and ports,
 * the namespace and cluster-scoped name (also inside labels and managed fields), and the User-Agent.
 */
function comparable(object: JsonObject, renames: Readonly<Record<string, string>>): JsonObject {
  let text = JSON.stringify(object).replace(UID, '<uid>').replace(/kubectl\.1\.\d+/g, 'kubectl');
  for (const [from, to] of Object.entries(renames)) text = text.replaceAll(from, to);
  const copy = JSON.parse(text) as JsonObject;
  const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {});
  const list = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
  const metadata = obj(copy.metadata);
  for (const key of ['resourceVersion', 'creationTimestamp']) delete metadata[key];
  for (const m of list(metadata.managedFields)) delete m.time;
  const spec = obj(copy.spec);
  delete spec.clusterIP;
  delete spec.clusterIPs;
  for (const p of list(spec.ports)) delete p.nodePort;
  return copy;
}

const haveBoth = existsSync(KUBECTL_PROTOBUF) && existsSync(KUBECTL_JSON);
const haveOpenssl = (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, 'openssl')));
// secret-tls needs a certificate made at test time (a committed one would be a committed private key)
const runnable = GENERATORS.filter((g) => !g.skip && (haveOpenssl || g.fixture !== 'secret-tls'));

// Needs the pinned kubectl 1.33 (sends protobuf) and 1.30 (sends JSON) of the Google Cloud SDK
// layout; where they are absent the golden bodies above still test the decoder.
describe.skipIf(!haveBoth)('kubectl 1.33 (protobuf) and 1.30 (JSON) create the same objects', () => {
  let cluster: SimCluster;
  let protobuf: Kubectl;
  let json: Kubectl;

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0, controllers: false });
    [protobuf, json] = await Promise.all([Kubectl.create(KUBECTL_PROTOBUF, cluster.kubeconfig), Kubectl.create(KUBECTL_JSON, cluster.kubeconfig)]);
    await Promise.all([protobuf, json].map((k) => k.file('file.txt', 'hello\n')));
    if (!haveOpenssl) return;
    const [key, crt] = [join(protobuf.dir, 'tls.key'), join(protobuf.dir, 'tls.crt')];
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sim', '-keyout', key, '-out', crt]);
    await Promise.all([json.file('tls.key', readFileSync(key, 'utf8')), json.file('tls.crt', readFileSync(crt, 'utf8'))]);
  });
  afterAll(async () => {
    await Promise.all([protobuf?.dispose(), json?.dispose()]);
    await cluster?.stop();
  });

  // kubectl resolves --from-file and --cert relative to its working directory
  const inDir = (k: Kubectl, args: string[]) => args.map((a) => a.replace(/^(--from-file=|--cert=|--key=)(?!\/)/, `$1${k.dir}/`));

  /** Creates the generator's object in its own namespace; returns it as stored, with the renames that undo the differences. */
  async function create(k: Kubectl, g: Generator, side: string): Promise<{ object: JsonObject; stderr: string; renames: Record<string, string> }> {
    const namespace = `ns-${GENERATORS.indexOf(g)}-${side}`;
    const name = g.clusterScoped ? `${g.name}-${side}` : g.name;
    await json.ok(['create', 'namespace', namespace]);
    for (const step of g.setup ?? []) await json.ok(['-n', namespace, ...step]);
    const r = await k.run(['-n', namespace, ...(k === protobuf ? ['-v=8'] : []), ...inDir(k, g.args(name))]);
    if (r.code !== 0) throw new Error(`${g.args(name).join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const got = await json.ok(['get', '-n', namespace, g.resource, name, '-o', 'json', '--show-managed-fields']);
    return { object: JSON.parse(got) as JsonObject, stderr: r.stderr, renames: { [namespace]: '<ns>', [name]: g.name } };
  }

  it.each(runnable)('$fixture', async (g) => {
    const viaProtobuf = await create(protobuf, g, 'protobuf');
    const viaJson = await create(json, g, 'json');
    expect(viaProtobuf.stderr).toMatch(/Content-Type: application\/vnd\.kubernetes\.protobuf/);
    expect(comparable(viaProtobuf.object, viaProtobuf.renames)).toEqual(comparable(viaJson.object, viaJson.renames));
  });
});
