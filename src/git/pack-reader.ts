import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { GitError } from './errors.ts';
import { applyDelta, DeltaError } from './pack-delta.ts';
import { OBJECT_TYPES, OFS_DELTA, parseEntryHeader, type EntryHeader, type PackObjectType } from './pack-format.ts';

export type { PackObjectType } from './pack-format.ts';

export interface PackObject {
  readonly type: PackObjectType;
  readonly data: Buffer;
}

export interface PackTreeEntry {
  readonly mode: string;
  readonly path: string;
  readonly oid: string;
}

export interface PackRefreshResult {
  readonly added: number;
  readonly removed: number;
}

/** Resolved delta bases kept between reads, by total bytes. */
export const DEFAULT_BASE_CACHE_BYTES = 32 * 1024 * 1024;
/** Longer chains than this mean a REF_DELTA cycle (git's own limit is 4095). */
const MAX_CHAIN = 10_000;

const IDX_MAGIC = 0xff744f63;
const IDX_HEADER = 8 + 256 * 4;
const CHECKSUM = 20;
const OID_RE = /^[0-9a-f]{40}$/i;

interface Pack {
  /** Unique per reader, part of the base cache key. */
  readonly id: number;
  /** `pack-<hash>.pack`, for messages and refresh. */
  readonly name: string;
  readonly data: Buffer;
  readonly fanout: Uint32Array;
  /** The index's sorted oid table, 20 bytes per object. */
  readonly oids: Buffer;
  /** Pack offset per index position. */
  readonly offsets: Float64Array;
  /** All offsets ascending: an object's data ends at the next one. */
  readonly sortedOffsets: Float64Array;
  /** Start of the trailing checksum: the last object's data ends here. */
  readonly dataEnd: number;
}


interface ChainLink {
  readonly pack: Pack;
  readonly offset: number;
  readonly header: EntryHeader;
}

/**
 * A read-only, synchronous object reader over a bare repository's packs
 * (`objects/pack/pack-*.idx` version 2 + `.pack` version 2/3, SHA-1), for bulk reads.
 *
 * isomorphic-git's `readBlob` pays per call for a loose-object probe, a readdir of
 * objects/pack and its FileSystem wrapper; here every index and pack is read into memory
 * once by `open`, lookups are a binary search in the index's sorted oid table, and each
 * object is one `inflateSync` of an exact slice (its compressed data ends where the
 * next-larger offset begins, or at the pack's trailing checksum).
 *
 * Loose objects are not read: `read` returns undefined for an oid in no pack, and the
 * caller falls back to isomorphic-git. Packs written after `open` are picked up by
 * `refresh()`, which only reads packs it has not seen (pack names are content hashes);
 * re-opening instead costs reading every index and pack again (one readFile each, i.e.
 * roughly the packs' total size in I/O). Call either only when no fetch is writing packs.
 *
 * Corrupt data throws a GitError('CorruptCache') naming the oid, pack and offset; it is
 * never returned as content. The pack checksum itself is not verified (only that the
 * index belongs to the pack), and neither are object hashes.
 */
export class PackReader {
  private packs: Pack[] = [];
  private nextId = 0;
  private readonly cache: BaseCache;

  private constructor(
    readonly gitdir: string,
    cacheBytes: number,
  ) {
    this.cache = new BaseCache(cacheBytes);
  }

  static async open(gitdir: string, options: { cacheBytes?: number } = {}): Promise<PackReader> {
    const reader = new PackReader(gitdir, options.cacheBytes ?? DEFAULT_BASE_CACHE_BYTES);
    await reader.refresh();
    return reader;
  }

  /** Names of the packs currently read, e.g. `pack-1a2b….pack`. */
  get packNames(): string[] {
    return this.packs.map((p) => p.name);
  }

  get objectCount(): number {
    return this.packs.reduce((n, p) => n + p.offsets.length, 0);
  }

  /**
   * Re-lists objects/pack: reads packs that appeared since the last call, forgets packs
   * that were deleted (e.g. by `git repack -ad`). Cost: one readdir plus reading the new
   * files only.
   */
  async refresh(): Promise<PackRefreshResult> {
    const dir = path.join(this.gitdir, 'objects', 'pack');
    const names = await listPacks(dir);
    const wanted = new Set(names);
    const kept = this.packs.filter((p) => wanted.has(p.name));
    const known = new Set(kept.map((p) => p.name));
    const fresh = names.filter((n) => !known.has(n));
    const loaded = await Promise.all(
      fresh.map(async (name) => {
        const base = path.join(dir, name.slice(0, -'.pack'.length));
        const [idx, data] = await Promise.all([readFile(`${base}.idx`), readFile(`${base}.pack`)]);
        return parsePack(this.nextId++, name, idx, data);
      }),
    );
    const removed = this.packs.length - kept.length;
    this.packs = [...kept, ...loaded];
    return { added: loaded.length, removed };
  }

  has(oid: string): boolean {
    return this.locate(toOidBuffer(oid)) !== undefined;
  }

  /** The object, or undefined when no pack holds it (it may still be a loose object). */
  read(oid: string): PackObject | undefined {
    const found = this.locate(toOidBuffer(oid));
    if (!found) return undefined;
    return this.readAt(oid, found.pack, found.offset);
  }

  /**
   * Parses a tree object: `<octal mode> <name>\0<20-byte oid>` repeated. Modes are
   * padded to six digits as isomorphic-git reports them ('40000' → '040000').
   */
  static parseTree(data: Buffer): PackTreeEntry[] {
    const entries: PackTreeEntry[] = [];
    let pos = 0;
    while (pos < data.length) {
      const space = data.indexOf(0x20, pos);
      const nul = space < 0 ? -1 : data.indexOf(0, space + 1);
      if (space <= pos || nul < 0 || nul + 1 + 20 > data.length) {
        throw new GitError('CorruptCache', `malformed tree entry at byte ${pos}`);
      }
      const mode = data.toString('latin1', pos, space);
      if (!/^[0-7]{1,6}$/.test(mode)) throw new GitError('CorruptCache', `malformed tree mode '${mode}' at byte ${pos}`);
      entries.push({
        mode: mode.padStart(6, '0'),
        path: data.toString('utf8', space + 1, nul),
        oid: data.toString('hex', nul + 1, nul + 21),
      });
      pos = nul + 21;
    }
    return entries;
  }

  private locate(oid: Buffer): { pack: Pack; offset: number } | undefined {
    for (const pack of this.packs) {
      const offset = findOffset(pack, oid);
      if (offset !== undefined) return { pack, offset };
    }
    return undefined;
  }

  /**
   * Walks the delta chain down to a whole object or a cached base, then applies the
   * deltas back up, caching each intermediate result (they are bases of something).
   */
  private readAt(oid: string, pack: Pack, offset: number): PackObject {
    const chain: ChainLink[] = [];
    let current = { pack, offset };
    let base: PackObject | undefined;
    while (base === undefined) {
      if (chain.length > MAX_CHAIN) throw corrupt(oid, current.pack, current.offset, 'delta chain too long (cycle?)');
      const cached = this.cache.get(cacheKey(current.pack, current.offset));
      if (cached) {
        // Never hand out the cached buffer itself: callers may mutate what they get.
        base = chain.length === 0 ? { type: cached.type, data: Buffer.from(cached.data) } : cached;
        break;
      }
      const header = readHeader(oid, current.pack, current.offset);
      const type = OBJECT_TYPES[header.kind];
      if (type !== undefined) {
        base = { type, data: inflateEntry(oid, current.pack, current.offset, header) };
        if (chain.length > 0) this.cache.set(cacheKey(current.pack, current.offset), base);
        break;
      }
      chain.push({ ...current, header });
      if (header.kind === OFS_DELTA) {
        current = { pack: current.pack, offset: header.baseOffset };
      } else {
        const next = this.locate(header.baseOid as Buffer);
        if (!next) {
          const missing = (header.baseOid as Buffer).toString('hex');
          throw corrupt(oid, current.pack, current.offset, `REF_DELTA base ${missing} is in no pack`);
        }
        current = next;
      }
    }
    let { type, data } = base;
    for (let i = chain.length - 1; i >= 0; i--) {
      const link = chain[i] as ChainLink;
      const delta = inflateEntry(oid, link.pack, link.offset, link.header);
      try {
        data = applyDelta(data, delta);
      } catch (error) {
        if (error instanceof DeltaError) throw corrupt(oid, link.pack, link.offset, error.message);
        throw error;
      }
      if (i > 0) this.cache.set(cacheKey(link.pack, link.offset), { type, data });
    }
    return { type, data };
  }
}

async function listPacks(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const present = new Set(files);
  return files
    .filter((f) => f.startsWith('pack-') && f.endsWith('.pack') && present.has(`${f.slice(0, -'.pack'.length)}.idx`))
    .sort();
}

function toOidBuffer(oid: string): Buffer {
  if (!OID_RE.test(oid)) throw new TypeError(`not a SHA-1 object id: '${oid}'`);
  return Buffer.from(oid, 'hex');
}

function corrupt(oid: string, pack: Pack, offset: number, reason: string): GitError {
  return new GitError('CorruptCache', `object ${oid}: ${pack.name} at offset ${offset}: ${reason}`);
}

function cacheKey(pack: Pack, offset: number): number {
  return pack.id * 2 ** 40 + offset;
}

/** Parses an index (version 2) against its pack; throws on anything inconsistent. */
function parsePack(id: number, name: string, idx: Buffer, data: Buffer): Pack {
  const bad = (reason: string) => new GitError('CorruptCache', `${name}: ${reason}`);
  if (idx.length < IDX_HEADER + 2 * CHECKSUM || idx.readUInt32BE(0) !== IDX_MAGIC || idx.readUInt32BE(4) !== 2) {
    throw bad('index is not a version 2 pack index');
  }
  const fanout = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    fanout[i] = idx.readUInt32BE(8 + i * 4);
    if (i > 0 && (fanout[i] as number) < (fanout[i - 1] as number)) throw bad('index fanout is not sorted');
  }
  const count = fanout[255] as number;
  const oidsStart = IDX_HEADER;
  const offsetsStart = oidsStart + count * (20 + 4);
  const largeStart = offsetsStart + count * 4;
  const largeEnd = idx.length - 2 * CHECKSUM;
  if (largeStart > largeEnd) throw bad(`index is too short for ${count} objects`);
  if (data.length < 12 + CHECKSUM || data.toString('latin1', 0, 4) !== 'PACK') throw bad('not a pack file');
  const version = data.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw bad(`unsupported pack version ${version}`);
  if (data.readUInt32BE(8) !== count) throw bad(`pack holds ${data.readUInt32BE(8)} objects, index ${count}`);
  if (idx.compare(data, data.length - CHECKSUM, data.length, largeEnd, largeEnd + CHECKSUM) !== 0) {
    throw bad('index does not belong to this pack (pack checksum differs)');
  }
  const dataEnd = data.length - CHECKSUM;
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let offset = idx.readUInt32BE(offsetsStart + i * 4);
    if (offset & 0x80000000) {
      const at = largeStart + (offset & 0x7fffffff) * 8;
      if (at + 8 > largeEnd) throw bad('large offset outside the index');
      offset = idx.readUInt32BE(at) * 2 ** 32 + idx.readUInt32BE(at + 4);
    }
    if (offset < 12 || offset >= dataEnd) throw bad(`object offset ${offset} outside the pack`);
    offsets[i] = offset;
  }
  const sortedOffsets = Float64Array.from(offsets).sort();
  for (let i = 1; i < count; i++) {
    if (sortedOffsets[i] === sortedOffsets[i - 1]) throw bad(`two objects at offset ${sortedOffsets[i]}`);
  }
  const oids = idx.subarray(oidsStart, oidsStart + count * 20);
  return { id, name, data, fanout, oids, offsets, sortedOffsets, dataEnd };
}

function findOffset(pack: Pack, oid: Buffer): number | undefined {
  const first = oid[0] as number;
  let lo = first === 0 ? 0 : (pack.fanout[first - 1] as number);
  let hi = pack.fanout[first] as number;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const cmp = pack.oids.compare(oid, 0, 20, mid * 20, mid * 20 + 20);
    if (cmp === 0) return pack.offsets[mid];
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

/** Where the entry starting at `offset` ends: the next object's offset or the trailer. */
function entryEnd(pack: Pack, offset: number): number | undefined {
  const sorted = pack.sortedOffsets;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = sorted[mid] as number;
    if (at === offset) return mid + 1 < sorted.length ? (sorted[mid + 1] as number) : pack.dataEnd;
    if (at < offset) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

function readHeader(oid: string, pack: Pack, offset: number): EntryHeader {
  const end = entryEnd(pack, offset);
  if (end === undefined) throw corrupt(oid, pack, offset, 'no object starts at this offset');
  try {
    return parseEntryHeader(pack.data, offset, end);
  } catch (error) {
    throw corrupt(oid, pack, offset, (error as Error).message);
  }
}

function inflateEntry(oid: string, pack: Pack, offset: number, header: EntryHeader): Buffer {
  let out: Buffer;
  try {
    out = inflateSync(pack.data.subarray(header.dataStart, header.dataEnd), {
      maxOutputLength: Math.max(header.size, 1),
    });
  } catch (error) {
    throw corrupt(oid, pack, offset, `inflate failed: ${(error as Error).message}`);
  }
  if (out.length !== header.size) {
    throw corrupt(oid, pack, offset, `inflated ${out.length} bytes, entry header says ${header.size}`);
  }
  return out;
}

/** Least-recently-used map of resolved objects, bounded by their total size. */
class BaseCache {
  private readonly entries = new Map<number, PackObject>();
  private bytes = 0;

  constructor(private readonly limit: number) {}

  get(key: number): PackObject | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: number, value: PackObject): void {
    if (value.data.length > this.limit / 4 || this.entries.has(key)) return;
    this.entries.set(key, value);
    this.bytes += value.data.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.limit) break;
      this.entries.delete(oldest);
      this.bytes -= old.data.length;
    }
  }
}
