import { parseArgs } from 'node:util';
import { ScaledClock } from './sim/clock.ts';
import { startSimCluster } from './sim/index.ts';
import { APP_USAGE, diffCommand, syncCommand } from './cli/app-commands.ts';
import { RENDER_USAGE, renderCommand } from './cli/render.ts';
import { ROLLOUT_USAGE, rolloutCommand } from './cli/rollout-commands.ts';
import { START_USAGE, startCommand } from './cli/start.ts';
import { runDemo } from './demo/demo.ts';

const USAGE = `usage: sluice <command> [options]

commands:
  sim   run the embedded Kubernetes cluster on 127.0.0.1
        --port N          port to serve on (default 6443; 0 picks a free one)
        --kubeconfig F    write a kubeconfig for the cluster to F
        --nodes N         simulated nodes (default 3)
        --speed X         run cluster time X times faster than real time (default 1)
        --api-only        serve the API alone: no controllers, scheduler or kubelets
${RENDER_USAGE}${APP_USAGE}${ROLLOUT_USAGE}${START_USAGE}  demo    the embedded cluster, the example repository and the controller (npm start)
        sluice demo [--port N]
`;

function positiveNumber(name: string, text: string | undefined, integer: boolean): number | string {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    return `--${name} must be a ${integer ? 'whole ' : ''}number ≥ 0, got "${text}"`;
  }
  return n;
}

async function sim(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '6443' },
      kubeconfig: { type: 'string' },
      nodes: { type: 'string', default: '3' },
      speed: { type: 'string', default: '1' },
      'api-only': { type: 'boolean', default: false },
    },
  });
  const port = positiveNumber('port', values.port, true);
  const nodes = positiveNumber('nodes', values.nodes, true);
  const speed = positiveNumber('speed', values.speed, false);
  for (const v of [port, nodes, speed]) {
    if (typeof v === 'string') {
      console.error(`sluice sim: ${v}`);
      return 2;
    }
  }
  if ((port as number) > 65535 || speed === 0) {
    console.error('sluice sim: --port must be ≤ 65535 and --speed > 0');
    return 2;
  }
  const cluster = await startSimCluster({
    port: port as number,
    nodes: nodes as number,
    clock: new ScaledClock({ speed: speed as number }),
    controllers: !values['api-only'],
  });
  if (values.kubeconfig) await cluster.writeKubeconfig(values.kubeconfig);
  console.log(`embedded cluster serving on ${cluster.url}${values['api-only'] ? ' (API only)' : `, ${String(nodes)} nodes, speed ×${String(speed)}`}`);
  console.log(values.kubeconfig ? `kubeconfig written to ${values.kubeconfig}` : `try: kubectl --server=${cluster.url} get nodes`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cluster.stop();
  return 0;
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '6443' } } });
  const port = positiveNumber('port', values.port, true);
  if (typeof port === 'string') {
    console.error(`sluice demo: ${port}`);
    return 2;
  }
  let stop: () => Promise<void>;
  try {
    stop = await runDemo({ port, redisUrl: process.env['REDIS_URL'] });
  } catch (e) {
    const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
    console.error(`sluice demo: ${inUse ? `port ${port} is in use; pass --port N (0 picks a free one)` : (e as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stop();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'sim':
        return await sim(rest);
      case 'render':
        return await renderCommand(rest);
      case 'start':
        return await startCommand(rest);
      case 'demo':
        return await demo(rest);
      case 'diff':
        return await diffCommand(rest);
      case 'sync':
        return await syncCommand(rest);
      case 'rollback':
      case 'unpin':
      case 'rollout':
        return await rolloutCommand(command, rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`sluice: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    console.error(`sluice ${command ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
