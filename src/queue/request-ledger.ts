/**
 * The newest sync request per app, kept beside the BullMQ job rather than in it.
 *
 * BullMQ's deduplication (keepLastIfActive) keeps at most one active and one waiting job per
 * app, and stores the newest data only while the holder is *active*; an add that meets a
 * waiting or delayed holder is dropped with its data. So the job carries only the app, and
 * the request lives here: producers merge into `pending`, a starting job moves `pending`
 * into `inflight` (tagged with its job id) and clears `inflight` when it is done. A job
 * re-run after a crash or retry finds its request in `inflight`, merged with anything newer.
 *
 * Merge rule: newer replaces older, except that a background request (poll, self-heal)
 * never replaces an explicit one (webhook, manual, rollback).
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { SYNC_TRIGGERS, isBackgroundTrigger, parseSyncRequest, type SyncRequest } from './types.ts';

const BACKGROUND = SYNC_TRIGGERS.filter(isBackgroundTrigger).join(',');

// shared Lua: is trigger t (string) a background trigger, given ARGV[1] = "poll,self-heal"
const IS_BACKGROUND = `
local function isBackground(json)
  local t = cjson.decode(json)['trigger']
  for b in string.gmatch(ARGV[1], '[^,]+') do if b == t then return true end end
  return false
end
`;

// KEYS: pending; ARGV: background list, request json. Returns 1 if stored, 0 if kept the older.
const SUBMIT = `${IS_BACKGROUND}
local current = redis.call('GET', KEYS[1])
if current and isBackground(ARGV[2]) and not isBackground(current) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

// KEYS: pending, inflight; ARGV: background list, job id. Returns the request json or nil.
const CLAIM = `${IS_BACKGROUND}
local pending = redis.call('GET', KEYS[1])
local held = redis.call('HGET', KEYS[2], 'request')
local chosen = held
if pending and (not held or not (isBackground(pending) and not isBackground(held))) then chosen = pending end
if not chosen then return false end
redis.call('HSET', KEYS[2], 'jobId', ARGV[2], 'request', chosen)
redis.call('DEL', KEYS[1])
return chosen
`;

// KEYS: inflight; ARGV: job id
const RELEASE = `
if redis.call('HGET', KEYS[1], 'jobId') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface LedgerView {
  readonly pending?: SyncRequest;
  readonly inflight?: { readonly jobId: string; readonly request: SyncRequest };
}

export class RequestLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Merges a request into the app's pending one; false when an explicit pending request was kept. */
  async submit(app: string, request: SyncRequest): Promise<boolean> {
    const stored = await this.redis.eval(SUBMIT, 1, this.keys.pendingSync(app), BACKGROUND, JSON.stringify(request));
    return stored === 1;
  }

  /** Takes the request a job of this app should run, or undefined when there is nothing to do. */
  async claim(app: string, jobId: string): Promise<SyncRequest | undefined> {
    const text = await this.redis.eval(CLAIM, 2, this.keys.pendingSync(app), this.keys.inflightSync(app), BACKGROUND, jobId);
    return typeof text === 'string' ? parseSyncRequest(text) : undefined;
  }

  /** The job is done with its request (succeeded, or failed for good). */
  async release(app: string, jobId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.inflightSync(app), jobId);
  }

  async view(app: string): Promise<LedgerView> {
    const [pending, inflight] = await Promise.all([this.redis.get(this.keys.pendingSync(app)), this.redis.hgetall(this.keys.inflightSync(app))]);
    const view: { pending?: SyncRequest; inflight?: { jobId: string; request: SyncRequest } } = {};
    if (pending) view.pending = parseSyncRequest(pending);
    if (inflight.jobId && inflight.request) view.inflight = { jobId: inflight.jobId, request: parseSyncRequest(inflight.request) };
    return view;
  }
}
