/**
 * `npm start` (`sluice demo`): everything on one machine, nothing to install beyond git
 * and redis-server. The embedded cluster, the example repository served over the real
 * git http-backend (clone it, change it, push: the controller picks the commit up), and
 * the controller with the example Applications.
 */
import { readdir, readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatLoadError, parseApplicationsText } from '../app/load.ts';
import { hashToken, newToken, TokenStore } from '../api/auth.ts';
import { createLogger } from '../api/logger.ts';
import { runController, WEB_DIST } from '../controller/run.ts';
import { ScaledClock } from '../sim/clock.ts';
import { startSimCluster } from '../sim/index.ts';
import { startGitServer } from './git-server.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
/** The demo polls often, so a push shows up within seconds. */
const DEMO_INTERVAL = '10s';

export async function runDemo(opts: { port: number; redisUrl: string | undefined; apiPort?: number }): Promise<() => Promise<void>> {
  const cluster = await startSimCluster({ port: opts.port, clock: new ScaledClock({ speed: 1 }) });
  const work = await mkdtemp(path.join(tmpdir(), 'sluice-demo-'));
  const kubeconfig = path.join(work, 'kubeconfig');
  await cluster.writeKubeconfig(kubeconfig);

  const git = await startGitServer();
  const repo = await git.createRepo('guestbook');
  await repo.commit(await readTree(path.join(EXAMPLES, 'guestbook')), 'The guestbook example');

  const text = (await readFile(path.join(EXAMPLES, 'apps.yaml'), 'utf8'))
    .replaceAll('http://127.0.0.1:0/guestbook.git', repo.url)
    .replace(/interval: \S+/g, `interval: ${DEMO_INTERVAL}`);
  const loaded = parseApplicationsText('examples/apps.yaml', text);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatLoadError).join('\n'));

  // one admin token for this run, printed below (the demo's only secret, shown to its own user)
  const token = newToken();
  const running = await runController({
    apps: loaded.apps,
    projects: loaded.projects,
    server: cluster.url,
    redisUrl: opts.redisUrl,
    concurrency: 4,
    cacheDir: path.join(work, 'git-cache'),
    api: { host: '127.0.0.1', port: opts.apiPort ?? 8080, tokens: new TokenStore([{ name: 'demo', role: 'admin', sha256: hashToken(token) }]), webDist: WEB_DIST },
    logger: createLogger({ level: 'warn' }),
  });
  if (typeof running === 'string') {
    await git.stop();
    await cluster.stop();
    throw new Error(running);
  }
  const apps = path.join(work, 'apps.yaml');
  await writeFile(apps, text);

  console.log(`
Sluice demo
  API         ${running.apiUrl}   token ${token}
  cluster     ${cluster.url}   (export KUBECONFIG=${kubeconfig})
  repository  ${repo.url}
  apps        ${apps}: guestbook-dev (automated, self-heal), guestbook-prod (manual)

Try:
  KUBECONFIG=${kubeconfig} kubectl get deploy,svc,cm -A
  git clone ${repo.url} /tmp/guestbook   # edit, commit, git push: synced within ${DEMO_INTERVAL}
  export SLUICE_SERVER=${running.apiUrl} SLUICE_TOKEN=${token}
  npx sluice app list          # and: app get|history|diff|sync guestbook-prod
  curl -H "Authorization: Bearer $SLUICE_TOKEN" ${running.apiUrl}/api/v1/apps
  npx sluice diff --apps ${apps} --app guestbook-prod --server ${cluster.url}
  npx sluice sync --apps ${apps} --app guestbook-prod --server ${cluster.url}
Ctrl-C stops everything.`);

  return async () => {
    await running.stop();
    await git.stop();
    await cluster.stop();
  };
}

/** Every file under `dir`, keyed by its path relative to `dir`. */
async function readTree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(files, await readTree(dir, rel));
    else files[rel] = await readFile(path.join(dir, rel), 'utf8');
  }
  return files;
}
