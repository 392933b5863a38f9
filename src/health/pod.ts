import type { JsonObject } from '../json.ts';
import { conditionsOf, findCondition, objectAt, objectsAt, stringAt } from './fields.ts';
import { assessment, type HealthAssessment } from './types.ts';

/**
 * Waiting reasons that mean the kubelet is stuck, not merely busy: CrashLoopBackOff,
 * ImagePullBackOff, ErrImagePull, CreateContainerConfigError, InvalidImageName, RunContainerError …
 * (the same rule as Argo CD: prefix Err, suffix Error or BackOff). ContainerCreating and
 * PodInitializing do not match.
 */
export function isStuckWaitingReason(reason: string): boolean {
  return reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff');
}

function containerStatuses(pod: JsonObject): readonly JsonObject[] {
  return [...objectsAt(pod, 'status', 'initContainerStatuses'), ...objectsAt(pod, 'status', 'containerStatuses')];
}

function stuckContainer(pod: JsonObject): string | undefined {
  for (const cs of containerStatuses(pod)) {
    const waiting = objectAt(cs, 'state', 'waiting');
    const reason = waiting ? (stringAt(waiting, 'reason') ?? '') : '';
    if (waiting && isStuckWaitingReason(reason)) {
      const name = stringAt(cs, 'name') ?? '?';
      const message = stringAt(waiting, 'message');
      return `container ${name}: ${reason}${message ? `: ${message}` : ''}`;
    }
  }
  return undefined;
}

function failureMessage(pod: JsonObject): string {
  const message = stringAt(pod, 'status', 'message');
  if (message) return message;
  for (const cs of containerStatuses(pod)) {
    const terminated = objectAt(cs, 'state', 'terminated');
    if (!terminated) continue;
    const name = stringAt(cs, 'name') ?? '?';
    const text = stringAt(terminated, 'message') || stringAt(terminated, 'reason');
    const exitCode = terminated['exitCode'];
    if (typeof exitCode === 'number' && exitCode !== 0) return `container ${name} failed with exit code ${exitCode}${text ? ` (${text})` : ''}`;
    if (text === 'OOMKilled') return `container ${name}: OOMKilled`;
  }
  return 'pod failed';
}

/**
 * v1 Pod, after Argo CD's check. Pods with restartPolicy Never/OnFailure have a finite life (Job
 * pods, sync hooks): they are Progressing until they Succeed (Healthy) or Fail (Degraded), and a
 * waiting error does not fail them early — the kubelet keeps retrying and the owner (Job
 * backoffLimit, hook timeout) decides. Long-running pods (Always, the default) are Degraded as
 * soon as a container is stuck (CrashLoopBackOff, image pull errors, bad config).
 */
export function podHealth(live: JsonObject): HealthAssessment {
  const phase = stringAt(live, 'status', 'phase') ?? 'Pending';
  const restartPolicy = stringAt(live, 'spec', 'restartPolicy') ?? 'Always';
  const message = stringAt(live, 'status', 'message');

  if (phase === 'Succeeded') return assessment('Healthy', message ?? 'pod completed');
  if (phase === 'Failed') return assessment('Degraded', failureMessage(live));

  if (restartPolicy === 'Always') {
    const stuck = stuckContainer(live);
    if (stuck) return assessment('Degraded', stuck);
  }
  if (phase === 'Pending') {
    const scheduled = findCondition(conditionsOf(live), 'PodScheduled');
    const why = scheduled?.status === 'False' ? scheduled.message || scheduled.reason : message;
    return assessment('Progressing', why || 'pod is pending');
  }
  if (phase !== 'Running') return assessment('Unknown', message ?? `pod phase ${phase}`);
  if (restartPolicy !== 'Always') return assessment('Progressing', 'pod is running to completion');

  const ready = findCondition(conditionsOf(live), 'Ready');
  if (ready?.status === 'True') return assessment('Healthy', message);
  return assessment('Progressing', ready?.message || 'waiting for pod to become ready');
}
