/**
 * The CLI's client for the API server: `--server URL --token T`, else SLUICE_SERVER and
 * SLUICE_TOKEN. Errors carry the exit code a CI job can act on (see API_EXIT).
 */

/** Exit codes of the `sluice app …` and `sluice rollout …` commands. */
export const API_EXIT = { ok: 0, differs: 1, usage: 2, auth: 3, notFound: 4, conflict: 5, unavailable: 6 } as const;

export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface ApiTarget {
  readonly server: string;
  readonly token: string | undefined;
}

export function apiTarget(server: string | undefined, token: string | undefined, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const base = server ?? env['SLUICE_SERVER'];
  if (base === undefined || base === '') throw new ApiCallError('no server: pass --server URL or set SLUICE_SERVER', API_EXIT.usage);
  return { server: base.replace(/\/+$/, ''), token: token ?? env['SLUICE_TOKEN'] };
}

function exitFor(status: number): number {
  if (status === 401 || status === 403) return API_EXIT.auth;
  if (status === 404) return API_EXIT.notFound;
  if (status === 409) return API_EXIT.conflict;
  if (status === 400) return API_EXIT.usage;
  return API_EXIT.unavailable;
}

export async function callApi<T>(target: ApiTarget, method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers['authorization'] = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${target.server}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new ApiCallError(`cannot reach the Sluice server at ${target.server} (${cause})`, API_EXIT.unavailable);
  }
  const text = await res.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiCallError(`${method} ${route}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, exitFor(res.status));
  }
  if (!res.ok) {
    const error = (value as { error?: { code?: string; message?: string } }).error;
    throw new ApiCallError(`${error?.code ?? `HTTP ${res.status}`}: ${error?.message ?? text.slice(0, 200)}`, exitFor(res.status));
  }
  return value as T;
}
