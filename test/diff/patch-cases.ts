/**
 * Hand-written patch cases: every rule and directive of strategic merge patch, and the
 * JSON merge patch details kube-apiserver has. Expected results come from kubectl, once,
 * via gen-patch-goldens.ts; never write them by hand.
 */
import type { JsonObject } from '../../src/json.ts';
import type { PatchCase } from './patch-goldens.ts';

const labels = { app: 'web' };

function newPodSpec(): JsonObject {
  return {
    containers: [
      {
        name: 'app',
        image: 'app:1',
        command: ['/app', '--serve'],
        ports: [{ containerPort: 8080, name: 'http' }],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }],
        resources: { limits: { cpu: '500m', memory: '256Mi' } },
      },
      { name: 'sidecar', image: 'proxy:1' },
    ],
    volumes: [{ name: 'cfg', configMap: { name: 'app-cfg' } }],
    tolerations: [{ key: 'gpu', operator: 'Exists' }],
  };
}

function newDeployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels }, spec: newPodSpec() },
    },
    status: {
      conditions: [
        { type: 'Available', status: 'True' },
        { type: 'Progressing', status: 'True' },
      ],
    },
  };
}

function newPod(): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      finalizers: ['a.example.com/f', 'b.example.com/f'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs', uid: 'u-1' }],
    },
    spec: newPodSpec(),
    status: {
      conditions: [{ type: 'Ready', status: 'False' }],
      podIPs: [{ ip: '10.0.0.1' }],
    },
  };
}

/** `{spec: {template: {spec: x}}}`: a patch to a Deployment's pod spec. */
const podSpecPatch = (podSpec: JsonObject): JsonObject => ({ spec: { template: { spec: podSpec } } });

const smp = (name: string, note: string, original: JsonObject, patch: JsonObject): PatchCase => ({
  name,
  type: 'strategic',
  note,
  original,
  patch,
});

const mergePatch = (name: string, note: string, original: JsonObject, patch: JsonObject): PatchCase => ({
  name,
  type: 'merge',
  note,
  original,
  patch,
});

const deploymentCases: PatchCase[] = [
  smp('deployment-image', 'containers merge by name; fields not in the patch stay', newDeployment(), podSpecPatch({ containers: [{ name: 'app', image: 'app:2' }] })),
  smp('deployment-add-container', 'a new keyed item: patch items first, server-only items after', newDeployment(), podSpecPatch({ containers: [{ name: 'init-db', image: 'db:1' }, { name: 'sidecar', image: 'proxy:2' }] })),
  smp('deployment-env-merge', 'env merges by name; null in a merged item deletes the field', newDeployment(), podSpecPatch({ containers: [{ name: 'app', env: [{ name: 'B', value: null, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'C', value: '3' }] }] })),
  smp('deployment-delete-container', '{$patch: delete, name} removes the keyed item', newDeployment(), podSpecPatch({ containers: [{ $patch: 'delete', name: 'sidecar' }] })),
  smp('deployment-replace-container-list', 'a {$patch: replace} item makes the rest of the patch list the whole list', newDeployment(), podSpecPatch({ containers: [{ $patch: 'replace' }, { name: 'only', image: 'only:1' }] })),
  smp('deployment-replace-map', '$patch: replace on a map: the patch map replaces it (directive key dropped)', newDeployment(), podSpecPatch({ containers: [{ name: 'app', resources: { $patch: 'replace', requests: { cpu: '100m' } } }] })),
  smp('deployment-delete-map', '$patch: delete on a map leaves an empty map', newDeployment(), { spec: { template: { metadata: { labels: { $patch: 'delete' } } } } }),
  smp('deployment-strategy-retainkeys', '$retainKeys clears live keys it does not list (DeploymentSpec.strategy)', newDeployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }),
  smp('deployment-retainkeys-missing-key', 'a patched key missing from $retainKeys is an error', newDeployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: { maxSurge: 2 } } } }),
  smp('deployment-null-deletes', 'null deletes a key at any depth; a null for an absent key is dropped', newDeployment(), { metadata: { labels: { app: null, absent: null } }, spec: { replicas: null } }),
  smp('deployment-tolerations-atomic', 'a list without patchStrategy is replaced whole', newDeployment(), podSpecPatch({ tolerations: [{ key: 'spot', operator: 'Exists' }] })),
  smp('deployment-command-atomic', 'container command is atomic', newDeployment(), podSpecPatch({ containers: [{ name: 'app', command: ['/app', '--debug'] }] })),
  smp('deployment-matchexpressions-atomic', 'LabelSelector.matchExpressions is atomic; matchLabels (a map) merges', { ...newDeployment(), spec: { selector: { matchLabels: labels, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] } } }, { spec: { selector: { matchLabels: { tier: 'web' }, matchExpressions: [{ key: 'zone', operator: 'Exists' }] } } }),
  smp('deployment-set-element-order', '$setElementOrder alone reorders the live list', newDeployment(), podSpecPatch({ '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] })),
  smp('deployment-set-element-order-insert', '$setElementOrder places a new item between live ones', newDeployment(), podSpecPatch({ '$setElementOrder/containers': [{ name: 'app' }, { name: 'new' }, { name: 'sidecar' }], containers: [{ name: 'new', image: 'new:1' }] })),
  smp('deployment-set-element-order-mismatch', 'a patch list item missing from $setElementOrder is an error', newDeployment(), podSpecPatch({ '$setElementOrder/containers': [{ name: 'app' }], containers: [{ name: 'new', image: 'new:1' }] })),
  smp('deployment-status-conditions', 'status conditions merge by type', newDeployment(), { status: { conditions: [{ type: 'Progressing', status: 'False', reason: 'Timeout' }, { type: 'ReplicaFailure', status: 'True' }] } }),
  smp('deployment-volume-retainkeys', 'volumes merge by name; $retainKeys in an item switches the volume source', newDeployment(), podSpecPatch({ volumes: [{ name: 'cfg', $retainKeys: ['name', 'secret'], secret: { secretName: 's' } }] })),
  smp('deployment-ports-by-container-port', 'container ports merge by containerPort', newDeployment(), podSpecPatch({ containers: [{ name: 'app', ports: [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 9090, name: 'metrics' }] }] })),
  smp('deployment-patch-merge-directive', '$patch: merge on a map is refused by apimachinery', newDeployment(), { spec: { $patch: 'merge', replicas: 3 } }),
  smp('deployment-list-merge-directive', '{$patch: merge} as a list item is refused', newDeployment(), podSpecPatch({ containers: [{ $patch: 'merge' }] })),
  smp('deployment-unknown-directive', 'an unknown $patch value is refused', newDeployment(), { spec: { template: { $patch: 'upsert' } } }),
  smp('deployment-missing-merge-key', 'an item of a keyed list without its merge key is refused', newDeployment(), podSpecPatch({ containers: [{ image: 'x:1' }] })),
];

const podCases: PatchCase[] = [
  smp('pod-finalizers-set', 'finalizers merge as a set: duplicates dropped, new ones first', newPod(), { metadata: { finalizers: ['c.example.com/f', 'a.example.com/f'] } }),
  smp('pod-delete-from-primitive-list', '$deleteFromPrimitiveList removes values from a set list', newPod(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/f', 'absent'] } }),
  smp('pod-finalizers-three-way', 'the shape kubectl apply sends: order + deletions + additions', newPod(), { metadata: { '$setElementOrder/finalizers': ['c.example.com/f', 'b.example.com/f'], '$deleteFromPrimitiveList/finalizers': ['a.example.com/f'], finalizers: ['c.example.com/f'] } }),
  smp('pod-delete-from-atomic-list', '$deleteFromPrimitiveList is honoured on an atomic list too', newPod(), { spec: { containers: [{ name: 'app', '$deleteFromPrimitiveList/command': ['--serve'] }] } }),
  smp('pod-owner-references', 'ownerReferences merge by uid', newPod(), { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs2', uid: 'u-2' }, { uid: 'u-1', controller: true }] } }),
  smp('pod-volume-mounts', 'volumeMounts merge by mountPath, volumeDevices by devicePath', newPod(), { spec: { containers: [{ name: 'app', volumeMounts: [{ name: 'cfg', mountPath: '/etc/app', readOnly: true }, { name: 'data', mountPath: '/data' }], volumeDevices: [{ name: 'raw', devicePath: '/dev/xvda' }] }] } }),
  smp('pod-podspec-keyed-lists', 'imagePullSecrets by name, hostAliases by ip, topologySpreadConstraints by topologyKey, schedulingGates by name', { ...newPod(), spec: { ...newPodSpec(), imagePullSecrets: [{ name: 'reg' }], hostAliases: [{ ip: '10.0.0.9', hostnames: ['a'] }], topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }], schedulingGates: [{ name: 'g1' }] } }, { spec: { imagePullSecrets: [{ name: 'reg2' }], hostAliases: [{ ip: '10.0.0.9', hostnames: ['b'] }], topologySpreadConstraints: [{ topologyKey: 'host', maxSkew: 2, whenUnsatisfiable: 'ScheduleAnyway' }], schedulingGates: [{ $patch: 'delete', name: 'g1' }] } }),
  smp('pod-status-lists', 'pod conditions by type, podIPs by ip', newPod(), { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }], podIPs: [{ ip: 'fd00::1' }] } }),
  smp('pod-init-and-ephemeral-containers', 'initContainers and ephemeralContainers merge by name', { ...newPod(), spec: { ...newPodSpec(), initContainers: [{ name: 'init', image: 'init:1' }], ephemeralContainers: [{ name: 'debug', image: 'busybox' }] } }, { spec: { initContainers: [{ name: 'init', image: 'init:2' }], ephemeralContainers: [{ name: 'debug2', image: 'busybox' }] } }),
  smp('pod-new-field-with-directives', 'a new map is copied in with $patch maps and nulls removed; kubectl leaves its $retainKeys key, which the API server drops on decode and so do we', newPod(), { spec: { affinity: { $retainKeys: ['podAffinity'], nodeAffinity: { $patch: 'delete' }, podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone' }], preferred: null } } } }),
  smp('pod-new-map-with-replace-dropped', 'a new map carrying $patch is dropped altogether (apimachinery removeDirectives)', newPod(), { spec: { containers: [{ name: 'sidecar', resources: { $patch: 'replace', limits: { cpu: '1' } } }] } }),
  smp('pod-appended-item-raw', 'a new list item goes in as sent: nulls kept, its $patch key dropped only by the API server decode (and us)', newPod(), { spec: { containers: [{ name: 'extra', image: 'x:1', env: [{ name: 'E', value: null }], resources: { $patch: 'replace', limits: { cpu: '1' } } }] } }),
  smp('pod-absent-list-with-directive-items', 'a list absent from the live object: $patch items are removed before it is copied in', newPod(), { spec: { readinessGates: null, overhead: { cpu: '10m' }, hostAliases: [{ ip: '10.1.1.1', $patch: 'delete' }, { ip: '10.1.1.2', hostnames: ['x'] }] } }),
  smp('pod-type-change', 'a value of another JSON type replaces the live one (nulls in it dropped)', newPod(), { spec: { tolerations: { key: 'x', gone: null }, containers: [{ name: 'app', command: '/app' }] } }),
  smp('pod-root-replace', 'a root $patch: replace replaces the whole object', newPod(), { $patch: 'replace', apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1' }, spec: { containers: [{ name: 'only', image: 'only:1' }] } }),
  smp('pod-resize-policy-atomic', 'Container.resizePolicy has no patch tag in k8s.io/api 1.32: atomic', { ...newPod(), spec: { containers: [{ name: 'app', image: 'app:1', resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] }] } }, { spec: { containers: [{ name: 'app', resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] }] } }),
  smp('pod-set-element-order-new-list', '$setElementOrder with a list absent from the live object: $patch items removed', newPod(), { spec: { '$setElementOrder/initContainers': [{ name: 'b' }, { name: 'a' }], initContainers: [{ name: 'b', image: 'b' }, { $patch: 'delete', name: 'x' }, { name: 'a', image: 'a' }] } }),
  smp('pod-set-element-order-wrong-order', 'a patch list in another order than $setElementOrder is an error', newPod(), { spec: { '$setElementOrder/initContainers': [{ name: 'b' }, { name: 'a' }], initContainers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] } }),
  smp('pod-set-element-order-primitives', '$setElementOrder on a set list orders primitives; server-only values slot in by live position', newPod(), { metadata: { '$setElementOrder/finalizers': ['z.example.com/f', 'b.example.com/f'], finalizers: ['z.example.com/f'] } }),
];

const otherKindCases: PatchCase[] = [
  smp('service-ports', 'Service spec.ports merge by port; selector is a plain map and merges', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080, name: 'http' }] } }, { spec: { selector: { tier: 'front' }, ports: [{ port: 443, targetPort: 8443, name: 'https' }, { port: 80, name: 'web' }] } }),
  smp('configmap-data', 'ConfigMap data is a plain map: merge, null deletes', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', annotations: { a: '1' } }, data: { a: '1', b: '2' } }, { metadata: { annotations: { a: null } }, data: { b: null, c: '3' } }),
  smp('configmap-root-directives', '$setElementOrder for a field absent on both sides is a no-op', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, { metadata: { '$setElementOrder/finalizers': [] }, data: { a: '2' } }),
  smp('daemonset-update-strategy', 'DaemonSet updateStrategy has no retainKeys: its maps merge', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: labels }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, template: { metadata: { labels }, spec: newPodSpec() } } }, { spec: { updateStrategy: { type: 'OnDelete' }, template: { spec: { initContainers: [{ name: 'init', image: 'i:1' }], containers: [{ name: 'app', image: 'app:3' }] } } } }),
  smp('cronjob-job-template', 'CronJob reaches PodSpec through jobTemplate.spec.template', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { schedule: '0 0 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'job:1', args: ['a'] }] } } } } } }, { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'job:2', args: ['b'] }, { name: 'log', image: 'log:1' }] } } } } } }),
  smp('job-conditions', 'Job status conditions merge by type', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'c' }] } } }, status: { conditions: [{ type: 'Complete', status: 'False' }] } }, { status: { conditions: [{ type: 'Failed', status: 'True' }] } }),
  smp('statefulset-claim-templates', 'StatefulSet volumeClaimTemplates is atomic', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { serviceName: 'db', volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }], template: { spec: { containers: [{ name: 'db', image: 'db:1' }] } } } }, { spec: { volumeClaimTemplates: [{ metadata: { name: 'logs' } }] } }),
  smp('node-status', 'Node addresses merge by type, podCIDRs as a set, taints atomic', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDRs: ['10.0.0.0/24'], taints: [{ key: 'a', effect: 'NoSchedule' }] }, status: { addresses: [{ type: 'InternalIP', address: '10.1.0.1' }, { type: 'Hostname', address: 'n1' }], conditions: [{ type: 'Ready', status: 'True' }] } }, { spec: { podCIDRs: ['fd00::/64'], taints: [{ key: 'b', effect: 'NoExecute' }] }, status: { addresses: [{ type: 'InternalIP', address: '10.1.0.2' }], conditions: [{ type: 'MemoryPressure', status: 'False' }] } }),
  smp('namespace-finalizers-atomic', 'Namespace spec.finalizers has no patch tag: atomic', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' }, spec: { finalizers: ['kubernetes'] } }, { spec: { finalizers: ['example.com/x'] } }),
  smp('serviceaccount-secrets', 'ServiceAccount secrets merge by name; its imagePullSecrets are atomic', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' }, secrets: [{ name: 'tok' }], imagePullSecrets: [{ name: 'reg' }] }, { secrets: [{ name: 'tok2' }], imagePullSecrets: [{ name: 'reg2' }] }),
  smp('pdb-selector-replace', 'PodDisruptionBudget spec.selector has patchStrategy replace', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb' }, spec: { minAvailable: 1, selector: { matchLabels: labels } } }, { spec: { selector: { matchLabels: { tier: 'web' } } } }),
  smp('role-rules-atomic', 'RBAC rules are atomic', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }, { rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] }] }),
  smp('ingress-rules-atomic', 'Ingress rules are atomic', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'ing' }, spec: { rules: [{ host: 'a.example.com' }] } }, { spec: { rules: [{ host: 'b.example.com' }] } }),
  smp('hpa-v2-conditions', 'HPA autoscaling/v2 status conditions by type; spec.metrics atomic', { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'web' }, metrics: [{ type: 'Resource', resource: { name: 'cpu' } }] }, status: { conditions: [{ type: 'AbleToScale', status: 'True' }] } }, { spec: { metrics: [{ type: 'Resource', resource: { name: 'memory' } }] }, status: { conditions: [{ type: 'ScalingActive', status: 'True' }] } }),
];

const malformedCases: PatchCase[] = [
  smp('bad-retainkeys-not-list', '$retainKeys must be a list', newDeployment(), { spec: { strategy: { $retainKeys: 'type', type: 'Recreate' } } }),
  smp('bad-set-element-order-not-list', '$setElementOrder must be a list', newPod(), { metadata: { '$setElementOrder/finalizers': 'a' } }),
  smp('bad-delete-from-list-prefix', 'a $deleteFromPrimitiveList key needs "/<field>"', newPod(), { metadata: { $deleteFromPrimitiveListfinalizers: ['a.example.com/f'] } }),
  smp('bad-mixed-element-types', 'elements of a merged list must share one JSON type', newPod(), { metadata: { finalizers: ['x', 1] } }),
  smp('bad-list-of-lists', 'lists of lists cannot be merged', newPod(), { metadata: { finalizers: [['x']] } }),
  smp('bad-delete-item-without-key', '{$patch: delete} needs the merge key', newPod(), { spec: { containers: [{ $patch: 'delete' }] } }),
];

const mergePatchCases: PatchCase[] = [
  mergePatch('merge-lists-replaced', 'merge patch: lists are replaced, even keyed ones', newDeployment(), podSpecPatch({ containers: [{ name: 'app', image: 'app:2' }] })),
  mergePatch('merge-null-deletes', 'merge patch: null deletes, maps merge', newDeployment(), { metadata: { labels: { app: null, tier: 'web' } }, spec: { replicas: null } }),
  mergePatch('merge-new-array-prunes-nulls', 'kube merge patch drops null members of objects inside a new array (RFC 7386 would keep them)', newDeployment(), { spec: { template: { spec: { tolerations: [{ key: 'a', value: null }, null] } } }, extra: { a: null, b: [{ c: null }] } }),
  mergePatch('merge-object-to-array-keeps-nulls', 'an object replaced by an array is taken verbatim', newDeployment(), { spec: { strategy: [{ type: null }] } }),
  mergePatch('merge-directives-are-data', 'merge patch has no directives: $patch is a plain key', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, { data: { $patch: 'delete' } }),
];

export const PATCH_CASES: readonly PatchCase[] = [
  ...deploymentCases,
  ...podCases,
  ...otherKindCases,
  ...malformedCases,
  ...mergePatchCases,
];
