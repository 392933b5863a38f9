import { ensureObject, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { GROUP_DEFAULTERS, objects, setDefault, type Defaulter } from './defaults-groups.ts';

/**
 * Server-side defaulting, as the real API server's SetDefaults_* functions do it. It only
 * fills fields that are absent, so defaulting an already-defaulted object changes nothing:
 * `kubectl rollout undo` relies on that to find an old ReplicaSet by template equality.
 * Works on the server's own copy of the object, in place. The diff (src/diff/three-way.ts)
 * runs the same defaulting over its prediction, so a default is never read as drift.
 */
export function applyDefaults(obj: JsonObject): void {
  const defaulter = DEFAULTERS[`${String(obj.apiVersion)}/${String(obj.kind)}`];
  if (defaulter) defaulter(obj);
}


function imagePullPolicy(image: string): string {
  // the tag is what follows the last ':' after the last '/'; no tag or ":latest" means Always
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon < 0 ? 'latest' : lastPart.slice(colon + 1);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: JsonObject): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', imagePullPolicy(c.image));
  setDefault(c, 'resources', {});
  for (const p of objects(c.ports)) setDefault(p, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = c[probe];
    if (!isJsonObject(pr)) continue;
    setDefault(pr, 'timeoutSeconds', 1);
    setDefault(pr, 'periodSeconds', 10);
    setDefault(pr, 'successThreshold', 1);
    setDefault(pr, 'failureThreshold', 3);
    defaultHandler(pr);
  }
  const lifecycle = c.lifecycle;
  if (isJsonObject(lifecycle)) for (const hook of ['postStart', 'preStop']) if (isJsonObject(lifecycle[hook])) defaultHandler(lifecycle[hook]);
  for (const env of objects(c.env)) {
    const fieldRef = isJsonObject(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isJsonObject(fieldRef)) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

/** A probe's or lifecycle hook's handler: SetDefaults_HTTPGetAction. */
function defaultHandler(handler: JsonObject): void {
  if (!isJsonObject(handler.httpGet)) return;
  if (handler.httpGet.path === undefined || handler.httpGet.path === '') handler.httpGet.path = '/';
  setDefault(handler.httpGet, 'scheme', 'HTTP');
}

/** SetDefaults_Volume and the per-source defaults (file modes, token lifetimes, host path type). */
function defaultVolume(v: JsonObject): void {
  if (Object.keys(v).every((k) => k === 'name')) v.emptyDir = {};
  for (const source of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    if (isJsonObject(v[source])) setDefault(v[source], 'defaultMode', 420);
  }
  if (isJsonObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  for (const item of objects(isJsonObject(v.downwardAPI) ? v.downwardAPI.items : undefined)) {
    if (isJsonObject(item.fieldRef)) setDefault(item.fieldRef, 'apiVersion', 'v1');
  }
  for (const projection of objects(isJsonObject(v.projected) ? v.projected.sources : undefined)) {
    if (isJsonObject(projection.serviceAccountToken)) setDefault(projection.serviceAccountToken, 'expirationSeconds', 3600);
    for (const item of objects(isJsonObject(projection.downwardAPI) ? projection.downwardAPI.items : undefined)) {
      if (isJsonObject(item.fieldRef)) setDefault(item.fieldRef, 'apiVersion', 'v1');
    }
  }
  if (isJsonObject(v.ephemeral) && isJsonObject(v.ephemeral.volumeClaimTemplate)) {
    setDefault(ensureObject(v.ephemeral.volumeClaimTemplate, 'spec'), 'volumeMode', 'Filesystem');
  }
}

function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) defaultContainer(c);
  for (const v of objects(spec.volumes)) defaultVolume(v);
}

function defaultPodTemplate(template: JsonValue | undefined): void {
  if (isJsonObject(template)) defaultPodSpec(ensureObject(template, 'spec'));
}

/** SetDefaults_HorizontalPodAutoscalerBehavior: a direction's rules are filled in field by field. */
function defaultScalingRules(behavior: JsonObject, direction: string, window: number, policies: JsonObject[]): void {
  const rules = ensureObject(behavior, direction);
  setDefault(rules, 'stabilizationWindowSeconds', window);
  setDefault(rules, 'selectPolicy', 'Max');
  setDefault(rules, 'policies', policies);
}

const DEFAULTERS: Record<string, Defaulter> = {
  ...GROUP_DEFAULTERS,
  'v1/Pod': (o) => {
    const spec = ensureObject(o, 'spec');
    defaultPodSpec(spec);
    setDefault(spec, 'serviceAccountName', 'default');
    setDefault(spec, 'enableServiceLinks', true);
    setDefault(spec, 'priority', 0);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  },
  'v1/Namespace': (o) => {
    setDefault(ensureObject(o, 'spec'), 'finalizers', ['kubernetes']);
    setDefault(ensureObject(o, 'status'), 'phase', 'Active');
  },
  'v1/Secret': (o) => setDefault(o, 'type', 'Opaque'),
  'v1/Service': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'type', 'ClusterIP');
    setDefault(spec, 'sessionAffinity', 'None');
    if (spec.type !== 'ExternalName') {
      setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      setDefault(spec, 'ipFamilies', ['IPv4']);
      setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
    if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
    if (spec.sessionAffinity === 'ClientIP') setDefault(ensureObject(ensureObject(spec, 'sessionAffinityConfig'), 'clientIP'), 'timeoutSeconds', 10800);
    for (const p of objects(spec.ports)) {
      setDefault(p, 'protocol', 'TCP');
      if (p.port !== undefined) setDefault(p, 'targetPort', p.port);
    }
  },
  'v1/PersistentVolumeClaim': (o) => {
    setDefault(ensureObject(o, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(ensureObject(o, 'status'), 'phase', 'Pending');
  },
  'v1/PersistentVolume': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(ensureObject(o, 'status'), 'phase', 'Pending');
  },
  'apps/v1/Deployment': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'replicas', 1);
    const strategy = ensureObject(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureObject(strategy, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', '25%');
      setDefault(ru, 'maxSurge', '25%');
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    defaultPodTemplate(spec.template);
  },
  'apps/v1/ReplicaSet': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec.template);
  },
  'apps/v1/StatefulSet': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const strategy = ensureObject(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') setDefault(ensureObject(strategy, 'rollingUpdate'), 'partition', 0);
    setDefault(spec, 'revisionHistoryLimit', 10);
    const retention = ensureObject(spec, 'persistentVolumeClaimRetentionPolicy');
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
    for (const pvc of objects(spec.volumeClaimTemplates)) {
      setDefault(ensureObject(pvc, 'spec'), 'volumeMode', 'Filesystem');
      setDefault(ensureObject(pvc, 'status'), 'phase', 'Pending');
    }
    defaultPodTemplate(spec.template);
  },
  'apps/v1/DaemonSet': (o) => {
    const spec = ensureObject(o, 'spec');
    const strategy = ensureObject(spec, 'updateStrategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureObject(strategy, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', 1);
      setDefault(ru, 'maxSurge', 0);
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec.template);
  },
  'batch/v1/Job': (o) => {
    const spec = ensureObject(o, 'spec');
    if (spec.completions === undefined && spec.parallelism === undefined) {
      spec.completions = 1;
      spec.parallelism = 1;
    }
    setDefault(spec, 'parallelism', 1);
    setDefault(spec, 'backoffLimit', 6);
    setDefault(spec, 'completionMode', 'NonIndexed');
    setDefault(spec, 'suspend', false);
    defaultPodTemplate(spec.template);
  },
  'batch/v1/CronJob': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    const jobSpec = ensureObject(ensureObject(spec, 'jobTemplate'), 'spec');
    setDefault(jobSpec, 'backoffLimit', 6);
    defaultPodTemplate(jobSpec.template);
  },
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'minReplicas', 1);
    if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
    if (isJsonObject(spec.behavior)) {
      defaultScalingRules(spec.behavior, 'scaleUp', 0, [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }]);
      defaultScalingRules(spec.behavior, 'scaleDown', 300, [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
    }
  },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': (o) => {
    const spec = ensureObject(o, 'spec');
    setDefault(spec, 'conversion', { strategy: 'None' });
    const names = ensureObject(spec, 'names');
    if (typeof names.kind === 'string') {
      setDefault(names, 'listKind', `${names.kind}List`);
      setDefault(names, 'singular', names.kind.toLowerCase());
    }
  },
};
