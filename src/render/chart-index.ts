/**
 * A chart repository's index.yaml, read for one chart: its versions with the digest and
 * download URLs Helm wrote there (`helm repo index`), and which version an app's
 * targetRevision picks. Untrusted input, checked at this boundary. Pure.
 */
import { parse as parseYaml } from 'yaml';
import { pickVersion } from './chart-version.ts';

export interface IndexedChartVersion {
  readonly version: string;
  /** sha256 of the .tgz, hex, when the index gives one. */
  readonly digest?: string;
  readonly urls: readonly string[];
  /** When the version was indexed (RFC 3339), if the index says. */
  readonly created?: string;
}

export type ChartIndex = ReadonlyMap<string, readonly IndexedChartVersion[]>;

export function parseChartIndex(text: string): { ok: true; index: ChartIndex } | { ok: false; message: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, message: `index.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  const entries = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['entries'] : undefined;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return { ok: false, message: 'index.yaml has no entries mapping' };
  const index = new Map<string, IndexedChartVersion[]>();
  for (const [name, list] of Object.entries(entries as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    index.set(name, list.flatMap((item: unknown) => indexedVersion(item)));
  }
  return { ok: true, index };
}

function indexedVersion(item: unknown): IndexedChartVersion[] {
  if (typeof item !== 'object' || item === null) return [];
  const { version, digest, urls, created } = item as Record<string, unknown>;
  if (typeof version !== 'string' || !Array.isArray(urls)) return [];
  return [{
    version,
    urls: urls.filter((u): u is string => typeof u === 'string'),
    ...(typeof digest === 'string' && /^[0-9a-f]{64}$/i.test(digest) ? { digest: digest.toLowerCase() } : {}),
    ...(typeof created === 'string' ? { created } : typeof created === 'object' && created instanceof Date ? { created: created.toISOString() } : {}),
  }];
}

/** The version of `chart` that `constraint` picks, or a message saying why none. */
export function selectChartVersion(index: ChartIndex, chart: string, constraint: string): { ok: true; entry: IndexedChartVersion } | { ok: false; message: string } {
  const versions = index.get(chart);
  if (versions === undefined || versions.length === 0) return { ok: false, message: `the repository has no chart named ${JSON.stringify(chart)}` };
  const picked = pickVersion(versions.map((v) => v.version), constraint);
  if (!picked.ok) return picked;
  const entry = versions.find((v) => v.version === picked.version);
  if (entry === undefined) return { ok: false, message: `no version of chart ${chart} satisfies ${JSON.stringify(constraint || '*')} (newest: ${versions[0]!.version})` };
  return { ok: true, entry };
}
