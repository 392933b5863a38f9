import { isJsonObject, jsonEqual } from '../../json.ts';
import { nameOf } from '../object-meta.ts';
import { quotaUsed } from '../quota.ts';
import type { StoreEvent } from '../store.ts';
import { keyOf, keysOf, splitKey, type Controller, type ControllerContext } from './types.ts';

const NAME = 'resourcequota-controller';

/**
 * The resource quota controller (pkg/controller/resourcequota): keeps each ResourceQuota's
 * status.hard (its spec) and status.used (what the namespace uses, ../quota.ts) current.
 * Admission does not wait for it: it counts afresh on every create.
 */
export function createResourceQuotaController(ctx: ControllerContext): Controller {
  const { api } = ctx;
  const quotas = api.registry.lookup('', 'v1', 'resourcequotas')!;

  function keysFor(e: StoreEvent): string[] {
    if (e.resource === '/resourcequotas') return [keyOf(e.namespace, nameOf(e.object))];
    if (!e.namespace) return [];
    return api.store.list('/resourcequotas', e.namespace).map((q) => keyOf(e.namespace, nameOf(q)));
  }

  function reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const quota = api.store.get('/resourcequotas', namespace, name);
    if (!quota) return;
    const hard = isJsonObject(quota.spec) && isJsonObject(quota.spec.hard) ? quota.spec.hard : {};
    const status = { hard, used: quotaUsed(api.store, quota) };
    if (jsonEqual(quota.status ?? {}, status)) return;
    api.update(quotas, namespace, name, { ...quota, status }, { fieldManager: NAME }, 'status');
  }

  return { name: NAME, keysFor, reconcile, initialKeys: () => keysOf(api.store.list('/resourcequotas')) };
}
