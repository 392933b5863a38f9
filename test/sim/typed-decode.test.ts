import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/json.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { createReplicaSetController } from '../../src/sim/controllers/replicaset.ts';
import { goSprintV, goTypeName, jsonDecodeError, QUANTITY_FORMAT_ERROR, structOfKind, unstructuredConvertError } from '../../src/sim/validation/go-decode.ts';
import { Kubectl, findKubectl } from '../support/kubectl.ts';
import { controllerContext, newDeployment, typeOf } from '../support/sim.ts';

/**
 * The embedded cluster refuses what kube-apiserver 1.33 refuses while decoding a body into its
 * Go type: 400 "X in version "v1" cannot be handled as a X: json: …" for create and update
 * bodies, 422 on the field `patch` for patches whose result does not decode.
 */

let cluster: SimCluster;

beforeAll(async () => {
  cluster = await startSimCluster({ port: 0, controllers: false });
});
afterAll(async () => {
  await cluster.stop();
});

interface Answer {
  readonly status: number;
  readonly body: { reason?: string; message?: string; details?: { causes?: { reason: string; field: string; message: string }[] } };
}

async function send(method: string, path: string, body: string, type = 'application/json'): Promise<Answer> {
  const res = await fetch(`${cluster.url}${path}`, { method, headers: { 'Content-Type': type }, body });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';

/** A Deployment's JSON with `replace` spliced in as raw text, so numbers keep the client's spelling. */
function deploymentText(name: string, containerExtra = '', specExtra = ''): string {
  return `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"${name}"},"spec":{${specExtra}"selector":{"matchLabels":{"app":"x"}},` +
    `"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"app","image":"nginx"${containerExtra}}]}}}}`;
}

const cannotHandle = (kind: string, detail: string) => `${kind} in version "v1" cannot be handled as a ${kind}: ${detail}`;

describe('create bodies that do not decode are 400 BadRequest, in the apiserver words', () => {
  it.each([
    {
      name: 'replicas out of the int32 range',
      body: deploymentText('big', '', '"replicas":99999999999999999999,'),
      // the literal's digits as JSON.parse kept them (Go quotes the literal as sent)
      want: cannotHandle('Deployment', 'json: cannot unmarshal number 100000000000000000000 into Go struct field DeploymentSpec.spec.replicas of type int32'),
    },
    {
      name: 'replicas one past int32',
      body: deploymentText('past', '', '"replicas":2147483648,'),
      want: cannotHandle('Deployment', 'json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32'),
    },
    {
      name: 'replicas as a word',
      body: deploymentText('three', '', '"replicas":"three",'),
      want: cannotHandle('Deployment', 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'),
    },
    {
      name: 'replicas as a fraction',
      body: deploymentText('half', '', '"replicas":1.5,'),
      want: cannotHandle('Deployment', 'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32'),
    },
    {
      name: 'containerPort as a string',
      body: deploymentText('port', ',"ports":[{"containerPort":"80"}]'),
      want: cannotHandle('Deployment', 'json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32'),
    },
    {
      name: 'an env value as a number',
      body: deploymentText('env', ',"env":[{"name":"N","value":3}]'),
      want: cannotHandle('Deployment', 'json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string'),
    },
    {
      name: 'a cpu that is no quantity',
      body: deploymentText('cpu', ',"resources":{"limits":{"cpu":"lots"}}'),
      want: cannotHandle('Deployment', QUANTITY_FORMAT_ERROR),
    },
    {
      name: 'labels as a list',
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"l","labels":["a","b"]}}',
      want: cannotHandle('ConfigMap', 'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string'),
    },
    {
      name: 'ConfigMap data with a number',
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"data":{"k":1}}',
      want: cannotHandle('ConfigMap', 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string'),
    },
    {
      name: 'ConfigMap data nested',
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"o"},"data":{"k":{"a":"b"}}}',
      want: cannotHandle('ConfigMap', 'json: cannot unmarshal object into Go struct field ConfigMap.data of type string'),
    },
  ])('$name', async ({ body, want }) => {
    const path = body.includes('"ConfigMap"') ? CONFIGMAPS : DEPLOYMENTS;
    const answer = await send('POST', path, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ reason: 'BadRequest', message: want });
  });

  it('reports the first type error in the order of the body, and a quantity error before any', async () => {
    const twoErrors = deploymentText('two', ',"env":[{"name":"N","value":3}]', '"replicas":"three",');
    expect((await send('POST', DEPLOYMENTS, twoErrors)).body.message).toContain('DeploymentSpec.spec.replicas of type int32');
    const quantityLast = deploymentText('q', ',"resources":{"limits":{"cpu":"lots"}}', '"replicas":"three",');
    expect((await send('POST', DEPLOYMENTS, quantityLast)).body.message).toBe(cannotHandle('Deployment', QUANTITY_FORMAT_ERROR));
  });

  it('checks YAML bodies and updates the same way, and stores nothing', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\ndata: {k: 1}\n';
    expect((await send('POST', CONFIGMAPS, yaml, 'application/yaml')).status).toBe(400);
    expect((await fetch(`${cluster.url}${CONFIGMAPS}/y`)).status).toBe(404);
    expect((await send('POST', CONFIGMAPS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u"},"data":{"k":"v"}}')).status).toBe(201);
    const update = await send('PUT', `${CONFIGMAPS}/u`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u"},"data":{"k":true}}');
    expect(update).toMatchObject({ status: 400, body: { message: cannotHandle('ConfigMap', 'json: cannot unmarshal bool into Go struct field ConfigMap.data of type string') } });
  });

  it('checks a scale subresource body as an autoscaling/v1 Scale', async () => {
    expect((await send('POST', DEPLOYMENTS, JSON.stringify(newDeployment('scaled')))).status).toBe(201);
    const scale = await send('PUT', `${DEPLOYMENTS}/scaled/scale`, '{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"scaled"},"spec":{"replicas":"9"}}');
    expect(scale).toMatchObject({ status: 400, body: { message: cannotHandle('Scale', 'json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32') } });
  });
});

describe('patches whose result does not decode are 422 on the field `patch`', () => {
  beforeAll(async () => {
    expect((await send('POST', DEPLOYMENTS, JSON.stringify(newDeployment('patched')))).status).toBe(201);
    expect((await send('POST', CONFIGMAPS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pc"},"data":{"k":"v"}}')).status).toBe(201);
  });

  it('a merge patch quotes the patched object and the JSON decoder', async () => {
    const answer = await send('PATCH', `${DEPLOYMENTS}/patched`, '{"spec":{"replicas":"three"}}', 'application/merge-patch+json');
    expect(answer.status).toBe(422);
    const detail = 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32';
    expect(answer.body.reason).toBe('Invalid');
    expect(answer.body.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"apps\/v1\\",.*\\"replicas\\":\\"three\\".*": json: cannot unmarshal string/);
    expect(answer.body.message!.endsWith(detail)).toBe(true);
    expect(answer.body.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'patch', message: expect.stringMatching(/^Invalid value: ".*": json: cannot unmarshal string/) }]);
  });

  it('a JSON patch too', async () => {
    const answer = await send('PATCH', `${CONFIGMAPS}/pc`, '[{"op":"add","path":"/data/n","value":7}]', 'application/json-patch+json');
    expect(answer.status).toBe(422);
    expect(answer.body.message).toMatch(/: json: cannot unmarshal number into Go struct field ConfigMap\.data of type string$/);
  });

  it.each([
    { patch: '{"spec":{"replicas":"three"}}', want: 'Invalid value: "map[spec:map[replicas:three]]": unrecognized type: int32' },
    { patch: '{"spec":{"replicas":1.5}}', want: 'Invalid value: "map[spec:map[replicas:1.5]]": cannot convert float64 to int32' },
    { patch: '{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"limits":{"cpu":"lots"}}}]}}}}', want: `: ${QUANTITY_FORMAT_ERROR}` },
  ])('a strategic merge patch quotes the patch and the unstructured converter: $patch', async ({ patch, want }) => {
    const answer = await send('PATCH', `${DEPLOYMENTS}/patched`, patch, 'application/strategic-merge-patch+json');
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain(want);
  });

  it('leaves the object as it was', async () => {
    const live = (await (await fetch(`${cluster.url}${DEPLOYMENTS}/patched`)).json()) as { spec: { replicas: number } };
    expect(live.spec.replicas).toBe(2);
  });
});

describe('server-side apply answers as 1.33 does: a 500 with no reason, in structured-merge-diff words', () => {
  const apply = (name: string, yaml: string) => send('PATCH', `${DEPLOYMENTS}/${name}?fieldManager=test`, yaml, 'application/apply-patch+yaml');
  const manifest = (name: string, spec = '', container = '') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  selector: {matchLabels: {app: x}}\n${spec}` +
    `  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n${container}`;

  it.each([
    { name: 'word', spec: '  replicas: three\n', container: '', want: '.spec.replicas: expected numeric (int or float), got string' },
    {
      name: 'port', spec: '', container: '        ports: [{containerPort: "80"}]\n',
      want: '.spec.template.spec.containers[name="app"].ports[containerPort="80",protocol="TCP"].containerPort: expected numeric (int or float), got string',
    },
    { name: 'env', spec: '', container: '        env: [{name: N, value: 3}]\n', want: '.spec.template.spec.containers[name="app"].env[name="N"].value: expected string, got &value.valueUnstructured{Value:3}' },
    { name: 'paused', spec: '  paused: yes please\n', container: '', want: '.spec.paused: expected boolean, got &{yes please}' },
  ])('a type the schema refuses: $name', async ({ name, spec, container, want }) => {
    const answer = await apply(name, manifest(name, spec, container));
    expect(answer.status).toBe(500);
    expect(answer.body.reason).toBeUndefined();
    expect(answer.body.message).toBe(`failed to create typed patch object (default/${name}; apps/v1, Kind=Deployment): ${want}`);
  });

  it('lists every error, as ValidationErrors does', async () => {
    const answer = await apply('many', manifest('many', '  replicas: three\n  paused: 1\n'));
    expect(answer.body.message).toBe(
      'failed to create typed patch object (default/many; apps/v1, Kind=Deployment): errors:\n  .spec.replicas: expected numeric (int or float), got string\n  .spec.paused: expected boolean, got &{1}',
    );
  });

  it('what types but does not convert fails after the merge', async () => {
    const answer = await apply('frac', manifest('frac', '  replicas: 1.5\n'));
    expect(answer).toMatchObject({ status: 500, body: { message: 'failed to convert new object (default/frac; apps/v1, Kind=Deployment) to proper version: cannot convert float64 to int32' } });
    expect((await fetch(`${cluster.url}${DEPLOYMENTS}/frac`)).status).toBe(404);
    expect((await apply('fine', manifest('fine', '  replicas: 3\n'))).status).toBe(201);
  });
});

const kubectlPath = findKubectl();

describe.skipIf(kubectlPath === undefined)('the real kubectl sees the same refusals', () => {
  let kubectl: Kubectl;
  beforeAll(async () => {
    kubectl = await Kubectl.create(kubectlPath!, cluster.kubeconfig);
  });
  afterAll(async () => {
    await kubectl.dispose();
  });
  const bad = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kc, namespace: default}\nspec:\n  replicas: "three"\n  selector: {matchLabels: {app: x}}\n' +
    '  template:\n    metadata: {labels: {app: x}}\n    spec: {containers: [{name: app, image: nginx}]}\n';

  it('kubectl apply (client-side) and create: 400 BadRequest', async () => {
    const file = await kubectl.file('bad.yaml', bad);
    for (const verb of ['apply', 'create']) {
      const result = await kubectl.run([verb, '-f', file]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('Error from server (BadRequest)');
      expect(result.stderr).toContain('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
    }
  });

  it('kubectl apply --server-side: the 500 of a plain error', async () => {
    const result = await kubectl.run(['apply', '--server-side', '-f', await kubectl.file('bad-ssa.yaml', bad)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('failed to create typed patch object (default/kc; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string');
  });

  it('kubectl patch: 422 on the field patch', async () => {
    expect((await kubectl.run(['create', 'configmap', 'kp', '--from-literal=k=v'])).code).toBe(0);
    const result = await kubectl.run(['patch', 'configmap', 'kp', '-p', '{"data":{"k":1}}']);
    expect(result.stderr).toContain('Invalid value: "map[data:map[k:1]]": cannot convert int64 to string');
  });
});

describe('the type table', () => {
  it('covers every built-in kind of 1.33 by group/version/kind, served or not', () => {
    for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['v1', 'ConfigMap'], ['policy/v1', 'PodDisruptionBudget'], ['networking.k8s.io/v1', 'Ingress'], ['autoscaling/v2', 'HorizontalPodAutoscaler']] as const) {
      expect(structOfKind(apiVersion, kind), `${apiVersion} ${kind}`).toBeDefined();
    }
    expect(structOfKind('example.com/v1', 'Widget')).toBeUndefined();
    expect(jsonDecodeError('example.com/v1', 'Widget', { spec: { replicas: 'x' } })).toBeUndefined();
  });

  it.each([
    { value: { minAvailable: 1.5 }, want: 'json: cannot unmarshal number 1.5 into Go struct field PodDisruptionBudgetSpec.spec.minAvailable of type int32' },
    { value: { minAvailable: true }, want: 'json: cannot unmarshal bool into Go struct field PodDisruptionBudgetSpec.spec.minAvailable of type int32' },
    { value: { minAvailable: '50%' }, want: undefined },
  ])('int-or-string fields: $value', ({ value, want }) => {
    expect(jsonDecodeError('policy/v1', 'PodDisruptionBudget', { spec: value })).toBe(want);
  });

  it('Secret data must be base64, and binary data cannot be a number', () => {
    expect(jsonDecodeError('v1', 'Secret', { data: { k: 'not base64!' } })).toBe('illegal base64 data at input byte 3');
    expect(jsonDecodeError('v1', 'Secret', { data: { k: 'aGk=' } })).toBeUndefined();
    expect(jsonDecodeError('v1', 'ConfigMap', { binaryData: { k: 5 } })).toBe('json: cannot unmarshal number into Go struct field ConfigMap.binaryData of type []uint8');
  });

  it('holds int64 fields to the int64 range', () => {
    expect(jsonDecodeError('v1', 'Pod', { spec: { activeDeadlineSeconds: 2 ** 62 } })).toBeUndefined();
    expect(jsonDecodeError('v1', 'Pod', { spec: { activeDeadlineSeconds: 2 ** 63 } })).toBe(
      'json: cannot unmarshal number 9223372036854775808 into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64',
    );
  });

  it('names Go types as reflect does', () => {
    expect(goTypeName(['[]', 'core.v1.Container'])).toBe('[]v1.Container');
    expect(goTypeName(['map', 'quantity'])).toBe('map[string]resource.Quantity');
    expect(unstructuredConvertError('v1', 'ConfigMap', { data: { k: 1 } })).toBe('cannot convert int64 to string');
    expect(unstructuredConvertError('v1', 'ConfigMap', { metadata: { labels: ['a'] } })).toBe('cannot restore map from slice');
  });

  it.each<{ value: JsonValue; want: string }>([
    { value: { b: [1, 'x', true], a: null }, want: 'map[a:<nil> b:[1 x true]]' },
    { value: { f: 1e20, g: 1234567.5, h: 0.25 }, want: 'map[f:1e+20 g:1.2345675e+06 h:0.25]' },
  ])('prints a patch as fmt %+v: $want', ({ value, want }) => {
    expect(goSprintV(value)).toBe(want);
  });
});

describe('no controller loop is unbounded in an object\'s numbers', () => {
  it('a ReplicaSet of 2^31-1 replicas creates 500 pods per sync (burstReplicas)', () => {
    const ctx = controllerContext(new Date('2026-01-01T00:00:00Z'));
    const rs = { ...newDeployment('huge', 'nginx', 2 ** 31 - 1), kind: 'ReplicaSet' };
    ctx.api.create(typeOf(ctx.api, 'apps', 'v1', 'replicasets'), 'default', rs);
    createReplicaSetController(ctx).reconcile('default/huge');
    expect(ctx.api.store.list('/pods', 'default')).toHaveLength(500);
  });
});
