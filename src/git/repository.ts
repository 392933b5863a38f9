import * as nodeFs from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import git, { type HttpClient } from 'isomorphic-git';
import type { GitCredentials } from './credentials.ts';
import { classifyRemoteError, GitError, redact } from './errors.ts';
import { ReadWriteLock } from './lock.ts';
import { changedPaths, isAncestor, readCommitInfo, readSnapshot, type ObjectStore } from './objects.ts';
import { DEFAULT_SNAPSHOT_LIMITS, type Snapshot, type SnapshotLimits } from './snapshot.ts';
import { indexingFs, PackIndexed } from './indexing-fs.ts';
import { PackReader } from './pack-reader.ts';
import { isCommitLike, matchRevision, peelRefs, shortSha, type RemoteRefs } from './revision.ts';
import type { CommitInfo, ResolvedRevision } from './types.ts';
import type { RepoUrl } from './url.ts';

export interface RepositoryOptions {
  readonly url: RepoUrl;
  /** Bare repository directory; created on first use, kept across restarts. */
  readonly gitdir: string;
  readonly http: HttpClient;
  readonly credentials?: GitCredentials;
  readonly snapshotLimits?: SnapshotLimits;
  /** Reuse an ls-remote answer this long (default 0): a fleet on one repository polls it once per round, not once per app. */
  readonly refsTtlMs?: number;
  /** Told of each resolve that fetched or cloned, and how long it took (metrics). */
  readonly onFetch?: (fetch: 'fetched' | 'cloned', ms: number) => void;
}

const SNAPSHOTS_KEPT = 4;

/** `deepen` with git's "infinite" depth: what `git fetch --unshallow` sends. */
const UNSHALLOW_DEPTH = 0x7fffffff;
/** Branches mirror into refs/heads; tags are written by `tags: true` fetches and by resolve. */
const REFSPEC = '+refs/heads/*:refs/heads/*';

/**
 * One remote repository mirrored into a bare on-disk cache. First contact fetches only the
 * wanted ref at depth 1; later fetches are incremental (no depth, so the server sends just
 * the new commits). Concurrent resolves of one revision share a single fetch; reads run in
 * parallel with each other but never beside a fetch. A cache that fails its checks is
 * deleted and fetched again, and the resolve that noticed says so in its warnings.
 */
export class CachedRepository {
  private store: ObjectStore;
  private readonly lock = new ReadWriteLock();
  private readonly inflight = new Map<string, Promise<ResolvedRevision>>();
  private opened: Promise<void> | undefined;
  private readonly pendingWarnings: string[] = [];
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private refs: { refs: RemoteRefs; at: number } | undefined;
  private refsInFlight: Promise<RemoteRefs> | undefined;
  private readonly snapshots = new Map<string, Promise<Snapshot>>();
  /**
   * ref → the commit this process last pinned it to, with its info. While the remote still
   * names that commit, a resolve needs no lock and no disk: a fleet on one repository
   * resolves its branch once per poll per app, and the answer is the same.
   */
  private readonly pinned = new Map<string, { sha: string; commit: CommitInfo }>();

  constructor(private readonly opts: RepositoryOptions) {
    this.store = { fs: nodeFs, gitdir: opts.gitdir, cache: {} };
    const creds = opts.credentials;
    this.headers = creds
      ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` }
      : {};
    this.secrets = creds ? [creds.password] : [];
  }

  /** The repository URL without credentials: safe to log and show. */
  get url(): string {
    return this.opts.url.fetchUrl;
  }

  /** Refs only, one request: the cheap "has anything moved?" poll. */
  async lsRemote(): Promise<RemoteRefs> {
    const ttl = this.opts.refsTtlMs ?? 0;
    const cached = this.refs;
    if (cached !== undefined && Date.now() - cached.at < ttl) return cached.refs;
    this.refsInFlight ??= this.fetchRefs().finally(() => (this.refsInFlight = undefined));
    return this.refsInFlight;
  }

  private async fetchRefs(): Promise<RemoteRefs> {
    try {
      const advertised = await git.listServerRefs({
        http: this.opts.http,
        url: this.url,
        headers: this.headers,
        protocolVersion: 1,
        peelTags: true,
      });
      const refs = peelRefs(advertised);
      this.refs = { refs, at: Date.now() };
      return refs;
    } catch (e) {
      throw classifyRemoteError(e, this.url, this.secrets);
    }
  }

  /** The commit a revision names on the remote right now, without fetching objects; undefined for abbreviated SHAs. */
  async remoteSha(revision: string): Promise<string | undefined> {
    const match = matchRevision(revision, await this.lsRemote());
    if (match.kind === 'none') throw this.unknownRevision(revision, undefined);
    if (match.kind === 'commit') return match.full ? match.sha : undefined;
    return match.sha;
  }

  /** Fetches what is needed and pins `revision` (branch, tag, full or short SHA) to a commit. */
  resolve(revision: string): Promise<ResolvedRevision> {
    const key = revision === '' ? 'HEAD' : revision;
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const t0 = performance.now();
    const started = this.withRecovery(() => this.resolveOnce(key)).finally(() => this.inflight.delete(key));
    if (this.opts.onFetch !== undefined) {
      const report = this.opts.onFetch;
      started.then((r) => r.fetch !== 'cached' && report(r.fetch, performance.now() - t0)).catch(() => undefined);
    }
    this.inflight.set(key, started);
    return started;
  }

  /** The files under `dir` at a commit; a commit the cache lacks is fetched first. */
  readFiles(sha: string, dir = '.'): Promise<Snapshot> {
    const limits = this.opts.snapshotLimits ?? DEFAULT_SNAPSHOT_LIMITS;
    const key = `${sha}:${dir}`;
    const recent = this.snapshots.get(key);
    if (recent !== undefined) return recent;
    const reading = this.withRecovery(async () => {
      await this.ensureCommits([sha]);
      return this.lock.read(() => this.local(() => readSnapshot(this.store, sha, dir, limits)));
    });
    // Many apps on one repository read the same commit: keep the last few snapshots (they
    // never change) and share reads in flight. Callers must not modify what they get.
    this.snapshots.set(key, reading);
    if (this.snapshots.size > SNAPSHOTS_KEPT) this.snapshots.delete(this.snapshots.keys().next().value!);
    reading.catch(() => this.snapshots.delete(key));
    return reading;
  }

  /** Paths that differ between two commits, sorted. */
  changedPaths(fromSha: string, toSha: string): Promise<string[]> {
    return this.withRecovery(async () => {
      await this.ensureCommits([fromSha, toSha]);
      return this.lock.read(() => this.local(() => changedPaths(this.store, fromSha, toSha)));
    });
  }

  private async ensureCommits(shas: readonly string[]): Promise<void> {
    for (const sha of shas) {
      if (!/^[0-9a-f]{40}$/.test(sha)) throw new GitError('UnknownRevision', `"${sha}" is not a full commit SHA; resolve the revision first`);
    }
    const present = await this.lock.read(() => Promise.all(shas.map((sha) => this.hasCommit(sha))));
    const missing = shas.filter((_, i) => !present[i]);
    if (missing.length > 0) await this.lock.write(async () => { for (const sha of missing) await this.fetchCommit(sha); });
  }

  private async resolveOnce(revision: string): Promise<ResolvedRevision> {
    if (isCommitLike(revision) && revision.length === 40 && (await this.lock.read(() => this.hasCommit(revision)))) {
      return this.resolved(revision, { kind: 'commit', sha: revision }, 'cached', []);
    }
    const refs = await this.lsRemote();
    const match = matchRevision(revision, refs);
    if (match.kind === 'none') throw this.unknownRevision(revision, refs);
    const known = match.kind === 'commit' ? undefined : this.pinned.get(match.ref);
    if (match.kind !== 'commit' && known !== undefined && known.sha === match.sha) {
      return { revision, sha: known.sha, ref: match.ref, kind: match.kind, commit: known.commit, fetch: 'cached', warnings: [...this.pendingWarnings.splice(0), ...match.warnings] };
    }
    return this.lock.write(async () => {
      if (match.kind === 'commit') {
        const { sha, fetch } = await this.fetchCommit(match.sha);
        return this.resolved(revision, { kind: 'commit', sha }, fetch, match.warnings);
      }
      const previous = await this.localRef(match.ref);
      let fetch: ResolvedRevision['fetch'] = 'cached';
      let sha = match.sha;
      if (!(await this.hasCommit(sha))) {
        const empty = (await this.localRefs()).length === 0;
        const fetched = await this.fetch({ ref: match.ref, expected: match.sha, singleBranch: true, depth: previous === undefined ? 1 : undefined });
        // The ref may have moved between ls-remote and fetch; the fetched commit is newer.
        sha = await this.local(() => peelToCommit(this.store, fetched));
        fetch = empty ? 'cloned' : 'fetched';
      }
      await this.local(() => git.writeRef({ ...this.store, ref: match.ref, value: sha, force: true }));
      const forced =
        previous !== undefined && previous !== sha && !(await this.local(() => isAncestor(this.store, previous, sha)));
      const warnings = [...match.warnings];
      if (forced) {
        warnings.push(
          `${match.ref} was force-pushed: ${shortSha(previous)} is no longer in its history (now ${shortSha(sha)}); ` +
            `the cache still holds ${shortSha(previous)}, so its manifests stay readable`,
        );
      }
      const result = await this.resolved(revision, { kind: match.kind, sha, ref: match.ref }, fetch, warnings, forced ? { from: previous, to: sha } : undefined);
      this.pinned.set(match.ref, { sha, commit: result.commit });
      return result;
    });
  }

  /** Gets a commit named by SHA: a full SHA is asked for directly, an abbreviation needs the whole history. */
  private async fetchCommit(wanted: string): Promise<{ sha: string; fetch: ResolvedRevision['fetch'] }> {
    const found = await this.expand(wanted);
    if (found !== undefined) return { sha: found, fetch: 'cached' };
    const empty = (await this.localRefs()).length === 0;
    if (wanted.length === 40) {
      try {
        await this.fetch({ ref: wanted, expected: wanted, singleBranch: true, depth: 1 });
      } catch (e) {
        // Servers refuse SHAs no ref reaches; the full fetch below settles whether it exists.
        if (!(e instanceof GitError) || (e.code !== 'FetchFailed' && e.code !== 'UnknownRevision')) throw e;
      }
    }
    let sha = await this.expand(wanted);
    if (sha === undefined) {
      await this.fetch({ singleBranch: false, tags: true, depth: UNSHALLOW_DEPTH });
      sha = await this.expand(wanted);
    }
    if (sha === undefined) {
      throw new GitError(
        'UnknownRevision',
        `${this.url}: commit ${wanted} is not in any branch or tag of the repository (was it removed by a force push?)`,
      );
    }
    return { sha, fetch: empty ? 'cloned' : 'fetched' };
  }

  /**
   * One isomorphic-git fetch; resolves to the fetched commit (or tag) id. `expected` is
   * what ls-remote said the ref names, used when the fast indexer cut the fetch short.
   */
  private async fetch(args: {
    ref?: string;
    expected?: string;
    singleBranch: boolean;
    depth?: number | undefined;
    tags?: boolean;
  }): Promise<string> {
    const io = indexingFs();
    try {
      const result = await git.fetch({
        ...this.store,
        fs: io.fs,
        http: this.opts.http,
        url: this.url,
        headers: this.headers,
        ...(args.ref === undefined ? {} : { ref: args.ref, remoteRef: args.ref }),
        singleBranch: args.singleBranch,
        tags: args.tags ?? false,
        ...(args.depth === undefined ? {} : { depth: args.depth }),
      });
      if (result.fetchHead === null) throw new GitError('UnknownRevision', `${this.url}: the repository is empty`);
      await this.local(() => this.loadPacks());
      return result.fetchHead;
    } catch (e) {
      if (!(e instanceof PackIndexed)) throw classifyRemoteError(e, this.url, this.secrets);
      await this.local(() => this.loadPacks());
      // Refs and the shallow list were written before the pack; a fetched branch is in refs/heads.
      const branch = args.ref?.startsWith('refs/heads/') ? await this.localRef(args.ref) : undefined;
      return branch ?? args.expected ?? args.ref ?? '';
    }
  }

  private async resolved(
    revision: string,
    target: { kind: ResolvedRevision['kind']; sha: string; ref?: string },
    fetch: ResolvedRevision['fetch'],
    warnings: readonly string[],
    forcePush?: { from: string; to: string },
  ): Promise<ResolvedRevision> {
    const commit = await this.local(() => readCommitInfo(this.store, target.sha));
    const all = [...this.pendingWarnings.splice(0), ...warnings];
    return {
      revision,
      sha: target.sha,
      ...(target.ref === undefined ? {} : { ref: target.ref }),
      kind: target.kind,
      commit,
      fetch,
      warnings: all,
      ...(forcePush === undefined ? {} : { forcePush }),
    };
  }

  private unknownRevision(revision: string, refs: RemoteRefs | undefined): GitError {
    if (refs !== undefined && refs.size === 0) return new GitError('UnknownRevision', `${this.url}: the repository is empty`);
    const branches = refs === undefined ? [] : [...refs.keys()].filter((r) => r.startsWith('refs/heads/')).map((r) => r.slice(11));
    const hint = branches.length === 0 ? '' : ` (branches: ${branches.slice(0, 10).join(', ')}${branches.length > 10 ? ', …' : ''})`;
    return new GitError('UnknownRevision', `${this.url}: no branch, tag or commit named "${revision}"${hint}`);
  }

  // --- the cache on disk --------------------------------------------------------------

  /** Runs `op` on an open cache; if the cache turns out corrupt, rebuilds it and runs `op` once more. */
  private async withRecovery<T>(op: () => Promise<T>): Promise<T> {
    await this.open();
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof GitError) || e.code !== 'CorruptCache') throw e;
      await this.lock.write(() => this.rebuild(e.message));
      return await op();
    }
  }

  private open(): Promise<void> {
    this.opened ??= this.lock.write(async () => {
      const problem = await this.checkCache();
      if (problem === 'missing') await this.init();
      else if (problem !== undefined) await this.rebuild(problem);
      await this.loadPacks();
    });
    return this.opened;
  }

  private async rebuild(reason: string): Promise<void> {
    this.pendingWarnings.push(`the Git cache for ${this.url} was corrupt (${redact(reason, this.secrets)}); it was deleted and fetched again`);
    await rm(this.opts.gitdir, { recursive: true, force: true });
    this.pinned.clear();
    this.store = { fs: nodeFs, gitdir: this.opts.gitdir, cache: {} };
    await this.init();
    await this.loadPacks();
  }

  /** Opens the pack reader, or picks up packs a fetch just wrote. Callers hold the write lock. */
  private async loadPacks(): Promise<void> {
    if (this.store.packs === undefined) this.store = { ...this.store, packs: await PackReader.open(this.opts.gitdir) };
    else await this.store.packs.refresh();
  }

  private async init(): Promise<void> {
    await mkdir(this.opts.gitdir, { recursive: true });
    await git.init({ ...this.store, bare: true, defaultBranch: 'main' });
    await git.setConfig({ ...this.store, path: 'remote.origin.url', value: this.url });
    await git.setConfig({ ...this.store, path: 'remote.origin.fetch', value: REFSPEC });
  }

  /**
   * Why the cache cannot be trusted, or undefined. Cheap enough for every start: the
   * remote URL, every pack against its index (PackReader.open checks object counts and
   * each pack's trailing checksum, which catches truncation without hashing), and every
   * ref's commit.
   */
  private async checkCache(): Promise<string | undefined> {
    const { gitdir } = this.opts;
    if (!(await exists(gitdir))) return 'missing';
    try {
      const remote = await git.getConfig({ ...this.store, path: 'remote.origin.url' });
      if (remote !== this.url) return `it belongs to ${String(remote)}`;
      this.store = { ...this.store, packs: await PackReader.open(gitdir) };
      for (const ref of await this.localRefs()) {
        const oid = await git.resolveRef({ ...this.store, ref });
        await git.readCommit({ ...this.store, oid });
      }
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  private async localRefs(): Promise<string[]> {
    const [heads, tags] = await Promise.all(
      ['refs/heads', 'refs/tags'].map(async (dir) => (await git.listRefs({ ...this.store, filepath: dir })).map((r) => `${dir}/${r}`)),
    );
    return [...heads!, ...tags!];
  }

  private async localRef(ref: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ ...this.store, ref });
    } catch {
      return undefined;
    }
  }

  private async hasCommit(sha: string): Promise<boolean> {
    return (await this.expand(sha)) !== undefined;
  }

  /** The full SHA of a commit the cache holds, from a full or abbreviated one. */
  private async expand(sha: string): Promise<string | undefined> {
    try {
      const oid = sha.length === 40 ? sha : await git.expandOid({ ...this.store, oid: sha });
      const { type } = await git.readObject({ ...this.store, oid, format: 'deflated' });
      if (type !== 'commit' && sha.length === 40) return undefined;
      return oid;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'NotFoundError') return undefined;
      if (code === 'AmbiguousError') throw new GitError('UnknownRevision', `${this.url}: "${sha}" matches more than one object; use more digits`);
      throw corrupt(e);
    }
  }

  /** Local object reads: anything but a GitError means the cache is damaged. */
  private async local<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (e) {
      if (e instanceof GitError) throw e;
      throw corrupt(e);
    }
  }
}

function corrupt(e: unknown): GitError {
  return new GitError('CorruptCache', e instanceof Error ? e.message : String(e));
}

async function peelToCommit(store: ObjectStore, oid: string): Promise<string> {
  let current = oid;
  for (let hops = 0; hops < 10; hops++) {
    const { type, object } = await git.readObject({ ...store, oid: current, format: 'parsed' });
    if (type === 'commit') return current;
    if (type !== 'tag') throw new GitError('UnknownRevision', `${oid} names a ${type}, not a commit`);
    current = (object as { object: string }).object;
  }
  throw new GitError('UnknownRevision', `${oid}: tag chain too long`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
