import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir, readFile, rm, truncate, writeFile, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore, GitError, GitSource } from '../../src/git/index.ts';
import { cacheDirName, parseRepoUrl } from '../../src/git/url.ts';
import { gitAvailable, startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';

const BASE_TIME = 1_700_000_000;

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'sluice-git-cache-'));
}

function gitdirOf(cacheDir: string, url: string): string {
  return path.join(cacheDir, cacheDirName(parseRepoUrl(url).key));
}

/** Object counts of the packs in a cache, read from each .idx's fanout table. */
async function packObjectCounts(gitdir: string): Promise<number[]> {
  const dir = path.join(gitdir, 'objects', 'pack');
  const counts: number[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.idx'))) {
    const idx = await readFile(path.join(dir, name));
    counts.push(idx.readUInt32BE(8 + 255 * 4));
  }
  return counts.sort((a, b) => a - b);
}

async function gitError(p: Promise<unknown>): Promise<GitError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GitError);
  return e as GitError;
}

describe.skipIf(!gitAvailable())('GitSource against git http-backend', () => {
  let server: GitServer;
  let repo: TestRepo;
  const shas: string[] = [];
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`apps/app-${i}/deploy.yaml`] = `kind: ConfigMap\nname: app-${i}\n`;

  beforeAll(async () => {
    server = await startGitServer();
    repo = await server.createRepo('manifests');
    shas.push(await repo.commit({ ...files, 'README.md': 'hello\n' }, 'initial manifests', { tag: 'v1.0.0' }));
    shas.push(await repo.commit({ 'apps/app-1/deploy.yaml': 'changed: 1\n' }, 'change app-1', { author: { name: 'Ada', email: 'ada@example.com' } }));
  });
  afterAll(async () => server?.stop());

  it('clones shallow on first use and reports the commit', async () => {
    const cacheDir = await tempDir();
    const resolved = await new GitSource({ cacheDir }).repository(repo.url).resolve('main');
    expect(resolved).toMatchObject({ sha: shas[1], ref: 'refs/heads/main', kind: 'branch', fetch: 'cloned', warnings: [] });
    expect(resolved.commit).toEqual({
      sha: shas[1],
      author: { name: 'Ada', email: 'ada@example.com' },
      message: 'change app-1',
      time: new Date((BASE_TIME + 2 * 60) * 1000).toISOString(),
      parents: [shas[0]],
    });
    const shallow = await readFile(path.join(gitdirOf(cacheDir, repo.url), 'shallow'), 'utf8');
    expect(shallow.trim()).toBe(shas[1]);
    // The cache is a repository git itself accepts: our pack index and refs pass fsck.
    await promisify(execFile)('git', ['--git-dir', gitdirOf(cacheDir, repo.url), 'fsck', '--strict', '--no-dangling']);
  });

  it('fetches only new objects after new commits, and nothing when nothing moved', async () => {
    const cacheDir = await tempDir();
    const source = new GitSource({ cacheDir });
    const r = source.repository(repo.url);
    const first = await r.resolve('main');
    const gitdir = gitdirOf(cacheDir, repo.url);
    const [fullPack] = await packObjectCounts(gitdir);
    expect(fullPack).toBeGreaterThan(80); // 41 blobs, 42 trees, a commit

    // the same answer, commit details included (from memory: the branch has not moved)
    const again = await r.resolve('main');
    expect(again).toEqual({ ...first, fetch: 'cached' });
    expect(await packObjectCounts(gitdir)).toEqual([fullPack]);

    const next = await repo.commit({ 'apps/app-2/deploy.yaml': 'changed: 2\n' }, 'change app-2');
    shas.push(next);
    const moved = await r.resolve('main');
    expect(moved).toMatchObject({ sha: next, fetch: 'fetched', warnings: [] });
    const counts = await packObjectCounts(gitdir);
    expect(counts).toHaveLength(2);
    expect(counts[0]).toBeLessThanOrEqual(5); // commit, root/apps/app-2 trees, one blob
    expect(await r.changedPaths(shas[1]!, next)).toEqual(['apps/app-2/deploy.yaml']);
  });

  it('resolves tags, full and short SHAs, including commits older than the shallow clone', async () => {
    const r = new GitSource({ cacheDir: await tempDir() }).repository(repo.url);
    await r.resolve('main');
    expect(await r.resolve('v1.0.0')).toMatchObject({ sha: shas[0], kind: 'tag', ref: 'refs/tags/v1.0.0' });
    const byFull = await new GitSource({ cacheDir: await tempDir() }).repository(repo.url).resolve(shas[0]!);
    expect(byFull).toMatchObject({ sha: shas[0], kind: 'commit', commit: { message: 'initial manifests' } });
    const byShort = await new GitSource({ cacheDir: await tempDir() }).repository(repo.url).resolve(shas[0]!.slice(0, 7));
    expect(byShort).toMatchObject({ sha: shas[0], kind: 'commit', revision: shas[0]!.slice(0, 7) });
  });

  it('says which names exist when a revision does not', async () => {
    const r = new GitSource({ cacheDir: await tempDir() }).repository(repo.url);
    const e = await gitError(r.resolve('mian'));
    expect(e.code).toBe('UnknownRevision');
    expect(e.message).toBe(`${repo.url}: no branch, tag or commit named "mian" (branches: main)`);
    const gone = await gitError(r.resolve('0123456789abcdef0123456789abcdef01234567'));
    expect(gone.code).toBe('UnknownRevision');
    expect(gone.message).toMatch(/not in any branch or tag.*force push/);
  });

  it('reads files at a commit without a checkout, under a path, and lists changed paths', async () => {
    const r = new GitSource({ cacheDir: await tempDir() }).repository(repo.url);
    const { sha } = await r.resolve('main');
    const all = await r.readFiles(sha);
    expect(all.files.size).toBe(41);
    expect(all.files.get('apps/app-1/deploy.yaml')?.toString()).toBe('changed: 1\n');
    const one = await r.readFiles(sha, 'apps/app-3');
    expect([...one.files.keys()]).toEqual(['apps/app-3/deploy.yaml']);
    expect((await gitError(r.readFiles(sha, 'apps/nope'))).code).toBe('PathNotFound');

    await r.resolve(shas[0]!);
    const moved = await repo.commit({ 'apps/app-5/deploy.yaml': null, 'apps/new/a.yaml': 'a: 1\n'}, 'add and remove');
    const head = await r.resolve('main');
    expect(head.sha).toBe(moved);
    expect(await r.changedPaths(sha, moved)).toEqual(['apps/app-5/deploy.yaml', 'apps/new/a.yaml']);
    expect(await r.changedPaths(moved, moved)).toEqual([]);
    shas.push(moved);
  });

  it('shares one repository and one fetch between spellings and concurrent callers', async () => {
    const source = new GitSource({ cacheDir: await tempDir() });
    const a = source.repository(repo.url);
    expect(source.repository(`${repo.url}/`)).toBe(a);
    expect(source.repository(repo.url.replace(/\.git$/, ''))).toBe(a);
    const first = a.resolve('main');
    expect(a.resolve('main')).toBe(first);
    const all = await Promise.all([first, a.resolve('main'), a.resolve('v1.0.0'), a.resolve('main')]);
    expect(new Set(all.slice(0, 2).map((x) => x.sha)).size).toBe(1);
    expect(all[2]!.sha).toBe(shas[0]);
  });

  it('keeps its cache across restarts and re-clones a corrupt one', async () => {
    const cacheDir = await tempDir();
    const { sha } = await new GitSource({ cacheDir }).repository(repo.url).resolve('main');
    const restarted = await new GitSource({ cacheDir }).repository(repo.url).resolve('main');
    expect(restarted).toMatchObject({ sha, fetch: 'cached', warnings: [] });

    const packDir = path.join(gitdirOf(cacheDir, repo.url), 'objects', 'pack');
    const pack = (await readdir(packDir)).find((n) => n.endsWith('.pack'))!;
    await truncate(path.join(packDir, pack), (await stat(path.join(packDir, pack))).size - 100);
    const recovered = await new GitSource({ cacheDir }).repository(repo.url).resolve('main');
    expect(recovered).toMatchObject({ sha, fetch: 'cloned' });
    expect(recovered.warnings.join('\n')).toMatch(/cache .* was corrupt \(pack-[0-9a-f]+\.pack: index does not belong to this pack.*\); it was deleted and fetched again/);

    await writeFile(path.join(gitdirOf(cacheDir, repo.url), 'refs', 'heads', 'main'), 'ffffffffffffffffffffffffffffffffffffffff\n');
    const again = await new GitSource({ cacheDir }).repository(repo.url);
    const files = await again.readFiles(sha, 'apps/app-1');
    expect(files.files.get('apps/app-1/deploy.yaml')?.toString()).toBe('changed: 1\n');
    expect((await again.resolve('main')).warnings.join('\n')).toMatch(/was corrupt/);

    await rm(path.join(gitdirOf(cacheDir, repo.url), 'objects'), { recursive: true });
    expect((await new GitSource({ cacheDir }).repository(repo.url).resolve('main')).fetch).toBe('cloned');
  });

  it('reports a force push that dropped the deployed commit and keeps serving it', async () => {
    const cacheDir = await tempDir();
    const forced = await server.createRepo('forced');
    const base = await forced.commit({ 'app/cm.yaml': 'v: 1\n' }, 'one');
    const deployed = await forced.commit({ 'app/cm.yaml': 'v: 2\n' }, 'two');
    const r = new GitSource({ cacheDir }).repository(forced.url);
    expect((await r.resolve('main')).sha).toBe(deployed);

    await forced.forcePush('main', base);
    const rewound = await r.resolve('main');
    expect(rewound.sha).toBe(base);
    expect(rewound.forcePush).toEqual({ from: deployed, to: base });
    expect(rewound.warnings.join('\n')).toContain(`refs/heads/main was force-pushed: ${deployed.slice(0, 7)} is no longer in its history`);
    expect((await r.readFiles(deployed)).files.get('app/cm.yaml')?.toString()).toBe('v: 2\n');
    expect((await r.resolve(deployed)).fetch).toBe('cached');

    const fresh = new GitSource({ cacheDir: await tempDir() }).repository(forced.url);
    const e = await gitError(fresh.resolve(deployed));
    expect(e.code).toBe('UnknownRevision');
    expect(e.message).toContain('force push');
  });

  it('names an unreachable server and a missing repository', async () => {
    const source = new GitSource({ cacheDir: await tempDir(), timeoutMs: 2_000 });
    const down = await gitError(source.repository('http://127.0.0.1:9/nothing.git').resolve('main'));
    expect(down.code).toBe('Unreachable');
    expect(down.message).toMatch(/^http:\/\/127\.0\.0\.1:9\/nothing\.git: cannot reach the Git server \(ECONNREFUSED/);
    const missing = await gitError(source.repository(`${server.url}/missing.git`).resolve('main'));
    expect(missing.code).toBe('RepoNotFound');
  });
});

describe.skipIf(!gitAvailable())('GitSource with credentials', () => {
  const auth = { username: 'deploy-bot', password: 'tok-3b1f9e-secret' };
  let server: GitServer;
  let repo: TestRepo;
  let sha: string;

  beforeAll(async () => {
    server = await startGitServer({ auth });
    repo = await server.createRepo('private');
    sha = await repo.commit({ 'cm.yaml': 'a: 1\n' }, 'private commit');
  });
  afterAll(async () => server?.stop());

  it('fails with AuthFailed, naming the repository, without credentials or with wrong ones', async () => {
    const none = await gitError(new GitSource({ cacheDir: await tempDir() }).repository(repo.url).resolve('main'));
    expect(none.code).toBe('AuthFailed');
    expect(none.message).toBe(`${repo.url}: authentication failed (HTTP 401 Unauthorized); check the credentials configured for this repository`);

    const wrong = new CredentialStore([{ urlPrefix: server.url, credentials: { username: 'deploy-bot', password: 'wrong-password-123' } }]);
    const bad = await gitError(new GitSource({ cacheDir: await tempDir(), credentials: wrong }).repository(repo.url).resolve('main'));
    expect(bad.code).toBe('AuthFailed');
    expect(bad.message).not.toContain('wrong-password-123');
  });

  it('authenticates from a credential rule or from the URL, and never stores the secret', async () => {
    const cacheDir = await tempDir();
    const store = new CredentialStore([{ urlPrefix: server.url, credentials: auth }]);
    const resolved = await new GitSource({ cacheDir, credentials: store }).repository(repo.url).resolve('main');
    expect(resolved.sha).toBe(sha);
    expect(JSON.stringify(resolved)).not.toContain(auth.password);

    const inUrl = repo.url.replace('http://', `http://${auth.username}:${auth.password}@`);
    const viaUrl = new GitSource({ cacheDir }).repository(inUrl);
    expect(viaUrl.url).toBe(repo.url);
    expect((await viaUrl.resolve('main')).sha).toBe(sha);
    const config = await readFile(path.join(gitdirOf(cacheDir, repo.url), 'config'), 'utf8');
    expect(config).toContain(repo.url);
    expect(config).not.toContain(auth.password);
  });
});
