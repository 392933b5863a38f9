/**
 * Health statuses, ordered from most to least healthy. The order is Argo CD's
 * (argoproj/gitops-engine pkg/health/health.go `healthOrder`, and the Argo CD docs: "Healthy >
 * Suspended > Progressing > Missing > Degraded > Unknown"): an application is as healthy as its
 * least healthy resource. Unknown ranks worst because "we could not tell" must never hide behind
 * a Healthy aggregate.
 */
export const HEALTH_STATUSES = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface HealthAssessment {
  readonly status: HealthStatus;
  readonly message?: string;
}

export function isHealthStatus(value: unknown): value is HealthStatus {
  return typeof value === 'string' && (HEALTH_STATUSES as readonly string[]).includes(value);
}

/** True when `candidate` is strictly less healthy than `current`. */
export function isWorse(current: HealthStatus, candidate: HealthStatus): boolean {
  return HEALTH_STATUSES.indexOf(candidate) > HEALTH_STATUSES.indexOf(current);
}

/** The worst of the statuses (Healthy for none): the health of an application from its resources'. */
export function aggregateHealth(statuses: readonly HealthStatus[]): HealthStatus {
  let worst: HealthStatus = 'Healthy';
  for (const s of statuses) if (isWorse(worst, s)) worst = s;
  return worst;
}

export function assessment(status: HealthStatus, message?: string): HealthAssessment {
  return message === undefined || message === '' ? { status } : { status, message };
}
