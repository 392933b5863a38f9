import type { JsonObject, JsonValue } from '../../json.ts';
import { AGE_COLUMN, ageOf, at, col, CREATION_DESCRIPTION, formatSelector, int, list, NAME_COLUMN, nameOf, objOf, rfc3339, str, strings, timeOf, type Printer } from './cells.ts';
import { loadBalancerAddresses } from './core.ts';

/** Storage, networking, autoscaling, policy and RBAC kinds. */

const ACCESS_MODES: readonly [string, string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** GetAccessModesAsString: fixed order, no repeats. */
function accessModes(v: JsonValue | undefined): string {
  const modes = strings(v);
  return ACCESS_MODES.filter(([mode]) => modes.includes(mode))
    .map(([, short]) => short)
    .join(',');
}

/** A resource.Quantity as printed; the zero quantity is "0". Quantities are kept as written (not canonicalised). */
function quantity(v: JsonValue | undefined): string {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : '0';
}

/** The beta annotation still wins over spec.storageClassName, as in the printers' helpers. */
function storageClassOf(o: JsonObject): string {
  return str(objOf(at(o, 'metadata.annotations'))['volume.beta.kubernetes.io/storage-class']) || str(at(o, 'spec.storageClassName'));
}

const terminatingOr = (o: JsonObject, phase: string): string => (at(o, 'metadata.deletionTimestamp') !== undefined ? 'Terminating' : phase);
const unset = (v: JsonValue | undefined): string => str(v) || '<unset>';

const persistentVolume: Printer = {
  columns: [
    NAME_COLUMN,
    col('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  row: (o, now) => {
    const claim = at(o, 'spec.claimRef');
    return {
      cells: [
        nameOf(o),
        quantity(at(o, 'spec.capacity.storage')),
        accessModes(at(o, 'spec.accessModes')),
        str(at(o, 'spec.persistentVolumeReclaimPolicy')),
        terminatingOr(o, str(at(o, 'status.phase'))),
        claim === undefined || claim === null ? '' : `${str(at(claim, 'namespace'))}/${str(at(claim, 'name'))}`,
        storageClassOf(o),
        unset(at(o, 'spec.volumeAttributesClassName')),
        str(at(o, 'status.reason')),
        ageOf(o, now),
        unset(at(o, 'spec.volumeMode')),
      ],
    };
  },
};

const persistentVolumeClaim: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  row: (o, now) => {
    const volume = str(at(o, 'spec.volumeName'));
    // capacity and modes are only known once bound
    return {
      cells: [
        nameOf(o),
        terminatingOr(o, str(at(o, 'status.phase'))),
        volume,
        volume ? quantity(at(o, 'status.capacity.storage')) : '',
        volume ? accessModes(at(o, 'status.accessModes')) : '',
        storageClassOf(o),
        unset(at(o, 'spec.volumeAttributesClassName')),
        ageOf(o, now),
        unset(at(o, 'spec.volumeMode')),
      ],
    };
  },
};

const storageClass: Printer = {
  columns: [
    NAME_COLUMN,
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const annotations = objOf(at(o, 'metadata.annotations'));
    const isDefault = annotations['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return {
      cells: [
        isDefault ? `${nameOf(o)} (default)` : nameOf(o),
        str(o.provisioner),
        str(o.reclaimPolicy) || 'Delete',
        str(o.volumeBindingMode) || 'Immediate',
        o.allowVolumeExpansion === true,
        ageOf(o, now),
      ],
    };
  },
};

function ingressHosts(o: JsonObject): string {
  const rules = list(at(o, 'spec.rules'));
  const hosts = rules.slice(0, 3).map((r) => str(r.host)).filter((h) => h !== '');
  if (hosts.length === 0) return '*';
  return rules.length > 3 ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

const ingress: Printer = {
  columns: [
    NAME_COLUMN,
    col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  row: (o, now) => ({
    cells: [
      nameOf(o),
      str(at(o, 'spec.ingressClassName')) || '<none>',
      ingressHosts(o),
      loadBalancerAddresses(at(o, 'status.loadBalancer')).join(','),
      list(at(o, 'spec.tls')).length > 0 ? '80, 443' : '80',
      ageOf(o, now),
    ],
  }),
};

const ingressClass: Printer = {
  columns: [
    NAME_COLUMN,
    col('Controller', 'string', 'Controller that is responsible for handling this class'),
    col('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const p = at(o, 'spec.parameters');
    const params = p === undefined || p === null ? '<none>' : `${str(at(p, 'kind'))}${str(at(p, 'apiGroup')) ? `.${str(at(p, 'apiGroup'))}` : ''}/${str(at(p, 'name'))}`;
    return { cells: [nameOf(o), str(at(o, 'spec.controller')), params, ageOf(o, now)] };
  },
};

/** One HPA metric as "current/target", following formatHPAMetrics. */
function hpaMetric(spec: JsonObject, status: JsonObject | undefined): string {
  const source = (type: string): JsonObject => objOf(spec[type]);
  const current = (type: string, field: string): string => {
    const v = at(status?.[type], `current.${field}`);
    return v === undefined || v === null ? '<unknown>' : quantity(v);
  };
  switch (str(spec.type)) {
    case 'External':
    case 'Object': {
      const key = str(spec.type) === 'External' ? 'external' : 'object';
      const target = objOf(source(key).target);
      if (target.averageValue !== undefined) return `${current(key, 'averageValue')}/${quantity(target.averageValue)} (avg)`;
      return `${current(key, 'value')}/${quantity(target.value)}`;
    }
    case 'Pods':
      return `${current('pods', 'averageValue')}/${quantity(at(source('pods'), 'target.averageValue'))}`;
    case 'Resource':
    case 'ContainerResource': {
      const key = str(spec.type) === 'Resource' ? 'resource' : 'containerResource';
      const target = objOf(source(key).target);
      const name = str(source(key).name);
      if (target.averageValue !== undefined) return `${name}: ${current(key, 'averageValue')}/${quantity(target.averageValue)}`;
      const utilization = at(status?.[key], 'current.averageUtilization');
      const now = typeof utilization === 'number' ? `${utilization}%` : '<unknown>';
      return `${name}: ${now}/${typeof target.averageUtilization === 'number' ? `${target.averageUtilization}%` : '<auto>'}`;
    }
    default:
      return '<unknown type>';
  }
}

function hpaTargets(o: JsonObject): string {
  const specs = list(at(o, 'spec.metrics'));
  if (specs.length === 0) return '<none>';
  const statuses = list(at(o, 'status.currentMetrics'));
  const shown = specs.map((s, i) => hpaMetric(s, statuses[i]));
  return specs.length > 2 ? `${shown.slice(0, 2).join(', ')} + ${specs.length - 2} more...` : shown.join(', ');
}

const horizontalPodAutoscaler: Printer = {
  columns: [
    NAME_COLUMN,
    col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const min = at(o, 'spec.minReplicas');
    return {
      cells: [
        nameOf(o),
        `${str(at(o, 'spec.scaleTargetRef.kind'))}/${str(at(o, 'spec.scaleTargetRef.name'))}`,
        hpaTargets(o),
        typeof min === 'number' ? String(min) : '<unset>',
        int(at(o, 'spec.maxReplicas')),
        int(at(o, 'status.currentReplicas')),
        ageOf(o, now),
      ],
    };
  },
};

const networkPolicy: Printer = {
  columns: [NAME_COLUMN, col('Pod-Selector', 'string', 'podSelector selects the pods to which this NetworkPolicy object applies.'), AGE_COLUMN],
  // an empty podSelector selects every pod of the namespace
  row: (o, now) => ({ cells: [nameOf(o), formatSelector(objOf(at(o, 'spec.podSelector'))), ageOf(o, now)] }),
};

const intOrStringCell = (v: JsonValue | undefined): string => (v === undefined || v === null ? 'N/A' : String(v));

const podDisruptionBudget: Printer = {
  columns: [
    NAME_COLUMN,
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  row: (o, now) => ({
    cells: [nameOf(o), intOrStringCell(at(o, 'spec.minAvailable')), intOrStringCell(at(o, 'spec.maxUnavailable')), int(at(o, 'status.disruptionsAllowed')), ageOf(o, now)],
  }),
};

const CREATED_AT = col('Created At', 'date', CREATION_DESCRIPTION);

/** "Created At" cells: RFC 3339 in UTC, as the default table convertor and the RBAC printers print them. */
export function createdAt(o: JsonObject): string {
  const t = timeOf(at(o, 'metadata.creationTimestamp'));
  return t === undefined ? '0001-01-01T00:00:00Z' : rfc3339(t);
}

const role: Printer = { columns: [NAME_COLUMN, CREATED_AT], row: (o) => ({ cells: [nameOf(o), createdAt(o)] }) };

function subjectsOfKind(o: JsonObject, kind: string): string {
  return list(o.subjects)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name)))
    .join(', ');
}

function binding(kind: 'roleBinding' | 'clusterRoleBinding'): Printer {
  return {
    columns: [
      NAME_COLUMN,
      col('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      AGE_COLUMN,
      col('Users', 'string', `Users in the ${kind}`, 1),
      col('Groups', 'string', `Groups in the ${kind}`, 1),
      col('ServiceAccounts', 'string', `ServiceAccounts in the ${kind}`, 1),
    ],
    row: (o, now) => ({
      cells: [
        nameOf(o),
        `${str(at(o, 'roleRef.kind'))}/${str(at(o, 'roleRef.name'))}`,
        ageOf(o, now),
        subjectsOfKind(o, 'User'),
        subjectsOfKind(o, 'Group'),
        subjectsOfKind(o, 'ServiceAccount'),
      ],
    }),
  };
}

const priorityClass: Printer = {
  columns: [
    NAME_COLUMN,
    col('Value', 'integer', 'value represents the integer value of this priority class.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    AGE_COLUMN,
    col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  row: (o, now) => ({ cells: [nameOf(o), int(o.value), o.globalDefault === true, ageOf(o, now), str(o.preemptionPolicy)] }),
};

export const PRINTERS: Record<string, Printer> = {
  PersistentVolume: persistentVolume,
  PersistentVolumeClaim: persistentVolumeClaim,
  StorageClass: storageClass,
  Ingress: ingress,
  IngressClass: ingressClass,
  HorizontalPodAutoscaler: horizontalPodAutoscaler,
  NetworkPolicy: networkPolicy,
  PodDisruptionBudget: podDisruptionBudget,
  Role: role,
  ClusterRole: role,
  RoleBinding: binding('roleBinding'),
  ClusterRoleBinding: binding('clusterRoleBinding'),
  PriorityClass: priorityClass,
};
