/**
 * The HTTP client of the API (docs/api.md): the bearer token in a header on every call,
 * errors as `ApiError` carrying the contract's code.
 */
import type { Accepted, ApiErrorBody, AppDetail, AppOperation, AppSummary, HistoryEntry, ResourceDiff, ResourceNode, Session } from './api-types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The API's page size limit: the list is read in pages this large (one request up to 5,000 apps). */
const PAGE = 5000;

export class ApiClient {
  constructor(
    readonly token: string,
    private readonly base = '',
  ) {}

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  session(): Promise<Session> {
    return this.get<Session>('/api/v1/session');
  }

  /** Every app, sorted by name. */
  async apps(): Promise<AppSummary[]> {
    const items: AppSummary[] = [];
    for (;;) {
      const page = await this.get<{ items: AppSummary[]; total: number }>(`/api/v1/apps?limit=${PAGE}&offset=${items.length}`);
      items.push(...page.items);
      if (page.items.length === 0 || items.length >= page.total) return items;
    }
  }

  app(name: string): Promise<AppDetail> {
    return this.get<AppDetail>(appPath(name));
  }

  async resources(name: string): Promise<ResourceNode[]> {
    return (await this.get<{ items: ResourceNode[] }>(`${appPath(name)}/resources`)).items;
  }

  /** Objects that differ, or the one named by `key` whatever its state. */
  async diff(name: string, key?: string): Promise<ResourceDiff[]> {
    const query = key === undefined ? '' : `?resource=${encodeURIComponent(key)}`;
    return (await this.get<{ items: ResourceDiff[] }>(`${appPath(name)}/diff${query}`)).items;
  }

  async history(name: string): Promise<HistoryEntry[]> {
    return (await this.get<{ items: HistoryEntry[] }>(`${appPath(name)}/history`)).items;
  }

  operate(name: string, operation: AppOperation, body?: object): Promise<Accepted> {
    return this.request<Accepted>('POST', `${appPath(name)}/${operation}`, body);
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const headers: Record<string, string> = { ...this.headers, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (!response.ok) {
      const error = isErrorBody(parsed) ? parsed.error : { code: String(response.status), message: response.statusText };
      throw new ApiError(response.status, error.code, error.message);
    }
    return parsed as T;
  }
}

function appPath(name: string): string {
  return `/api/v1/apps/${encodeURIComponent(name)}`;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error;
  return typeof error === 'object' && error !== null && 'message' in error && 'code' in error;
}
