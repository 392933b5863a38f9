import { ensureObject, isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/**
 * Server-side defaulting, as the real API server's SetDefaults_* functions do it. It only
 * fills fields that are absent, so defaulting an already-defaulted object changes nothing:
 * `kubectl rollout undo` relies on that to find an old ReplicaSet by template equality.
 * Works on the server's own copy of the object, in place.
 */
export function applyDefaults(obj: JsonObject): void {
  const defaulter = DEFAULTERS[`${String(obj.apiVersion)}/${String(obj.kind)}`];
  if (defaulter) defaulter(obj);
}

type Defaulter = (obj: JsonObject) => void;


function setDefault(target: JsonObject, key: string, value: JsonValue): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

function objects(v: JsonValue | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
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
    if (isJsonObject(pr.httpGet)) setDefault(pr.httpGet, 'scheme', 'HTTP');
  }
}

function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'securityContext', {});
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) defaultContainer(c);
  for (const v of objects(spec.volumes)) {
    if (isJsonObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
    if (isJsonObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
  }
}

function defaultPodTemplate(template: JsonValue | undefined): void {
  if (isJsonObject(template)) defaultPodSpec(ensureObject(template, 'spec'));
}

const DEFAULTERS: Record<string, Defaulter> = {
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
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => setDefault(ensureObject(o, 'spec'), 'minReplicas', 1),
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
