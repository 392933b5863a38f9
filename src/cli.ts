import { parseArgs } from 'node:util';
import { startSimCluster } from './sim/index.ts';

const USAGE = `usage: sluice <command> [options]

commands:
  sim [--port 6443] [--kubeconfig FILE]   run the embedded Kubernetes API server on 127.0.0.1
`;

async function sim(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string', default: '6443' }, kubeconfig: { type: 'string' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`sluice sim: --port must be a port number, got "${values.port}"`);
    return 2;
  }
  const cluster = await startSimCluster({ port });
  if (values.kubeconfig) await cluster.writeKubeconfig(values.kubeconfig);
  console.log(`embedded cluster serving on ${cluster.url}`);
  console.log(values.kubeconfig ? `kubeconfig written to ${values.kubeconfig}` : `try: kubectl --server=${cluster.url} get namespaces`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cluster.stop();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'sim':
        return await sim(rest);
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
    console.error(`sluice ${command}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
