/**
 * Revisions the API server rejects, end to end with the real Redis, Git server and the
 * embedded cluster: nothing of them is written (asserted on the API server's request log),
 * the failure is a SyncError condition and one log line, the revision is retried with
 * back-off rather than on every poll, and a new commit is tried at once.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../src/bounded.ts';
import { Controller } from '../../src/controller/controller.ts';
import { RETRY_BASE_DELAY_MS } from '../../src/controller/failures.ts';
import type { AppState } from '../../src/controller/state.ts';
import { GitSource } from '../../src/git/index.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster, type SimRequestLogEntry } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const CONFIG = (color: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n${extra}data:\n  color: ${color}\n`;
const SERVICE = (port: number) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n    - port: ${port}\n`;
const DEPLOYMENT = (templateLabel: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: ${templateLabel}}
    spec:
      containers:
        - {name: web, image: nginx:1.25}
`;
const GOOD = { 'app/config.yaml': CONFIG('blue'), 'app/service.yaml': SERVICE(80), 'app/deploy.yaml': DEPLOYMENT('web') };
/** Each changes the ConfigMap and the Service too: those writes would pass on their own. */
const REJECTED: { status: number; files: Record<string, string>; want: RegExp }[] = [
  { status: 422, files: { 'app/deploy.yaml': DEPLOYMENT('other') }, want: /422 Invalid.*spec\.template\.metadata\.labels.*selector. does not match template .labels/ },
  // 2 MiB of data, sent twice (data and the last-applied annotation): past the 3 MiB request limit
  { status: 413, files: { 'app/big.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: ${'x'.repeat(2 * 1024 * 1024)}\n` }, want: /413 RequestEntityTooLarge/ },
  { status: 404, files: { 'app/elsewhere.yaml': CONFIG('red').replace('name: settings', 'name: elsewhere\n  namespace: nowhere') }, want: /404 NotFound: namespaces "nowhere" not found/ },
];

const isWrite = (r: SimRequestLogEntry) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !r.query.getAll('dryRun').includes('All');

describe.skipIf(!gitAvailable() || !redisAvailable())('revisions the API server rejects', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let controller: Controller;
  const requests: SimRequestLogEntry[] = [];
  const lines: string[] = [];
  /** The app's stored state as a reader saw it the moment each of its lines was logged. */
  const stateAtLog = new Map<string, Promise<AppState | undefined>>();
  let rejects: TestRepo;
  let moving: TestRepo;

  beforeAll(async () => {
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, onRequest: (r) => requests.push(r) }), startGitServer(), startRedis()]);
    kube = await kubeClientFor(cluster.url);
    [rejects, moving] = await Promise.all([git.createRepo('rejects'), git.createRepo('moving')]);
    await rejects.commit(GOOD, 'good');
    await moving.commit({ 'app/config.yaml': CONFIG('blue') }, 'first');
    controller = await Controller.start({
      apps: [
        testApplication({ name: 'rejects', repoURL: rejects.url, intervalMs: 300 }),
        // polled once a minute: only the watch notices its new commits within the test
        testApplication({ name: 'moving', repoURL: moving.url, intervalMs: 60_000, selfHeal: false }),
      ],
      git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-rejected-git-')) }),
      kube,
      redisUrl: redis.url,
      prefix: 'rejected',
      selfHealDebounceMs: 50,
      sync: { pollIntervalMs: 50 },
      log: (line) => {
        lines.push(line);
        if (line.startsWith('rejects: ')) stateAtLog.set(line, controller.state('rejects'));
      },
    });
  });
  afterAll(async () => {
    await controller?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  });

  const liveConfig = async (app: string, name = 'settings') => (await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: app, name: name }))?.['data'] as JsonObject | undefined;
  /** Compared Synced at the revision (synced to it, or already matching it). */
  const syncedAt = (app: string, revision: string) =>
    until(`${app} Synced at ${revision.slice(0, 7)}`, async () => {
      const state = await controller.state(app);
      return state?.revision === revision && state.sync === 'Synced' ? state : undefined;
    });

  it.each(REJECTED)('applies nothing of a revision rejected with $status, logs it once and retries it with back-off', async ({ files, want }) => {
    const good = await rejects.commit(GOOD, 'good again');
    await syncedAt('rejects', good);
    const from = requests.length;
    const bad = await rejects.commit({ ...GOOD, 'app/config.yaml': CONFIG('green'), 'app/service.yaml': SERVICE(81), ...files }, 'bad');

    const [failed] = await until('the failed sync', async () => {
      const ops = (await controller.operations('rejects')).filter((o) => o.revision === bad);
      return ops.length > 0 ? ops : undefined;
    });
    expect(failed).toMatchObject({ phase: 'Failed', message: expect.stringMatching(want) });
    expect(failed!.message).toContain('nothing was applied');
    const state = await controller.state('rejects');
    expect(state?.conditions).toEqual([expect.objectContaining({ type: 'SyncError', message: expect.stringMatching(want) })]);

    // Five more polls (300 ms apart) compare the revision; none syncs it again within its 10 s back-off.
    const compares = controller.compareCounts.full;
    await until('five more compares', async () => controller.compareCounts.full >= compares + 5);
    expect((await controller.operations('rejects')).filter((o) => o.revision === bad)).toHaveLength(1);
    const line = `rejects: poll sync of ${bad.slice(0, 7)} Failed: ${failed!.message}`;
    expect(lines.filter((l) => l.includes(`sync of ${bad.slice(0, 7)} Failed`))).toEqual([line]);
    expect((await stateAtLog.get(line))?.conditions).toEqual([expect.objectContaining({ type: 'SyncError' })]);

    expect(requests.slice(from).filter(isWrite)).toEqual([]);
    expect(requests.slice(from).some((r) => r.query.getAll('dryRun').includes('All'))).toBe(true);
    expect(await liveConfig('rejects')).toEqual({ color: 'blue' });
    const added = Object.keys(files).filter((f) => !(f in GOOD));
    if (added.length > 0) await rejects.commit(Object.fromEntries(added.map((f) => [f, null])), 'drop the rejected files');
  }, 30_000);

  it('tries a new commit at once, and clears the SyncError when it syncs', async () => {
    const bad = await rejects.commit({ ...GOOD, 'app/deploy.yaml': DEPLOYMENT('other') }, 'rejected again');
    const [failed] = await until('the failed sync', async () => {
      const ops = (await controller.operations('rejects')).filter((o) => o.revision === bad);
      return ops.length > 0 ? ops : undefined;
    });
    expect(failed).toMatchObject({ phase: 'Failed' });
    const fixed = await rejects.commit({ ...GOOD, 'app/config.yaml': CONFIG('green') }, 'fixed');
    const state = await until('fixed synced', async () => {
      const s = await controller.state('rejects');
      return s?.syncedRevision === fixed ? s : undefined;
    });
    expect(state.conditions).toBeUndefined();
    // at once: while the back-off still held the failed revision (10 s after its failure), not after it
    const [synced] = (await controller.operations('rejects')).filter((o) => o.revision === fixed);
    expect(Date.parse(synced!.startedAt)).toBeLessThan(Date.parse(failed!.finishedAt) + RETRY_BASE_DELAY_MS);
    expect(await liveConfig('rejects')).toEqual({ color: 'green' });
  });

  it('logs a render failure once, at its file:line, as a ComparisonError', async () => {
    const broken = await rejects.commit({ ...GOOD, 'app/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  name: twice\n' }, 'broken');
    const state = await until('ComparisonError', async () => {
      const s = await controller.state('rejects');
      return s?.revision === broken && s.conditions?.some((c) => c.type === 'ComparisonError') ? s : undefined;
    });
    expect(state.conditions).toEqual([expect.objectContaining({ type: 'ComparisonError', message: expect.stringContaining('app/config.yaml:5') })]);
    const compares = controller.compareCounts.full;
    await until('five more compares', async () => controller.compareCounts.full >= compares + 5);
    const logged = lines.filter((l) => l.includes(`at ${broken.slice(0, 7)} failed`));
    expect(logged).toEqual([expect.stringMatching(/^rejects: rendering app at [0-9a-f]{7} failed with 1 error: app\/config\.yaml:5: /)]);
    // the condition was stored before the line was logged: a reader of the line finds it
    expect(await stateAtLog.get(logged[0]!)).toMatchObject({ revision: broken, conditions: [expect.objectContaining({ type: 'ComparisonError' })] });

    const fixed = await rejects.commit(GOOD, 'repaired');
    expect((await syncedAt('rejects', fixed)).conditions).toBeUndefined();
  });

  it('bounds and logs once a failure that quotes a 100,000-character name', async () => {
    const huge = await rejects.commit({ 'app/huge.yaml': CONFIG('blue').replace('name: settings', `name: ${'n'.repeat(100_000)}`) }, 'huge name');
    await until('the failure logged', async () => lines.some((l) => l.includes(huge.slice(0, 7)) && l.includes('nnnnnnnnnn')));
    const compares = controller.compareCounts.full;
    await until('five more compares', async () => controller.compareCounts.full >= compares + 5);
    const state = (await controller.state('rejects'))!;
    expect(state.conditions).toEqual([expect.objectContaining({ type: expect.stringMatching(/^(ComparisonError|SyncError)$/) })]);
    const shown = [state.message ?? '', ...(state.conditions ?? []).map((c) => c.message), ...(await controller.operations('rejects', 1)).map((o) => o.message)];
    for (const text of shown) expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    const logged = lines.filter((l) => l.includes('nnnnnnnnnn'));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    const fixed = await rejects.commit({ 'app/huge.yaml': null }, 'drop it');
    expect((await syncedAt('rejects', fixed)).conditions).toBeUndefined();
  });

  it('syncs a new revision the watch noticed as a poll, without the self-heal back-off, on an app without selfHeal', async () => {
    const first = await until('moving synced', async () => (await controller.state('moving'))?.syncedRevision);
    const drift = () => kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'moving', name: 'settings' }, { data: { color: 'red' } }, { type: 'merge' });
    for (const color of ['green', 'yellow', 'purple']) {
      const next = await moving.commit({ 'app/config.yaml': CONFIG(color) }, color);
      await drift(); // the watch sees it and refreshes; the refresh finds the new commit
      // moving's next poll is a minute away: the watch's refresh is what applies it
      await until(`${color} applied`, async () => ((await liveConfig('moving'))?.['color'] === color ? true : undefined));
      expect((await controller.operations('moving'))[0]).toMatchObject({ revision: next, trigger: 'poll', phase: 'Succeeded' });
    }
    expect(first).toMatch(/^[0-9a-f]{40}$/);
    expect((await controller.operations('moving')).some((o) => o.trigger === 'self-heal')).toBe(false);
    expect(lines.filter((l) => l.startsWith('moving:') && l.includes('self-heal'))).toEqual([]);
  });
});
