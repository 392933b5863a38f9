import { describe, expect, it } from 'vitest';
import { diffResource } from '../../src/diff/resource-diff.ts';
import { forServerSideApply, LAST_APPLIED_ANNOTATION, withLastApplied } from '../../src/diff/three-way.ts';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { splitApiVersion } from '../../src/sim/resources.ts';

/** What the API server stores after `kubectl apply` creates the object: defaulted, annotated. */
function applied(api: SimApiServer, desired: JsonObject): JsonObject {
  const { group, version } = splitApiVersion(String(desired.apiVersion));
  const rt = api.registry.byKind(group, String(desired.kind), version);
  if (!rt) throw new Error(`not served: ${String(desired.kind)}`);
  return api.create(rt, rt.namespaced ? 'default' : '', withLastApplied(desired));
}

const deployment = (strategy: JsonObject): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    strategy,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{
          name: 'app', image: 'nginx:1.25',
          env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
          readinessProbe: { httpGet: { port: 80 } },
        }],
        volumes: [{ name: 'scratch' }, { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
      },
    },
  },
});

const webhook = (kind: string): JsonObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind,
  metadata: { name: 'policy' },
  webhooks: [{
    name: 'check.example.com',
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    clientConfig: { service: { name: 'hook', namespace: 'system' } },
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
  }],
});

// Manifests as projects publish them: every field a SetDefaults_* function fills is left out.
const MANIFESTS: { name: string; desired: JsonObject }[] = [
  { name: 'Deployment strategy {type: RollingUpdate} ($retainKeys drops rollingUpdate)', desired: deployment({ type: 'RollingUpdate' }) },
  { name: 'Deployment strategy {type: Recreate}', desired: deployment({ type: 'Recreate' }) },
  { name: 'MutatingWebhookConfiguration (rules are an atomic list)', desired: webhook('MutatingWebhookConfiguration') },
  { name: 'ValidatingWebhookConfiguration', desired: webhook('ValidatingWebhookConfiguration') },
  {
    name: 'NetworkPolicy without policyTypes',
    desired: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'default' }, spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] } },
  },
  { name: 'PriorityClass', desired: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 } },
  { name: 'StorageClass', desired: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, provisioner: 'example.com/local' } },
  { name: 'CSIDriver', desired: { apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: 'csi.example.com' }, spec: {} } },
  {
    name: 'HorizontalPodAutoscaler with a partial behavior',
    desired: {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
    },
  },
  {
    name: 'LimitRange (max becomes the default limit and request)',
    desired: { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'default' }, spec: { limits: [{ type: 'Container', max: { cpu: '2' } }] } },
  },
];

describe('server defaults are not drift', () => {
  it.each(MANIFESTS)('$name: Synced right after the apply', ({ desired }) => {
    const api = new SimApiServer();
    const live = applied(api, desired);
    expect(diffResource({ desired, live, ignore: [] })).toMatchObject({ status: 'Synced', jsonPatch: [] });
  });

  it('a defaulted field someone changed is still a difference: the apply resets it', () => {
    const api = new SimApiServer();
    const desired = deployment({ type: 'RollingUpdate' });
    const live = applied(api, desired);
    const edited = structuredClone(live);
    ((edited.spec as JsonObject).strategy as JsonObject).rollingUpdate = { maxSurge: 1, maxUnavailable: '25%' };
    const d = diffResource({ desired, live: edited, ignore: [] });
    expect(d.status).toBe('OutOfSync');
    expect(d.jsonPatch).toContainEqual({ op: 'replace', path: '/spec/strategy/rollingUpdate/maxSurge', value: '25%' });
  });

  it('a default the live object lacks (a server that does not set it) is not invented', () => {
    const api = new SimApiServer();
    const desired = deployment({ type: 'RollingUpdate' });
    const live = structuredClone(applied(api, desired));
    delete ((live.spec as JsonObject).strategy as JsonObject).rollingUpdate;
    expect(diffResource({ desired, live, ignore: [] }).status).toBe('Synced');
  });
});

describe('forServerSideApply', () => {
  const configMap = (size: number): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { team: 'web' } }, data: { blob: 'x'.repeat(size) } });

  it('carries the last-applied annotation for the diff', () => {
    expect((forServerSideApply(configMap(10)).metadata as JsonObject).annotations).toEqual({ team: 'web', [LAST_APPLIED_ANNOTATION]: expect.any(String) });
  });

  it('leaves it out when it would pass the API server limit of 256 KiB of annotations', () => {
    expect((forServerSideApply(configMap(300 * 1024)).metadata as JsonObject).annotations).toEqual({ team: 'web' });
  });
});
