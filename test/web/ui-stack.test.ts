/**
 * The web UI end to end on the real stack: the API server in the controller process
 * (runController, as `sluice start` runs it), the embedded cluster on a ScaledClock, a real
 * redis-server and a real `git http-backend`, driven in Debian's Chromium (playwright-core,
 * headless). Waits are on DOM and cluster state, never sleeps. Screenshots of the apps page,
 * an app during a rollout and a diff go to test/artifacts/stack-*.png.
 *
 * The cases run in order on one stack: a commit rolls out, drift shows as a diff, a rollback
 * pins the app, a viewer looks, the server goes away and comes back.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { hashToken, TokenStore } from '../../src/api/auth.ts';
import type { Application } from '../../src/app/types.ts';
import { runController, WEB_DIST, type RunningController } from '../../src/controller/run.ts';
import type { JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { testApplication } from '../support/apps.ts';
import { ARTIFACTS, chromiumAvailable, ensureWebBuilt, launchBrowser } from '../support/browser.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';
import { explaining, until } from '../support/wait.ts';
import { deploymentState } from '../support/workload-state.ts';

/** Cluster time runs this much faster than the wall clock: a 2 s readiness delay takes 0.4 s. */
const SPEED = 5;
const OPERATOR = { token: 'stack-operator-token', name: 'alice', role: 'operator' as const };
const VIEWER = { token: 'stack-viewer-token', name: 'bob', role: 'viewer' as const };
const SECRET_VALUE = 'hunter2-stack';
/** Each case waits on a browser, a controller and a cluster sharing two loaded cores. */
const TEST_MS = 240_000;
/** Any one wait for the page or the cluster: the loaded machine, not the product, sets this. */
const WAIT_MS = 60_000;

const files = (version: string): Record<string, string> => ({
  'app/deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {sim.sluice.dev/ready-after: 2s}
    spec:
      containers: [{name: web, image: "guestbook:${version}"}]
`,
  'app/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n',
  'app/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: blue, version: "${version}"}\n`,
  'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: web-credentials}\nstringData: {password: ${SECRET_VALUE}}\n`,
});

const short = (sha: string) => sha.slice(0, 7);

/** The controller's recent log lines (not the API server's request lines): what a failed wait shows beside the cluster's state. */
const LOG_TAIL = 60;
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line !== '' && !line.includes('"reqId"')) logLines.push(line);
    logLines.splice(0, Math.max(0, logLines.length - LOG_TAIL));
    done();
  },
});

describe.skipIf(!chromiumAvailable() || !gitAvailable() || !redisAvailable())('web UI on the real stack', () => {
  let cluster: SimCluster;
  let git: GitServer;
  let redis: TestRedis;
  let kube: KubeClient;
  let repo: TestRepo;
  let app: Application;
  let cacheDir: string;
  let server: RunningController | undefined;
  let browser: Browser;
  let page: Page;
  let first: string;
  let second: string;

  /** The controller process's API server and controller, as `sluice start` runs them (port 0: any). */
  async function startServer(port = 0): Promise<RunningController> {
    const tokens = new TokenStore([OPERATOR, VIEWER].map((t) => ({ name: t.name, role: t.role, sha256: hashToken(t.token) })));
    const running = await runController({
      apps: [app],
      server: cluster.url,
      redisUrl: redis.url,
      concurrency: 4,
      cacheDir,
      api: { host: '127.0.0.1', port, tokens, webDist: WEB_DIST },
      logger: pino({ level: 'info', base: null }, logSink),
      clock: cluster.clock as ScaledClock,
      connectTimeoutMs: 20_000,
    });
    if (typeof running === 'string') throw new Error(running);
    return running;
  }

  async function openPage(token: string, hash = '#/'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const opened = await context.newPage();
    opened.setDefaultTimeout(WAIT_MS);
    await opened.addInitScript(`sessionStorage.setItem('sluice.token', ${JSON.stringify(token)})`);
    await opened.goto(`${server!.apiUrl}/${hash}`);
    await opened.locator('.conn-live').waitFor();
    return opened;
  }

  const shot = async (name: string) => {
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
  };
  /** Pods shown under each ReplicaSet of the tree, ascending. */
  const podsPerReplicaSet = async () =>
    ((await page.locator('.tree li[data-key^="apps/ReplicaSet/guestbook/"]').evaluateAll((sets) => sets.map((rs) => rs.querySelectorAll('li[data-key^="Pod/"]').length))) as number[]).sort((a, b) => a - b);
  const deployment = async () => (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'guestbook', name: 'web' })) as JsonObject;
  /** Where the app stood: its Deployment, ReplicaSets and pods, the rollout and state in Redis, the controller's last log lines. */
  const stackState = async () => {
    const controller = server?.controller;
    return [
      await deploymentState(kube, 'guestbook', 'web'),
      `rollout: ${JSON.stringify(await controller?.rollouts.store.get('guestbook'))}`,
      `state: ${JSON.stringify(await controller?.state('guestbook'))}`,
      'controller log:',
      ...logLines,
    ].join('\n');
  };
  const imageOf = (d: JsonObject) => (d['spec'] as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0, clock: new ScaledClock({ speed: SPEED }) }), startGitServer(), startRedis(), ensureWebBuilt()]);
    kube = await kubeClientFor(cluster.url);
    repo = await git.createRepo('guestbook');
    first = await repo.commit(files('1.4.2'), 'guestbook 1.4.2');
    cacheDir = await mkdtemp(path.join(tmpdir(), 'sluice-ui-stack-'));
    // held at its first step until promoted, so the test decides when the rollout moves on
    app = testApplication({ name: 'guestbook', repoURL: repo.url, intervalMs: 500, rollout: { steps: [50, 100], stepHoldMs: 3_600_000, maxSurge: 1, maxUnavailable: 0 } });
    server = await startServer();
    await until('guestbook synced and healthy', async () => {
      const state = await server!.controller.state('guestbook');
      return state?.sync === 'Synced' && state.health === 'Healthy';
    }, 60_000);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
    await kube?.close();
    await Promise.all([cluster?.stop(), git?.stop(), redis?.stop()]);
  }, TEST_MS);

  it('lists the app with its status and revision, and opens it on its resource tree down to the pods', async () => {
    page = await openPage(OPERATOR.token);
    const row = page.locator('tr[data-app="guestbook"]');
    await row.getByText('Synced').waitFor();
    const text = await row.innerText();
    expect(text).toContain('Healthy');
    expect(text).toContain(short(first));
    expect(text).toContain('guestbook 1.4.2');
    await shot('stack-apps-page.png');

    await page.getByRole('link', { name: 'guestbook' }).click();
    await page.getByRole('heading', { name: 'guestbook', level: 1 }).waitFor();
    const tree = page.locator('.tree');
    await tree.locator('li[data-key="apps/Deployment/guestbook/web"] li[data-key^="apps/ReplicaSet/guestbook/web-"] li[data-key^="Pod/guestbook/web-"]').first().waitFor();
    expect(await tree.locator('li[data-key^="Pod/guestbook/web-"]').count()).toBe(4);
    for (const key of ['Service/guestbook/web', 'ConfigMap/guestbook/settings', 'Secret/guestbook/web-credentials']) await tree.locator(`li[data-key="${key}"]`).waitFor();
  }, TEST_MS);

  it('shows a pushed commit rolling out: step 1 of 2 held, pod counts moving, then promoted to the end', async () => {
    // every value the "updated" count shows, as the page shows it
    await page.evaluate(`window.__updated = [];
      new MutationObserver(() => {
        const text = document.querySelector('[data-workload="web"] [data-count="updated"]')?.textContent;
        if (text && window.__updated.at(-1) !== text) window.__updated.push(text);
      }).observe(document.body, { childList: true, subtree: true, characterData: true });`);
    second = await repo.commit(files('1.5.0'), 'guestbook 1.5.0');
    await page.getByRole('button', { name: 'Refresh' }).click();

    const rollout = page.locator('section[aria-labelledby="rollout-heading"]');
    await rollout.getByRole('heading', { name: new RegExp(`Rollout of ${short(second)}`) }).waitFor();
    expect(await page.getByTestId('rollout-step').innerText()).toBe('1');
    expect(await rollout.innerText()).toContain('Step 1 of 2');
    const updated = page.locator('[data-workload="web"] [data-count="updated"]');
    // step 1 holds at its target of 2 new pods, or up to maxSurge (1) past it: the Deployment
    // controller's last move before the driver's pause landed (on a loaded host it often has)
    await explaining(page.getByTestId('hold').waitFor(), stackState);
    const held = await updated.innerText();
    expect(['2/4', '3/4']).toContain(held);
    expect(await rollout.innerText()).toContain('step target 2');
    // the tree moves with it, pushed by the server: the new ReplicaSet and its pods beside the old one's
    await until('two ReplicaSets with pods each in the tree', async () => (await podsPerReplicaSet()).filter((n) => n > 0).length === 2, WAIT_MS);
    await shot('stack-app-rollout.png');

    await page.getByRole('button', { name: 'Promote' }).click();
    await page.getByTestId('rollout-step').getByText('2', { exact: true }).waitFor();
    await updated.getByText('4/4', { exact: true }).waitFor();
    await rollout.locator('.status-succeeded').waitFor();
    await until('the old ReplicaSet empty in the tree, the new one with 4 pods', async () => JSON.stringify(await podsPerReplicaSet()) === '[0,4]', WAIT_MS);
    const seen = (await page.evaluate('window.__updated')) as string[];
    expect(seen.indexOf(held)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('4/4')).toBeGreaterThan(seen.indexOf(held));
    expect(imageOf(await deployment())).toBe('guestbook:1.5.0');
  }, TEST_MS);

  it('shows drift as a diff of one resource, desired against live, with Secret values masked', async () => {
    await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'guestbook', name: 'settings' }, { data: { color: 'green' } }, { type: 'merge' });
    await page.locator('main .status-outofsync').first().waitFor();
    await page.getByRole('button', { name: 'Diff of ConfigMap guestbook/settings' }).click();
    const view = page.getByTestId('diff-view');
    await view.locator('.line.del', { hasText: 'color: green' }).waitFor();
    expect(await view.locator('.line.add').innerText()).toContain('color: blue');
    await view.scrollIntoViewIfNeeded();
    await shot('stack-app-diff.png');

    await page.getByRole('button', { name: 'Diff of Secret guestbook/web-credentials' }).click();
    await view.getByText('Secret/guestbook/web-credentials').first().waitFor();
    await view.getByRole('button', { name: 'Desired' }).click();
    await view.locator('pre.yaml').getByText('++++++++').first().waitFor();
    const shown = await page.content();
    expect(shown).not.toContain(SECRET_VALUE);
    expect(shown).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  }, TEST_MS);

  it('rolls back through the confirm dialog: the cluster runs the old revision again and the pin badge appears', async () => {
    const rollback = page.getByRole('button', { name: new RegExp(`^Rollback to ${short(first)} `) }).first();
    await rollback.click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.innerText()).toContain(`pins the app to ${short(first)}`);
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.locator('.badge-pinned', { hasText: `pinned ${short(first)}` }).waitFor();
    await explaining(until('the Deployment back on 1.4.2', async () => imageOf(await deployment()) === 'guestbook:1.4.2', WAIT_MS), stackState);
    await explaining(
      until('every pod on 1.4.2 and available', async () => {
        const status = (await deployment())['status'] as { updatedReplicas?: number; availableReplicas?: number; replicas?: number } | undefined;
        return status?.updatedReplicas === 4 && status.availableReplicas === 4 && status.replicas === 4;
      }, WAIT_MS),
      stackState,
    );
    const config = await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'guestbook', name: 'settings' });
    expect(config?.['data']).toEqual({ color: 'blue', version: '1.4.2' });
    await page.locator('tr[data-history]').first().getByText('(rollback)', { exact: true }).waitFor();
  }, TEST_MS);

  it('a viewer sees the app but no operation buttons, and the API refuses the operations', async () => {
    const viewer = await openPage(VIEWER.token, '#/apps/guestbook');
    try {
      await viewer.locator('tr[data-history]').first().waitFor();
      await viewer.locator('.badge-pinned').waitFor();
      for (const name of ['Refresh', 'Sync', 'Rollback', 'Pin', 'Unpin', 'Promote', 'Abort']) {
        expect(await viewer.getByRole('button', { name: new RegExp(`^${name}\\b`) }).count(), name).toBe(0);
      }
      expect(await viewer.getByRole('group', { name: 'Operations' }).count()).toBe(0);
      for (const [route, body] of [['rollback', { to: first }], ['sync', {}], ['unpin', undefined]] as const) {
        const refused = await viewer.request.post(`${server!.apiUrl}/api/v1/apps/guestbook/${route}`, { headers: { authorization: `Bearer ${VIEWER.token}` }, ...(body === undefined ? {} : { data: body }) });
        expect(refused.status(), route).toBe(403);
      }
    } finally {
      await viewer.context().close();
    }
  }, TEST_MS);

  it('shows "disconnected, retrying" while the server is stopped, and is live again when it is back', async () => {
    await page.goto(`${server!.apiUrl}/#/`);
    await page.locator('tr[data-app="guestbook"]').waitFor();
    const port = Number(new URL(server!.apiUrl).port);
    await server!.stop();
    server = undefined;
    await page.getByText(/disconnected, retrying/).waitFor();
    // while it is down a commit lands; once back, it releases the pin (newer than the pinned head) and syncs
    const third = await repo.commit(files('1.6.0'), 'guestbook 1.6.0');
    server = await startServer(port);
    await page.locator('.conn-live').waitFor({ timeout: WAIT_MS });
    const row = page.locator('tr[data-app="guestbook"]');
    // a commit newer than the pin's head releases it: the list catches up without a reload
    await row.getByText(short(third)).waitFor({ timeout: WAIT_MS });
  }, TEST_MS);
});
