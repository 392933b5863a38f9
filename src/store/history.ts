/**
 * Operation history per app in Redis: a list, newest first, trimmed to the last N entries
 * in the same transaction that adds one; and the app's last sync state as one JSON value.
 * Everything read back is validated, since Redis is outside the process.
 */
import type { Redis } from 'ioredis';
import { keys, type Keys } from '../queue/keys.ts';
import { assertAppName, isSyncTrigger } from '../queue/types.ts';
import { OPERATION_PHASES, RESOURCE_ACTIONS, type HistoryEntry, type ResourceResult } from './types.ts';

export const DEFAULT_HISTORY_LIMIT = 50;

export interface HistoryStoreOptions {
  /** key prefix, default 'sluice' */
  readonly prefix?: string;
  /** entries kept per app (default 50) */
  readonly limit?: number;
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
    const replies = await this.redis.multi().lpush(key, text).ltrim(key, 0, this.limit - 1).exec();
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
    await this.redis.set(this.keys.state(app), text);
  }
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
