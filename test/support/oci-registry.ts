/**
 * A private OCI registry for tests: Debian's docker-registry (the CNCF distribution registry)
 * on a free 127.0.0.1 port, plain HTTP, storage in a temporary directory, optionally behind
 * htpasswd basic auth. Charts go in with the bundled Helm's own `helm push`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopProcess } from '../../src/child-process.ts';
import { freePort } from '../../src/queue/redis-server.ts';
import { bundledHelm, helmOracle } from './helm.ts';
import { until } from './wait.ts';

export const DOCKER_REGISTRY = process.env['SLUICE_DOCKER_REGISTRY'] ?? 'docker-registry';

export function registryAvailable(): boolean {
  return spawnSync(DOCKER_REGISTRY, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The one account of an authenticating test registry; the hash is bcrypt of the password (cost 4, made with crypt(3)). */
export const REGISTRY_ACCOUNT = { username: 'pusher', password: 's3cret-registry-token' };
const REGISTRY_HTPASSWD = 'pusher:$2b$04$mKcs1Srom2LM4Qcddf3m9eXwnICqKo7hlJHXF.K70TdBxdUgorjw.\n';

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  /** `oci://127.0.0.1:<port>/<path>`: where push puts charts. */
  readonly url: string;
  /** Packages the chart directory (at `version` when given) and pushes it under `url`. */
  push(chartDir: string, version?: string): void;
  stop(): Promise<void>;
}

export async function startRegistry(options: { readonly path?: string; readonly basicAuth?: boolean } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-oci-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const auth = options.basicAuth === true ? `auth:\n  htpasswd:\n    realm: sluice-test\n    path: ${join(dir, 'htpasswd')}\n` : '';
  if (options.basicAuth === true) writeFileSync(join(dir, 'htpasswd'), REGISTRY_HTPASSWD);
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}`);
  const child = spawn(DOCKER_REGISTRY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await until('the registry to answer /v2/', async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${output}`);
      return fetch(`http://${host}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
    });
  } catch (err) {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = `oci://${host}${options.path === undefined ? '' : `/${options.path}`}`;
  const home = join(dir, 'helm-home');
  if (options.basicAuth === true) {
    // helm registry login reads the password from stdin, never argv
    const login = spawnSync(bundledHelm(), ['registry', 'login', host, '--username', REGISTRY_ACCOUNT.username, '--password-stdin', '--plain-http'], { input: REGISTRY_ACCOUNT.password, env: { HOME: home, PATH: process.env['PATH'] ?? '' }, encoding: 'utf8' });
    if (login.status !== 0) throw new Error(`helm registry login: ${login.stderr}`);
  }
  return {
    host,
    url,
    push(chartDir, version) {
      const packages = mkdtempSync(join(dir, 'package-'));
      helmOracle(['package', chartDir, '--destination', packages, ...(version === undefined ? [] : ['--version', version])], home);
      const [archive] = readdirSync(packages);
      helmOracle(['push', join(packages, archive!), url, '--plain-http'], home);
    },
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
