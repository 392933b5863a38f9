/**
 * An incremental parser for `text/event-stream`, following the WHATWG rules (lines end in
 * CRLF, LF or CR; `:` starts a comment; `data` lines join with "\n"; an `id` persists across
 * events; a blank line dispatches; an event without data is dropped). Pure: text in, events
 * out, so it runs under Node in tests and in the browser behind `fetch`.
 */

export interface SseEvent {
  /** the event's name, "message" when the stream gave none */
  event: string;
  data: string;
  /** the last event id seen so far (ids persist until the stream sets another) */
  id: string;
}

export class SseParser {
  private buffer = '';
  /** a chunk ended in CR: a LF starting the next chunk belongs to the same line end */
  private skipLeadingLf = false;
  private eventName = '';
  private data: string[] = [];
  private lastId = '';
  /** the reconnection delay the server asked for with `retry:`, in ms */
  retryMs: number | undefined;

  /** Feeds decoded text; returns the events completed by it. */
  feed(text: string): SseEvent[] {
    let chunk = text;
    if (this.skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLeadingLf = false;
    this.buffer += chunk;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.skipLeadingLf = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const name = this.eventName;
    this.data = [];
    this.eventName = '';
    if (data.length === 0) return undefined;
    return { event: name === '' ? 'message' : name, data: data.join('\n'), id: this.lastId };
  }
}
