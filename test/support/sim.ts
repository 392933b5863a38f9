import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { VirtualClock } from '../../src/sim/clock.ts';
import { EventRecorder } from '../../src/sim/controllers/events.ts';
import type { ControllerContext } from '../../src/sim/controllers/types.ts';
import type { ResourceType } from '../../src/sim/resources.ts';
import type { SimRequestLogEntry } from '../../src/sim/index.ts';

/** Resource type of a built-in (or registered custom) resource, failing loudly if unknown. */
export function typeOf(api: SimApiServer, group: string, version: string, plural: string): ResourceType {
  const rt = api.registry.lookup(group, version, plural);
  if (!rt) throw new Error(`no resource ${group}/${version}/${plural}`);
  return rt;
}

export function newConfigMap(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): JsonObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data };
}

export function newDeployment(name: string, image = 'nginx:1.25', replicas = 2): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

export function newCrd(opts: { plural: string; kind: string; group: string; scope?: 'Namespaced' | 'Cluster'; status?: boolean }): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${opts.plural}.${opts.group}` },
    spec: {
      group: opts.group,
      scope: opts.scope ?? 'Namespaced',
      names: { plural: opts.plural, singular: opts.kind.toLowerCase(), kind: opts.kind },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          ...(opts.status ? { subresources: { status: {} } } : {}),
        },
      ],
    },
  };
}

/** Resolves once the GC and namespace controller (which run on setImmediate) have settled. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** What every in-process controller test starts from: a virtual clock, an API server on it, an event recorder. */
export function controllerContext(start: Date): ControllerContext & { readonly clock: VirtualClock } {
  const clock = new VirtualClock(start);
  const api = new SimApiServer({ clock });
  return { api, clock, events: new EventRecorder(api, clock) };
}

/** A write the embedded API server carried out: a successful POST, PUT or PATCH, not a dry run. */
export function isWrite(r: SimRequestLogEntry): boolean {
  return ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.query.getAll('dryRun').includes('All') && r.status < 300;
}
