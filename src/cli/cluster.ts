/** `sluice sim` (the embedded cluster alone) and `sluice demo` (`npm start`). */
import { parseArgs } from 'node:util';
import { ScaledClock } from '../sim/clock.ts';
import { startSimCluster } from '../sim/index.ts';
import { serveUntilSignal } from './common.ts';

function positiveNumber(name: string, text: string | undefined, integer: boolean): number | string {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    return `--${name} must be a ${integer ? 'whole ' : ''}number ≥ 0, got "${text}"`;
  }
  return n;
}

export async function simCommand(args: string[]): Promise<number> {
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
  return serveUntilSignal(() => cluster.stop(), 'cluster');
}

export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '6443' }, 'api-port': { type: 'string', default: '8080' } } });
  const port = positiveNumber('port', values.port, true);
  const apiPort = positiveNumber('api-port', values['api-port'], true);
  for (const v of [port, apiPort]) {
    if (typeof v === 'string') {
      console.error(`sluice demo: ${v}`);
      return 2;
    }
  }
  let stop: () => Promise<void>;
  try {
    const { runDemo } = await import('../demo/demo.ts');
    stop = await runDemo({ port: port as number, apiPort: apiPort as number, redisUrl: process.env['REDIS_URL'] });
  } catch (e) {
    const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
    console.error(`sluice demo: ${inUse ? `port ${port} is in use; pass --port N (0 picks a free one)` : (e as Error).message}`);
    return 1;
  }
  return serveUntilSignal(stop, 'demo');
}
