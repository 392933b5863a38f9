/**
 * The web UI in Debian's Chromium (playwright-core, headless) against the in-memory API
 * server (test/support/fake-api.ts, the contract of docs/api.md). Screenshots of the apps
 * page, an app during a rollout and a diff go to test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumAvailable, ensureWebBuilt, launchBrowser } from '../support/browser.ts';
import { FakeApi } from '../support/fake-api.ts';
import { until } from '../support/wait.ts';
import { SHA, fleet, guestbookApp, rolloutAt } from '../support/ui-fixtures.ts';

const OPERATOR = { token: 'op-secret', name: 'alice', role: 'operator' as const };
const VIEWER = { token: 'view-secret', name: 'bob', role: 'viewer' as const };

describe.skipIf(!chromiumAvailable())('web UI', () => {
  let browser: Browser;
  let api: FakeApi;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureWebBuilt();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    api = new FakeApi({ tokens: [OPERATOR, VIEWER] });
    for (const app of fleet(40)) api.putApp(app);
    api.putApp(guestbookApp());
    await api.start();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterEach(async () => {
    await page?.context().close();
    await api?.stop();
  });

  /** Opens the UI signed in (the token already in sessionStorage, as after the form). */
  async function openSignedIn(token: string, hash = '#/'): Promise<void> {
    await page.addInitScript(`sessionStorage.setItem('sluice.token', ${JSON.stringify(token)})`);
    await page.goto(`${api.url}/${hash}`);
    await page.locator('.conn-live').waitFor();
  }

  const isFocused = (locator: Locator) => locator.evaluate((el) => el === el.ownerDocument.activeElement);
  /** A full-page screenshot, the pointer moved off so no tooltip covers it. */
  const shot = async (name: string) => {
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
  };

  it('signs in with a token and lists every app with status, revision and badges; filters and search narrow it', async () => {
    await page.goto(api.url);
    await page.getByLabel('API token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted.').waitFor();
    await page.getByLabel('API token').fill(OPERATOR.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('41 of 41 apps').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('sluice.token')")).toBe(OPERATOR.token);

    expect(await page.locator('tr[data-app="app-0000"]').innerText()).toContain(`pinned ${SHA.old.slice(0, 7)}`);
    await shot('apps-page.png');

    // The list is windowed: the last app is rendered once scrolled to.
    const row = page.locator('tr[data-app="guestbook"]');
    expect(await row.count()).toBe(0);
    await page.locator('.apps-scroll').hover();
    await page.mouse.wheel(0, 5000);
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('OutOfSync');
    expect(text).toContain('Progressing');
    expect(text).toContain(SHA.next.slice(0, 7));
    expect(text).toContain('guestbook 1.5.0');
    expect(text).toContain('Grace Hopper');
    expect(text).toContain('rollout 1/4');
    expect(text).toContain('auto-sync');

    await page.getByLabel('Sync').selectOption('OutOfSync');
    await page.getByText(/^7 of 41 apps$/).waitFor();
    await page.getByLabel('Sync').selectOption('');
    await page.getByLabel('Health').selectOption('Degraded');
    await page.getByText(/^4 of 41 apps$/).waitFor();
    await page.getByLabel('Health').selectOption('');
    await page.getByLabel('Search by name').fill('guest');
    await page.getByText(/^1 of 41 apps$/).waitFor();
  });

  it('opens an app: resource tree with health and reasons; a pushed rollout event moves the progress', async () => {
    await openSignedIn(OPERATOR.token);
    await page.getByLabel('Search by name').fill('guestbook');
    await page.getByRole('link', { name: 'guestbook' }).click();
    await page.getByRole('heading', { name: 'guestbook', level: 1 }).waitFor();

    const tree = page.locator('.tree');
    await tree.locator('li[data-key="Pod/guestbook/web-5f6d7c8b9-q1"]').waitFor();
    expect(await tree.locator('li').count()).toBe(1 + 14);
    const pod = tree.locator('li[data-key="Pod/guestbook/web-5f6d7c8b9-q1"] > .node');
    expect(await pod.getAttribute('title')).toBe('container web is not ready: readiness probe failing');
    await pod.hover();
    await page.getByText('container web is not ready: readiness probe failing').waitFor();
    // The ReplicaSets sit under the Deployment, the pods under their ReplicaSet.
    expect(await tree.locator('li[data-key="apps/Deployment/guestbook/web"] li[data-key="apps/ReplicaSet/guestbook/web-5f6d7c8b9"] li[data-key="Pod/guestbook/web-5f6d7c8b9-q0"]').count()).toBe(1);

    const step = page.getByTestId('rollout-step');
    expect(await step.innerText()).toBe('1');
    const updated = page.locator('[data-workload="web"] [data-count="updated"]');
    expect(await updated.innerText()).toBe('2/8');
    await page.getByTestId('hold').waitFor();

    api.updateApp('guestbook', { rollout: rolloutAt(2, 4) });
    await page.getByTestId('rollout-step').getByText('2', { exact: true }).waitFor();
    expect(await updated.innerText()).toBe('4/8');
    expect(await page.locator('.rollout, section[aria-labelledby="rollout-heading"]').innerText()).toContain('step target 4');
    await shot('app-rollout.png');

    // A failed step: the reason in plain words, with the failing pod's last state.
    const failing = rolloutAt(2, 4);
    api.updateApp('guestbook', {
      health: 'Degraded',
      rollout: {
        ...failing,
        phase: 'RollingBack',
        message: `web: 3/8 new pods CrashLoopBackOff after 45 s; rolling back to ${SHA.good.slice(0, 7)}`,
        workloads: failing.workloads.map((w) => ({ ...w, failingPod: { name: 'web-5f6d7c8b9-q1', reason: 'CrashLoopBackOff', lastState: 'Terminated: Error, exit code 1', restarts: 4 } })),
      },
    });
    const alert = page.getByRole('alert');
    await alert.getByText('CrashLoopBackOff after 45 s').waitFor();
    expect(await alert.innerText()).toContain('Pod web-5f6d7c8b9-q1 of Deployment web: CrashLoopBackOff, restarted 4 times; last state: Terminated: Error, exit code 1');

    const tree2 = api.apps.get('guestbook')!.resources.filter((n) => !n.name.startsWith('web-7d9c8b6f5-p0'));
    api.setResources('guestbook', tree2);
    await page.locator('li[data-key="Pod/guestbook/web-7d9c8b6f5-p0"]').waitFor({ state: 'detached' });
  });

  it('shows a diff of one resource: desired against live, YAML either side, secrets masked', async () => {
    await openSignedIn(OPERATOR.token, '#/apps/guestbook');
    await page.getByRole('button', { name: 'Diff of Deployment guestbook/web' }).click();
    const view = page.getByTestId('diff-view');
    await view.getByText('+          image: guestbook:1.5.0').waitFor();
    expect(await view.locator('.line.del').innerText()).toContain('image: guestbook:1.4.2');
    await view.scrollIntoViewIfNeeded();
    await shot('app-diff.png');
    await view.getByRole('button', { name: 'Live' }).click();
    await view.locator('pre.yaml').getByText('image: guestbook:1.4.2').waitFor();

    await page.getByRole('button', { name: 'Secret/guestbook/web-credentials' }).click();
    await view.getByText('Secret/guestbook/web-credentials').waitFor();
    await view.getByRole('button', { name: 'Diff' }).click();
    expect(await view.locator('pre.diff').innerText()).toContain('password: ++++++++');
  });

  it('rolls back through the confirm dialog: the request is made and the pin badge appears', async () => {
    await openSignedIn(OPERATOR.token, '#/apps/guestbook');
    const rollback = page.getByRole('button', { name: `Rollback to ${SHA.old.slice(0, 7)} (h-1)` });
    await rollback.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const words = await dialog.innerText();
    expect(words).toContain(`pins the app to ${SHA.old.slice(0, 7)}`);
    expect(words).toContain('Auto-sync stays on, but it will not move guestbook off');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(api.requests).toEqual([]);

    await rollback.click();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.locator('.badge-pinned', { hasText: `pinned ${SHA.old.slice(0, 7)}` }).waitFor();
    expect(api.requests).toEqual([{ app: 'guestbook', operation: 'rollback', body: { to: 'h-1' }, by: 'alice' }]);
    await page.getByRole('status').getByText('pinned').waitFor();
    await page.locator('tr[data-history="op-1"]').waitFor();
    expect(await page.locator('tr[data-history]').first().innerText()).toMatch(/^\S+\s+rollback \(manual\)/);

    await page.getByRole('button', { name: 'Unpin' }).click();
    await page.getByRole('button', { name: /^Pin / }).waitFor();
    expect(api.requests.at(-1)).toMatchObject({ operation: 'unpin' });
    await page.getByRole('button', { name: 'Abort' }).click();
    await page.locator('section[aria-labelledby="rollout-heading"] .status-aborted').waitFor();
    expect(await page.getByRole('button', { name: 'Promote' }).count()).toBe(0);
  });

  it('works from the keyboard: search, open an app, open and cancel the rollback dialog', async () => {
    await openSignedIn(OPERATOR.token);
    await page.getByLabel('Search by name').focus();
    await page.keyboard.type('guestbook');
    await page.getByText(/^1 of 41 apps$/).waitFor();
    const link = page.getByRole('link', { name: 'guestbook' });
    for (let presses = 0; presses < 10 && !(await isFocused(link)); presses++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'guestbook', level: 1 }).waitFor();

    const rollback = page.getByRole('button', { name: `Rollback to ${SHA.old.slice(0, 7)} (h-1)` });
    await rollback.focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Roll back' });
    // the dialog takes focus once it has rendered: wait for that, not for a moment
    await until('the confirm button focused', () => isFocused(confirm), 10_000);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await isFocused(rollback)).toBe(true);
    await page.keyboard.press('Enter');
    await until('the dialog open again, its confirm button focused', () => isFocused(confirm), 10_000);
    await page.keyboard.press('Shift+Tab');
    expect(await isFocused(page.getByRole('dialog').getByRole('button', { name: 'Cancel' }))).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(api.requests).toEqual([]);
    expect(await isFocused(rollback)).toBe(true);
  });

  it('a viewer sees no buttons for operations, and the API refuses them anyway', async () => {
    await openSignedIn(VIEWER.token, '#/apps/guestbook');
    await page.locator('tr[data-history]').first().waitFor();
    await page.getByRole('heading', { name: 'Resources' }).waitFor();
    for (const name of ['Refresh', 'Sync', 'Rollback', 'Pin', 'Unpin', 'Promote', 'Abort']) {
      expect(await page.getByRole('button', { name: new RegExp(`^${name}\\b`) }).count(), name).toBe(0);
    }
    // What is left are the tree's "diff" links.
    expect(await page.locator('main button:not(.link)').count()).toBe(0);
    expect(await page.getByRole('group', { name: 'Operations' }).count()).toBe(0);
    const refused = await page.request.post(`${api.url}/api/v1/apps/guestbook/sync`, { headers: { authorization: `Bearer ${VIEWER.token}` } });
    expect(refused.status()).toBe(403);
  });

  it('shows "disconnected, retrying" while the server is down, then resumes the stream and catches up', async () => {
    await openSignedIn(OPERATOR.token);
    await page.locator('tr[data-app="app-0001"]').waitFor();
    api.updateApp('app-0001', { health: 'Degraded' });
    await page.locator('tr[data-app="app-0001"] .status-degraded').waitFor();
    api.deleteApp('app-0004');
    await page.locator('tr[data-app="app-0004"]').waitFor({ state: 'detached' });
    await page.getByText('40 of 40 apps').waitFor();

    await api.stop();
    await page.getByText(/disconnected, retrying/).waitFor();
    api.updateApp('app-0002', { sync: 'OutOfSync', health: 'Missing' });
    await api.start();
    await page.locator('.conn-live').waitFor({ timeout: 15_000 });
    await page.locator('tr[data-app="app-0002"] .status-missing').waitFor();
    const resumed = api.streamOpenings.at(-1)?.lastEventId;
    expect(Number(resumed)).toBeGreaterThan(0);

    // A different server process takes over the port, its event log empty: the list read on
    // reopening brings the page up to date all the same.
    const port = Number(new URL(api.url).port);
    await api.stop();
    await page.getByText(/disconnected, retrying/).waitFor();
    api = new FakeApi({ tokens: [OPERATOR, VIEWER] });
    for (const app of fleet(40)) api.putApp(app);
    api.updateApp('app-0003', { health: 'Suspended' });
    await api.start(port);
    await page.locator('tr[data-app="app-0003"] .status-suspended').waitFor({ timeout: 15_000 });
    // app-0004, deleted before, exists on the new server; guestbook does not
    await page.locator('tr[data-app="app-0004"]').waitFor();
    await page.getByLabel('Search by name').fill('guestbook');
    await page.getByText('0 of 40 apps').waitFor();
  });
});
