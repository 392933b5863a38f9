import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExternalBaseError, indexPack } from '../../src/git/pack-index.ts';
import { gitAvailable } from '../support/git-server.ts';

const exec = promisify(execFile);
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@e' };

/** Runs git with stdin; resolves stdout as a Buffer. */
function git(cwd: string, args: string[], input?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, env: ENV, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

/** Packs `revs` with git pack-objects (extra flags as given) and returns the pack and git's own index of it. */
async function pack(repo: string, revs: string, flags: string[] = []): Promise<{ pack: Buffer; idx: Buffer }> {
  const out = await mkdtemp(path.join(tmpdir(), 'sluice-pack-'));
  const name = (await git(repo, ['pack-objects', '--revs', ...flags, path.join(out, 'p')], `${revs}\n`)).toString().trim();
  return { pack: await readFile(path.join(out, `p-${name}.pack`)), idx: await readFile(path.join(out, `p-${name}.idx`)) };
}

describe.skipIf(!gitAvailable())('indexPack', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await mkdtemp(path.join(tmpdir(), 'sluice-index-'));
    await exec('git', ['init', '-q', '-b', 'main', repo], { env: ENV });
    for (let c = 0; c < 6; c++) {
      for (let f = 0; f < 60; f++) {
        const body = Array.from({ length: 40 }, (_, l) => `line ${l} of file ${f}${l === c ? ` changed in ${c}` : ''}`).join('\n');
        await writeFile(path.join(repo, `f${f}.yaml`), body);
      }
      await writeFile(path.join(repo, 'big.bin'), Buffer.alloc(100_000 + c, c));
      await git(repo, ['add', '-A']);
      await git(repo, ['commit', '-qm', `c${c}`]);
    }
  });

  it.each([
    ['OFS_DELTA entries', []],
    ['REF_DELTA entries', ['--no-delta-base-offset']],
    ['deep delta chains', ['--depth=50', '--window=250']],
    ['no deltas', ['--depth=0']],
  ])('writes the same index as git index-pack for %s', async (_label, flags) => {
    const { pack: data, idx } = await pack(repo, 'main', flags);
    expect(indexPack(data).equals(idx)).toBe(true);
  });

  it('refuses a thin pack with ExternalBaseError, so the caller can fall back', async () => {
    const thin = await git(repo, ['pack-objects', '--revs', '--stdout', '--thin', '--no-delta-base-offset'], 'main\n^main~1\n');
    expect(() => indexPack(thin)).toThrow(ExternalBaseError);
  });

  it('refuses a damaged pack', async () => {
    const { pack: data } = await pack(repo, 'main');
    const damaged = Buffer.from(data);
    damaged[200] = damaged[200]! ^ 0xff;
    expect(() => indexPack(damaged)).toThrow(/checksum does not match/);
    expect(() => indexPack(data.subarray(0, 100))).toThrow();
    expect(() => indexPack(Buffer.from('not a pack at all, not at all....'))).toThrow(/not a pack/);
  });
});
