/**
 * The web UI's browser harness: Debian's Chromium driven by playwright-core (headless), and
 * web/dist built on demand — when missing or older than any source under web/.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WEB = path.join(REPO, 'web');
const BUILT = path.join(WEB, 'dist', 'index.html');

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build:web`'s command when web/dist is missing or stale. */
export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource(WEB)) return;
  // vitest sets NODE_ENV=test, which would make Vite emit Preact's development JSX runtime
  await promisify(execFile)(path.join(REPO, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], { cwd: REPO, env: { ...process.env, NODE_ENV: 'production' } });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

export const ARTIFACTS = path.join(REPO, 'test', 'artifacts');
