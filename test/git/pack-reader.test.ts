import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackReader } from '../../src/git/pack-reader.ts';
import { gitAvailable } from '../support/git-server.ts';

const run = promisify(execFile);
const env = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

async function git(cwd: string, args: string[], input?: string | Buffer): Promise<Buffer> {
  const pending = run('git', args, { cwd, env, encoding: 'buffer', maxBuffer: 1 << 30 });
  // Commands that take no input may exit before stdin closes; that EPIPE is not a failure.
  pending.child.stdin?.on('error', () => undefined);
  pending.child.stdin?.end(input);
  return (await pending).stdout;
}

interface CatObject {
  readonly type: string;
  readonly data: Buffer;
}

/** Every object in the repository, as `git cat-file --batch` prints it. */
async function catAll(cwd: string): Promise<Map<string, CatObject>> {
  const listing = (await git(cwd, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)'])).toString();
  const oids = listing.split('\n').filter(Boolean);
  const out = await git(cwd, ['cat-file', '--batch'], `${oids.join('\n')}\n`);
  const objects = new Map<string, CatObject>();
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    const [oid, type, size] = out.toString('latin1', pos, eol).split(' ');
    const start = eol + 1;
    const end = start + Number(size);
    objects.set(oid as string, { type: type as string, data: out.subarray(start, end) });
    pos = end + 1;
  }
  expect(objects.size).toBe(oids.length);
  return objects;
}

/** Deterministic bytes, so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

function textFile(seed: number, lines: number): string {
  const next = prng(seed);
  return Array.from({ length: lines }, (_, i) => `line ${i} ${next().toString(36)} ${next().toString(16)}`).join('\n') + '\n';
}

function binary(seed: number, size: number): Buffer {
  const next = prng(seed);
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = next() >>> 24;
  return buf;
}

/** Rewrites a few lines of a text file (keeps most of it, so git finds deltas). */
function mutate(text: string, seed: number): string {
  const next = prng(seed);
  const lines = text.split('\n');
  for (let k = 0; k < 3; k++) lines[next() % lines.length] = `changed ${seed} ${k} ${next()}`;
  lines.splice(next() % lines.length, 0, `inserted ${seed}`);
  return lines.join('\n');
}

async function commitAll(work: string, message: string): Promise<string> {
  await git(work, ['add', '-A']);
  await git(work, ['commit', '-q', '-m', message]);
  return (await git(work, ['rev-parse', 'HEAD'])).toString().trim();
}

/** Loose object ids under objects/xx/. */
async function looseOids(gitdir: string): Promise<Set<string>> {
  const oids = new Set<string>();
  for (const dir of await readdir(path.join(gitdir, 'objects'))) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const file of await readdir(path.join(gitdir, 'objects', dir))) oids.add(dir + file);
  }
  return oids;
}

async function packFiles(gitdir: string, ext: string): Promise<string[]> {
  const dir = path.join(gitdir, 'objects', 'pack');
  return (await readdir(dir)).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));
}

/** `git show-index` of an .idx: oid → offset. */
async function showIndex(cwd: string, idxPath: string): Promise<Map<string, number>> {
  const out = (await git(cwd, ['show-index'], await readFile(idxPath))).toString();
  const entries = new Map<string, number>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [offset, oid] = line.split(' ');
    entries.set(oid as string, Number(offset));
  }
  return entries;
}

/**
 * A version 2 index for `entries` (oid → offset). With `allLarge`, every offset goes
 * through the 8-byte table (legal, though git only does it past 2 GiB). CRCs are zero:
 * the reader skips them.
 */
function buildIdx(entries: Map<string, number>, packChecksum: Buffer, allLarge: boolean): Buffer {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const n = sorted.length;
  const head = Buffer.alloc(8 + 1024);
  head.writeUInt32BE(0xff744f63, 0);
  head.writeUInt32BE(2, 4);
  const counts = new Array<number>(256).fill(0);
  for (const [oid] of sorted) counts[parseInt(oid.slice(0, 2), 16)]! += 1;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += counts[i]!;
    head.writeUInt32BE(running, 8 + i * 4);
  }
  const oids = Buffer.concat(sorted.map(([oid]) => Buffer.from(oid, 'hex')));
  const crcs = Buffer.alloc(4 * n);
  const small = Buffer.alloc(4 * n);
  const large = Buffer.alloc(allLarge ? 8 * n : 0);
  sorted.forEach(([, offset], i) => {
    if (allLarge) {
      small.writeUInt32BE((0x80000000 | i) >>> 0, i * 4);
      large.writeUInt32BE(0, i * 8);
      large.writeUInt32BE(offset, i * 8 + 4);
    } else {
      small.writeUInt32BE(offset, i * 4);
    }
  });
  const body = Buffer.concat([head, oids, crcs, small, large, packChecksum]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function expectSame(reader: PackReader, oid: string, want: CatObject): void {
  const got = reader.read(oid);
  expect(got, oid).toBeDefined();
  expect(got?.type, oid).toBe(want.type);
  // Buffer.equals first: toEqual on 200 KiB buffers produces unreadable diffs.
  expect(got?.data.equals(want.data), `${oid} (${want.type}, ${want.data.length} bytes)`).toBe(true);
}

describe.skipIf(!gitAvailable())('PackReader against the git CLI', () => {
  let root: string;
  let work: string;
  let gitdir: string;
  let truth: Map<string, CatObject>;
  let firstPackCommit: string;
  let firstPack: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-pack-reader-'));
    work = path.join(root, 'work');
    gitdir = path.join(work, '.git');
    await mkdir(work);
    await git(work, ['init', '-q', '-b', 'main']);
    await git(work, ['config', 'gc.auto', '0']);

    const texts = new Map<string, string>();
    for (let i = 0; i < 240; i++) texts.set(`d${i % 12}/f${i}.txt`, textFile(i, 40 + (i % 50)));
    texts.set('big.txt', textFile(9999, 5000)); // ~200 KiB: copies of 0x10000 bytes
    texts.set('naïve name with spaces.md', textFile(77, 20));
    let blob = binary(4242, 100_000);
    const writeAll = async () => {
      for (const [file, text] of texts) {
        await mkdir(path.dirname(path.join(work, file)), { recursive: true });
        await writeFile(path.join(work, file), text);
      }
      await writeFile(path.join(work, 'bin.dat'), blob);
    };
    await writeAll();
    await writeFile(path.join(work, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(work, 'run.sh'), 0o755);
    await symlink('d0/f0.txt', path.join(work, 'link'));
    await commitAll(work, 'initial');

    const round = async (r: number) => {
      const files = [...texts.keys()];
      for (let k = 0; k < 40; k++) {
        const file = files[(r * 37 + k * 11) % files.length] as string;
        texts.set(file, mutate(texts.get(file) as string, r * 1000 + k));
      }
      texts.set('big.txt', mutate(texts.get('big.txt') as string, r));
      blob = Buffer.concat([blob.subarray(0, 5000 * r), binary(r, 300), blob.subarray(5000 * r + 300)]);
      await writeAll();
      return commitAll(work, `round ${r}`);
    };
    for (let r = 1; r <= 8; r++) await round(r);
    await git(work, ['tag', '-a', 'v1', '-m', 'annotated']);
    await git(work, ['repack', '-adf', '--depth=50', '--window=250']);
    firstPackCommit = (await git(work, ['rev-parse', 'HEAD'])).toString().trim();
    firstPack = (await packFiles(gitdir, '.pack'))[0] as string;

    for (let r = 9; r <= 11; r++) await round(r);
    await git(work, ['repack', '-d']); // a second pack with only the new objects
    await round(12); // left loose
    truth = await catAll(work);
  }, 120_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('builds the repository it claims to: two packs, delta chains, loose objects', async () => {
    expect(await packFiles(gitdir, '.pack')).toHaveLength(2);
    const verify = (await git(work, ['verify-pack', '-v', firstPack.replace(/\.pack$/, '.idx')])).toString();
    const depths = [...verify.matchAll(/^chain length = (\d+):/gm)].map((m) => Number(m[1]));
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(5);
    expect((await looseOids(gitdir)).size).toBeGreaterThan(0);
  });

  it('reads every packed object exactly as git cat-file does, and no loose one', async () => {
    const reader = await PackReader.open(gitdir);
    const loose = await looseOids(gitdir);
    expect(reader.packNames).toHaveLength(2);
    expect(reader.objectCount).toBe(truth.size - loose.size);
    const types = new Set<string>();
    for (const [oid, want] of truth) {
      if (loose.has(oid)) {
        expect(reader.has(oid)).toBe(false);
        expect(reader.read(oid)).toBeUndefined();
        continue;
      }
      expect(reader.has(oid)).toBe(true);
      expectSame(reader, oid, want);
      types.add(want.type);
    }
    expect([...types].sort()).toEqual(['blob', 'commit', 'tag', 'tree']);
  });

  it('gives the same bytes with a tiny base cache, and in reverse order', async () => {
    const reader = await PackReader.open(gitdir, { cacheBytes: 1024 });
    const loose = await looseOids(gitdir);
    for (const [oid, want] of [...truth].reverse()) if (!loose.has(oid)) expectSame(reader, oid, want);
  });

  it('hands out copies: mutating a result does not change later reads', async () => {
    const reader = await PackReader.open(gitdir);
    const loose = await looseOids(gitdir);
    const oids = [...truth.keys()].filter((oid) => !loose.has(oid));
    for (const oid of oids) reader.read(oid)?.data.fill(0);
    for (const oid of oids) expectSame(reader, oid, truth.get(oid) as CatObject);
  });

  it('returns undefined for unknown ids and rejects malformed ones', async () => {
    const reader = await PackReader.open(gitdir);
    expect(reader.read('0'.repeat(40))).toBeUndefined();
    expect(reader.read('f'.repeat(40))).toBeUndefined();
    expect(reader.has('1234567890abcdef1234567890abcdef12345678')).toBe(false);
    expect(() => reader.read('abc')).toThrow(TypeError);
  });

  it('parses trees like git ls-tree', async () => {
    const trees = [...truth].filter(([, o]) => o.type === 'tree').slice(0, 40);
    expect(trees.length).toBeGreaterThan(10);
    let sawModes = new Set<string>();
    for (const [oid, tree] of trees) {
      const listing = (await git(work, ['ls-tree', '-z', oid])).toString('utf8');
      const want = listing
        .split('\0')
        .filter(Boolean)
        .map((line) => {
          const [meta, name] = line.split('\t') as [string, string];
          const [mode, , entryOid] = meta.split(' ') as [string, string, string];
          return { mode, path: name, oid: entryOid };
        });
      const got = PackReader.parseTree(tree.data);
      expect(got).toEqual(want);
      sawModes = new Set([...sawModes, ...got.map((e) => e.mode)]);
    }
    expect([...sawModes].sort()).toEqual(['040000', '100644', '100755', '120000']);
    expect(PackReader.parseTree(Buffer.alloc(0))).toEqual([]);
    expect(() => PackReader.parseTree(Buffer.from('100644 a\0short'))).toThrow(/malformed tree/);
  });

  it('follows REF_DELTA bases into another pack (thin pack, large-offset index)', async () => {
    // git never leaves thin packs on disk, so build one: pack the objects after the first
    // pack with --thin (deltas against objects only in the first pack), index it by hand.
    const thin = await git(work, ['pack-objects', '--thin', '--stdout', '--revs', '--delta-base-offset'], `HEAD\n^${firstPackCommit}\n`);
    const fixedPack = path.join(root, 'fixed.pack');
    await git(work, ['index-pack', '--stdin', '--fix-thin', fixedPack], thin);
    const fixed = await showIndex(work, fixedPack.replace(/\.pack$/, '.idx'));
    const inThin = new Map([...fixed].filter(([, offset]) => offset < thin.length - 20));
    expect(fixed.size).toBeGreaterThan(inThin.size); // some bases were outside: REF_DELTAs exist

    const other = path.join(root, 'thin-repo');
    const packDir = path.join(other, 'objects', 'pack');
    await mkdir(packDir, { recursive: true });
    await copyFile(firstPack, path.join(packDir, path.basename(firstPack)));
    await copyFile(firstPack.replace(/\.pack$/, '.idx'), path.join(packDir, path.basename(firstPack).replace(/\.pack$/, '.idx')));
    await writeFile(path.join(packDir, 'pack-thin.pack'), thin);
    await writeFile(path.join(packDir, 'pack-thin.idx'), buildIdx(inThin, thin.subarray(thin.length - 20), true));

    const reader = await PackReader.open(other);
    expect(reader.packNames).toHaveLength(2);
    for (const oid of inThin.keys()) expectSame(reader, oid, truth.get(oid) as CatObject);
  });

  it('picks up new packs and drops deleted ones on refresh', async () => {
    const copy = path.join(root, 'refresh-repo');
    const packDir = path.join(copy, 'objects', 'pack');
    await mkdir(packDir, { recursive: true });
    const reader = await PackReader.open(copy);
    expect(reader.objectCount).toBe(0);
    const [pack] = await packFiles(gitdir, '.pack');
    const base = path.basename(pack as string, '.pack');
    await copyFile(pack as string, path.join(packDir, `${base}.pack`));
    await copyFile((pack as string).replace(/\.pack$/, '.idx'), path.join(packDir, `${base}.idx`));
    expect(await reader.refresh()).toEqual({ added: 1, removed: 0 });
    expect(await reader.refresh()).toEqual({ added: 0, removed: 0 });
    const sample = [...(await showIndex(work, (pack as string).replace(/\.pack$/, '.idx'))).keys()][0] as string;
    expectSame(reader, sample, truth.get(sample) as CatObject);
    await rm(path.join(packDir, `${base}.pack`));
    expect(await reader.refresh()).toEqual({ added: 0, removed: 1 });
    expect(reader.read(sample)).toBeUndefined();
  });

  describe('corrupt packs throw, never return garbage', () => {
    async function corruptedCopy(name: string, damage: (pack: Buffer, offsets: Map<string, number>) => Buffer): Promise<string> {
      const copy = path.join(root, name);
      const packDir = path.join(copy, 'objects', 'pack');
      await mkdir(packDir, { recursive: true });
      const idx = firstPack.replace(/\.pack$/, '.idx');
      const offsets = await showIndex(work, idx);
      await writeFile(path.join(packDir, 'pack-x.pack'), damage(Buffer.from(await readFile(firstPack)), offsets));
      await copyFile(idx, path.join(packDir, 'pack-x.idx'));
      return copy;
    }

    it('flipped bytes inside object data: each read is either correct or throws naming the object', async () => {
      const flipped: string[] = [];
      const copy = await corruptedCopy('flipped', (pack, offsets) => {
        const sorted = [...offsets].sort((a, b) => a[1] - b[1]);
        for (let i = 0; i < sorted.length - 1; i += 7) {
          const [oid, start] = sorted[i] as [string, number];
          const end = (sorted[i + 1] as [string, number])[1];
          if (end - start < 12) continue;
          const at = start + Math.floor((end - start) / 2);
          pack[at] = (pack[at] as number) ^ 0x5a;
          flipped.push(oid);
        }
        return pack;
      });
      expect(flipped.length).toBeGreaterThan(20);
      const reader = await PackReader.open(copy);
      for (const oid of flipped) {
        expect(() => reader.read(oid)).toThrow(new RegExp(`object ${oid}: pack-x\\.pack at offset \\d+`));
      }
      let failed = 0;
      for (const oid of (await showIndex(work, firstPack.replace(/\.pack$/, '.idx'))).keys()) {
        let got;
        try {
          got = reader.read(oid);
        } catch {
          failed++;
          continue;
        }
        const want = truth.get(oid) as CatObject;
        expect(got?.type).toBe(want.type);
        expect(got?.data.equals(want.data), oid).toBe(true);
      }
      expect(failed).toBeGreaterThanOrEqual(flipped.length);
    });

    it('damaged entry headers throw', async () => {
      const victims: string[] = [];
      const copy = await corruptedCopy('headers', (pack, offsets) => {
        for (const [oid, offset] of [...offsets].slice(0, 30)) {
          pack[offset] = ((pack[offset] as number) & 0x8f) | 0x50; // type 5 is reserved
          victims.push(oid);
        }
        return pack;
      });
      const reader = await PackReader.open(copy);
      for (const oid of victims) expect(() => reader.read(oid)).toThrow(/unknown entry type 5/);
    });

    it('a truncated pack is refused at open', async () => {
      const copy = await corruptedCopy('truncated', (pack) => pack.subarray(0, Math.floor(pack.length / 2)));
      await expect(PackReader.open(copy)).rejects.toThrow(/pack-x\.pack: /);
    });
  });
});
