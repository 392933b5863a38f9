/**
 * `sluice rollback`, `sluice unpin` and `sluice rollout status|promote|abort|pause|resume`:
 * they act through the shared Redis state (src/rollout/commands.ts), so they work from any
 * CI job against the Redis the controllers use. Exit codes: 0 done, 1 the rollout failed or
 * was rolled back (status) or the request could not be made, 2 usage or setup errors.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { APPLICATION_API_VERSION, APPLICATION_KIND, type Application } from '../app/types.ts';
import { DEFAULT_APPLICATION_NAMESPACE, formatValidationError, parseApplication } from '../app/validate.ts';
import { DEFAULT_PREFIX } from '../queue/keys.ts';
import { SluiceQueue } from '../queue/producer.ts';
import { recordApplicationEvent } from '../controller/app-events.ts';
import type { KubeClient } from '../kube/client.ts';
import { CommandError, requestRollout, rollback, rolloutView, unpin, type CommandContext, type CommandEvent, type RolloutRequest } from '../rollout/commands.ts';
import { RolloutStore } from '../rollout/store.ts';
import { isActivePhase } from '../rollout/types.ts';
import { HistoryStore } from '../store/history.ts';
import { gitSource, kubeClient } from '../connect.ts';
import { appFromFile } from './common.ts';
import { LOCAL_ROLLOUT_USAGE as ROLLOUT_USAGE } from './usage.ts';
import type { Streams } from './app-commands.ts';

const STDIO: Streams = { out: process.stdout, err: process.stderr };

const OPTIONS = {
  apps: { type: 'string' },
  'from-cluster': { type: 'boolean', default: false },
  namespace: { type: 'string', default: DEFAULT_APPLICATION_NAMESPACE },
  server: { type: 'string' },
  app: { type: 'string' },
  to: { type: 'string' },
  redis: { type: 'string' },
  prefix: { type: 'string', default: DEFAULT_PREFIX },
  'cache-dir': { type: 'string' },
  interval: { type: 'string', default: '1000' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** `sluice rollback …`, `sluice unpin …`, `sluice rollout <sub> …`. */
export async function rolloutCommand(command: 'rollback' | 'unpin' | 'rollout', args: string[], io: Streams = STDIO): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: command === 'rollout' }));
  } catch (e) {
    io.err.write(`sluice ${command}: ${(e as Error).message}\n${ROLLOUT_USAGE}`);
    return 2;
  }
  const sub = command === 'rollout' ? positionals[0] : command;
  if (!['rollback', 'unpin', 'status', 'promote', 'pause', 'resume', 'abort'].includes(sub ?? '')) {
    io.err.write(`sluice rollout: say status, promote, pause, resume or abort\n${ROLLOUT_USAGE}`);
    return 2;
  }
  const redisUrl = values.redis ?? process.env['REDIS_URL'];
  if (values.app === undefined || redisUrl === undefined || (values.apps === undefined) === !values['from-cluster'] || (sub === 'rollback' && values.to === undefined)) {
    io.err.write(`sluice ${command}: give --app NAME, --apps FILE or --from-cluster, ${sub === 'rollback' ? '--to, ' : ''}and --redis URL (or REDIS_URL)\n${ROLLOUT_USAGE}`);
    return 2;
  }
  // an app from the cluster is read there, and told about on its Application (Events) as the controller would
  const kube = values['from-cluster'] ? await kubeClient(values.server) : undefined;
  const app = kube === undefined ? await appFromFileNamed(values.apps!, values.app) : await appFromCluster(kube, values.namespace, values.app);
  if (typeof app === 'string') {
    await kube?.close();
    io.err.write(`sluice ${command}: ${app}\n`);
    return 2;
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const queue = new SluiceQueue({ connection: redisUrl, prefix: values.prefix });
  const ctx: CommandContext = {
    store: new RolloutStore(redis, { prefix: values.prefix }),
    history: new HistoryStore(redis, { prefix: values.prefix }),
    queue,
    git: gitSource(values['cache-dir']),
    ...(kube === undefined ? {} : { tell: (a: Application, event: CommandEvent) => recordApplicationEvent(kube, a, event, new Date(), (line) => io.err.write(`${line}\n`)) }),
  };
  try {
    switch (sub) {
      case 'rollback': {
        const revision = await rollback(ctx, app, values.to!, process.env['USER']);
        io.out.write(`${app.name}: pinned to ${revision.slice(0, 7)} and syncing; auto-sync keeps to it until a newer commit or \`sluice unpin\`\n`);
        return 0;
      }
      case 'unpin':
        io.out.write((await unpin(ctx, app, process.env['USER'])) ? `${app.name}: unpinned; syncing the branch\n` : `${app.name}: was not pinned\n`);
        return 0;
      case 'status':
        return await status(ctx, app.name, Number(values.interval), io);
      default: {
        await requestRollout(ctx, app.name, sub as RolloutRequest);
        io.out.write(`${app.name}: ${sub} requested\n`);
        return 0;
      }
    }
  } catch (e) {
    io.err.write(`sluice ${command}: ${(e as Error).message}\n`);
    return e instanceof CommandError ? 1 : 2;
  } finally {
    await queue.close();
    redis.disconnect();
    await kube?.close();
  }
}

/** Prints each change of the rollout until it ends, as `kubectl rollout status` does. */
async function status(ctx: Pick<CommandContext, 'store'>, app: string, intervalMs: number, io: Streams): Promise<number> {
  let last = '';
  for (;;) {
    const view = await rolloutView(ctx, app);
    const rollout = view.rollout;
    if (rollout === undefined) {
      io.out.write(`${app}: no rollout yet\n`);
      return 0;
    }
    // an earlier wave's rollout that succeeded is not the end: its sync goes on, and its last rollout follows
    const goesOn = rollout.phase === 'Succeeded' && rollout.beforeWave !== undefined;
    const line = `${app}: ${rollout.phase} step ${rollout.step}/${rollout.steps}: ${rollout.message}${goesOn ? `; the sync goes on with wave ${rollout.beforeWave}` : ''}`;
    if (line !== last) io.out.write(`${line}\n`);
    last = line;
    if ((!isActivePhase(rollout.phase) && !goesOn) || rollout.phase === 'Paused') {
      if (view.pinned !== undefined) io.out.write(`${app}: pinned to ${view.pinned.revision.slice(0, 7)} since ${view.pinned.since}\n`);
      return rollout.phase === 'Succeeded' || rollout.phase === 'Paused' ? 0 : 1;
    }
    // a CLI waiting on a person's terminal: a plain poll of Redis is what it needs
    await new Promise((r) => setTimeout(r, Math.max(100, intervalMs)));
  }
}

async function appFromFileNamed(file: string, name: string): Promise<Application | string> {
  const loaded = await appFromFile(file, name);
  return typeof loaded === 'string' ? loaded : loaded.app;
}

async function appFromCluster(kube: KubeClient, namespace: string, name: string): Promise<Application | string> {
  const object = await kube.get({ apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, namespace, name });
  if (object === undefined) return `no Application ${namespace}/${name} in the cluster`;
  const parsed = parseApplication(object, `cluster ${namespace}/${name}`);
  return parsed.ok ? parsed.app : parsed.errors.map(formatValidationError).join('\n');
}
