/**
 * Live events (docs/api.md "Live events"). The store announces every app change on a
 * bounded Redis stream (src/store/history.ts); each server process follows it with one
 * blocking XREAD and fans the events out to its clients, so every process sees the
 * changes of all of them, and the stream entry id is the event id a client resumes from
 * (Last-Event-ID). A client whose id is older than what the stream still holds gets the
 * whole current state instead (one `app` event per app), then the live events.
 */
import type { ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { APP_EVENT_TYPES, type AppEventType } from '../store/history.ts';

export interface LiveEvent {
  readonly id: string;
  readonly event: 'app' | 'app-deleted' | 'resources' | 'ping';
  readonly data: unknown;
}

export interface StreamEntry {
  readonly id: string;
  readonly type: AppEventType;
  readonly app: string;
}

/** Turns stream entries into events (reading the apps' state once for the batch); `all` gives the current state of every app. */
export interface EventSource {
  events(entries: readonly StreamEntry[]): Promise<LiveEvent[]>;
  snapshot(id: string): Promise<LiveEvent[]>;
}

const STREAM_ID = /^(\d+)-(\d+)$/;

/** Orders Redis stream ids ("ms-seq"); ids that do not parse sort first. */
export function compareStreamIds(a: string, b: string): number {
  const [, am = '0', as = '0'] = STREAM_ID.exec(a) ?? [];
  const [, bm = '0', bs = '0'] = STREAM_ID.exec(b) ?? [];
  const ms = BigInt(am) - BigInt(bm);
  return ms !== 0n ? (ms < 0n ? -1 : 1) : Number(BigInt(as) - BigInt(bs));
}

export function isStreamId(text: string): boolean {
  return STREAM_ID.test(text);
}

/** An event without an id (pings) leaves the client's last event id as it was. */
export function formatEvent(e: LiveEvent): string {
  return `${e.id === '' ? '' : `id: ${e.id}\n`}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

function parseEntries(raw: [string, string[]][]): StreamEntry[] {
  const entries: StreamEntry[] = [];
  for (const [id, fields] of raw) {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
    const type = map.get('type');
    const app = map.get('app');
    if (app !== undefined && (APP_EVENT_TYPES as readonly (string | undefined)[]).includes(type)) entries.push({ id, type: type as AppEventType, app });
  }
  return entries;
}

interface Subscriber {
  lastId: string;
  /** Events that arrived while the client's backlog was still being sent. */
  queued?: LiveEvent[];
  send(e: LiveEvent): void;
}

export class EventFeed {
  private readonly reader: Redis;
  private readonly subscribers = new Set<Subscriber>();
  /** Where the stream has been read to, and the newest id handed to subscribers (events are built in between). */
  private lastId = '0-0';
  private dispatchedId = '0-0';
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Settles when stop() is called: a read blocked on a Redis that is down would otherwise never return. */
  private readonly stopping: Promise<null>;
  private signalStop: () => void = () => undefined;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly source: EventSource,
    private readonly onError: (e: Error) => void,
  ) {
    // XREAD BLOCK holds its connection; a duplicate keeps the shared one free
    this.reader = redis.duplicate({ maxRetriesPerRequest: null });
    this.reader.on('error', () => undefined); // the shared connection's owner reports Redis trouble, once
    this.stopping = new Promise((resolve) => (this.signalStop = () => resolve(null)));
  }

  /** Starts following the stream from its current end (once Redis answers: the server may start before it does). */
  start(): void {
    this.running = this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.reader.disconnect();
    await this.running;
    this.subscribers.clear();
  }

  get clients(): number {
    return this.subscribers.size;
  }

  /**
   * Adds a client. With `lastEventId`, first sends what it missed (or, when that is no
   * longer in the stream, the current state of every app). Returns the unsubscribe.
   */
  async subscribe(lastEventId: string | undefined, send: (e: LiveEvent) => void): Promise<() => void> {
    const subscriber: Subscriber = { lastId: this.dispatchedId, send, ...(lastEventId === undefined ? {} : { queued: [] }) };
    this.subscribers.add(subscriber);
    const unsubscribe = () => void this.subscribers.delete(subscriber);
    if (lastEventId === undefined) return unsubscribe;
    const backlog = await this.backlog(lastEventId);
    for (const e of backlog) send(e);
    // the backlog reached the read position; events built meanwhile were queued, and those it already held are not sent twice
    const since = backlog.at(-1)?.id ?? lastEventId;
    let newest = compareStreamIds(since, this.dispatchedId) > 0 ? since : this.dispatchedId;
    for (const e of subscriber.queued ?? []) {
      if (compareStreamIds(e.id, since) <= 0) continue;
      send(e);
      if (compareStreamIds(e.id, newest) > 0) newest = e.id;
    }
    delete subscriber.queued;
    subscriber.lastId = newest;
    return unsubscribe;
  }

  private async backlog(lastEventId: string): Promise<LiveEvent[]> {
    const oldest = (await this.redis.xrange(this.streamKey, '-', '+', 'COUNT', 1))[0]?.[0];
    const end = this.lastId;
    if (oldest !== undefined && compareStreamIds(lastEventId, oldest) < 0) return this.source.snapshot(end);
    if (compareStreamIds(lastEventId, end) >= 0) return [];
    const raw = await this.redis.xrange(this.streamKey, `(${lastEventId}`, end);
    return this.source.events(parseEntries(raw));
  }

  private async newestId(): Promise<string> {
    return (await this.redis.xrevrange(this.streamKey, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        const newest = await Promise.race([this.newestId(), this.stopping]);
        if (newest !== null) this.lastId = this.dispatchedId = newest;
        break;
      } catch {
        await Promise.race([new Promise((r) => setTimeout(r, 1_000)), this.stopping]);
      }
    }
    while (!this.stopped) {
      try {
        const read = this.reader.xread('COUNT', 500, 'BLOCK', 5_000, 'STREAMS', this.streamKey, this.lastId) as Promise<[string, [string, string[]][]][] | null>;
        read.catch(() => undefined);
        const reply = await Promise.race([read, this.stopping]);
        const raw = reply?.[0]?.[1] ?? [];
        if (raw.length === 0) continue;
        this.lastId = raw.at(-1)![0];
        const events = await Promise.race([this.source.events(parseEntries(raw)), this.stopping]);
        if (events !== null) this.dispatch(events);
      } catch (e) {
        if (this.stopped) return;
        this.onError(e as Error);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /**
   * Sends an event that is not in the stream (no id: the clients' resume points stay) to
   * every client now listening. One still receiving its backlog is skipped: these events
   * say what a read made after the stream opened says too.
   */
  broadcast(e: LiveEvent): void {
    for (const subscriber of this.subscribers) if (subscriber.queued === undefined) subscriber.send(e);
  }

  private dispatch(events: readonly LiveEvent[]): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.queued !== undefined) subscriber.queued.push(...events);
      else for (const e of events) if (compareStreamIds(e.id, subscriber.lastId) > 0) subscriber.send(e);
    }
    const newest = events.at(-1)?.id;
    if (newest !== undefined && compareStreamIds(newest, this.dispatchedId) > 0) this.dispatchedId = newest;
  }
}

/** Writes an event stream response on `res`: headers, the events as they come, a ping every `pingMs`. */
export function openEventStream(res: ServerResponse, pingMs: number): { send(e: LiveEvent): void; closed: Promise<void> } {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and similar proxies would otherwise buffer the stream
    'x-accel-buffering': 'no',
  });
  res.write(': sluice live events\n\n');
  const send = (e: LiveEvent) => void res.write(formatEvent(e));
  const timer = setInterval(() => send({ id: '', event: 'ping', data: {} }), pingMs);
  const closed = new Promise<void>((resolve) => res.once('close', () => (clearInterval(timer), resolve())));
  return { send, closed };
}
