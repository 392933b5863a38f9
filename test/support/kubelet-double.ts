import type { JsonObject } from '../../src/json.ts';
import type { SimApiServer } from '../../src/sim/apiserver.ts';
import { rfc3339, type Clock } from '../../src/sim/clock.ts';
import { isPodReady } from '../../src/sim/controllers/pods.ts';
import { keyOf, splitKey, type Controller } from '../../src/sim/controllers/types.ts';
import { metadataOf, nameOf } from '../../src/sim/object-meta.ts';

/**
 * Test double for kube-scheduler + kubelet, for unit tests of one workload controller: binds
 * an unbound pod to "node-a", reports it Running and Ready `startMs` after its creation, and
 * removes a terminating pod when its grace period ends. Nothing else.
 */
export function kubeletDouble(api: SimApiServer, clock: Clock, startMs: number): Controller {
  const pods = api.registry.lookup('', 'v1', 'pods')!;
  return {
    name: 'kubelet-double',
    keysFor: (e) => (e.resource === '/pods' && e.type !== 'DELETED' ? [keyOf(e.namespace, nameOf(e.object))] : []),
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const pod = api.store.get('/pods', namespace, name);
      if (!pod) return;
      const now = clock.now().getTime();
      const meta = metadataOf(pod);
      const due = meta.deletionTimestamp ? Date.parse(String(meta.deletionTimestamp)) : Date.parse(String(meta.creationTimestamp)) + startMs;
      if (now < due) return { requeueAfterMs: due - now };
      if (meta.deletionTimestamp) return void api.delete(pods, namespace, name, { gracePeriodSeconds: 0 });
      const phase = (pod.status as JsonObject | undefined)?.phase;
      if (isPodReady(pod) || phase === 'Failed' || phase === 'Succeeded') return;
      const spec = pod.spec as JsonObject;
      const bound = spec.nodeName ? pod : api.update(pods, namespace, name, { ...pod, spec: { ...spec, nodeName: 'node-a' } });
      const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(clock.now()) }] };
      api.update(pods, namespace, name, { ...bound, status }, { fieldManager: 'kubelet-double' }, 'status');
    },
  };
}
