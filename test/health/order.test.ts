import { describe, expect, it } from 'vitest';
import { aggregateHealth, HEALTH_STATUSES, isWorse, type HealthStatus } from '../../src/health/index.ts';

describe('health order (Argo CD: Healthy < Suspended < Progressing < Missing < Degraded < Unknown)', () => {
  it.each<[HealthStatus[], HealthStatus]>([
    [[], 'Healthy'],
    [['Healthy', 'Healthy'], 'Healthy'],
    [['Healthy', 'Suspended'], 'Suspended'],
    [['Suspended', 'Progressing', 'Healthy'], 'Progressing'],
    [['Progressing', 'Missing'], 'Missing'],
    [['Missing', 'Degraded', 'Progressing'], 'Degraded'],
    [['Degraded', 'Unknown', 'Healthy'], 'Unknown'],
    [['Unknown', 'Healthy'], 'Unknown'],
  ])('aggregateHealth(%j) = %s', (statuses, want) => {
    expect(aggregateHealth(statuses)).toBe(want);
  });

  it('isWorse follows the declared order strictly', () => {
    HEALTH_STATUSES.forEach((a, i) =>
      HEALTH_STATUSES.forEach((b, j) => {
        expect(isWorse(a, b)).toBe(j > i);
      }),
    );
  });
});
