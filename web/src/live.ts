/**
 * The live event stream (GET /api/v1/events) read with `fetch`, so the bearer token travels
 * in a header (EventSource cannot send one). Reconnects with backoff and resumes with
 * Last-Event-ID; a stream silent for three ping intervals counts as lost.
 */
import type { ApiClient } from './client.ts';
import { SseParser, type SseEvent } from './sse.ts';

export type LiveState = { kind: 'connecting' } | { kind: 'live' } | { kind: 'retrying'; retryAt: number; reason: string } | { kind: 'unauthorized' };

export interface LiveHandlers {
  /** the stream is open (first time or again): the caller reloads what events may have missed */
  onOpen(): void;
  onEvent(event: SseEvent): void;
  onState(state: LiveState): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5000;
/** the server pings every 15 s */
const SILENCE_MS = 45_000;

export class LiveStream {
  private stopped = false;
  private lastEventId = '';
  /** the server's `retry:` advice, which replaces the first retry delay */
  private serverRetryMs: number | undefined;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    // Later attempts keep showing "retrying" until one opens, so the banner does not flicker.
    this.handlers.onState({ kind: 'connecting' });
    while (!this.stopped) {
      let reason: string;
      try {
        const opened = await this.read();
        if (opened === 'unauthorized') {
          this.handlers.onState({ kind: 'unauthorized' });
          return;
        }
        if (opened) delay = this.serverRetryMs ?? FIRST_RETRY_MS;
        reason = 'the event stream ended';
      } catch (e) {
        reason = e instanceof Error ? e.message : String(e);
      }
      if (this.stopped) return;
      this.handlers.onState({ kind: 'retrying', retryAt: Date.now() + delay, reason });
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, delay);
      });
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  /** One connection; true when it opened (and later ended), 'unauthorized' on 401. */
  private async read(): Promise<boolean | 'unauthorized'> {
    const abort = new AbortController();
    this.abort = abort;
    const headers: Record<string, string> = { ...this.client.headers, accept: 'text/event-stream' };
    if (this.lastEventId !== '') headers['last-event-id'] = this.lastEventId;
    const response = await fetch('/api/v1/events', { headers, signal: abort.signal, cache: 'no-store' });
    if (response.status === 401) return 'unauthorized';
    // A resume point the server no longer accepts (say, a different server answers now):
    // start afresh; the list read on open covers the gap.
    if (response.status === 400 && this.lastEventId !== '') {
      this.lastEventId = '';
      throw new Error('the server refused the resume point');
    }
    if (!response.ok || response.body === null) throw new Error(`the event stream answered ${response.status}`);
    this.handlers.onState({ kind: 'live' });
    this.handlers.onOpen();
    const parser = new SseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let silence = setTimeout(() => abort.abort(), SILENCE_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return true;
        clearTimeout(silence);
        silence = setTimeout(() => abort.abort(), SILENCE_MS);
        for (const event of parser.feed(value)) {
          this.lastEventId = event.id;
          this.handlers.onEvent(event);
        }
        this.serverRetryMs = parser.retryMs ?? this.serverRetryMs;
      }
    } finally {
      clearTimeout(silence);
    }
  }
}
