import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject } from '../../src/json.ts';
import { assessHealth, type HealthStatus } from '../../src/health/index.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { ANNOTATION_FAULT, ANNOTATION_READY_AFTER } from '../../src/sim/controllers/faults.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { newDeployment, typeOf } from '../support/sim.ts';

// Health of Deployments as the simulated controllers and kubelets move them, read over HTTP as Sluice will.
describe('assessHealth against the simulated cluster', () => {
  let cluster: SimCluster;

  beforeEach(async () => {
    cluster = await startSimCluster({ port: 0, clock: new VirtualClock(new Date('2026-01-01T00:00:00Z')) });
  });
  afterEach(async () => {
    await cluster.stop();
  });

  function create(name: string, annotations: Record<string, string>, progressDeadlineSeconds: number): void {
    const d = newDeployment(name, 'nginx:1.25', 3);
    const spec = d['spec'];
    if (!isJsonObject(spec) || !isJsonObject(spec['template'])) throw new Error('newDeployment shape changed');
    spec['progressDeadlineSeconds'] = progressDeadlineSeconds;
    spec['template']['metadata'] = { labels: { app: name }, annotations };
    cluster.api.create(typeOf(cluster.api, 'apps', 'v1', 'deployments'), 'default', d);
  }

  async function live(name: string): Promise<JsonObject | undefined> {
    const res = await fetch(`${cluster.url}/apis/apps/v1/namespaces/default/deployments/${name}`);
    if (res.status === 404) return undefined;
    const body: unknown = await res.json();
    if (!isJsonObject(body)) throw new Error(`unexpected body ${JSON.stringify(body)}`);
    return body;
  }

  /**
   * Advances cluster time in 1 s steps, recording each change of health. Healthy must never come
   * early: whenever it is reported, every replica is updated and available.
   */
  async function watchHealth(name: string, seconds: number): Promise<HealthStatus[]> {
    const seen: HealthStatus[] = [];
    const record = async () => {
      const obj = await live(name);
      const { status } = assessHealth(obj);
      if (status === 'Healthy') expect(obj?.['status']).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
      if (seen[seen.length - 1] !== status) seen.push(status);
    };
    await record();
    for (let s = 0; s < seconds; s++) {
      await cluster.advance(1000);
      await record();
    }
    return seen;
  }

  it('is Missing before creation, then Progressing until the pods are ready, then Healthy', async () => {
    expect(assessHealth(await live('web')).status).toBe('Missing');
    create('web', { [ANNOTATION_READY_AFTER]: '5s' }, 600);
    await cluster.settle();

    const mid = assessHealth(await live('web'));
    expect(mid.status).toBe('Progressing');

    const seen = await watchHealth('web', 30);
    expect(seen[0]).toBe('Progressing');
    expect(seen[seen.length - 1]).toBe('Healthy');
    expect(seen).not.toContain('Degraded');
    const final = await live('web');
    expect(final?.['status']).toMatchObject({ updatedReplicas: 3, availableReplicas: 3 });
  });

  it('ends Degraded once a never-ready Deployment passes its progress deadline', async () => {
    create('stuck', { [ANNOTATION_READY_AFTER]: '2s', [ANNOTATION_FAULT]: 'never-ready' }, 30);
    await cluster.settle();

    await cluster.advance(20_000);
    expect(assessHealth(await live('stuck')).status).toBe('Progressing');

    const seen = await watchHealth('stuck', 40);
    expect(seen).toEqual(['Progressing', 'Degraded']);
    const final = assessHealth(await live('stuck'));
    expect(final.status).toBe('Degraded');
    expect(final.message).toContain('progress deadline (30s)');
  });
});
