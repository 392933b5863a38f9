/**
 * The API's rollout port (`src/api/rollout-port.ts`) over the rollout commands
 * (`src/rollout/commands.ts`): the routes act through the same Redis state as the CLI, on
 * the apps this process knows. The controller starts after the server listens, so it is
 * looked up per call.
 */
import type { Principal } from '../api/auth.ts';
import { ApiError } from '../api/errors.ts';
import type { OperationAccepted, RolloutOperations, RolloutView } from '../api/rollout-port.ts';
import type { Application } from '../app/types.ts';
import { CommandError, pin, requestRollout, rollback, rolloutView, unpin, type CommandContext } from '../rollout/commands.ts';
import type { Controller } from './controller.ts';

export function rolloutOperations(current: () => Controller | undefined): RolloutOperations {
  const running = (): Controller => {
    const controller = current();
    if (controller === undefined) throw new ApiError('Unavailable', 'the controller is not running yet');
    return controller;
  };
  const withApp = async <T>(name: string, act: (ctx: CommandContext, app: Application) => Promise<T>): Promise<T> => {
    const controller = running();
    const app = controller.applications.find((a) => a.name === name);
    if (app === undefined) throw new ApiError('NotFound', `no application named ${name}`);
    try {
      return await act(controller.commands, app);
    } catch (e) {
      throw e instanceof CommandError ? new ApiError('Conflict', e.message) : e;
    }
  };
  const accepted = (message: string): OperationAccepted => ({ message });
  const who = (by: Principal) => by.name;
  return {
    async views(apps) {
      const controller = current();
      if (controller === undefined) return new Map();
      const views = await Promise.all(apps.map(async (name) => [name, await rolloutView(controller.commands, name)] as const));
      return new Map<string, RolloutView>(views);
    },
    rollback: (name, to, by) => withApp(name, async (ctx, app) => accepted(`rolling ${name} back to ${(await rollback(ctx, app, to, who(by))).slice(0, 7)}; pinned there until a newer commit or unpin`)),
    pin: (name, revision, by) => withApp(name, async (ctx, app) => accepted(`${name} pinned to ${(await pin(ctx, app, revision, who(by))).revision.slice(0, 7)}`)),
    unpin: (name, by) => withApp(name, async (ctx, app) => accepted((await unpin(ctx, app, who(by))) ? `${name} unpinned: it follows its branch again` : `${name} was not pinned`)),
    rollout: (name, action) => withApp(name, async (ctx) => accepted(`${action} asked of ${name}'s rollout ${await requestRollout(ctx, name, action)}`)),
  };
}
