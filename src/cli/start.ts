/**
 * `sluice start`: the controller against a cluster, with the apps of a file, and the API
 * server in the same process. Redis comes from --redis or REDIS_URL, else a private
 * redis-server is started for this process.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { TokenStore, tokensFromFile, tokensFromSecret } from '../api/auth.ts';
import { FORGES, type Forge } from '../api/webhooks/types.ts';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import type { Project } from '../app/project.ts';
import type { Application } from '../app/types.ts';
import { DEFAULT_APPLICATION_NAMESPACE } from '../app/validate.ts';
import { kubeClient } from '../connect.ts';
import { runController, WEB_DIST, type ApiSettings } from '../controller/run.ts';
import { ignoreDifferencesFromFile, serveUntilSignal } from './common.ts';
import { missingHeapFlags } from './heap.ts';
import { START_USAGE } from './usage.ts';

export async function startCommand(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        apps: { type: 'string' },
        'from-cluster': { type: 'boolean', default: false },
        namespace: { type: 'string', default: DEFAULT_APPLICATION_NAMESPACE },
        server: { type: 'string' },
        redis: { type: 'string' },
        concurrency: { type: 'string' },
        'cache-dir': { type: 'string' },
        'ignore-differences': { type: 'string' },
        'accept-argocd': { type: 'boolean', default: false },
        listen: { type: 'string', default: '127.0.0.1:8080' },
        tokens: { type: 'string' },
        'tokens-secret': { type: 'string' },
        'webhook-secrets': { type: 'string' },
        'connect-timeout': { type: 'string', default: '60' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    console.error(`sluice start: ${(e as Error).message}\n${START_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`usage:\n${START_USAGE}`);
    return 0;
  }
  if ((values.apps === undefined) === !values['from-cluster']) {
    console.error(`sluice start: give --apps FILE or --from-cluster\n${START_USAGE}`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`sluice start: --concurrency must be a whole number ≥ 1, got "${values.concurrency}"`);
    return 2;
  }
  let apps: Application[] | { namespace: string; acceptArgocd: boolean } = { namespace: values.namespace, acceptArgocd: values['accept-argocd'] };
  let projects: Project[] = [];
  if (values.apps !== undefined) {
    const loaded = await loadApplicationsFile(values.apps, { acceptArgocd: values['accept-argocd'] });
    if (!loaded.ok) {
      for (const e of loaded.errors) console.error(formatLoadError(e));
      return 2;
    }
    for (const warning of loaded.warnings) console.error(`warning: ${warning}`);
    apps = loaded.apps;
    projects = loaded.projects;
  }
  const ignoreDifferences = await ignoreDifferencesFromFile(values['ignore-differences']);
  if (typeof ignoreDifferences === 'string') {
    console.error(`sluice start: ${ignoreDifferences}`);
    return 2;
  }
  const listen = parseListen(values.listen);
  const connectTimeout = Number(values['connect-timeout']);
  if (typeof listen === 'string' || !(connectTimeout > 0)) {
    console.error(`sluice start: ${typeof listen === 'string' ? listen : `--connect-timeout must be a number of seconds > 0, got "${values['connect-timeout']}"`}`);
    return 2;
  }
  let api: ApiSettings;
  try {
    api = { ...listen, tokens: await loadTokens(values.tokens, values['tokens-secret'], values.server), webhooks: { secrets: await webhookSecrets(values['webhook-secrets']) }, webDist: WEB_DIST };
  } catch (e) {
    console.error(`sluice start: ${(e as Error).message}`);
    return 2;
  }
  const missing = missingHeapFlags(process.execArgv, process.env['NODE_OPTIONS']);
  if (missing.length > 0) {
    console.error(`note: node was started without ${missing.join(' ')} (bin/sluice.js passes them): the controller's heap may grow to several times its live data`);
  }
  const running = await runController({
    apps,
    projects,
    ignoreDifferences,
    server: values.server,
    redisUrl: values.redis ?? process.env['REDIS_URL'],
    concurrency,
    cacheDir: values['cache-dir'],
    api,
    connectTimeoutMs: connectTimeout * 1000,
  });
  if (typeof running === 'string') {
    console.error(`sluice start: ${running}`);
    return 1;
  }
  return serveUntilSignal(async () => {
    console.log('stopping: finishing running operations');
    await running.stop();
  }, 'start');
}

function parseListen(text: string | undefined): { host: string; port: number } | string {
  const match = /^(.*):(\d{1,5})$/.exec(text ?? '');
  const port = Number(match?.[2]);
  if (match === null || port > 65535) return `--listen must be ADDR:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8080), got "${text}"`;
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port };
}

async function loadTokens(file: string | undefined, secret: string | undefined, server: string | undefined): Promise<TokenStore> {
  if (file !== undefined) return tokensFromFile(file);
  if (secret === undefined) return new TokenStore([]);
  const kube = await kubeClient(server);
  try {
    return await tokensFromSecret(kube, secret);
  } finally {
    await kube.close();
  }
}

/** Webhook secrets from a YAML file, else from SLUICE_WEBHOOK_SECRET_<FORGE>. */
async function webhookSecrets(file: string | undefined): Promise<Partial<Record<Forge, string>>> {
  const secrets: Partial<Record<Forge, string>> = {};
  const doc: unknown = file === undefined ? {} : parseYaml(await readFile(file, 'utf8'));
  for (const forge of FORGES) {
    const value = (typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[forge] : undefined) ?? process.env[`SLUICE_WEBHOOK_SECRET_${forge.toUpperCase()}`];
    if (typeof value === 'string' && value !== '') secrets[forge] = value;
  }
  return secrets;
}
