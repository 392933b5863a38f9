/**
 * One running operation per app across every worker and process, recovered within seconds
 * of a crash.
 *
 * Each worker holds a *lease*: a key `lease:<owner>` with a short TTL, renewed a few times
 * per TTL while the process lives. An app lock names its holder's lease (`<owner> <token>`)
 * and has no TTL of its own: it is valid while that lease lives. So a kill -9 frees every
 * lock of the process one lease TTL later (3 s by default), however long its operations
 * were meant to run, and a living process renews one key per tick, not one per operation.
 *
 * A holder learns it lost a lock (its lease expired — the process stalled or Redis was out
 * of reach for a TTL — or someone deleted the lock) at the next renewal tick, and
 * locally, without Redis, as soon as a TTL passes since the last renewal that succeeded:
 * each lock's `lost` signal is then aborted. A lost lease is replaced by a new owner id
 * for later locks; the old locks are never taken back.
 *
 * The scripts build lease keys from the prefix (standalone Redis, as BullMQ's own scripts).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';

// KEYS: lock, own lease; ARGV: lease prefix, lock value, own owner.
// 1 taken, 0 held by a living lease, -1 our own lease is gone (renewal will replace it).
const ACQUIRE = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
local holder = redis.call('GET', KEYS[1])
if holder then
  local owner = string.match(holder, '^(%S+) ')
  if owner and redis.call('EXISTS', ARGV[1] .. owner) == 1 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

// KEYS: own lease, then the held locks; ARGV: owner, TTL, then the locks' values.
// -1 when the lease is gone, else the 1-based positions of the locks no longer ours.
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local lost = {}
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[i + 1] then lost[#lost + 1] = i - 1 end
end
return lost
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface HeldLock {
  /** aborted at once when the lock is lost (lease expired, lock taken or deleted) */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

interface Held {
  readonly key: string;
  readonly value: string;
  readonly lost: AbortController;
}

export interface LeaseOptions {
  /** lease TTL: a process silent this long is presumed dead (default 3 s) */
  readonly ttlMs?: number;
}

export class ProcessLease {
  private owner = '';
  private readonly held = new Set<Held>();
  private readonly timer: NodeJS.Timeout;
  private renewedAt = 0;
  private renewing = false;
  private stopped = false;
  readonly ttlMs: number;

  private constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: LeaseOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 3_000;
    this.timer = setInterval(() => void this.tick(), Math.max(20, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  static async start(redis: Redis, keys: Keys, options: LeaseOptions = {}): Promise<ProcessLease> {
    const lease = new ProcessLease(redis, keys, options);
    await lease.renewOwner();
    return lease;
  }

  /** The app lock, or undefined while another living lease holds it. */
  async acquire(key: string): Promise<HeldLock | undefined> {
    if (this.stopped) throw new Error('the lease is stopped');
    if (!this.fresh()) await this.renewOwner();
    let owner = this.owner;
    let value = `${owner} ${randomUUID()}`;
    let taken = await this.tryAcquire(key, owner, value);
    if (taken === -1) {
      // our lease expired between two ticks: take a new one (unless a tick already did) and try once more
      if (this.owner === owner) await this.renewOwner();
      owner = this.owner;
      value = `${owner} ${randomUUID()}`;
      taken = await this.tryAcquire(key, owner, value);
    }
    if (taken !== 1) return undefined;
    if (this.owner !== owner) {
      // the lease it names was given up while the script ran: the lock is worth nothing
      await this.redis.eval(RELEASE, 1, key, value);
      return undefined;
    }
    const held: Held = { key, value, lost: new AbortController() };
    this.held.add(held);
    return {
      lost: held.lost.signal,
      release: async () => {
        this.held.delete(held);
        await this.redis.eval(RELEASE, 1, key, value);
      },
    };
  }

  private tryAcquire(key: string, owner: string, value: string): Promise<unknown> {
    return this.redis.eval(ACQUIRE, 2, key, this.keys.lease(owner), this.keys.leasePrefix, value, owner);
  }

  /** Stops renewing and deletes the lease, which frees every lock still held. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.redis.del(this.keys.lease(this.owner)).catch(() => undefined);
  }

  private fresh(): boolean {
    return Date.now() - this.renewedAt < this.ttlMs;
  }

  /** A new owner id and lease; locks of the old one are lost for good. */
  private async renewOwner(): Promise<void> {
    this.loseAll(`lease ${this.owner} expired`);
    this.owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const startedAt = Date.now();
    await this.redis.set(this.keys.lease(this.owner), this.owner, 'PX', this.ttlMs);
    this.renewedAt = startedAt;
  }

  private loseAll(reason: string): void {
    for (const h of this.held) h.lost.abort(new Error(`lock ${h.key} lost: ${reason}`));
    this.held.clear();
  }

  private async tick(): Promise<void> {
    // a TTL without a successful renewal: the lease may have expired, so nothing is held
    if (!this.fresh() && this.held.size > 0) this.loseAll(`lease not renewed for ${Date.now() - this.renewedAt} ms`);
    if (this.renewing || this.stopped) return;
    this.renewing = true;
    const held = [...this.held];
    const startedAt = Date.now();
    try {
      const reply = await this.redis.eval(
        RENEW,
        1 + held.length,
        this.keys.lease(this.owner),
        ...held.map((h) => h.key),
        this.owner,
        String(this.ttlMs),
        ...held.map((h) => h.value),
      );
      if (reply === -1) {
        if (!this.stopped) await this.renewOwner();
      } else {
        this.renewedAt = startedAt;
        for (const position of reply as number[]) {
          const h = held[position - 1];
          if (!h) continue;
          this.held.delete(h);
          h.lost.abort(new Error(`lock ${h.key} lost: taken or deleted`));
        }
      }
    } catch {
      // retried at the next tick (the connection's own listener reports an outage once);
      // the local deadline above stops operations if it never works
    } finally {
      this.renewing = false;
    }
  }
}
