import http from 'node:http';
import https from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/**
 * The HTTP client isomorphic-git talks through. We bring our own rather than
 * `isomorphic-git/http/node` for two reasons: that one has no timeouts, so a host that
 * drops packets would hang a sync forever; and it opens a new connection per request,
 * while polling many repositories every few seconds wants keep-alive.
 */
export interface HttpClientOptions {
  /** Aborts a request whose response has not started, or whose body stalls, this long. */
  timeoutMs: number;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const body = req.body === undefined ? undefined : await collect(req.body);
      const url = new URL(req.url);
      const isHttps = url.protocol === 'https:';
      const transport = isHttps ? https : http;
      const headers: Record<string, string> = { ...req.headers };
      if (body !== undefined) headers['content-length'] = String(body.byteLength);
      return await new Promise<GitHttpResponse>((resolve, reject) => {
        const request = transport.request(
          url,
          { method: req.method ?? 'GET', headers, agent: isHttps ? agents.https : agents.http, timeout: opts.timeoutMs },
          (res) => {
            resolve({
              url: req.url,
              method: req.method ?? 'GET',
              statusCode: res.statusCode ?? 0,
              statusMessage: res.statusMessage ?? '',
              headers: flattenHeaders(res.headers),
              body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
            });
          },
        );
        request.on('timeout', () => request.destroy(new TimeoutError(opts.timeoutMs)));
        request.on('error', reject);
        request.end(body);
      });
    },
  };
}

export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no response within ${ms} ms`);
  }
}

async function collect(body: AsyncIterableIterator<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
