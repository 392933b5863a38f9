import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { appApiCommand, loginCommand, logoutCommand, rolloutApiCommand } from '../../src/cli/api-commands.ts';
import { apiTarget } from '../../src/cli/api-client.ts';
import { contextFilePath, parseContext } from '../../src/cli/context-file.ts';
import { sluiceArgs } from '../support/cli.ts';
import { notImplementedRollouts } from '../../src/api/rollout-port.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable } from '../support/git-server.ts';
import { redisAvailable } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { startHarness, TOKENS, type Harness } from '../api/harness.ts';

const CONFIG = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { color: ${color} }\n`;

function capture() {
  const chunks = { out: '', err: '' };
  const stream = (key: 'out' | 'err') => new Writable({ write: (c: Buffer, _e, done) => ((chunks[key] += c.toString()), done()) });
  return { io: { out: stream('out'), err: stream('err') }, chunks };
}

describe.skipIf(!gitAvailable() || !redisAvailable())('sluice app and sluice rollout on the API', () => {
  let h: Harness;
  const run = async (group: 'app' | 'rollout', args: string[], role: keyof typeof TOKENS = 'operator') => {
    const { io, chunks } = capture();
    const code = await (group === 'app' ? appApiCommand : rolloutApiCommand)([...args, '--server', h.url, '--token', TOKENS[role]], io);
    return { code, ...chunks };
  };

  beforeAll(async () => {
    h = await startHarness({ files: { 'app/config.yaml': CONFIG('blue') }, apps: (repoURL) => [testApplication({ name: 'shop', repoURL, path: 'app' })], rollouts: notImplementedRollouts() });
    await until('synced', async () => (await run('app', ['get', 'shop', '-o', 'json'])).out.includes('"Synced"') || undefined, 30_000);
  }, 60_000);
  afterAll(async () => h?.stop());

  it('lists apps as a table, JSON or YAML', async () => {
    const t = await run('app', ['list']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^NAME\s+SYNC\s+HEALTH\s+REVISION/);
    expect(t.out).toMatch(/shop\s+Synced\s+Healthy\s+[0-9a-f]{7}\s+poll Succeeded/);
    expect(JSON.parse((await run('app', ['list', '-o', 'json'])).out)).toMatchObject({ total: 1, items: [{ name: 'shop' }] });
    expect(parseYaml((await run('app', ['list', '-o', 'yaml', '--sync', 'OutOfSync'])).out)).toMatchObject({ total: 0 });
  });

  it('shows an app, its history and its diff (exit 1 when it differs)', async () => {
    expect((await run('app', ['get', 'shop'])).out).toContain('Sync:        Synced');
    expect((await run('app', ['history', 'shop'])).out).toMatch(/poll\s+Succeeded/);
    expect(await run('app', ['diff', 'shop'])).toMatchObject({ code: 0, out: '' });
    await h.kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings' }, { data: { color: 'red' } }, { type: 'merge' });
    const diff = await run('app', ['diff', 'shop']);
    expect(diff.code).toBe(1);
    expect(diff.out).toContain('-  color: red');
  });

  it('syncs, dry-runs and refreshes; viewers get exit 3, unknown apps 4, no rollout engine 6', async () => {
    const dry = await run('app', ['sync', 'shop', '--dry-run']);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.out).toMatch(/configured\s+ConfigMap\/shop\/settings/);
    expect((await run('app', ['sync', 'shop'])).out).toMatch(/sync of shop queued \(job \d+\)/);
    expect((await run('app', ['refresh', 'shop'])).code).toBe(0);
    expect(await run('app', ['sync', 'shop'], 'viewer')).toMatchObject({ code: 3, err: expect.stringContaining('Forbidden') });
    expect(await run('app', ['get', 'nope'])).toMatchObject({ code: 4 });
    expect(await run('app', ['pin', 'shop', '--revision', 'abc'])).toMatchObject({ code: 6, err: expect.stringContaining('NotImplemented') });
    expect(await run('rollout', ['promote', 'shop'])).toMatchObject({ code: 6 });
    expect(await run('rollout', ['status', 'shop'])).toMatchObject({ code: 0, out: 'shop: no rollout\n' });
  });

  it('answers usage errors with exit 2 and --help with 0', async () => {
    expect((await run('app', ['sync'])).code).toBe(2);
    expect((await run('app', ['rollback', 'shop'])).code).toBe(2);
    expect((await run('app', ['list', '-o', 'xml'])).code).toBe(2);
    expect((await run('app', ['--help'])).code).toBe(0);
    const { io } = capture();
    expect(await appApiCommand(['list'], io)).toBe(process.env['SLUICE_SERVER'] ? 0 : 2);
  });

  it('sluice login checks the token, saves server and token mode 0600, and later commands use them', async () => {
    const env = { XDG_CONFIG_HOME: await mkdtemp(path.join(tmpdir(), 'sluice-login-')) };
    const file = contextFilePath(env);
    const refused = capture();
    expect(await loginCommand(['--server', h.url, '--token', 'not-a-token'], refused.io, env)).toBe(3);
    expect(refused.chunks.err).toContain('Unauthenticated');
    await expect(stat(file)).rejects.toThrow();

    const login = capture();
    expect(await loginCommand(['--server', `${h.url}/`, '--token', TOKENS.viewer], login.io, env)).toBe(0);
    expect(login.chunks.out).toBe(`logged in to ${h.url}/ as viewer-bot (viewer); saved to ${file}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(parseContext(await readFile(file, 'utf8'), file)).toEqual({ server: h.url, token: TOKENS.viewer });

    // no flag, no environment: the saved context, through the real command
    const listed = await promisify(execFile)(process.execPath, sluiceArgs('app', 'list'), { env: { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent', ...env } });
    expect(listed.stdout).toMatch(/shop\s+Synced/);
    // the saved token goes to its own server only
    expect(await apiTarget(undefined, undefined, env)).toEqual({ server: h.url, token: TOKENS.viewer });
    expect(await apiTarget('http://127.0.0.1:1', undefined, env)).toEqual({ server: 'http://127.0.0.1:1', token: undefined });
    expect(await apiTarget(undefined, 'other', { ...env, SLUICE_SERVER: 'http://elsewhere:8080/' })).toEqual({ server: 'http://elsewhere:8080', token: 'other' });

    const out = capture();
    expect(await logoutCommand(out.io, env)).toBe(0);
    await expect(apiTarget(undefined, undefined, env)).rejects.toThrow('no server: pass --server URL, set SLUICE_SERVER, or run sluice login');
  }, 60_000);

  it.each([
    { name: 'not a mapping', text: '- a\n', error: 'cfg: must be a mapping with server and token' },
    { name: 'an unknown field', text: 'server: http://x\ntoken: t\ncontext: prod\n', error: 'cfg: context: unknown field (server and token are known)' },
    { name: 'no token', text: 'server: http://x\n', error: 'cfg: token: must be a non-empty string' },
    { name: 'a number for a server', text: 'server: 8080\ntoken: t\n', error: 'cfg: server: must be a non-empty string' },
  ])('refuses a context file with $name, naming the field', ({ text, error }) => {
    expect(() => parseContext(text, 'cfg')).toThrow(error);
  });

  it('sluice --version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await promisify(execFile)(process.execPath, sluiceArgs('--version'))).stdout).toBe(`sluice ${version}\n`);
  });
});
