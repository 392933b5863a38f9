import type { JsonObject } from '../../src/diff/json.ts';
import type { SimApiServer } from '../../src/sim/apiserver.ts';
import { rfc3339, type SchedulingClock } from '../../src/sim/clock.ts';
import { nameOf, namespaceOf } from '../../src/sim/object-meta.ts';

/**
 * Test double for the scheduler + kubelet: every new pod is Running and Ready `readyAfterMs`
 * of clock time after it is created, unless `neverReady(pod)` says otherwise. Enough to drive
 * workload controllers in unit tests without the full node simulation.
 */
export function fakeKubelet(api: SimApiServer, clock: SchedulingClock, options: { readyAfterMs: number; neverReady?: (pod: JsonObject) => boolean }): () => void {
  const pods = api.registry.lookup('', 'v1', 'pods')!;
  return api.store.subscribe((e) => {
    if (e.resource !== '/pods' || e.type !== 'ADDED') return;
    const namespace = namespaceOf(e.object);
    const name = nameOf(e.object);
    if (options.neverReady?.(e.object)) return;
    clock.setTimer(options.readyAfterMs, () => {
      const live = api.store.get('/pods', namespace, name);
      if (!live) return;
      const now = rfc3339(clock.now());
      api.update(pods, namespace, name, {
        ...live,
        status: {
          phase: 'Running',
          podIP: '10.244.0.1',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          ],
        },
      }, { fieldManager: 'fake-kubelet' }, 'status');
    });
  });
}
