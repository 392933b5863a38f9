import type { Application, RolloutPolicy, SyncOptions } from '../../src/app/types.ts';
import { DEFAULT_ROLLOUT } from '../../src/rollout/policy.ts';

/**
 * An Application as validation would produce it, for tests and benches: automated with
 * prune, CreateNamespace on, polled every 3 minutes unless told otherwise.
 */
export function testApplication(opts: {
  name: string;
  repoURL: string;
  /** Directory in the repository; default 'app'. */
  path?: string;
  /** Destination namespace; default the app's name. */
  namespace?: string;
  selfHeal?: boolean;
  intervalMs?: number;
  syncOptions?: Partial<SyncOptions>;
  rollout?: Partial<RolloutPolicy>;
}): Application {
  return {
    name: opts.name,
    namespace: 'sluice-system',
    spec: {
      source: { repoURL: opts.repoURL, targetRevision: 'main', path: opts.path ?? 'app', recurse: true },
      destination: { namespace: opts.namespace ?? opts.name },
      syncPolicy: {
        automated: { prune: true, selfHeal: opts.selfHeal ?? false },
        syncOptions: { createNamespace: true, pruneLast: false, serverSideApply: false, ...opts.syncOptions },
        intervalMs: opts.intervalMs ?? 180_000,
      },
      ignoreDifferences: [],
      rollout: { ...DEFAULT_ROLLOUT, ...opts.rollout },
    },
  };
}
