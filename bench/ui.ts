/**
 * `npm run bench -- ui`: the web UI in Debian's Chromium (headless, playwright-core) against
 * the in-memory API server (test/support/fake-api.ts) holding 2,000 apps.
 * - list painted: navigation start to the first frame after the app rows are in the DOM
 *   (a fresh browser context per run, so nothing is cached);
 * - live update: the event written to the stream to the first frame after the changed row
 *   shows it (both clocks are epoch-based, on one machine).
 * Targets (issue 13): list ≤ 1 s, live update ≤ 200 ms (medians; max printed alongside).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { chromiumAvailable, ensureWebBuilt, launchBrowser } from '../test/support/browser.ts';
import { FakeApi, WEB_DIST } from '../test/support/fake-api.ts';
import { fleet, newAppSummary } from '../test/support/ui-fixtures.ts';
import { formatMs, percentile } from './lib/stats.ts';

const APPS = 2000;
const NAVIGATIONS = 7;
const UPDATES = 30;
const TARGET_LIST_MS = 1000;
const TARGET_UPDATE_MS = 200;
const TOKEN = 'bench-token';

/** Records, in the page, when the first app row is painted (ms since navigation start). */
const LIST_PAINT_PROBE = `
  sessionStorage.setItem('sluice.token', ${JSON.stringify(TOKEN)});
  new MutationObserver((_, observer) => {
    if (!document.querySelector('tr[data-app]')) return;
    observer.disconnect();
    requestAnimationFrame(() => { const c = new MessageChannel(); c.port1.onmessage = () => { window.__listPainted = performance.now(); }; c.port2.postMessage(0); });
  }).observe(document, { childList: true, subtree: true });
`;

/** Resolves, in the page, with the epoch time of the first frame showing `marker` in `app`'s row. */
const watchRow = (app: string, marker: string) => `new Promise((resolve) => {
  const seen = () => document.querySelector('tr[data-app="${app}"]')?.textContent?.includes(${JSON.stringify(marker)});
  new MutationObserver((_, observer) => {
    if (!seen()) return;
    observer.disconnect();
    requestAnimationFrame(() => { const c = new MessageChannel(); c.port1.onmessage = () => resolve(performance.timeOrigin + performance.now()); c.port2.postMessage(0); });
  }).observe(document.querySelector('tbody'), { childList: true, subtree: true, characterData: true });
  window.__watching = true;
})`;

function bundleGzipBytes(): { raw: number; gzip: number } {
  const assets = path.join(WEB_DIST, 'assets');
  let raw = 0;
  let gzip = 0;
  for (const name of readdirSync(assets)) {
    const bytes = readFileSync(path.join(assets, name));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

async function listPaint(page: Page, url: string): Promise<number> {
  await page.addInitScript(LIST_PAINT_PROBE);
  await page.goto(url);
  await page.waitForFunction('window.__listPainted !== undefined');
  return Number(await page.evaluate('window.__listPainted'));
}

export async function run(): Promise<number> {
  if (!chromiumAvailable()) {
    console.error('bench ui: no Chromium at /usr/bin/chromium (or SLUICE_CHROMIUM)');
    return 1;
  }
  await ensureWebBuilt();
  const api = new FakeApi({ tokens: [{ token: TOKEN, name: 'bench', role: 'operator' }] });
  for (const app of fleet(APPS)) api.putApp(app);
  const url = `${await api.start()}/`;
  const browser = await launchBrowser();
  try {
    const paints: number[] = [];
    let page: Page | undefined;
    for (let i = 0; i < NAVIGATIONS; i++) {
      await page?.context().close();
      page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
      paints.push(await listPaint(page, url));
    }
    await page!.locator('.conn-live').waitFor();
    const rows = await page!.locator('tr[data-app]').count();

    const updates: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const app = `app-${String(i % 10).padStart(4, '0')}`;
      const marker = `live update ${i}`;
      const shown = page!.evaluate(watchRow(app, marker)) as Promise<number>;
      await page!.waitForFunction('window.__watching === true');
      await page!.evaluate('window.__watching = false');
      const sent = api.updateApp(app, { commit: { ...newAppSummary(app).commit!, message: marker } });
      updates.push((await shown) - sent);
    }
    await page?.context().close();

    const { raw, gzip } = bundleGzipBytes();
    const listMedian = percentile(paints, 50);
    const updateMedian = percentile(updates, 50);
    console.log(`ui: ${APPS} apps in the API, Chromium headless; ${rows} rows in the DOM (windowed list)`);
    console.log(`bundle (JS + CSS)                 ${(raw / 1024).toFixed(1)} KiB, ${(gzip / 1024).toFixed(1)} KiB gzipped`);
    console.log(`navigation → list painted         median ${formatMs(listMedian).padStart(6)} ms   max ${formatMs(Math.max(...paints)).padStart(6)} ms   (${NAVIGATIONS} runs; target ≤ ${TARGET_LIST_MS} ms)`);
    console.log(`event written → update painted    median ${formatMs(updateMedian).padStart(6)} ms   max ${formatMs(Math.max(...updates)).padStart(6)} ms   (${UPDATES} events; target ≤ ${TARGET_UPDATE_MS} ms)`);
    const ok = listMedian <= TARGET_LIST_MS && updateMedian <= TARGET_UPDATE_MS;
    console.log(ok ? 'targets met' : 'TARGET MISSED');
    return ok ? 0 : 1;
  } finally {
    await browser.close();
    await api.stop();
  }
}
