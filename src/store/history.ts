/**
 * Operation history per app in Redis: a list, newest first, trimmed to the last N entries
 * in the same transaction that adds one; and the app's last sync state as one JSON value.
 * Every change of either (a compare that only moved `comparedAt` is none) is announced on
 * a bounded Redis stream, which the API server turns into live events: in Redis, so every
 * process and a restarted server see the same sequence and clients can resume it.
 * Everything read back is validated, since Redis is outside the process.
 */
import type { Redis } from 'ioredis';
import { EVENT_STREAM_LENGTH, keys, type Keys } from '../queue/keys.ts';
import { assertAppName, isSyncTrigger } from '../queue/types.ts';
import { OPERATION_PHASES, RESOURCE_ACTIONS, type HistoryEntry, type ResourceResult } from './types.ts';

export const DEFAULT_HISTORY_LIMIT = 50;

export interface HistoryStoreOptions {
  /** key prefix, default 'sluice' */
  readonly prefix?: string;
  /** entries kept per app (default 50) */
  readonly limit?: number;
}

/** What the app event stream says happened; the API reads the rest from the store. */
export const APP_EVENT_TYPES = ['app', 'app-deleted'] as const;
export type AppEventType = (typeof APP_EVENT_TYPES)[number];

/** An app's stored state and newest history entry, as one read returns them. */
export interface StoredApp {
  readonly state: unknown;
  readonly last?: HistoryEntry;
}

export class HistoryStore {
  private readonly keys: Keys;
  readonly limit: number;

  /** The caller owns the connection. */
  constructor(
    private readonly redis: Redis,
    options: HistoryStoreOptions = {},
  ) {
    this.keys = keys(options);
    this.limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(this.limit) || this.limit < 1) throw new RangeError(`history limit must be a positive integer, got ${this.limit}`);
  }

  async record(app: string, entry: HistoryEntry): Promise<void> {
    assertAppName(app);
    const text = JSON.stringify(parseHistoryEntry(entry));
    const key = this.keys.history(app);
    const replies = await this.redis.multi().lpush(key, text).ltrim(key, 0, this.limit - 1).xadd(this.keys.appEvents, 'MAXLEN', '~', EVENT_STREAM_LENGTH, '*', 'type', 'app', 'app', app).exec();
    const failed = replies?.find(([err]) => err);
    if (!replies || failed) throw new Error(`recording history of ${app} failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  }

  /** Newest first; at most `limit` entries (default: all kept). */
  async list(app: string, limit: number = this.limit): Promise<HistoryEntry[]> {
    assertAppName(app);
    if (limit <= 0) return [];
    const texts = await this.redis.lrange(this.keys.history(app), 0, limit - 1);
    return texts.map((text) => parseHistoryEntry(JSON.parse(text)));
  }

  async getState(app: string): Promise<unknown> {
    assertAppName(app);
    const text = await this.redis.get(this.keys.state(app));
    return text === null ? undefined : (JSON.parse(text) as unknown);
  }

  async setState(app: string, state: unknown): Promise<void> {
    assertAppName(app);
    const text = JSON.stringify(state);
    if (text === undefined) throw new TypeError('state is not JSON-serialisable');
    const previous = await this.redis.set(this.keys.state(app), text, 'GET');
    if (previous === null || withoutComparedAt(previous) !== withoutComparedAt(text)) await this.publish('app', app);
  }

  /**
   * The stored state and newest history entry of each app, in one round trip (a pipeline
   * of MGET and one LINDEX per app), so a page of 2,000 apps costs one wait for Redis.
   */
  async read(apps: readonly string[]): Promise<StoredApp[]> {
    if (apps.length === 0) return [];
    for (const app of apps) assertAppName(app);
    const pipeline = this.redis.pipeline().mget(apps.map((a) => this.keys.state(a)));
    for (const app of apps) pipeline.lindex(this.keys.history(app), 0);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0] as Error;
    const states = (replies[0]?.[1] ?? []) as (string | null)[];
    return apps.map((_, i) => {
      const stateText = states[i] ?? null;
      const lastText = replies[i + 1]?.[1] as string | null | undefined;
      const state = stateText === null ? undefined : (JSON.parse(stateText) as unknown);
      return lastText ? { state, last: parseHistoryEntry(JSON.parse(lastText)) } : { state };
    });
  }

  /** Announces that an app is gone (its Application deleted or no longer valid). */
  async publishDeleted(app: string): Promise<void> {
    await this.publish('app-deleted', app);
  }

  private async publish(type: AppEventType, app: string): Promise<void> {
    await this.redis.xadd(this.keys.appEvents, 'MAXLEN', '~', EVENT_STREAM_LENGTH, '*', 'type', type, 'app', app);
  }
}

/** The state as text without its compare time: equal texts mean nothing a client sees changed. */
function withoutComparedAt(text: string): string {
  const { comparedAt: _, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify(rest);
}

/** Validates an entry (on the way in and out) and keeps only the known fields. */
export function parseHistoryEntry(value: unknown): HistoryEntry {
  const o = asRecord(value, 'history entry');
  const { id, revision, startedAt, finishedAt, trigger, phase, message, resources } = o;
  if (!isSyncTrigger(trigger)) throw new TypeError(`history entry: invalid trigger ${String(trigger)}`);
  if (!(OPERATION_PHASES as readonly unknown[]).includes(phase)) throw new TypeError(`history entry: invalid phase ${String(phase)}`);
  if (!Array.isArray(resources)) throw new TypeError('history entry: resources is not a list');
  return {
    id: str(id, 'id'),
    revision: str(revision, 'revision'),
    startedAt: str(startedAt, 'startedAt'),
    finishedAt: str(finishedAt, 'finishedAt'),
    trigger,
    phase: phase as HistoryEntry['phase'],
    message: str(message, 'message'),
    resources: resources.map(parseResource),
  };
}

function parseResource(value: unknown): ResourceResult {
  const o = asRecord(value, 'resource result');
  if (!(RESOURCE_ACTIONS as readonly unknown[]).includes(o.action)) throw new TypeError(`resource result: invalid action ${String(o.action)}`);
  const base = {
    group: str(o.group, 'group'),
    kind: str(o.kind, 'kind'),
    namespace: str(o.namespace, 'namespace'),
    name: str(o.name, 'name'),
    action: o.action as ResourceResult['action'],
  };
  return o.message === undefined ? base : { ...base, message: str(o.message, 'message') };
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`${field} is not a string`);
  return value;
}
