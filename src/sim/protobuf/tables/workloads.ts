import type { Table } from '../schema.ts';

// apps/v1, batch/v1, autoscaling/v1 and autoscaling/v2.
// Field numbers from k8s.io/api and k8s.io/apimachinery v0.33 generated.proto; JSON names, omitempty
// and pointers from the Go structs. The notation is described in ../schema.ts.

export const appsv1: Table = {
  Deployment: '1 metadata metav1.ObjectMeta; 2 spec DeploymentSpec; 3 status DeploymentStatus',
  DeploymentSpec: `1 replicas *int32; 2 selector *metav1.LabelSelector!; 3 template corev1.PodTemplateSpec;
    4 strategy DeploymentStrategy; 5 minReadySeconds int32; 6 revisionHistoryLimit *int32; 7 paused bool;
    9 progressDeadlineSeconds *int32`,
  DeploymentStrategy: '1 type string; 2 rollingUpdate *RollingUpdateDeployment',
  RollingUpdateDeployment: '1 maxUnavailable *IntOrString; 2 maxSurge *IntOrString',
  DeploymentStatus: `1 observedGeneration int64; 2 replicas int32; 3 updatedReplicas int32; 7 readyReplicas int32;
    4 availableReplicas int32; 5 unavailableReplicas int32; 9 terminatingReplicas *int32;
    6 conditions []DeploymentCondition; 8 collisionCount *int32`,
  DeploymentCondition: `1 type string!; 2 status string!; 6 lastUpdateTime Time; 7 lastTransitionTime Time;
    4 reason string; 5 message string`,
  ReplicaSet: '1 metadata metav1.ObjectMeta; 2 spec ReplicaSetSpec; 3 status ReplicaSetStatus',
  ReplicaSetSpec: `1 replicas *int32; 4 minReadySeconds int32; 2 selector *metav1.LabelSelector!;
    3 template corev1.PodTemplateSpec`,
  ReplicaSetStatus: `1 replicas int32!; 2 fullyLabeledReplicas int32; 4 readyReplicas int32;
    5 availableReplicas int32; 7 terminatingReplicas *int32; 3 observedGeneration int64;
    6 conditions []ReplicaSetCondition`,
  ReplicaSetCondition: '1 type string!; 2 status string!; 3 lastTransitionTime Time; 4 reason string; 5 message string',
  StatefulSet: '1 metadata metav1.ObjectMeta; 2 spec StatefulSetSpec; 3 status StatefulSetStatus',
  StatefulSetSpec: `1 replicas *int32; 2 selector *metav1.LabelSelector!; 3 template corev1.PodTemplateSpec;
    4 volumeClaimTemplates []corev1.PersistentVolumeClaim; 5 serviceName string!; 6 podManagementPolicy string;
    7 updateStrategy StatefulSetUpdateStrategy; 8 revisionHistoryLimit *int32; 9 minReadySeconds int32;
    10 persistentVolumeClaimRetentionPolicy *StatefulSetPersistentVolumeClaimRetentionPolicy;
    11 ordinals *StatefulSetOrdinals`,
  StatefulSetUpdateStrategy: '1 type string; 2 rollingUpdate *RollingUpdateStatefulSetStrategy',
  RollingUpdateStatefulSetStrategy: '1 partition *int32; 2 maxUnavailable *IntOrString',
  StatefulSetPersistentVolumeClaimRetentionPolicy: '1 whenDeleted string; 2 whenScaled string',
  StatefulSetOrdinals: '1 start int32!',
  StatefulSetStatus: `1 observedGeneration int64; 2 replicas int32!; 3 readyReplicas int32; 4 currentReplicas int32;
    5 updatedReplicas int32; 6 currentRevision string; 7 updateRevision string; 9 collisionCount *int32;
    10 conditions []StatefulSetCondition; 11 availableReplicas int32!`,
  StatefulSetCondition: `1 type string!; 2 status string!; 3 lastTransitionTime Time; 4 reason string;
    5 message string`,
  DaemonSet: '1 metadata metav1.ObjectMeta; 2 spec DaemonSetSpec; 3 status DaemonSetStatus',
  DaemonSetSpec: `1 selector *metav1.LabelSelector!; 2 template corev1.PodTemplateSpec;
    3 updateStrategy DaemonSetUpdateStrategy; 4 minReadySeconds int32; 6 revisionHistoryLimit *int32`,
  DaemonSetUpdateStrategy: '1 type string; 2 rollingUpdate *RollingUpdateDaemonSet',
  RollingUpdateDaemonSet: '1 maxUnavailable *IntOrString; 2 maxSurge *IntOrString',
  DaemonSetStatus: `1 currentNumberScheduled int32!; 2 numberMisscheduled int32!; 3 desiredNumberScheduled int32!;
    4 numberReady int32!; 5 observedGeneration int64; 6 updatedNumberScheduled int32; 7 numberAvailable int32;
    8 numberUnavailable int32; 9 collisionCount *int32; 10 conditions []DaemonSetCondition`,
  DaemonSetCondition: '1 type string!; 2 status string!; 3 lastTransitionTime Time; 4 reason string; 5 message string',
  ControllerRevision: '1 metadata metav1.ObjectMeta; 2 data RawExtension; 3 revision int64!',
};

export const batchv1: Table = {
  Job: '1 metadata metav1.ObjectMeta; 2 spec JobSpec; 3 status JobStatus',
  JobSpec: `1 parallelism *int32; 2 completions *int32; 3 activeDeadlineSeconds *int64;
    11 podFailurePolicy *PodFailurePolicy; 16 successPolicy *SuccessPolicy; 7 backoffLimit *int32;
    12 backoffLimitPerIndex *int32; 13 maxFailedIndexes *int32; 4 selector *metav1.LabelSelector;
    5 manualSelector *bool; 6 template corev1.PodTemplateSpec; 8 ttlSecondsAfterFinished *int32;
    9 completionMode *string; 10 suspend *bool; 14 podReplacementPolicy *string; 15 managedBy *string`,
  PodFailurePolicy: '1 rules []PodFailurePolicyRule!',
  PodFailurePolicyRule: `1 action string!; 2 onExitCodes *PodFailurePolicyOnExitCodesRequirement;
    3 onPodConditions []PodFailurePolicyOnPodConditionsPattern`,
  PodFailurePolicyOnExitCodesRequirement: '1 containerName *string; 2 operator string!; 3 values []int32!',
  PodFailurePolicyOnPodConditionsPattern: '1 type string!; 2 status string!',
  SuccessPolicy: '1 rules []SuccessPolicyRule!',
  SuccessPolicyRule: '1 succeededIndexes *string; 2 succeededCount *int32',
  JobStatus: `1 conditions []JobCondition; 2 startTime *Time; 3 completionTime *Time; 4 active int32;
    5 succeeded int32; 6 failed int32; 11 terminating *int32; 7 completedIndexes string; 10 failedIndexes *string;
    8 uncountedTerminatedPods *UncountedTerminatedPods; 9 ready *int32`,
  JobCondition: `1 type string!; 2 status string!; 3 lastProbeTime Time; 4 lastTransitionTime Time; 5 reason string;
    6 message string`,
  UncountedTerminatedPods: '1 succeeded []string; 2 failed []string',
  CronJob: '1 metadata metav1.ObjectMeta; 2 spec CronJobSpec; 3 status CronJobStatus',
  CronJobSpec: `1 schedule string!; 8 timeZone *string; 2 startingDeadlineSeconds *int64; 3 concurrencyPolicy string;
    4 suspend *bool; 5 jobTemplate JobTemplateSpec; 6 successfulJobsHistoryLimit *int32;
    7 failedJobsHistoryLimit *int32`,
  JobTemplateSpec: '1 metadata metav1.ObjectMeta; 2 spec JobSpec',
  CronJobStatus: '1 active []corev1.ObjectReference; 4 lastScheduleTime *Time; 5 lastSuccessfulTime *Time',
};

export const autoscalingv1: Table = {
  Scale: '1 metadata metav1.ObjectMeta; 2 spec ScaleSpec; 3 status ScaleStatus',
  ScaleSpec: '1 replicas int32',
  ScaleStatus: '1 replicas int32!; 2 selector string',
  HorizontalPodAutoscaler: `1 metadata metav1.ObjectMeta; 2 spec HorizontalPodAutoscalerSpec;
    3 status HorizontalPodAutoscalerStatus`,
  HorizontalPodAutoscalerSpec: `1 scaleTargetRef CrossVersionObjectReference; 2 minReplicas *int32;
    3 maxReplicas int32!; 4 targetCPUUtilizationPercentage *int32`,
  CrossVersionObjectReference: '1 kind string!; 2 name string!; 3 apiVersion string',
  HorizontalPodAutoscalerStatus: `1 observedGeneration *int64; 2 lastScaleTime *Time; 3 currentReplicas int32!;
    4 desiredReplicas int32!; 5 currentCPUUtilizationPercentage *int32`,
};

export const autoscalingv2: Table = {
  HorizontalPodAutoscaler: `1 metadata metav1.ObjectMeta; 2 spec HorizontalPodAutoscalerSpec;
    3 status HorizontalPodAutoscalerStatus`,
  HorizontalPodAutoscalerSpec: `1 scaleTargetRef CrossVersionObjectReference; 2 minReplicas *int32;
    3 maxReplicas int32!; 4 metrics []MetricSpec; 5 behavior *HorizontalPodAutoscalerBehavior`,
  CrossVersionObjectReference: '1 kind string!; 2 name string!; 3 apiVersion string',
  MetricSpec: `1 type string!; 2 object *ObjectMetricSource; 3 pods *PodsMetricSource;
    4 resource *ResourceMetricSource; 7 containerResource *ContainerResourceMetricSource;
    5 external *ExternalMetricSource`,
  ObjectMetricSource: '1 describedObject CrossVersionObjectReference; 2 target MetricTarget; 3 metric MetricIdentifier',
  MetricTarget: '1 type string!; 2 value *Quantity; 3 averageValue *Quantity; 4 averageUtilization *int32',
  MetricIdentifier: '1 name string!; 2 selector *metav1.LabelSelector',
  PodsMetricSource: '1 metric MetricIdentifier; 2 target MetricTarget',
  ResourceMetricSource: '1 name string!; 2 target MetricTarget',
  ContainerResourceMetricSource: '1 name string!; 2 target MetricTarget; 3 container string!',
  ExternalMetricSource: '1 metric MetricIdentifier; 2 target MetricTarget',
  HorizontalPodAutoscalerBehavior: '1 scaleUp *HPAScalingRules; 2 scaleDown *HPAScalingRules',
  HPAScalingRules: `3 stabilizationWindowSeconds *int32; 1 selectPolicy *string; 2 policies []HPAScalingPolicy;
    4 tolerance *Quantity`,
  HPAScalingPolicy: '1 type string!; 2 value int32!; 3 periodSeconds int32!',
  HorizontalPodAutoscalerStatus: `1 observedGeneration *int64; 2 lastScaleTime *Time; 3 currentReplicas int32;
    4 desiredReplicas int32!; 5 currentMetrics []MetricStatus!; 6 conditions []HorizontalPodAutoscalerCondition`,
  MetricStatus: `1 type string!; 2 object *ObjectMetricStatus; 3 pods *PodsMetricStatus;
    4 resource *ResourceMetricStatus; 7 containerResource *ContainerResourceMetricStatus;
    5 external *ExternalMetricStatus`,
  ObjectMetricStatus: `1 metric MetricIdentifier; 2 current MetricValueStatus;
    3 describedObject CrossVersionObjectReference`,
  MetricValueStatus: '1 value *Quantity; 2 averageValue *Quantity; 3 averageUtilization *int32',
  PodsMetricStatus: '1 metric MetricIdentifier; 2 current MetricValueStatus',
  ResourceMetricStatus: '1 name string!; 2 current MetricValueStatus',
  ContainerResourceMetricStatus: '1 name string!; 2 current MetricValueStatus; 3 container string!',
  ExternalMetricStatus: '1 metric MetricIdentifier; 2 current MetricValueStatus',
  HorizontalPodAutoscalerCondition: `1 type string!; 2 status string!; 3 lastTransitionTime Time; 4 reason string;
    5 message string`,
};
