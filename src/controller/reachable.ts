/**
 * Waiting for Redis and the cluster at start: one clear line when a dependency does not
 * answer (its address and why), retries with back-off (250 ms doubling to 5 s), and an
 * error carrying that line when it never answered within the timeout.
 */
import { Redis } from 'ioredis';

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Told once per dependency, when it first fails to answer. */
  readonly report: (line: string) => void;
}

function reasonOf(e: unknown): string {
  const error = e as NodeJS.ErrnoException;
  return error.code ?? error.message.split('\n')[0] ?? String(e);
}

/** Resolves once `probe` succeeds; rejects with the reported line after `timeoutMs`. */
export async function waitUntilReachable(what: string, address: string, probe: () => Promise<unknown>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 250;
  let reported = false;
  for (;;) {
    try {
      await probe();
      if (reported) opts.report(`${what} at ${address} answers now`);
      return;
    } catch (e) {
      const line = `${what} at ${address} is unreachable (${reasonOf(e)})`;
      if (Date.now() + delay > deadline) throw new Error(`${line}; gave up after ${Math.round(opts.timeoutMs / 1000)} s`);
      if (!reported) opts.report(`${line}; retrying with back-off for up to ${Math.round(opts.timeoutMs / 1000)} s`);
      reported = true;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** One PING on a fresh connection that does not retry by itself (the loop above does). */
export async function pingRedis(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  // the socket's error (ECONNREFUSED, ENOTFOUND…) says more than the "Connection is closed" connect() rejects with
  let cause: Error | undefined;
  client.on('error', (e: Error) => (cause ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw cause ?? e;
  } finally {
    client.disconnect();
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
