/** A live-event client: fetch (as the UI does), the events parsed as they arrive. */
export class EventClient {
  readonly events: { id?: string; event: string; data: Record<string, unknown> }[] = [];
  private readonly abort = new AbortController();
  status = 0;
  constructor(url: string, headers: Record<string, string>) {
    void this.read(url, headers).catch(() => undefined);
  }
  private async read(url: string, headers: Record<string, string>): Promise<void> {
    const res = await fetch(url, { headers, signal: this.abort.signal });
    this.status = res.status;
    if (res.body === null || res.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = new Map(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as const));
        if (!fields.has('event')) continue;
        this.events.push({ ...(fields.has('id') ? { id: fields.get('id')! } : {}), event: fields.get('event')!, data: JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown> });
      }
    }
  }
  named(event: string) {
    return this.events.filter((e) => e.event === event);
  }
  close(): void {
    this.abort.abort();
  }
}
