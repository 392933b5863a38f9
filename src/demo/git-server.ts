import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real Git smart-HTTP server for tests and the demo: `git http-backend` (the git CLI's CGI) behind a
 * tiny node HTTP server on 127.0.0.1, serving bare repositories from a temp dir.
 * Commits are made with the git CLI in a scratch work tree per repository and pushed
 * over the file system, with fixed author/committer identities and an increasing fixed
 * clock, so SHAs are the same on every run.
 */
export interface GitServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`; repositories live at `${url}/${name}.git`. */
  readonly url: string;
  /** Directory holding the bare repositories. */
  readonly dir: string;
  createRepo(name: string): Promise<TestRepo>;
  stop(): Promise<void>;
}

export interface TestRepo {
  /** Clone URL without credentials. */
  readonly url: string;
  /** Absolute path of the bare repository. */
  readonly bareDir: string;
  /** Writes (string) or deletes (null) files, commits, pushes; returns the commit SHA. */
  commit(files: Record<string, string | null>, message: string, opts?: CommitOptions): Promise<string>;
  /** Moves `branch` to `toSha` with a forced push and prunes now-unreachable objects. */
  forcePush(branch: string, toSha: string): Promise<void>;
}

export interface CommitOptions {
  /** Default `main`. A new branch starts from the work tree's current commit. */
  branch?: string;
  /** Also creates (or moves) an annotated tag at the new commit. */
  tag?: string;
  author?: { name: string; email: string };
}

export interface GitServerOptions {
  auth?: { username: string; password: string };
  /** Default 0: any free port. */
  port?: number;
}

export function gitAvailable(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const BASE_TIME = 1_700_000_000;

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-git-server-'));
  const reposDir = path.join(dir, 'repos');
  const workDir = path.join(dir, 'work');
  await mkdir(reposDir);
  await mkdir(workDir);
  const execPath = (await run('git', ['--exec-path'])).stdout.trim();
  const backend = path.join(execPath, 'git-http-backend');
  let tick = 0;

  const server = http.createServer((req, res) => {
    if (opts.auth && !authorized(req.headers.authorization, opts.auth)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="sluice-test"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    serveCgi(backend, reposDir, req, res, opts.auth?.username);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function createRepo(name: string): Promise<TestRepo> {
    const bareDir = path.join(reposDir, `${name}.git`);
    const work = path.join(workDir, name);
    await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', bareDir]);
    // Lets a demo user `git push` over HTTP (http-backend refuses pushes without it).
    await run('git', ['config', '--file', path.join(bareDir, 'config'), 'http.receivepack', 'true']);
    await run('git', ['init', '--quiet', '--initial-branch=main', work]);
    const git = async (args: string[], env: Record<string, string> = {}): Promise<string> =>
      (await run('git', args, { cwd: work, env: { ...gitEnv(), ...env } })).stdout.trim();

    async function commit(files: Record<string, string | null>, message: string, o: CommitOptions = {}): Promise<string> {
      const branch = o.branch ?? 'main';
      if (await hasRef('HEAD')) {
        await git(['checkout', '--quiet', '-B', branch, ...((await hasRef(`refs/heads/${branch}`)) ? [branch] : [])]);
      } else {
        await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
      }
      for (const [file, content] of Object.entries(files)) {
        const abs = path.join(work, file);
        if (content === null) {
          await unlink(abs);
        } else {
          await mkdir(path.dirname(abs), { recursive: true });
          await writeFile(abs, content);
        }
      }
      tick += 1;
      const date = `${BASE_TIME + tick * 60} +0000`;
      const author = o.author ?? { name: 'Test Author', email: 'author@example.com' };
      const env = {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      };
      await git(['add', '--all']);
      await git(['commit', '--quiet', '--allow-empty', '-m', message], env);
      const sha = await git(['rev-parse', 'HEAD']);
      await git(['push', '--quiet', '--force', bareDir, `HEAD:refs/heads/${branch}`]);
      if (o.tag !== undefined) {
        await git(['tag', '--force', '-a', o.tag, '-m', `tag ${o.tag}`], env);
        await git(['push', '--quiet', '--force', bareDir, `refs/tags/${o.tag}`]);
      }
      return sha;
    }

    async function hasRef(ref: string): Promise<boolean> {
      try {
        await git(['rev-parse', '--verify', '--quiet', ref]);
        return true;
      } catch {
        return false;
      }
    }

    async function forcePush(branch: string, toSha: string): Promise<void> {
      await git(['push', '--quiet', '--force', bareDir, `${toSha}:refs/heads/${branch}`]);
      await git(['checkout', '--quiet', '-B', branch, toSha]);
      const bare = { cwd: bareDir, env: gitEnv() };
      await run('git', ['reflog', 'expire', '--expire=now', '--all'], bare);
      await run('git', ['gc', '--quiet', '--prune=now'], bare);
    }

    return { url: `${url}/${name}.git`, bareDir, commit, forcePush };
  }

  async function stop(): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }

  return { url, dir: reposDir, createRepo, stop };
}

function gitEnv(): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Committer',
    GIT_COMMITTER_EMAIL: 'committer@example.com',
  };
}

function authorized(header: string | undefined, auth: { username: string; password: string }): boolean {
  if (header === undefined || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded === `${auth.username}:${auth.password}`;
}

function serveCgi(
  backend: string,
  reposDir: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  user: string | undefined,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: Record<string, string> = {
    ...gitEnv(),
    GIT_PROJECT_ROOT: reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: '127.0.0.1',
  };
  if (user !== undefined) env['REMOTE_USER'] = user;
  const length = req.headers['content-length'];
  if (length !== undefined) env['CONTENT_LENGTH'] = length;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined) env['HTTP_CONTENT_ENCODING'] = encoding;
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') {
    env['HTTP_GIT_PROTOCOL'] = protocol;
    env['GIT_PROTOCOL'] = protocol;
  }

  const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const split = findHeaderEnd(head);
    if (split === undefined) return;
    const { status, headers } = parseCgiHeaders(head.subarray(0, split.index).toString('latin1'));
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(split.index + split.length));
  });
  child.on('close', (code) => {
    if (!headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend exited ${String(code)}: ${stderr}`);
      return;
    }
    res.end();
  });
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
