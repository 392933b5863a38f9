import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { assessHealth, type HealthStatus } from '../../src/health/index.ts';
import {
  newLive,
  newLiveDaemonSet,
  newLiveDeployment,
  newLiveJob,
  newLivePod,
  newLiveStatefulSet,
  podReady,
  progressingCondition,
  waitingContainer,
} from './builders.ts';

interface Case {
  readonly name: string;
  readonly live: JsonObject | undefined;
  readonly want: HealthStatus;
  /** a substring the message must contain */
  readonly message?: string;
}

const observed = (status: JsonObject): JsonObject => ({ observedGeneration: 2, ...status });

const deploymentCases: Case[] = [
  { name: 'deployment: paused', live: newLiveDeployment({ paused: true, status: observed({ replicas: 3, updatedReplicas: 1 }) }), want: 'Suspended' },
  { name: 'deployment: spec not yet observed', live: newLiveDeployment({ generation: 3, status: observed({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }) }), want: 'Progressing', message: 'waiting for rollout to be observed' },
  { name: 'deployment: brand new, no status', live: newLiveDeployment({ generation: 1, status: {} }), want: 'Progressing', message: 'observed' },
  {
    name: 'deployment: progress deadline exceeded',
    live: newLiveDeployment({ progressDeadlineSeconds: 120, status: observed({ replicas: 4, updatedReplicas: 2, availableReplicas: 2, conditions: [progressingCondition('ProgressDeadlineExceeded', 'ReplicaSet "web-5d8f" has timed out progressing.')] }) }),
    want: 'Degraded',
    message: '120s',
  },
  { name: 'deployment: new replicas still being created', live: newLiveDeployment({ status: observed({ replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: [progressingCondition('ReplicaSetUpdated', 'ReplicaSet "web-5d8f" is progressing.')] }) }), want: 'Progressing', message: '1 of 3 updated replicas' },
  { name: 'deployment: old replicas pending termination', live: newLiveDeployment({ status: observed({ replicas: 4, updatedReplicas: 3, availableReplicas: 3 }) }), want: 'Progressing', message: '1 old replicas are pending termination' },
  { name: 'deployment: updated but not yet available', live: newLiveDeployment({ status: observed({ replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 }) }), want: 'Progressing', message: '2 of 3 updated replicas are available' },
  {
    name: 'deployment: rolled out',
    live: newLiveDeployment({ status: observed({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [progressingCondition('NewReplicaSetAvailable', 'ReplicaSet "web-5d8f" has successfully progressed.')] }) }),
    want: 'Healthy',
  },
  { name: 'deployment: replicas defaults to 1', live: { ...newLiveDeployment({ status: observed({ replicas: 0, updatedReplicas: 0, availableReplicas: 0 }) }), spec: {} }, want: 'Progressing', message: '0 of 1' },
  { name: 'deployment: scaled to zero', live: newLiveDeployment({ replicas: 0, status: observed({}) }), want: 'Healthy' },
  { name: 'deployment: extensions/v1beta1 uses the same check', live: { ...newLiveDeployment({ status: observed({ replicas: 3, updatedReplicas: 2 }) }), apiVersion: 'extensions/v1beta1' }, want: 'Progressing' },
];

const statefulSetCases: Case[] = [
  { name: 'statefulset: not observed', live: newLiveStatefulSet({ generation: 2, status: { observedGeneration: 1, replicas: 3, readyReplicas: 3 } }), want: 'Progressing', message: 'observed' },
  { name: 'statefulset: pods not ready', live: newLiveStatefulSet({ status: { observedGeneration: 1, replicas: 3, readyReplicas: 1, updatedReplicas: 3, currentRevision: 'db-1', updateRevision: 'db-1' } }), want: 'Progressing', message: '1 of 3 replicas ready' },
  { name: 'statefulset: rolling update mid-way', live: newLiveStatefulSet({ status: { observedGeneration: 1, replicas: 3, readyReplicas: 3, updatedReplicas: 1, currentRevision: 'db-1', updateRevision: 'db-2' } }), want: 'Progressing', message: 'db-2' },
  { name: 'statefulset: rolled out', live: newLiveStatefulSet({ status: { observedGeneration: 1, replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-2', updateRevision: 'db-2' } }), want: 'Healthy' },
  {
    name: 'statefulset: partition not reached',
    live: newLiveStatefulSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, replicas: 5, status: { observedGeneration: 1, replicas: 5, readyReplicas: 5, updatedReplicas: 1, currentRevision: 'db-1', updateRevision: 'db-2' } }),
    want: 'Progressing',
    message: '1 of 3',
  },
  {
    name: 'statefulset: partitioned rollout complete (old revision stays below the partition)',
    live: newLiveStatefulSet({ strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } }, replicas: 5, status: { observedGeneration: 1, replicas: 5, readyReplicas: 5, updatedReplicas: 3, currentRevision: 'db-1', updateRevision: 'db-2' } }),
    want: 'Healthy',
    message: 'partitioned',
  },
  { name: 'statefulset: OnDelete once observed', live: newLiveStatefulSet({ strategy: { type: 'OnDelete' }, status: { observedGeneration: 1, replicas: 3, readyReplicas: 1, updatedReplicas: 0, currentRevision: 'db-1', updateRevision: 'db-2' } }), want: 'Healthy', message: 'OnDelete' },
  { name: 'statefulset: OnDelete not observed', live: newLiveStatefulSet({ generation: 2, strategy: { type: 'OnDelete' }, status: { observedGeneration: 1 } }), want: 'Progressing' },
];

const daemonSetCases: Case[] = [
  { name: 'daemonset: not observed', live: newLiveDaemonSet({ generation: 2, status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } }), want: 'Progressing' },
  { name: 'daemonset: updating nodes', live: newLiveDaemonSet({ status: { observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3, numberReady: 3 } }), want: 'Progressing', message: '1 of 3 updated' },
  { name: 'daemonset: updated, not all available', live: newLiveDaemonSet({ status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2, numberUnavailable: 1 } }), want: 'Progressing', message: '2 of 3' },
  { name: 'daemonset: rolled out', live: newLiveDaemonSet({ status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } }), want: 'Healthy' },
  { name: 'daemonset: OnDelete', live: newLiveDaemonSet({ strategy: 'OnDelete', status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 0, numberAvailable: 3 } }), want: 'Healthy' },
];

const replicaCases: Case[] = [
  { name: 'replicaset: available', live: newLive('apps/v1', 'ReplicaSet', { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, readyReplicas: 2, availableReplicas: 2 } }), want: 'Healthy' },
  { name: 'replicaset: waiting for availability', live: newLive('apps/v1', 'ReplicaSet', { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, availableReplicas: 1 } }), want: 'Progressing', message: '1 of 2' },
  {
    name: 'replicaset: quota exceeded',
    live: newLive('apps/v1', 'ReplicaSet', { metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-x" is forbidden: exceeded quota: compute' }] } }),
    want: 'Degraded',
    message: 'exceeded quota',
  },
  { name: 'replicationcontroller: available', live: newLive('v1', 'ReplicationController', { metadata: { generation: 3 }, spec: { replicas: 1 }, status: { observedGeneration: 3, replicas: 1, availableReplicas: 1 } }), want: 'Healthy' },
  { name: 'replicationcontroller: not observed', live: newLive('v1', 'ReplicationController', { metadata: { generation: 3 }, spec: { replicas: 1 }, status: { observedGeneration: 2, availableReplicas: 1 } }), want: 'Progressing' },
];

const jobCases: Case[] = [
  { name: 'job: running', live: newLiveJob({ active: 1 }), want: 'Progressing', message: '1 active' },
  { name: 'job: complete', live: newLiveJob({ conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] }), want: 'Healthy' },
  { name: 'job: failed', live: newLiveJob({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }), want: 'Degraded', message: 'BackoffLimitExceeded: Job has reached the specified backoff limit' },
  { name: 'job: failure target before Failed', live: newLiveJob({ active: 1, conditions: [{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] }), want: 'Degraded', message: 'DeadlineExceeded' },
  { name: 'job: suspended', live: newLiveJob({ suspend: true, conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] }), want: 'Suspended' },
  { name: 'job: a False Failed condition is not a failure', live: newLiveJob({ active: 1, conditions: [{ type: 'Failed', status: 'False' }] }), want: 'Progressing' },
  { name: 'cronjob: active', live: newLive('batch/v1', 'CronJob', { spec: { schedule: '*/5 * * * *', suspend: false }, status: { lastScheduleTime: '2026-01-01T00:05:00Z' } }), want: 'Healthy' },
  { name: 'cronjob: suspended', live: newLive('batch/v1', 'CronJob', { spec: { schedule: '*/5 * * * *', suspend: true } }), want: 'Suspended' },
];

const running = { name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } };
const podCases: Case[] = [
  { name: 'pod: running and ready', live: newLivePod({ conditions: [podReady('True')], containerStatuses: [running] }), want: 'Healthy' },
  { name: 'pod: running, not ready', live: newLivePod({ conditions: [podReady('False', 'containers with unready status: [app]')], containerStatuses: [{ ...running, ready: false }] }), want: 'Progressing', message: 'unready' },
  { name: 'pod: crash loop', live: newLivePod({ conditions: [podReady('False')], containerStatuses: [waitingContainer('CrashLoopBackOff', 'back-off 40s restarting failed container=app')] }), want: 'Degraded', message: 'CrashLoopBackOff: back-off 40s' },
  { name: 'pod: image pull back-off', live: newLivePod({ phase: 'Pending', containerStatuses: [waitingContainer('ImagePullBackOff', 'Back-off pulling image "nginx:nope"')] }), want: 'Degraded', message: 'ImagePullBackOff' },
  { name: 'pod: image pull error', live: newLivePod({ phase: 'Pending', containerStatuses: [waitingContainer('ErrImagePull', 'manifest unknown')] }), want: 'Degraded', message: 'ErrImagePull' },
  { name: 'pod: missing configmap', live: newLivePod({ phase: 'Pending', containerStatuses: [waitingContainer('CreateContainerConfigError', 'configmap "cfg" not found')] }), want: 'Degraded', message: 'configmap "cfg" not found' },
  { name: 'pod: init container crash loop', live: { ...newLivePod({ phase: 'Pending' }), status: { phase: 'Pending', initContainerStatuses: [waitingContainer('CrashLoopBackOff')] } }, want: 'Degraded' },
  { name: 'pod: container creating', live: newLivePod({ phase: 'Pending', containerStatuses: [waitingContainer('ContainerCreating')] }), want: 'Progressing' },
  {
    name: 'pod: unschedulable',
    live: newLivePod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] }),
    want: 'Progressing',
    message: 'Insufficient cpu',
  },
  { name: 'pod: succeeded', live: newLivePod({ phase: 'Succeeded', restartPolicy: 'Never' }), want: 'Healthy' },
  { name: 'pod: failed with message', live: newLivePod({ phase: 'Failed', message: 'Pod was active on the node longer than the specified deadline' }), want: 'Degraded', message: 'deadline' },
  {
    name: 'pod: failed, exit code',
    live: newLivePod({ phase: 'Failed', restartPolicy: 'Never', containerStatuses: [{ name: 'app', ready: false, state: { terminated: { exitCode: 2, reason: 'Error' } } }] }),
    want: 'Degraded',
    message: 'exit code 2',
  },
  { name: 'pod: Never, running and ready is still running to completion', live: newLivePod({ restartPolicy: 'Never', conditions: [podReady('True')], containerStatuses: [running] }), want: 'Progressing' },
  { name: 'pod: OnFailure, image pull back-off is left to the owner', live: newLivePod({ phase: 'Pending', restartPolicy: 'OnFailure', containerStatuses: [waitingContainer('ImagePullBackOff')] }), want: 'Progressing' },
  { name: 'pod: phase Unknown (node lost)', live: newLivePod({ phase: 'Unknown' }), want: 'Unknown' },
];

const coreCases: Case[] = [
  { name: 'pvc: bound', live: newLive('v1', 'PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'] }, status: { phase: 'Bound', capacity: { storage: '1Gi' } } }), want: 'Healthy' },
  { name: 'pvc: pending', live: newLive('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }), want: 'Progressing' },
  { name: 'pvc: lost', live: newLive('v1', 'PersistentVolumeClaim', { status: { phase: 'Lost' } }), want: 'Degraded' },
  { name: 'service: ClusterIP', live: newLive('v1', 'Service', { spec: { type: 'ClusterIP', clusterIP: '10.0.0.7' }, status: { loadBalancer: {} } }), want: 'Healthy' },
  { name: 'service: LoadBalancer without address', live: newLive('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }), want: 'Progressing' },
  { name: 'service: LoadBalancer with an empty ingress entry', live: newLive('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{}] } } }), want: 'Progressing' },
  { name: 'service: LoadBalancer with hostname', live: newLive('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } } }), want: 'Healthy', message: 'lb.example.com' },
  { name: 'ingress: no address', live: newLive('networking.k8s.io/v1', 'Ingress', { spec: { rules: [] }, status: { loadBalancer: {} } }), want: 'Healthy', message: 'no load balancer address' },
  { name: 'ingress: address', live: newLive('networking.k8s.io/v1', 'Ingress', { status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } }), want: 'Healthy', message: '203.0.113.10' },
  { name: 'namespace: active', live: newLive('v1', 'Namespace', { metadata: { namespace: '' }, status: { phase: 'Active' } }), want: 'Healthy' },
  {
    name: 'namespace: terminating, stuck on finalizers',
    live: newLive('v1', 'Namespace', { status: { phase: 'Terminating', conditions: [{ type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content has finalizers remaining' }] } }),
    want: 'Progressing',
    message: 'SomeFinalizersRemain',
  },
];

const hpa = (conditions: JsonObject[]): JsonObject => newLive('autoscaling/v2', 'HorizontalPodAutoscaler', { spec: { minReplicas: 1, maxReplicas: 5 }, status: { currentReplicas: 2, desiredReplicas: 2, conditions } });
const hpaCases: Case[] = [
  {
    name: 'hpa: scaling',
    live: hpa([
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
      { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization' },
    ]),
    want: 'Healthy',
  },
  { name: 'hpa: metrics unavailable', live: hpa([{ type: 'AbleToScale', status: 'True' }, { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: 'unable to get metrics for resource cpu' }]), want: 'Degraded', message: 'unable to get metrics' },
  { name: 'hpa: cannot scale the target', live: hpa([{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: 'deployments/scale.apps "web" not found' }]), want: 'Degraded', message: 'FailedGetScale' },
  { name: 'hpa: target scaled to zero', live: hpa([{ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' }]), want: 'Suspended' },
  {
    name: 'hpa: autoscaling/v1 conditions annotation',
    live: newLive('autoscaling/v1', 'HorizontalPodAutoscaler', { metadata: { annotations: { 'autoscaling.alpha.kubernetes.io/conditions': JSON.stringify([{ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: 'bad selector' }]) } } }),
    want: 'Degraded',
    message: 'bad selector',
  },
  { name: 'hpa: no conditions yet', live: newLive('autoscaling/v2', 'HorizontalPodAutoscaler', { spec: { maxReplicas: 3 } }), want: 'Healthy' },
];

const crd = (conditions: JsonObject[]): JsonObject => newLive('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { metadata: { name: 'widgets.example.com', namespace: '' }, status: { conditions } });
const apiCases: Case[] = [
  { name: 'crd: established', live: crd([{ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' }, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted' }]), want: 'Healthy' },
  { name: 'crd: installing', live: crd([{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' }]), want: 'Progressing', message: 'Installing' },
  { name: 'crd: name conflict', live: crd([{ type: 'NamesAccepted', status: 'False', reason: 'KindConflict', message: '"Widget" is already in use' }, { type: 'Established', status: 'False', reason: 'NotAccepted' }]), want: 'Degraded', message: 'already in use' },
  { name: 'crd: non-structural schema', live: crd([{ type: 'Established', status: 'True' }, { type: 'NonStructuralSchema', status: 'True', reason: 'Violations', message: 'spec.versions[0].schema: Required value' }]), want: 'Degraded' },
  { name: 'crd: no conditions yet', live: crd([]), want: 'Progressing' },
  { name: 'apiservice: available', live: newLive('apiregistration.k8s.io/v1', 'APIService', { status: { conditions: [{ type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' }] } }), want: 'Healthy' },
  { name: 'apiservice: missing endpoints', live: newLive('apiregistration.k8s.io/v1', 'APIService', { status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints', message: 'endpoints for service/metrics-server in "kube-system" have no addresses' }] } }), want: 'Progressing', message: 'MissingEndpoints' },
];

const genericCases: Case[] = [
  { name: 'missing', live: undefined, want: 'Missing' },
  { name: 'no kind', live: { apiVersion: 'v1', metadata: { name: 'x' } }, want: 'Unknown' },
  { name: 'being deleted wins over any kind check', live: { ...newLiveDeployment({ status: observed({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }) }), metadata: { name: 'web', generation: 2, deletionTimestamp: '2026-01-01T00:00:00Z' } }, want: 'Progressing', message: 'being deleted' },
  { name: 'configmap', live: newLive('v1', 'ConfigMap', { data: { a: '1' } }), want: 'Healthy' },
  { name: 'custom resource Ready=True', live: newLive('example.com/v1', 'Widget', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled' }] } }), want: 'Healthy' },
  { name: 'custom resource Ready=False', live: newLive('cert-manager.io/v1', 'Certificate', { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuer "le" not found' }] } }), want: 'Degraded', message: 'Issuer "le" not found' },
  { name: 'custom resource Ready=Unknown', live: newLive('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'Reconciliation in progress' }] } }), want: 'Progressing' },
  { name: 'custom resource with stale Ready=True', live: newLive('example.com/v1', 'Widget', { metadata: { generation: 4 }, status: { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True' }] } }), want: 'Progressing' },
  { name: 'custom resource without status', live: newLive('example.com/v1', 'Widget', { spec: { size: 3 } }), want: 'Healthy' },
  { name: 'mistyped status fields read as absent', live: newLive('apps/v1', 'Deployment', { metadata: { generation: 1 }, spec: { replicas: '3' }, status: { observedGeneration: 1, updatedReplicas: 'x', conditions: 'nope' } }), want: 'Progressing', message: '0 of 1' },
];

describe('assessHealth', () => {
  const all = [...deploymentCases, ...statefulSetCases, ...daemonSetCases, ...replicaCases, ...jobCases, ...podCases, ...coreCases, ...hpaCases, ...apiCases, ...genericCases];

  it('has a case per documented state', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
  });

  it.each(all)('$name → $want', ({ live, want, message }) => {
    const got = assessHealth(live);
    expect(got.status).toBe(want);
    if (message !== undefined) expect(got.message).toContain(message);
  });

  it('does not mutate its input', () => {
    const live = newLiveDeployment({ status: observed({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }) });
    const before = structuredClone(live);
    assessHealth(Object.freeze(live));
    expect(live).toEqual(before);
  });
});
