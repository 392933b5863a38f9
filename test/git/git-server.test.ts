import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';

const run = promisify(execFile);
const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };

describe.skipIf(!gitAvailable())('test git server (git http-backend); skipped when git is missing', () => {
  let server: GitServer;
  beforeAll(async () => {
    server = await startGitServer({ auth: { username: 'u', password: 's3cret' } });
  });
  afterAll(async () => server.stop());

  it('serves commits, branches and tags to the git CLI with basic auth', async () => {
    const repo = await server.createRepo('demo');
    const first = await repo.commit({ 'a.txt': 'a', 'd/b.txt': 'b' }, 'first', { tag: 'v1' });
    const dev = await repo.commit({ 'a.txt': null }, 'second', { branch: 'dev' });
    const authed = repo.url.replace('http://', 'http://u:s3cret@');
    const { stdout } = await run('git', ['ls-remote', authed], { env });
    expect(stdout).toContain(`${first}\trefs/heads/main`);
    expect(stdout).toContain(`${dev}\trefs/heads/dev`);
    expect(stdout).toContain('refs/tags/v1^{}');
    await expect(run('git', ['ls-remote', repo.url], { env })).rejects.toThrow(/401|Authentication failed|could not read Username/);
  });

  it('force-pushes a branch back', async () => {
    const repo = await server.createRepo('fp');
    const one = await repo.commit({ 'x': '1' }, 'one');
    await repo.commit({ 'x': '2' }, 'two');
    await repo.forcePush('main', one);
    const authed = repo.url.replace('http://', 'http://u:s3cret@');
    const { stdout } = await run('git', ['ls-remote', authed, 'refs/heads/main'], { env });
    expect(stdout.trim()).toBe(`${one}\trefs/heads/main`);
  });
});
