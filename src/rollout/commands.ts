/**
 * What people (the CLI, the API server) ask of an app's rollouts, as plain functions over
 * the shared Redis state and queue: they never touch the cluster themselves, so they work
 * from any process; the controller that runs the app acts on them at its next look.
 *
 * - rollback(app, to): pin the app to a history entry's revision (or a revision) and sync it now
 * - pin(app, revision) / unpin(app)
 * - promote / pause / resume / abort: requests to the running rollout
 * - rolloutView(app): progress in the `RolloutProgress` shape of docs/api.md, the pin, the bad revisions
 */
import type { Application } from '../app/types.ts';
import type { GitSource } from '../git/index.ts';
import type { SluiceQueue } from '../queue/producer.ts';
import type { HistoryStore } from '../store/history.ts';
import { short } from './plan.ts';
import type { Pin, RolloutStore } from './store.ts';
import { isActivePhase, type RolloutPhase, type WorkloadProgress } from './types.ts';

export interface CommandContext {
  readonly store: RolloutStore;
  readonly history: HistoryStore;
  readonly queue: SluiceQueue;
  readonly git: GitSource;
  readonly now?: () => Date;
  /**
   * Tells what a command did where the controller cannot (it sees no unpin, only the sync it
   * asks for): a Kubernetes Event on the Application, for apps from the cluster. Best effort.
   */
  readonly tell?: (app: Application, event: CommandEvent) => Promise<void>;
}

/** A notice about an app, in the shape of a Kubernetes Event (see controller/app-events.ts). */
export interface CommandEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** docs/api.md `RolloutProgress`. */
export interface RolloutProgress {
  readonly phase: RolloutPhase;
  readonly revision: string;
  readonly fromRevision?: string;
  /** 1-based */
  readonly step: number;
  readonly steps: number;
  readonly message: string;
  readonly startedAt: string;
  readonly workloads: readonly Omit<WorkloadProgress, 'steps'>[];
  /** the rollout of an earlier sync wave: its sync goes on with this wave after it */
  readonly beforeWave?: number;
}

export interface RolloutView {
  readonly rollout?: RolloutProgress;
  readonly pinned?: { readonly revision: string; readonly since: string; readonly by?: string };
  readonly badRevisions: readonly string[];
}

/** A command that cannot be carried out, with a message for the person who asked. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export async function rolloutView(ctx: Pick<CommandContext, 'store'>, app: string): Promise<RolloutView> {
  const [state, pin, badRevisions] = await Promise.all([ctx.store.get(app), ctx.store.pin(app), ctx.store.badRevisions(app)]);
  return {
    ...(state === undefined
      ? {}
      : {
          rollout: {
            phase: state.phase,
            revision: state.revision,
            ...(state.fromRevision === undefined ? {} : { fromRevision: state.fromRevision }),
            step: Math.min(state.step + 1, state.steps),
            steps: state.steps,
            message: state.message,
            startedAt: state.startedAt,
            workloads: state.workloads.map(({ steps: _, ...w }) => w),
            ...(state.beforeWave === undefined ? {} : { beforeWave: state.beforeWave }),
          },
        }),
    ...(pin === undefined ? {} : { pinned: { revision: pin.revision, since: pin.since, ...(pin.by === undefined ? {} : { by: pin.by }) } }),
    badRevisions,
  };
}

/**
 * `sluice rollback --to <history id | revision>`: pins the app there (auto-sync keeps to it
 * until a newer commit lands, or `unpin`) and asks for the sync. Returns the revision.
 */
export async function rollback(ctx: CommandContext, app: Application, to: string, by?: string): Promise<string> {
  const entry = (await ctx.history.list(app.name)).find((h) => h.id === to);
  let revision = entry?.revision;
  if (revision === undefined) {
    try {
      revision = (await ctx.git.forSource(app.spec.source).resolve(to)).sha;
    } catch (e) {
      throw new CommandError(`${to} is neither an operation id in ${app.name}'s history nor a revision of its repository: ${(e as Error).message}`);
    }
  }
  await pin(ctx, app, revision, by);
  return revision;
}

/** Pins the app to `revision` and syncs it (trigger rollback: gated on health, in one step). */
export async function pin(ctx: CommandContext, app: Application, revision: string, by?: string): Promise<Pin> {
  const { sha: head } = await ctx.git.forSource(app.spec.source).resolve(app.spec.source.targetRevision);
  const now = (ctx.now ?? (() => new Date()))();
  const pinned: Pin = { revision, since: now.toISOString(), head, ...(by === undefined ? {} : { by }) };
  await ctx.store.setPin(app.name, pinned);
  await ctx.store.event(app.name, { type: 'Pinned', revision, message: `pinned to ${short(revision)}${by ? ` by ${by}` : ''} until a commit newer than ${short(head)} or unpin` }, now);
  await ctx.queue.requestSync(app.name, { revision, trigger: 'rollback' });
  return pinned;
}

/** Releases the pin; the app follows its branch again from the next sync (asked for now). */
export async function unpin(ctx: CommandContext, app: Application, by?: string): Promise<boolean> {
  const pinned = await ctx.store.pin(app.name);
  const had = await ctx.store.clearPin(app.name);
  if (!had) return false;
  const message = `unpinned${pinned === undefined ? '' : ` from ${short(pinned.revision)}`}${by ? ` by ${by}` : ''}: following the branch again`;
  await ctx.store.event(app.name, { type: 'Unpinned', message }, (ctx.now ?? (() => new Date()))());
  // the same reason the controller gives when a newer commit releases a pin
  await ctx.tell?.(app, { type: 'Normal', reason: 'RolloutUnpinned', message });
  await ctx.queue.requestSync(app.name, { trigger: 'manual' });
  return true;
}

export type RolloutRequest = 'promote' | 'pause' | 'resume' | 'abort';

/** Asks the app's running rollout to skip its holds, hold at the current step, go on, or roll back now. */
export async function requestRollout(ctx: Pick<CommandContext, 'store' | 'queue'>, app: string, request: RolloutRequest): Promise<string> {
  const state = await ctx.store.get(app);
  if (state === undefined || !isActivePhase(state.phase) || state.phase === 'RollingBack') {
    throw new CommandError(`${app} has no rollout in progress${state === undefined ? '' : ` (the last one, of ${short(state.revision)}, is ${state.phase})`}`);
  }
  if (request === 'resume') await ctx.store.setControl(app, 'pause', undefined);
  else await ctx.store.setControl(app, request, state.id);
  // the controller that runs the app looks at once
  await ctx.queue.requestRefresh(app);
  return state.id;
}
