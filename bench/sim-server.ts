/**
 * Child-process entry for the sim benchmark: serves the embedded API server on a free port,
 * prints `listening <url>` once ready, and exits cleanly on SIGTERM/SIGINT (so that
 * `node --cpu-prof` gets to write its profile).
 */
import { startSimCluster } from '../src/sim/index.ts';

const cluster = await startSimCluster({ port: 0, controllers: false });
process.stdout.write(`listening ${cluster.url}\n`);

const shutdown = async () => {
  await cluster.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
