import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject } from '../json.ts';
import type { SimApiServer, WatchOptions } from './apiserver.ts';
import type { StatusError } from './errors.ts';
import { toJson } from './http.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';

export interface WatchStreamOptions {
  readonly namespace: string | undefined;
  readonly watch: WatchOptions;
  readonly allowBookmarks: boolean;
  /** a streaming list (sendInitialEvents, client-go's WatchListClient): current objects, then a bookmark marking their end */
  readonly sendInitialEvents: boolean;
  readonly bookmarkIntervalMs: number;
  readonly timeoutSeconds: number;
  /** the object as the client wants it in each event (plain, Table, metadata) */
  readonly encode: (obj: JsonObject) => JsonObject;
  /** registry of open streams, so that closing the server ends them */
  readonly closers: Set<() => void>;
}

/**
 * A watch over HTTP: one JSON event per line on a chunked response, BOOKMARKs on idle
 * streams when the client allows them, an ERROR event (410 Expired) when the requested
 * resourceVersion is too old. The stream ends on client disconnect, timeoutSeconds, or server close.
 */
export function serveWatch(api: SimApiServer, rt: ResourceType, req: IncomingMessage, res: ServerResponse, options: WatchStreamOptions): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  let lastSent = Date.now();
  let stop: () => void = () => {};
  const timers: NodeJS.Timeout[] = [];
  // events of one event-loop turn go out in one write: a syscall per watcher per turn, not per event
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0 || res.writableEnded) return;
    const lines = pending.join('');
    pending = [];
    res.write(lines);
  };
  const close = () => {
    stop();
    for (const t of timers) clearInterval(t);
    options.closers.delete(close);
    flush();
    if (!res.writableEnded) res.end();
  };
  const write = (line: string) => {
    if (res.writableEnded) return;
    lastSent = Date.now();
    if (pending.push(line) === 1) setImmediate(flush);
  };
  options.closers.add(close);
  req.on('close', close);
  res.on('error', close);

  let ended = false;
  stop = api.watch(rt, options.namespace, options.watch, {
    event: (type, obj) => write(`{"type":"${type}","object":${toJson(options.encode(obj))}}\n`),
    error: (status: StatusError) => {
      write(`{"type":"ERROR","object":${JSON.stringify(status.toStatus())}}\n`);
      ended = true;
    },
  });
  if (ended) {
    close();
    return;
  }
  const bookmark = { kind: rt.kind, apiVersion: apiVersionOf(rt.group, rt.version) };
  if (options.sendInitialEvents) {
    // kubectl 1.35's informers wait for this bookmark before they count as synced
    const metadata = { resourceVersion: String(api.store.currentRevision), annotations: { 'k8s.io/initial-events-end': 'true' } };
    write(`{"type":"BOOKMARK","object":${JSON.stringify({ ...bookmark, metadata })}}\n`);
  }
  if (options.allowBookmarks) {
    timers.push(
      setInterval(() => {
        if (Date.now() - lastSent < options.bookmarkIntervalMs) return;
        write(`{"type":"BOOKMARK","object":${JSON.stringify({ ...bookmark, metadata: { resourceVersion: String(api.store.currentRevision) } })}}\n`);
      }, Math.max(10, Math.floor(options.bookmarkIntervalMs / 2))),
    );
  }
  if (options.timeoutSeconds > 0) timers.push(setTimeout(close, options.timeoutSeconds * 1000));
}
