/**
 * Controller processes killed with SIGKILL in the middle of a sync of one many-object app, at
 * random points: shared by the fault test (test/controller/kill-recovery.test.ts) and
 * `npm run bench -- faults`. Each round commits a new revision, kills the process holding the
 * app's lock once the sync has written a random number of objects, starts a replacement (as a
 * supervisor would), and measures how long until another process takes the app over and
 * until the revision is fully synced; the API server's request log says how often each
 * object was written for that revision.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { JsonObject } from '../../src/json.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { keys } from '../../src/queue/keys.ts';
import type { SimRequestLogEntry } from '../../src/sim/index.ts';
import { holderPid, startControllerProcess } from '../controller/spawn.ts';
import type { TestRepo } from './git-server.ts';
import { isWrite } from './sim.ts';
import { until } from './wait.ts';

export interface KillRoundsSetup {
  readonly simUrl: string;
  readonly redisUrl: string;
  readonly repo: TestRepo;
  readonly kube: KubeClient;
  /** the API server's request log (startSimCluster's onRequest), appended to as requests complete */
  readonly requests: readonly SimRequestLogEntry[];
  /** the app's name: its directory in the repository and its namespace */
  readonly app: string;
  readonly objects: number;
  readonly rounds: number;
  readonly prefix: string;
}

export interface KillRound {
  /** objects at the new revision when the process was killed */
  readonly writtenBeforeKill: number;
  /** kill → the dead process's lock replaced by another process's */
  readonly takeoverMs: number;
  /** kill → every object at the new revision */
  readonly syncedMs: number;
  /** successful non-dry-run writes per object for the round's revision */
  readonly writesPerObject: readonly number[];
}

/** The app's manifests at `version`: `objects` ConfigMaps in one file, each carrying the version. */
export function versionedConfigMaps(app: string, objects: number, version: number): Record<string, string> {
  const docs = Array.from({ length: objects }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  version: "${version}"\n`);
  return { [`${app}/configmaps.yaml`]: docs.join('---\n') };
}


/** Runs the rounds with two controller processes (and their replacements); every process is killed at the end. */
export async function killDuringSyncs(setup: KillRoundsSetup): Promise<KillRound[]> {
  const { app, objects, repo, kube, requests } = setup;
  const connection = new Redis(setup.redisUrl);
  const children: ChildProcess[] = [];
  const start = async (): Promise<ChildProcess> => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-kill9-'));
    const child = await startControllerProcess({ SIM_URL: setup.simUrl, REDIS_URL: setup.redisUrl, REPO_URL: repo.url, APPS: app, CACHE_DIR: cacheDir, PREFIX: setup.prefix });
    children.push(child);
    return child;
  };
  const at = async (version: number): Promise<number> => {
    const list = await kube.list('v1', 'ConfigMap', { namespace: app });
    return list.items.filter((cm) => (cm['data'] as JsonObject | undefined)?.['version'] === String(version)).length;
  };
  try {
    const lockKey = keys({ prefix: setup.prefix }).appLock(app);
    let version = 0;
    await repo.commit(versionedConfigMaps(app, objects, version), `v${version}`);
    let processes: ChildProcess[] = await Promise.all([start(), start()]);
    await until('the first revision synced', async () => (await at(0)) === objects, 60_000, 100);
    const rounds: KillRound[] = [];
    for (let round = 1; round <= setup.rounds; round++) {
      // a random point of the sync; a sync that ends before the point is seen is tried again with the next revision
      let victimPid: number | undefined;
      let from = requests.length;
      while (victimPid === undefined) {
        const v = ++version;
        from = requests.length;
        await repo.commit(versionedConfigMaps(app, objects, v), `v${v}`);
        const point = 1 + Math.floor(Math.random() * (objects - 1));
        const seen = await until(`the sync of v${v} to pass ${point} objects`, async () => {
          const pid = holderPid(await connection.get(lockKey));
          const written = await at(v);
          if (written === objects && pid === undefined) return 'over';
          return written >= point && pid !== undefined && pid;
        }, 60_000, 10);
        if (seen !== 'over') victimPid = seen;
      }
      const victim = processes.find((p) => p.pid === victimPid);
      if (victim === undefined) throw new Error(`the lock holder ${victimPid} is not one of the controller processes`);
      const victimLock = await connection.get(lockKey);
      victim.kill('SIGKILL');
      const killedAt = Date.now();
      const writtenBeforeKill = await at(version);
      const replacement = start();
      // taken over: the dead process's lock value is replaced (it changes only when another process takes it)
      await until('another process to take the app over', async () => (await connection.get(lockKey)) !== victimLock, 30_000, 20);
      const takeoverMs = Date.now() - killedAt;
      await until(`v${version} synced by the survivor`, async () => (await at(version)) === objects, 60_000, 50);
      const syncedMs = Date.now() - killedAt;
      const counts = new Map<string, number>();
      for (const r of requests.slice(from)) {
        if (!isWrite(r) || !r.path.startsWith(`/api/v1/namespaces/${app}/configmaps/`)) continue;
        const name = r.path.slice(r.path.lastIndexOf('/') + 1);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      rounds.push({ writtenBeforeKill, takeoverMs, syncedMs, writesPerObject: Array.from({ length: objects }, (_, i) => counts.get(`cm-${i}`) ?? 0) });
      processes = [...processes.filter((p) => p !== victim), await replacement];
    }
    return rounds;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    connection.disconnect();
  }
}
