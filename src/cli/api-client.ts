/**
 * The CLI's client for the API server: `--server URL --token T`, else SLUICE_SERVER and
 * SLUICE_TOKEN, else the context file (context-file.ts). Errors carry the exit code a CI job
 * can act on (see API_EXIT).
 */
import { normalizeServer, readContext, type CliContext } from './context-file.ts';

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

/**
 * Where the commands go: --server and --token, else SLUICE_SERVER and SLUICE_TOKEN, else
 * the context file `sluice login` writes. Its token is sent only to its own server, never
 * to one named by a flag or the environment.
 */
export async function apiTarget(server: string | undefined, token: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ApiTarget> {
  const given = server ?? (env['SLUICE_SERVER'] === '' ? undefined : env['SLUICE_SERVER']);
  const givenToken = token ?? env['SLUICE_TOKEN'];
  let saved: CliContext | undefined;
  if (given === undefined || givenToken === undefined) {
    try {
      saved = await readContext(env);
    } catch (e) {
      throw new ApiCallError((e as Error).message, API_EXIT.usage);
    }
  }
  const base = given ?? saved?.server;
  if (base === undefined) throw new ApiCallError('no server: pass --server URL, set SLUICE_SERVER, or run sluice login --server URL --token T', API_EXIT.usage);
  const target = normalizeServer(base);
  return { server: target, token: givenToken ?? (saved?.server === target ? saved.token : undefined) };
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
