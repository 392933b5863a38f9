import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** What one watch stream delivered, in arrival order. */
export interface Received {
  readonly types: readonly string[];
  readonly rvs: readonly number[];
}

export interface StreamCheck {
  readonly ok: boolean;
  readonly received: number;
  readonly expected: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly outOfOrder: number;
  readonly wrongType: number;
  /** the first problem, in words, for the failure report */
  readonly firstProblem?: string;
}

/**
 * Checks a stream against the writes of a phase: exactly the expected resourceVersions, each
 * once, strictly increasing, all of the expected type. Pure, so it is testable without I/O.
 */
export function checkStream(got: Received, expectedRvs: readonly number[], expectedType: EventType): StreamCheck {
  const want = new Set(expectedRvs);
  const seen = new Set<number>();
  let unexpected = 0;
  let outOfOrder = 0;
  let wrongType = 0;
  let firstProblem: string | undefined;
  const note = (problem: string) => (firstProblem ??= problem);
  for (let i = 0; i < got.rvs.length; i++) {
    const rv = got.rvs[i]!;
    const type = got.types[i]!;
    if (i > 0 && rv <= got.rvs[i - 1]!) {
      outOfOrder++;
      note(`event #${i} has resourceVersion ${rv} after ${got.rvs[i - 1]!}`);
    }
    if (type !== expectedType) {
      wrongType++;
      note(`event #${i} (rv ${rv}) is ${type}, expected ${expectedType}`);
    }
    if (!want.has(rv) || seen.has(rv)) {
      unexpected++;
      note(`event #${i} has resourceVersion ${rv}, which is ${seen.has(rv) ? 'a duplicate' : 'not one of the writes'}`);
    }
    seen.add(rv);
  }
  const missing = expectedRvs.filter((rv) => !seen.has(rv)).length;
  if (missing > 0) note(`${missing} of ${expectedRvs.length} writes never arrived`);
  const ok = missing === 0 && unexpected === 0 && outOfOrder === 0 && wrongType === 0;
  return { ok, received: got.rvs.length, expected: expectedRvs.length, missing, unexpected, outOfOrder, wrongType, ...(firstProblem ? { firstProblem } : {}) };
}

/**
 * A client-side watch: GET ?watch=1 on its own connection, parsing the newline-delimited
 * JSON events as they arrive and keeping type, resourceVersion and arrival time of each.
 */
export class WatchStream implements Received {
  readonly types: string[] = [];
  readonly rvs: number[] = [];
  /** performance.now() when the latest event arrived */
  lastEventAt = 0;
  private pending = '';
  private waiter: { count: number; resolve: () => void } | undefined;
  private ended = false;

  private constructor(private readonly req: ClientRequest) {}

  /** Opens the stream; resolves once the server has answered with the response headers. */
  static open(baseUrl: string, path: string): Promise<WatchStream> {
    const url = new URL(path, baseUrl);
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: false, headers: { Accept: 'application/json' } });
      const stream = new WatchStream(req);
      req.on('response', (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => stream.consume(chunk));
        res.on('end', () => stream.finish());
        res.on('error', () => stream.finish());
        resolve(stream);
      });
      req.on('error', (e) => {
        stream.finish();
        reject(e);
      });
      req.end();
    });
  }

  /** Resolves true once `count` events have arrived, false on timeout or stream end. */
  waitForCount(count: number, timeoutMs: number): Promise<boolean> {
    if (this.rvs.length >= count) return Promise.resolve(true);
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.waiter = { count, resolve: () => { clearTimeout(timer); resolve(this.rvs.length >= count); } };
    });
  }

  close(): void {
    this.req.destroy();
  }

  private consume(chunk: string): void {
    const text = this.pending + chunk;
    const before = this.rvs.length;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      if (nl > start) this.record(text.slice(start, nl));
      start = nl + 1;
    }
    this.pending = text.slice(start);
    if (this.rvs.length > before) this.lastEventAt = performance.now();
    if (this.waiter && this.rvs.length >= this.waiter.count) this.settle();
  }

  private record(line: string): void {
    const event = JSON.parse(line) as { type: string; object?: { metadata?: { resourceVersion?: string } } };
    this.types.push(event.type);
    this.rvs.push(Number(event.object?.metadata?.resourceVersion));
  }

  private finish(): void {
    this.ended = true;
    this.settle();
  }

  private settle(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve();
  }
}
