/**
 * Helm charts in OCI registries (`repoURL: oci://host/path` with `chart`): the versions are
 * the tags of `<path>/<chart>` (Distribution API `GET /v2/<name>/tags/list`, Link-header
 * pagination), read back from Helm's convention of storing semver `+` as `_`; the version a
 * targetRevision picks follows Helm's rules (chart-version.ts). A pull reads the tag's
 * manifest, checks the body against its digest and takes the chart layer's digest from it,
 * then has Helm pull that manifest by digest (`oci://…/chart@sha256:…`) through the chart
 * cache (keyed by version and manifest digest), which checks the archive against the layer
 * digest. So what is cached is exactly what the manifest names, even if the tag moves.
 * Registry auth: basic credentials (the Git credential rules), and the bearer-token
 * exchange registries such as ghcr.io and Docker Hub ask for (`WWW-Authenticate: Bearer`).
 * Plain HTTP only where a credential rule says `insecureOCIForceHttp` (Argo CD's name).
 */
import { createHash } from 'node:crypto';
import { GitError } from '../git/errors.ts';
import { pickVersion } from './chart-version.ts';
import type { ChartCache, ChartRef, PullResult, RepoCredentials } from './helm-repo.ts';

export const OCI_SCHEME = 'oci://';

/** The media type of a Helm chart's content layer (helm push). */
const CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
const MAX_TAG_PAGES = 100;
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export function isOciURL(url: string): boolean {
  return url.trim().toLowerCase().startsWith(OCI_SCHEME);
}

export interface OciLocation {
  /** `host[:port]`, as Helm's registry config keys it. */
  readonly registry: string;
  /** The repository path below the registry, '' or `a/b`. */
  readonly path: string;
  /** `oci://host[:port]/path`, no user info, no trailing slash: the cache and credential key. */
  readonly url: string;
  readonly embedded?: RepoCredentials;
}

// Distribution's repository name grammar, per path component
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** An `oci://` URL split into registry and path; GitError Unsupported when it is not one. */
export function parseOciURL(raw: string): OciLocation {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(`https://${text.slice(OCI_SCHEME.length)}`);
  } catch {
    throw new GitError('Unsupported', `${JSON.stringify(text)} is not an oci:// registry URL`);
  }
  if (!isOciURL(text) || url.search !== '' || url.hash !== '') throw new GitError('Unsupported', `${JSON.stringify(text)} is not an oci://host/path registry URL`);
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (path !== '' && !path.split('/').every((c) => COMPONENT.test(c))) throw new GitError('Unsupported', `oci://${url.host}/${path}: not a registry repository path (lower-case letters, digits, . _ - and /)`);
  const embedded = url.username !== '' || url.password !== '' ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  return { registry: url.host, path, url: `${OCI_SCHEME}${url.host}${path === '' ? '' : `/${path}`}`, ...(embedded === undefined ? {} : { embedded }) };
}

/** Helm's tag for a chart version (`+` is not allowed in OCI tags) and back. */
export const versionToTag = (version: string): string => version.replaceAll('+', '_');
export const tagToVersion = (tag: string): string => tag.replaceAll('_', '+');

export interface OciRegistriesOptions {
  readonly cache: ChartCache;
  /** Credentials for a registry URL (`oci://host/path`), if any. */
  readonly credentials?: (url: string) => RepoCredentials | undefined;
  /** Whether the registry at this URL speaks plain HTTP (tests, in-cluster registries). */
  readonly plainHttp?: (url: string) => boolean;
  readonly timeoutMs?: number;
  /** Reuse a tag list this long before asking again (default 0). */
  readonly tagsTtlMs?: number;
  readonly now?: () => number;
}

interface CachedTags {
  readonly versions: readonly string[];
  readonly at: number;
}

export class OciRegistries {
  private readonly tags = new Map<string, CachedTags>();
  /** Bearer tokens by registry and repository name, with when they stop being used. */
  private readonly tokens = new Map<string, { token: string; until: number }>();

  constructor(private readonly opts: OciRegistriesOptions) {}

  /** The chart versions the registry holds; `fetched` when the list differs from the one held before. */
  async versions(repoURL: string, chart: string): Promise<{ versions: readonly string[]; fetched: boolean }> {
    const where = this.locate(repoURL, chart);
    const key = `${where.url}/${chart}`;
    const held = this.tags.get(key);
    const now = (this.opts.now ?? Date.now)();
    if (held !== undefined && now - held.at < (this.opts.tagsTtlMs ?? 0)) return { versions: held.versions, fetched: false };
    const tags: string[] = [];
    let next: string | undefined = `/v2/${where.name}/tags/list`;
    for (let page = 0; next !== undefined; page++) {
      if (page === MAX_TAG_PAGES) throw new GitError('LimitExceeded', `${key}: more than ${MAX_TAG_PAGES} pages of tags`);
      const response = await this.request(where, next, 'application/json');
      if (response.status === 404) throw new GitError('UnknownRevision', `${key}: the registry has no chart ${JSON.stringify(chart)} (HTTP 404)`);
      const body = await this.expectOk(response, key, 'listing tags');
      const list = parseTagList(body);
      if (list === undefined) throw new GitError('FetchFailed', `${key}: the registry's tag list is not {name, tags: [...]}`);
      tags.push(...list);
      next = nextPage(response.headers.get('link'));
    }
    const versions = tags.map(tagToVersion);
    this.tags.set(key, { versions, at: now });
    return { versions, fetched: held === undefined || held.versions.join('\n') !== versions.join('\n') };
  }

  /** The version `constraint` picks; GitError UnknownRevision when none does. */
  async pick(repoURL: string, chart: string, constraint: string): Promise<{ version: string; fetched: boolean }> {
    const { versions, fetched } = await this.versions(repoURL, chart);
    const picked = pickVersion(versions, constraint);
    const where = `${parseOciURL(repoURL).url}/${chart}`;
    if (!picked.ok) throw new GitError('UnknownRevision', `${where}: ${picked.message}`);
    if (picked.version === undefined) throw new GitError('UnknownRevision', `${where}: no version of chart ${chart} satisfies ${JSON.stringify(constraint || '*')} (tags: ${versions.length})`);
    return { version: picked.version, fetched };
  }

  /** An exact version: its manifest read and checked, then the chart layer pulled by manifest digest through the cache. */
  async pullVersion(repoURL: string, chart: string, version: string): Promise<PullResult> {
    const where = this.locate(repoURL, chart);
    const what = `${where.url}/${chart}:${versionToTag(version)}`;
    const response = await this.request(where, `/v2/${where.name}/manifests/${encodeURIComponent(versionToTag(version))}`, MANIFEST_TYPES);
    if (response.status === 404) return { ok: false, message: `${what}: no such tag in the registry` };
    const body = await this.expectOk(response, what, 'reading the manifest');
    const manifestDigest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const said = response.headers.get('docker-content-digest');
    if (said !== null && said !== manifestDigest) return { ok: false, message: `${what}: the manifest's sha256 is ${manifestDigest}, not the registry's ${said}` };
    const layer = chartLayerDigest(body);
    if (layer === undefined) return { ok: false, message: `${what}: not a Helm chart (no ${CHART_LAYER} layer with a sha256 digest)` };
    const credentials = where.credentials;
    // keyed by the manifest digest too: a tag pushed again with other content is pulled again
    const ref: ChartRef = { repoURL: where.url, chart, version: `${version}@${manifestDigest}` };
    return this.opts.cache.pull(ref, { kind: 'oci', manifestDigest, digest: layer, plainHttp: where.plainHttp, ...(credentials === undefined ? {} : { credentials }) });
  }

  /** ChartFetcher's call: the version the ref's range picks, pulled. Never throws. */
  async pull(ref: ChartRef): Promise<PullResult> {
    try {
      const { version } = await this.pick(ref.repoURL, ref.chart, ref.version);
      return await this.pullVersion(ref.repoURL, ref.chart, version);
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  private locate(repoURL: string, chart: string): OciLocation & { name: string; credentials?: RepoCredentials; plainHttp: boolean } {
    const location = parseOciURL(repoURL);
    if (!COMPONENT.test(chart)) throw new GitError('Unsupported', `chart name ${JSON.stringify(chart)} is not a registry repository name`);
    const credentials = location.embedded ?? this.opts.credentials?.(location.url);
    return { ...location, name: location.path === '' ? chart : `${location.path}/${chart}`, plainHttp: this.opts.plainHttp?.(location.url) ?? false, ...(credentials === undefined ? {} : { credentials }) };
  }

  /**
   * A GET on the registry: basic credentials up front when there are any; on a Bearer
   * challenge, a token from the realm it names (with the credentials, else anonymous) and once more.
   */
  private async request(where: { registry: string; name: string; credentials?: RepoCredentials; plainHttp: boolean; url: string }, path: string, accept: string): Promise<Response> {
    const base = `${where.plainHttp ? 'http' : 'https'}://${where.registry}`;
    // a Link to another host must not receive this registry's credentials
    if (new URL(path, base).origin !== new URL(base).origin) throw new GitError('FetchFailed', `${where.url}: the registry points at another host (${new URL(path, base).origin})`);
    const basic = where.credentials === undefined ? undefined : `Basic ${Buffer.from(`${where.credentials.username}:${where.credentials.password}`).toString('base64')}`;
    const get = (authorization: string | undefined): Promise<Response> =>
      fetch(new URL(path, base), { headers: { accept, ...(authorization === undefined ? {} : { authorization }) }, redirect: 'follow', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) }).catch((e: Error) => {
        throw new GitError('Unreachable', `${where.url}: the registry could not be reached (${e.message})`);
      });
    const key = `${base}/${where.name}`;
    const held = this.tokens.get(key);
    const now = (this.opts.now ?? Date.now)();
    const first = await get(held !== undefined && held.until > now ? `Bearer ${held.token}` : basic);
    if (first.status !== 401) return first;
    this.tokens.delete(key);
    const challenge = bearerChallenge(first.headers.get('www-authenticate'));
    await first.body?.cancel();
    if (challenge === undefined) throw authFailed(where.url, where.credentials, first.status);
    const tokenURL = new URL(challenge.realm);
    // credentials go to a token service over plain HTTP only for a registry that is plain HTTP itself
    if (tokenURL.protocol === 'http:' && !where.plainHttp) throw new GitError('AuthFailed', `${where.url}: the registry's token service ${tokenURL.origin} is not HTTPS`);
    if (challenge.service !== undefined) tokenURL.searchParams.set('service', challenge.service);
    tokenURL.searchParams.set('scope', challenge.scope ?? `repository:${where.name}:pull`);
    const tokenResponse = await fetch(tokenURL, { headers: basic === undefined ? {} : { authorization: basic }, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) }).catch((e: Error) => {
      throw new GitError('Unreachable', `${where.url}: the registry's token service could not be reached (${e.message})`);
    });
    if (!tokenResponse.ok) throw authFailed(where.url, where.credentials, tokenResponse.status);
    const token = parseToken(await readBounded(tokenResponse, MAX_RESPONSE_BYTES, `${where.url}: the token service's answer`));
    if (token === undefined) throw new GitError('AuthFailed', `${where.url}: the registry's token service answered without a token`);
    // reused until shortly before it expires (the token spec's default lifetime is 60 s)
    this.tokens.set(key, { token: token.token, until: now + Math.max(0, token.expiresIn - 10) * 1000 });
    const second = await get(`Bearer ${token.token}`);
    if (second.status === 401 || second.status === 403) throw authFailed(where.url, where.credentials, second.status);
    return second;
  }

  private async expectOk(response: Response, what: string, doing: string): Promise<Buffer> {
    if (response.status === 401 || response.status === 403) throw new GitError('AuthFailed', `${what}: the registry refused access (HTTP ${response.status})`);
    if (!response.ok) {
      await response.body?.cancel();
      throw new GitError(response.status >= 500 ? 'Unreachable' : 'FetchFailed', `${what}: ${doing} failed with HTTP ${response.status}`);
    }
    return readBounded(response, MAX_RESPONSE_BYTES, `${what}: the registry's answer`);
  }
}

function authFailed(url: string, credentials: RepoCredentials | undefined, status: number): GitError {
  return new GitError('AuthFailed', `${url}: the registry refused ${credentials === undefined ? 'anonymous access' : 'the credentials'} (HTTP ${status})`);
}

/** A response body of at most `max` bytes; `what` names it in the LimitExceeded error (chart-repo.ts reads index.yaml with it too). */
export async function readBounded(response: Response, max: number, what: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.length;
    if (total > max) throw new GitError('LimitExceeded', `${what} is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The `tags` of a tag list answer (null when the repository has none), or undefined when it is not one. */
export function parseTagList(body: Buffer): string[] | undefined {
  const doc = parseJson(body);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const tags = (doc as Record<string, unknown>)['tags'];
  if (tags === null || tags === undefined) return [];
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : undefined;
}

/** The relative or absolute URL of the next page from a `Link: <…>; rel="next"` header. */
export function nextPage(link: string | null): string | undefined {
  const m = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m?.[1];
}

/** The sha256 digest of a manifest's Helm chart layer. */
export function chartLayerDigest(body: Buffer): string | undefined {
  const doc = parseJson(body);
  const layers = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['layers'] : undefined;
  if (!Array.isArray(layers)) return undefined;
  const layer = layers.find((l: unknown) => typeof l === 'object' && l !== null && (l as Record<string, unknown>)['mediaType'] === CHART_LAYER) as Record<string, unknown> | undefined;
  const digest = layer?.['digest'];
  return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest.slice('sha256:'.length) : undefined;
}

/** The parameters of a `Bearer realm="…",service="…",scope="…"` challenge. */
export function bearerChallenge(header: string | null): { realm: string; service?: string; scope?: string } | undefined {
  if (header === null || !/^bearer\s/i.test(header.trim())) return undefined;
  const params = new Map<string, string>();
  for (const m of header.trim().slice(6).matchAll(/([a-zA-Z]+)="([^"]*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!);
  const realm = params.get('realm');
  if (realm === undefined || !/^https?:\/\//.test(realm)) return undefined;
  const service = params.get('service');
  const scope = params.get('scope');
  return { realm, ...(service === undefined ? {} : { service }), ...(scope === undefined ? {} : { scope }) };
}

function parseToken(body: Buffer): { token: string; expiresIn: number } | undefined {
  const doc = parseJson(body);
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { token, access_token: accessToken, expires_in: expiresIn } = doc as Record<string, unknown>;
  const value = typeof token === 'string' && token !== '' ? token : accessToken;
  if (typeof value !== 'string' || value === '') return undefined;
  return { token: value, expiresIn: typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 60 };
}
