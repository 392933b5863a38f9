import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface RequestOptions {
  readonly body?: string;
  readonly contentType?: string;
}

/**
 * A minimal JSON-over-HTTP client on one keep-alive agent: what a tuned controller client
 * does on the wire, with no client-side caching, so the figures are the server's.
 */
export class KubeHttp {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, options: { readonly maxSockets: number }) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets });
  }

  send(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { Accept: 'application/json' };
      if (options.body !== undefined) {
        headers['Content-Type'] = options.contentType ?? 'application/json';
        headers['Content-Length'] = Buffer.byteLength(options.body);
      }
      const req = request({ agent: this.agent, host: this.host, port: this.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** Sends and fails unless the status is 2xx; returns the parsed JSON body. */
  async json(method: string, path: string, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    const res = await this.send(method, path, options);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface PoolResult {
  /** per-operation latency in milliseconds, in operation index order */
  readonly latencies: Float64Array;
  readonly startedAt: number;
  readonly elapsedMs: number;
}

/** Runs count operations with at most `concurrency` in flight; the first failure rejects the whole run. */
export async function runPool(count: number, concurrency: number, op: (index: number) => Promise<void>): Promise<PoolResult> {
  const latencies = new Float64Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await op(i);
      latencies[i] = performance.now() - t0;
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies, startedAt, elapsedMs: performance.now() - startedAt };
}

/** metadata.resourceVersion of an API object, as a number. */
export function resourceVersionOf(obj: Record<string, unknown>): number {
  const meta = obj.metadata as { resourceVersion?: unknown } | undefined;
  const rv = Number(meta?.resourceVersion);
  if (!Number.isInteger(rv)) throw new Error(`object without a numeric resourceVersion: ${JSON.stringify(obj).slice(0, 200)}`);
  return rv;
}
