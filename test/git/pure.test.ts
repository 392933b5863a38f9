import { describe, expect, it } from 'vitest';
import { CredentialStore, parseCredentialRules } from '../../src/git/credentials.ts';
import { classifyRemoteError, GitError, redact } from '../../src/git/errors.ts';
import { ReadWriteLock } from '../../src/git/lock.ts';
import { touchesAny } from '../../src/git/objects.ts';
import { isCommitLike, matchRevision, peelRefs } from '../../src/git/revision.ts';
import { cacheDirName, parseRepoUrl, redactUrl } from '../../src/git/url.ts';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const SHA_C = 'c'.repeat(40);

describe('parseRepoUrl', () => {
  it.each([
    ['https://github.com/acme/app.git', 'https://github.com/acme/app'],
    ['https://GitHub.com/acme/app/', 'https://github.com/acme/app'],
    ['https://github.com:443/acme/app.git/', 'https://github.com/acme/app'],
    ['http://127.0.0.1:8080/repos/x.git', 'http://127.0.0.1:8080/repos/x'],
    ['https://user:secret@github.com/acme/app.git', 'https://github.com/acme/app'],
    ['  https://github.com/Acme/App  ', 'https://github.com/Acme/App'],
  ])('%s is keyed %s', (raw, key) => {
    expect(parseRepoUrl(raw).key).toBe(key);
  });

  it('moves embedded credentials out of the fetch URL', () => {
    const url = parseRepoUrl('https://bot:t%40ken@git.example.com/a/b.git');
    expect(url.fetchUrl).toBe('https://git.example.com/a/b.git');
    expect(url.embedded).toEqual({ username: 'bot', password: 't@ken' });
  });

  it.each(['git@github.com:acme/app.git', 'ssh://git@github.com/acme/app', 'ftp://x/y', 'not a url'])('rejects %s', (raw) => {
    expect(() => parseRepoUrl(raw)).toThrow(GitError);
  });

  it('never echoes a password from a rejected URL', () => {
    expect(() => parseRepoUrl('ftp://u:hunter2@x/y')).toThrow(/^(?!.*hunter2)/s);
  });

  it('names cache directories readably and without collisions', () => {
    const a = cacheDirName('https://github.com/acme/app');
    const b = cacheDirName('https://github.com/acme_app');
    expect(a).toMatch(/^github\.com_acme_app-[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });

  it('redacts user info in URLs inside text', () => {
    expect(redactUrl('fetch https://u:p@h/x failed')).toBe('fetch https://h/x failed');
  });
});

describe('matchRevision', () => {
  const refs = new Map([
    ['HEAD', SHA_A],
    ['refs/heads/main', SHA_A],
    ['refs/heads/v2', SHA_B],
    ['refs/tags/v2', SHA_C],
    ['refs/tags/v1.0.0', SHA_B],
    ['refs/heads/feature/x', SHA_C],
  ]);
  it.each([
    ['main', { kind: 'branch', ref: 'refs/heads/main', sha: SHA_A }],
    ['', { kind: 'ref', ref: 'HEAD', sha: SHA_A }],
    ['HEAD', { kind: 'ref', ref: 'HEAD', sha: SHA_A }],
    ['v1.0.0', { kind: 'tag', ref: 'refs/tags/v1.0.0', sha: SHA_B }],
    ['feature/x', { kind: 'branch', ref: 'refs/heads/feature/x', sha: SHA_C }],
    ['refs/heads/v2', { kind: 'branch', ref: 'refs/heads/v2', sha: SHA_B }],
    ['v2', { kind: 'tag', ref: 'refs/tags/v2', sha: SHA_C }],
    ['abc1234', { kind: 'commit', sha: 'abc1234', full: false }],
    [SHA_B, { kind: 'commit', sha: SHA_B, full: true }],
    ['nope', { kind: 'none' }],
    ['abc', { kind: 'none' }],
    ['ABC1234', { kind: 'none' }],
  ])('%j', (revision, expected) => {
    expect(matchRevision(revision, refs)).toMatchObject(expected);
  });

  it('warns when a name is both a tag and a branch, and prefers the tag as git does', () => {
    const m = matchRevision('v2', refs);
    expect(m.kind === 'tag' && m.warnings[0]).toMatch(/ambiguous.*refs\/tags\/v2, refs\/heads\/v2/);
  });

  it('peels annotated tags and drops ^{} entries', () => {
    const peeled = peelRefs([
      { ref: 'refs/tags/v1', oid: SHA_A, peeled: SHA_B },
      { ref: 'refs/tags/v1^{}', oid: SHA_B },
      { ref: 'refs/heads/main', oid: SHA_C },
    ]);
    expect([...peeled]).toEqual([
      ['refs/tags/v1', SHA_B],
      ['refs/heads/main', SHA_C],
    ]);
  });

  it.each([['abcd', true], ['abc', false], [SHA_A, true], [`${SHA_A}0`, false], ['g123', false]])('isCommitLike(%s) = %s', (rev, like) => {
    expect(isCommitLike(rev)).toBe(like);
  });
});

describe('credentials', () => {
  it('matches the longest prefix on whole path segments', () => {
    const store = new CredentialStore([
      { urlPrefix: 'https://github.com/', credentials: { username: 'any', password: 'p1' } },
      { urlPrefix: 'https://github.com/acme', credentials: { username: 'acme', password: 'p2' } },
    ]);
    expect(store.lookup(parseRepoUrl('https://github.com/acme/app.git').key)?.username).toBe('acme');
    expect(store.lookup(parseRepoUrl('https://github.com/acme-evil/app').key)?.username).toBe('any');
    expect(store.lookup(parseRepoUrl('https://gitlab.com/acme/app').key)).toBeUndefined();
  });

  it('reads password, token, passwordEnv', () => {
    const rules = parseCredentialRules(
      ['- url: https://a.example/x', '  username: u', '  password: p', '- url: https://b.example', '  token: tok', '- url: https://c.example', '  username: c', '  passwordEnv: C_PASS'].join('\n'),
      'creds.yaml',
      { C_PASS: 'from-env' },
    );
    expect(rules.map((r) => r.credentials)).toEqual([
      { username: 'u', password: 'p' },
      { username: 'x-access-token', password: 'tok' },
      { username: 'c', password: 'from-env' },
    ]);
  });

  it.each([
    ['url: x', /must be a list/],
    ['- username: u\n  password: p', /\[0\]: url is required/],
    ['- url: https://a\n  password: p', /\[0\]: username is required/],
    ['- url: https://a\n  username: u\n  password: p\n  token: t', /exactly one of/],
    ['- url: https://a\n  username: u\n  passwordEnv: MISSING', /MISSING is not set/],
    ['- url: [', /creds.yaml:\d+: credentials are not valid YAML/],
  ])('rejects %j', (text, message) => {
    expect(() => parseCredentialRules(text, 'creds.yaml', {})).toThrow(message);
  });

  it('keeps secrets out of its errors', () => {
    expect(() => parseCredentialRules('- url: https://a\n  password: s3cr3t-value', 'c', {})).toThrow(/^(?!.*s3cr3t)/s);
  });
});

describe('errors', () => {
  const http = (statusCode: number) => Object.assign(new Error(`HTTP Error: ${statusCode}`), { code: 'HttpError', data: { statusCode, statusMessage: 'X' } });
  it.each([
    [http(401), 'AuthFailed'],
    [http(403), 'AuthFailed'],
    [http(404), 'RepoNotFound'],
    [http(502), 'Unreachable'],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'Unreachable'],
    [Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'Unreachable'],
    [Object.assign(new Error('not smart'), { code: 'SmartHttpError' }), 'Unsupported'],
  ])('%s → %s', (error, code) => {
    expect(classifyRemoteError(error, 'https://h/r', []).code).toBe(code);
  });

  it('redacts secrets, also URL-encoded and base64', () => {
    const secret = 'p@ss word';
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${Buffer.from(secret).toString('base64')}`;
    expect(redact(text, [secret])).toBe('a *** b *** c ***');
    expect(classifyRemoteError(new Error(`boom ${secret}`), 'https://h/r', [secret]).message).not.toContain(secret);
  });
});

describe('touchesAny', () => {
  const changed = ['apps/web/deploy.yaml', 'apps/webhooks/cm.yaml', 'README.md'];
  it.each([
    [['apps/web'], true],
    [['./apps/web/'], true],
    [['apps/api'], false],
    [['apps/we'], false],
    [['.'], true],
    [[''], true],
    [['README.md'], true],
    [[], false],
  ])('%j → %s', (dirs, expected) => {
    expect(touchesAny(changed, dirs)).toBe(expected);
  });
});

describe('ReadWriteLock', () => {
  it('runs readers together, writers alone and in order', async () => {
    const lock = new ReadWriteLock();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const r1 = lock.read(async () => {
      log.push('r1 start');
      await gate;
      log.push('r1 end');
    });
    const r2 = lock.read(async () => log.push('r2'));
    const w = lock.write(async () => log.push('w'));
    const r3 = lock.read(async () => log.push('r3'));
    await Promise.resolve();
    release();
    await Promise.all([r1, r2, w, r3]);
    expect(log).toEqual(['r1 start', 'r2', 'r1 end', 'w', 'r3']);
  });

  it('releases on failure', async () => {
    const lock = new ReadWriteLock();
    await expect(lock.write(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(lock.write(async () => 'ok')).resolves.toBe('ok');
  });
});
