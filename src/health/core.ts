import type { JsonObject } from '../json.ts';
import { conditionsOf, describe, objectsAt, stringAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/** v1 PersistentVolumeClaim: Bound is Healthy; Lost (its volume is gone) is Degraded; Pending waits. */
export function pvcHealth(live: JsonObject): HealthAssessment {
  const phase = stringAt(live, 'status', 'phase') ?? 'Pending';
  if (phase === 'Bound') return assessment('Healthy', 'claim is bound');
  if (phase === 'Lost') return assessment('Degraded', 'claim lost its underlying volume');
  return assessment('Progressing', `claim is ${phase.toLowerCase()}`);
}

function loadBalancerAddresses(live: JsonObject): readonly string[] {
  return objectsAt(live, 'status', 'loadBalancer', 'ingress')
    .map((i) => stringAt(i, 'ip') ?? stringAt(i, 'hostname') ?? '')
    .filter((a) => a !== '');
}

/** v1 Service: a LoadBalancer is Progressing until it has an address (IP or hostname); other types are Healthy. */
export function serviceHealth(live: JsonObject): HealthAssessment {
  if (stringAt(live, 'spec', 'type') !== 'LoadBalancer') return assessment('Healthy');
  const addresses = loadBalancerAddresses(live);
  if (addresses.length === 0) return assessment('Progressing', 'waiting for load balancer address');
  return assessment('Healthy', `load balancer at ${addresses.join(', ')}`);
}

/**
 * networking.k8s.io/v1 Ingress. Argo CD waits for status.loadBalancer.ingress, which several
 * controllers (and clusters without one) never fill in, leaving apps Progressing forever. We
 * report Healthy either way and say in the message whether an address has been published.
 */
export function ingressHealth(live: JsonObject): HealthAssessment {
  const addresses = loadBalancerAddresses(live);
  return assessment('Healthy', addresses.length === 0 ? 'no load balancer address published' : `load balancer at ${addresses.join(', ')}`);
}

/**
 * v1 Namespace. A Terminating namespace is Progressing (it is going away, which is work in
 * progress rather than a failure), with the namespace controller's reason when it is stuck
 * (NamespaceContentRemaining, NamespaceFinalizersRemaining …). Namespaces being deleted normally
 * also carry a deletionTimestamp, caught before this check.
 */
export function namespaceHealth(live: JsonObject): HealthAssessment {
  if (stringAt(live, 'status', 'phase') !== 'Terminating') return assessment('Healthy');
  const blocking = conditionsOf(live).find((c) => c.status === 'True');
  return assessment('Progressing', blocking ? `namespace is terminating: ${describe(blocking)}` : 'namespace is terminating');
}
