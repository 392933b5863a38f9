/** What the routes share: the controller's view, the store, the queue, the rollout port, the tokens. */
import type { Application } from '../app/types.ts';
import type { ResourceState } from '../controller/state.ts';
import type { Controller } from '../controller/controller.ts';
import type { SluiceQueue } from '../queue/producer.ts';
import type { HistoryStore } from '../store/history.ts';
import type { Principal, Role, TokenStore } from './auth.ts';
import { ApiError } from './errors.ts';
import type { SluiceMetrics } from './metrics.ts';
import type { RolloutOperations } from './rollout-port.ts';
import type { OwnedObjects } from './owned-objects.ts';
import { buildResourceTree, ownerNamespaces, type ResourceNode } from './resource-tree.ts';
import { appSummary, type AppSummary } from './summary.ts';

/** The part of the controller the API uses. */
export type ApiController = Pick<Controller, 'applications' | 'contextFor' | 'liveObjects' | 'syncInProgress'>;

export interface RouteContext {
  readonly controller: ApiController;
  readonly store: HistoryStore;
  readonly queue: SluiceQueue;
  readonly rollouts: RolloutOperations;
  readonly tokens: TokenStore;
  readonly metrics: SluiceMetrics;
  readonly owned: OwnedObjects;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs; routes without one are public (probes, webhooks). */
    role?: Role;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function findApp(ctx: RouteContext, name: string): Application {
  const app = ctx.controller.applications.find((a) => a.name === name);
  if (app === undefined) throw new ApiError('NotFound', `no application named ${name}`);
  return app;
}

/** Summaries of the apps, in their order: one read of the store and one of the rollout port. */
export async function summaries(ctx: RouteContext, apps: readonly Application[]): Promise<AppSummary[]> {
  const names = apps.map((a) => a.name);
  const [stored, views] = await Promise.all([ctx.store.read(names), ctx.rollouts.views(names)]);
  return apps.map((app, i) => appSummary(app, stored[i], views.get(app.name)));
}

/** The app's whole resource tree: its managed objects and what they own (watched from now on, see owned-objects.ts). */
export async function appTree(ctx: RouteContext, app: Application, managed: readonly ResourceState[]): Promise<ResourceNode[]> {
  return buildResourceTree(managed, ctx.controller.liveObjects(app), await ctx.owned.objectsIn(app.name, ownerNamespaces(managed)));
}

/** The same for an app whose tree someone has read before; undefined for the others (no watch is started for an event). */
export async function watchedAppTree(ctx: RouteContext, app: Application, managed: readonly ResourceState[]): Promise<ResourceNode[] | undefined> {
  const owned = await ctx.owned.watchedObjectsIn(app.name, ownerNamespaces(managed));
  return owned === undefined ? undefined : buildResourceTree(managed, ctx.controller.liveObjects(app), owned);
}
