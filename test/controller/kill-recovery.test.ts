/**
 * Fault test: a controller process killed with SIGKILL in the middle of a 300-object sync,
 * at 10 random points. The other process must take the app over within 5 s (the dead
 * process's lease expires, BullMQ's stall detection hands its job back) and finish the
 * sync, writing each object once for the revision; a replacement process is started
 * meanwhile, as a supervisor would (test/support/kill-rounds.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';
import { killDuringSyncs } from '../support/kill-rounds.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';

const OBJECTS = 300;
const ROUNDS = 10;
const TAKEOVER_LIMIT_MS = 5_000;

describe.skipIf(!gitAvailable() || !redisAvailable())('a controller killed with SIGKILL mid-sync', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  const requests: SimRequestLogEntry[] = [];

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false, onRequest: (r) => requests.push(r) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
  });
  afterAll(async () => {
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  it(`is taken over within ${TAKEOVER_LIMIT_MS / 1000} s at ${ROUNDS} random points, and the sync finishes writing each object once`, async () => {
    const repo = await git.createRepo('big');
    const rounds = await killDuringSyncs({ simUrl: cluster.url, redisUrl: redis.url, repo, kube, requests, app: 'big', objects: OBJECTS, rounds: ROUNDS, prefix: 'kill9' });
    for (const r of rounds) console.info(`kill -9 after ${r.writtenBeforeKill}/${OBJECTS} objects: taken over in ${r.takeoverMs} ms, synced ${r.syncedMs} ms after the kill`);
    const takeovers = rounds.map((r) => r.takeoverMs);
    console.info(`takeover after kill -9 (ms): ${takeovers.join(', ')}; max ${Math.max(...takeovers)}`);
    expect(rounds).toHaveLength(ROUNDS);
    expect(Math.max(...takeovers)).toBeLessThan(TAKEOVER_LIMIT_MS);
    expect(rounds.map((r) => r.writesPerObject.filter((n) => n !== 1).length)).toEqual(rounds.map(() => 0));
  }, 600_000);
});
