/**
 * `npm run bench -- faults`: the seven closing figures of issue 11, measured on real parts
 * (the embedded API server, redis-server, git http-backend, controller processes):
 *  a. kill -9 of a controller at random points of a many-object sync: converged, objects
 *     written once per revision, kill → takeover (target ≤ 5 s);
 *  b. Redis killed mid-sync N times: converged, explicit requests lost (0), log lines per
 *     outage (one down, one up);
 *  c. two controller processes on one Redis: converged, each object written once per revision;
 *  d. an API server answering 500/429/409 or resetting the connection (a fault proxy):
 *     converged, writes per object per revision;
 *  e. malformed revisions (bad YAML, names, labels, 422/413/404, type errors, duplicates,
 *     kustomization errors): crashes, partial applies, silent failures (each must be logged
 *     once, with file:line for render errors, and be a condition on the app's status);
 *  f. secrets: no Secret value in any log line, diff output, or Redis key or value;
 *  g. path escapes and remote-fetch shapes in kustomizations: all refused, nothing fetched.
 * Defaults keep a run within a few minutes; FAULTS_FULL=1 uses the issue's sizes (300 objects,
 * 10 kills, 7 outages, 200 malformed revisions); FAULTS_ONLY=a,e runs some figures only.
 */
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Application } from '../src/app/types.ts';
import { Controller } from '../src/controller/controller.ts';
import { textDiff } from '../src/diff/text-diff.ts';
import { GitSource } from '../src/git/index.ts';
import type { JsonObject } from '../src/json.ts';
import { kubeClientFor, type KubeClient } from '../src/kube/client.ts';
import { QueueUnavailableError, SluiceQueue } from '../src/queue/producer.ts';
import { renderSource } from '../src/render/index.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../src/sim/index.ts';
import { compareApp, isRenderFailure } from '../src/sync/compare.ts';
import { syncApp } from '../src/sync/operation.ts';
import { testApplication } from '../test/support/apps.ts';
import { startCountingProxy, type ProxyFault } from '../test/support/counting-proxy.ts';
import { PATH_ESCAPE_SHAPES, remoteShapes } from '../test/support/escape-shapes.ts';
import { startGitServer, type GitServer } from '../test/support/git-server.ts';
import { killDuringSyncs, versionedConfigMaps } from '../test/support/kill-rounds.ts';
import { startRedis, type TestRedis } from '../test/support/redis.ts';
import { until } from '../test/support/wait.ts';
import { startControllerProcess } from '../test/controller/spawn.ts';
import { DEFECTS, MARK, goodApp, malformedRevision } from './lib/malformed.ts';
import { percentile, renderTable } from './lib/stats.ts';

const FULL = process.env['FAULTS_FULL'] === '1';
const SIZE = FULL
  ? { killObjects: 300, kills: 10, outages: 7, outageObjects: 300, twoRevisions: 10, faultObjects: 300, faultRevisions: 5, malformed: 200 }
  : { killObjects: 100, kills: 3, outages: 3, outageObjects: 50, twoRevisions: 4, faultObjects: 50, faultRevisions: 3, malformed: 2 * DEFECTS.length };
const ONLY = new Set((process.env['FAULTS_ONLY'] ?? 'a,b,c,d,e,f,g').split(','));
const TAKEOVER_TARGET_MS = 5_000;
const FAULT_EVERY = 25;

interface Figure {
  readonly id: string;
  readonly what: string;
  readonly numbers: string;
  readonly ok: boolean;
}

interface Env {
  readonly cluster: SimCluster;
  readonly kube: KubeClient;
  readonly git: GitServer;
  readonly redis: TestRedis;
  readonly requests: readonly SimRequestLogEntry[];
  /** every line every in-process controller logged, for the secrets figure */
  readonly lines: string[];
}

const isWrite = (r: SimRequestLogEntry): boolean => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.query.getAll('dryRun').includes('All') && r.status < 300;

/** Successful non-dry-run writes per object name in a namespace, from a slice of the request log. */
function writesIn(requests: readonly SimRequestLogEntry[], namespace: string, plural = 'configmaps'): Map<string, number> {
  const counts = new Map<string, number>();
  const prefix = `/api/v1/namespaces/${namespace}/${plural}`;
  for (const r of requests) {
    if (!isWrite(r) || !r.path.startsWith(prefix)) continue;
    const name = r.method === 'POST' ? `(create)` : r.path.slice(prefix.length + 1);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

async function configMapsAt(kube: KubeClient, namespace: string, version: number): Promise<number> {
  const list = await kube.list('v1', 'ConfigMap', { namespace });
  return list.items.filter((cm) => (cm['data'] as JsonObject | undefined)?.['version'] === String(version)).length;
}

async function inProcessController(env: Env, apps: Application[], prefix: string, kube: KubeClient = env.kube): Promise<Controller> {
  return Controller.start({
    apps,
    git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), `sluice-faults-${prefix}-`)), refsTtlMs: 200 }),
    kube,
    redisUrl: env.redis.url,
    prefix,
    selfHealDebounceMs: 50,
    sync: { pollIntervalMs: 50 },
    log: (line) => env.lines.push(line),
  });
}

async function killFigure(env: Env): Promise<Figure> {
  const requests: SimRequestLogEntry[] = [];
  const cluster = await startSimCluster({ port: 0, controllers: false, onRequest: (r) => requests.push(r) });
  const kube = await kubeClientFor(cluster.url);
  try {
    const repo = await env.git.createRepo('kill9');
    const rounds = await killDuringSyncs({ simUrl: cluster.url, redisUrl: env.redis.url, repo, kube, requests, app: 'big', objects: SIZE.killObjects, rounds: SIZE.kills, prefix: 'faults-kill9' });
    const takeovers = rounds.map((r) => r.takeoverMs);
    const notOnce = rounds.reduce((n, r) => n + r.writesPerObject.filter((w) => w !== 1).length, 0);
    return {
      id: 'a',
      what: `kill -9 mid-sync, ${SIZE.kills} random points, ${SIZE.killObjects} objects`,
      numbers: `converged ${rounds.length}/${SIZE.kills}; objects not written exactly once ${notOnce}; killed after ${rounds.map((r) => r.writtenBeforeKill).join(', ')} objects; takeover ms median ${Math.round(percentile(takeovers, 50))}, max ${Math.max(...takeovers)} (target ≤ ${TAKEOVER_TARGET_MS}); kill → synced max ${Math.max(...rounds.map((r) => r.syncedMs))} ms`,
      ok: rounds.length === SIZE.kills && notOnce === 0 && Math.max(...takeovers) <= TAKEOVER_TARGET_MS,
    };
  } finally {
    await kube.close();
    await cluster.stop();
  }
}

async function redisFigure(env: Env): Promise<Figure> {
  let redis = await startRedis();
  const lines: string[] = [];
  const printed: string[] = [];
  const consoleError = console.error;
  console.error = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  const repo = await env.git.createRepo('outage');
  await repo.commit(versionedConfigMaps('app', SIZE.outageObjects, 0), 'v0');
  const controller = await Controller.start({
    apps: [testApplication({ name: 'outage', repoURL: repo.url, intervalMs: 300 })],
    git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-faults-outage-')), refsTtlMs: 200 }),
    kube: env.kube,
    redisUrl: redis.url,
    log: (line) => lines.push(line),
  });
  let refused = 0;
  let accepted = 0;
  let converged = 0;
  try {
    await until('v0 synced', async () => (await configMapsAt(env.kube, 'outage', 0)) === SIZE.outageObjects, 60_000, 50);
    for (let v = 1; v <= SIZE.outages; v++) {
      await repo.commit(versionedConfigMaps('app', SIZE.outageObjects, v), `v${v}`);
      await until(`the sync of v${v} to start`, async () => (await configMapsAt(env.kube, 'outage', v)) > 0, 60_000, 5);
      await redis.stop();
      await until('the outage logged', () => lines.filter((l) => l.includes('unreachable')).length >= v, 20_000, 20);
      const producer = new SluiceQueue({ connection: redis.url });
      try {
        await producer.requestSync('outage', { trigger: 'manual' });
        accepted++;
      } catch (e) {
        if (e instanceof QueueUnavailableError) refused++;
        else throw e;
      } finally {
        await producer.close().catch(() => undefined);
      }
      redis = await startRedis({ port: redis.port });
      await until('the recovery logged', () => lines.filter((l) => l.includes('reachable again')).length >= v, 30_000, 20);
      await until(`v${v} synced after the restart`, async () => (await configMapsAt(env.kube, 'outage', v)) === SIZE.outageObjects, 60_000, 50);
      converged++;
    }
  } finally {
    await controller.stop();
    await redis.stop();
    console.error = consoleError;
  }
  const down = lines.filter((l) => l.includes('unreachable')).length;
  const up = lines.filter((l) => l.includes('reachable again')).length;
  const traces = [...lines, ...printed].filter((l) => l.includes('[ioredis]') || /Missing (key|lock) for job|\n\s+at /.test(l)).length;
  // a request made during an outage is lost when it was neither refused to the caller nor kept
  const lost = SIZE.outages - refused - accepted;
  env.lines.push(...lines);
  return {
    id: 'b',
    what: `Redis killed mid-sync ${SIZE.outages} times (restarted without its data)`,
    numbers: `converged ${converged}/${SIZE.outages}; requests during outages: ${refused} refused loudly, ${accepted} kept, ${lost} lost; log lines per outage: ${down / SIZE.outages} down + ${up / SIZE.outages} up; stack traces / ioredis lines ${traces}`,
    ok: converged === SIZE.outages && lost === 0 && down === SIZE.outages && up === SIZE.outages && traces === 0,
  };
}

async function twoControllersFigure(env: Env): Promise<Figure> {
  const apps = ['one', 'two', 'three', 'four'];
  const repo = await env.git.createRepo('two');
  const commit = (v: number) => repo.commit(Object.fromEntries(apps.map((a) => [`${a}/config.yaml`, versionedConfigMaps(a, 1, v)[`${a}/configmaps.yaml`]!])), `v${v}`);
  await commit(0);
  const from = env.requests.length;
  const children = await Promise.all(
    [0, 1].map(async () =>
      startControllerProcess({ SIM_URL: env.cluster.url, REDIS_URL: env.redis.url, REPO_URL: repo.url, APPS: apps.join(','), CACHE_DIR: await mkdtemp(path.join(tmpdir(), 'sluice-faults-two-')), PREFIX: 'faults-two', LOCK_MS: '1000', STALL_MS: '500' }),
    ),
  );
  let converged = 0;
  try {
    for (let v = 0; v <= SIZE.twoRevisions; v++) {
      if (v > 0) await commit(v);
      await until(`v${v} in every app`, async () => (await Promise.all(apps.map((a) => configMapsAt(env.kube, a, v)))).every((n) => n === 1), 60_000, 50);
      converged++;
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
  const writes = apps.map((a) => [...writesIn(env.requests.slice(from), a).values()].reduce((x, y) => x + y, 0));
  const want = SIZE.twoRevisions + 1;
  return {
    id: 'c',
    what: `two controller processes on one Redis, ${apps.length} apps, ${want} revisions`,
    numbers: `converged ${converged}/${want} revisions; writes per app ${writes.join(', ')} (exactly once per revision: ${want})`,
    ok: converged === want && writes.every((w) => w === want),
  };
}

async function apiFaultsFigure(env: Env): Promise<Figure> {
  const kinds: ProxyFault[] = [{ status: 500, reason: 'InternalError' }, { status: 429, reason: 'TooManyRequests' }, { status: 409, reason: 'Conflict' }, 'reset'];
  const injected = new Map<string, number>();
  // every 25th request that is not a watch gets the next fault in turn; a 409 Conflict (optimistic
  // concurrency) only ever answers an update or patch, so another request due one gets a 500 instead
  const proxy = await startCountingProxy(env.cluster.url, {
    fault: (request, index) => {
      if (request.path.includes('watch=') || index % FAULT_EVERY !== 3) return undefined;
      const due = kinds[Math.floor(index / FAULT_EVERY) % kinds.length]!;
      const fault = due !== 'reset' && due.status === 409 && !['PATCH', 'PUT'].includes(request.method) ? kinds[0]! : due;
      const label = fault === 'reset' ? 'reset' : String(fault.status);
      injected.set(label, (injected.get(label) ?? 0) + 1);
      return fault;
    },
  });
  const kube = await kubeClientFor(proxy.url);
  const repo = await env.git.createRepo('flaky');
  await repo.commit(versionedConfigMaps('app', SIZE.faultObjects, 0), 'v0');
  const controller = await inProcessController(env, [testApplication({ name: 'flaky', repoURL: repo.url, intervalMs: 300 })], 'faults-api', kube);
  let converged = 0;
  let notOnce = 0;
  const started = Date.now();
  try {
    for (let v = 0; v <= SIZE.faultRevisions; v++) {
      const from = env.requests.length;
      if (v > 0) await repo.commit(versionedConfigMaps('app', SIZE.faultObjects, v), `v${v}`);
      await until(`v${v} synced through the faults`, async () => (await configMapsAt(env.kube, 'flaky', v)) === SIZE.faultObjects, Number(process.env['FAULTS_WAIT_MS'] ?? 120_000), 50);
      converged++;
      if (v > 0) notOnce += [...writesIn(env.requests.slice(from), 'flaky').values()].filter((n) => n !== 1).length;
    }
  } finally {
    if (process.env['FAULTS_DEBUG']) console.log(env.lines.filter((l) => l.startsWith('flaky')).slice(0, 8).join('\n'));
    await controller.stop();
    await kube.close();
    await proxy.stop();
  }
  return {
    id: 'd',
    what: `API server faults (1 in ${FAULT_EVERY} requests: ${kinds.map((k) => (k === 'reset' ? 'reset' : k.status)).join('/')}), ${SIZE.faultObjects} objects, ${SIZE.faultRevisions + 1} revisions`,
    numbers: `converged ${converged}/${SIZE.faultRevisions + 1}; faults injected ${[...injected].map(([k, n]) => `${k}×${n}`).join(', ')} of ${proxy.requests.length} requests; objects not written exactly once per revision ${notOnce}; ${Math.round((Date.now() - started) / 1000)} s`,
    ok: converged === SIZE.faultRevisions + 1 && notOnce === 0,
  };
}

async function malformedFigure(env: Env): Promise<Figure> {
  const repo = await env.git.createRepo('malformed');
  const good = Object.fromEntries(Object.entries(goodApp('good')).filter(([, text]) => text !== null));
  await repo.commit(good, 'good');
  const present = new Set(Object.keys(good));
  const app = testApplication({ name: 'malformed', repoURL: repo.url, intervalMs: 300 });
  const fields: { line: string; revision?: string }[] = [];
  const controller = await Controller.start({
    apps: [app],
    git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-faults-malformed-')), refsTtlMs: 200 }),
    kube: env.kube,
    redisUrl: env.redis.url,
    prefix: 'faults-malformed',
    sync: { pollIntervalMs: 50 },
    log: (line, f) => {
      env.lines.push(line);
      fields.push({ line, ...(f?.revision === undefined ? {} : { revision: f.revision }) });
    },
  });
  const marks = async (): Promise<string[]> => {
    const objects = await Promise.all([
      env.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'malformed', name: 'settings' }),
      env.kube.get({ apiVersion: 'v1', kind: 'Service', namespace: 'malformed', name: 'web' }),
      env.kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'malformed', name: 'web' }),
    ]);
    return objects.map((o) => String(((o?.['metadata'] as JsonObject | undefined)?.['annotations'] as JsonObject | undefined)?.[MARK] ?? 'missing'));
  };
  let partial = 0;
  const silent: string[] = [];
  const noLine: string[] = [];
  const repeated: string[] = [];
  try {
    await until('the good revision synced', async () => (await marks()).every((m) => m === 'good'), 60_000, 50);
    const revisions: { sha: string; name: string; render: boolean }[] = [];
    for (let i = 0; i < SIZE.malformed; i++) {
      const { defect, files } = malformedRevision(i);
      // git deletes only files that exist
      const change = Object.fromEntries(Object.entries(files).filter(([f, text]) => text !== null || present.has(f)));
      const sha = await repo.commit(change, `malformed ${i}: ${defect.name}`);
      for (const [f, text] of Object.entries(change)) {
        if (text === null) present.delete(f);
        else present.add(f);
      }
      revisions.push({ sha, name: defect.name, render: defect.render });
      // The log line and the status condition are written one after the other: wait for both.
      const condition = async () => {
        const state = await controller.state('malformed');
        return state?.revision === sha ? state.conditions?.find((c) => c.type === 'ComparisonError' || c.type === 'SyncError') : undefined;
      };
      const shown = await until(
        `revision ${i} (${defect.name}) to be logged and a condition`,
        async () => {
          const line = fields.find((f) => f.revision === sha);
          return line !== undefined && (await condition()) !== undefined ? line : false;
        },
        30_000,
        20,
      ).catch(() => undefined);
      if (shown === undefined) {
        const logged = fields.some((f) => f.revision === sha);
        silent.push(`${i} ${defect.name} (${logged ? 'logged' : 'not logged'}, ${(await condition()) === undefined ? 'no condition' : 'a condition'})`);
      } else if (defect.render && !/\S+\.yaml:\d+/.test(shown.line)) noLine.push(`${i} ${defect.name}: ${shown.line.slice(0, 160)}`);
      if ((await marks()).some((m) => m !== 'good')) partial++;
    }
    // a few more polls, then each failure must still have been logged once
    const compares = controller.compareCounts.full;
    await until('three more compares', () => controller.compareCounts.full >= compares + 3, 30_000, 50);
    for (const r of revisions) if (fields.filter((f) => f.revision === r.sha).length > 1) repeated.push(r.name);
  } finally {
    await controller.stop();
  }
  const crashes = crashCount;
  return {
    id: 'e',
    what: `${SIZE.malformed} malformed revisions (${DEFECTS.length} kinds of defect, in turn)`,
    numbers: `crashes ${crashes}; partial applies ${partial}; silent failures ${silent.length}${silent.length ? ` (${silent.slice(0, 5).join('; ')})` : ''}; render errors without file:line ${noLine.length}${noLine.length ? ` (${noLine.slice(0, 2).join('; ')})` : ''}; logged more than once ${repeated.length}`,
    ok: crashes === 0 && partial === 0 && silent.length === 0 && noLine.length === 0 && repeated.length === 0,
  };
}

async function secretsFigure(env: Env): Promise<Figure> {
  const values = [`s3cret-${Math.random().toString(36).slice(2)}`, `s3cret-${Math.random().toString(36).slice(2)}`];
  const secret = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: ${value}\ndata:\n  token: ${Buffer.from(`${value}-token`).toString('base64')}\n`;
  const repo = await env.git.createRepo('secrets');
  await repo.commit({ 'app/secret.yaml': secret(values[0]!) }, 'v1');
  const app = testApplication({ name: 'secrets', repoURL: repo.url, intervalMs: 300 });
  const controller = await inProcessController(env, [app], 'faults-secrets');
  const diffs: string[] = [];
  try {
    const synced = async (value: string) => {
      const live = await env.kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'secrets', name: 'creds' });
      return (live?.['data'] as JsonObject | undefined)?.['password'] === Buffer.from(value).toString('base64');
    };
    await until('the secret synced', () => synced(values[0]!), 60_000, 50);
    // the diff a user sees (`sluice app diff`) of the change, computed on an app the controller does not sync
    const twin = testApplication({ name: 'secrets-diff', repoURL: repo.url, intervalMs: 300 });
    const ctx = controller.contextFor(twin);
    await syncApp(ctx, twin, { trigger: 'manual' });
    await repo.commit({ 'app/secret.yaml': secret(values[1]!) }, 'v2');
    const compared = await compareApp(ctx, twin);
    if (!isRenderFailure(compared)) {
      for (const r of compared.resources) diffs.push(textDiff({ ...(r.live ? { live: r.live } : {}), ...(r.desired && r.diff.predicted ? { predicted: r.diff.predicted } : {}), name: r.key.name }));
    }
    await until('the new secret synced', () => synced(values[1]!), 60_000, 50);
  } finally {
    await controller.stop();
  }
  const needles = values.flatMap((v) => [v, Buffer.from(v).toString('base64'), `${v}-token`, Buffer.from(`${v}-token`).toString('base64')]);
  const leaks = (texts: readonly string[]) => texts.filter((t) => needles.some((n) => t.includes(n))).length;
  const redisTexts = await dumpRedis(env.redis.url);
  const found = { log: leaks(env.lines), diff: leaks(diffs), redis: leaks(redisTexts) };
  const diffShown = diffs.some((d) => d.includes('password'));
  return {
    id: 'f',
    what: 'Secret values (stringData and data, two revisions)',
    numbers: `in ${env.lines.length} log lines: ${found.log}; in the diff (${diffShown ? 'shows the changed keys' : 'EMPTY: nothing compared'}): ${found.diff}; in ${redisTexts.length} Redis keys and values: ${found.redis}`,
    ok: found.log === 0 && found.diff === 0 && found.redis === 0 && diffShown,
  };
}

/** Every key and value in a Redis, as text (strings, hashes, lists, sets, sorted sets, streams). */
async function dumpRedis(url: string): Promise<string[]> {
  const redis = new Redis(url);
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 500);
      cursor = next;
      for (const key of batch) {
        out.push(key);
        const type = await redis.type(key);
        if (type === 'string') out.push((await redis.get(key)) ?? '');
        else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
    return out;
  } finally {
    redis.disconnect();
  }
}

async function escapesFigure(): Promise<Figure> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.end('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fetched}\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const shapes = [...remoteShapes(url), ...PATH_ESCAPE_SHAPES];
  const accepted: string[] = [];
  try {
    for (const shape of shapes) {
      const result = await renderSource(new Map(Object.entries(shape.files)), { path: shape.path ?? 'app', symlinks: new Map(Object.entries(shape.symlinks ?? {})) });
      const refused = !result.ok && result.errors.some((e) => e.code === 'PATH_ESCAPE' || e.code === 'SYMLINK_ESCAPE');
      if (!refused) accepted.push(shape.name);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return {
    id: 'g',
    what: `path escapes and remote fetches (${shapes.length} shapes: URLs, remote bases, ..,  absolute paths, symlinks)`,
    numbers: `refused ${shapes.length - accepted.length}/${shapes.length}${accepted.length ? ` (not refused: ${accepted.join('; ')})` : ''}; requests reaching the local server ${requests.length}`,
    ok: accepted.length === 0 && requests.length === 0,
  };
}

let crashCount = 0;

export async function run(): Promise<number> {
  const onCrash = (e: unknown) => {
    crashCount++;
    console.log(`faults: uncaught ${e instanceof Error ? e.message : String(e)}`);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const requests: SimRequestLogEntry[] = [];
  const [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, controllers: false, onRequest: (r) => requests.push(r) }), startGitServer(), startRedis()]);
  const kube = await kubeClientFor(cluster.url);
  const env: Env = { cluster, kube, git, redis, requests, lines: [] };
  const figures: Figure[] = [];
  const steps: [string, () => Promise<Figure>][] = [
    ['g', escapesFigure],
    ['e', () => malformedFigure(env)],
    ['d', () => apiFaultsFigure(env)],
    ['c', () => twoControllersFigure(env)],
    ['b', () => redisFigure(env)],
    ['a', () => killFigure(env)],
    // last: it reads the log lines and the Redis the others left
    ['f', () => secretsFigure(env)],
  ];
  console.log(`faults: ${FULL ? 'full size (FAULTS_FULL=1)' : 'default size (FAULTS_FULL=1 for the issue sizes)'}`);
  try {
    for (const [id, measure] of steps) {
      if (!ONLY.has(id)) continue;
      const started = Date.now();
      try {
        figures.push(await measure());
      } catch (e) {
        figures.push({ id, what: 'failed to run', numbers: e instanceof Error ? e.message : String(e), ok: false });
      }
      console.log(`  ${id}: ${figures.at(-1)!.ok ? 'ok' : 'MISSED'} in ${Math.round((Date.now() - started) / 1000)} s`);
    }
  } finally {
    await kube.close();
    await Promise.all([cluster.stop(), git.stop(), redis.stop()]);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
  figures.sort((x, y) => (x.id < y.id ? -1 : 1));
  console.log(
    renderTable<Figure>(
      [
        { header: '', align: 'left', cell: (f) => f.id },
        { header: 'fault', align: 'left', cell: (f) => f.what },
        { header: 'figures', align: 'left', cell: (f) => f.numbers },
        { header: '', align: 'left', cell: (f) => (f.ok ? 'ok' : 'MISSED') },
      ],
      figures,
    ),
  );
  return figures.every((f) => f.ok) ? 0 : 1;
}
