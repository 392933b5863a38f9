/**
 * The destination's facts a Helm chart may ask about (`.Capabilities`): the server's version
 * and every group/version it serves, with each kind as `group/version/Kind` — the two forms
 * Argo CD passes to `helm template --api-versions`. One request for /version, /api and /apis,
 * then one per group/version, in parallel.
 */
import { isJsonObject, type JsonObject } from '../json.ts';
import type { Capabilities } from '../render/helm.ts';
import { parseResourceList } from './discovery.ts';

/** The slice of KubeClient this needs. */
export interface DocumentSource {
  getDocument(path: string): Promise<JsonObject | undefined>;
}

export async function readCapabilities(kube: DocumentSource): Promise<Capabilities> {
  const [version, core, groups] = await Promise.all([kube.getDocument('/version'), kube.getDocument('/api'), kube.getDocument('/apis')]);
  const gitVersion = typeof version?.['gitVersion'] === 'string' ? version['gitVersion'] : undefined;
  if (gitVersion === undefined) throw new Error('the API server answered /version without a gitVersion');
  const groupVersions = [...stringsAt(core, 'versions').map((v) => ({ group: '', version: v, path: `/api/${v}` })), ...apiGroupVersions(groups)];
  const lists = await Promise.all(groupVersions.map(async (gv) => ({ gv, doc: await kube.getDocument(gv.path) })));
  const apiVersions: string[] = [];
  for (const { gv, doc } of lists) {
    const apiVersion = gv.group === '' ? gv.version : `${gv.group}/${gv.version}`;
    apiVersions.push(apiVersion);
    if (doc !== undefined) for (const kind of parseResourceList(doc, gv.group, gv.version).keys()) apiVersions.push(`${apiVersion}/${kind}`);
  }
  return { kubeVersion: gitVersion, apiVersions: [...new Set(apiVersions)].sort() };
}

function stringsAt(doc: JsonObject | undefined, field: string): string[] {
  const value = doc?.[field];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function apiGroupVersions(doc: JsonObject | undefined): { group: string; version: string; path: string }[] {
  const groups = Array.isArray(doc?.['groups']) ? doc['groups'] : [];
  return groups.flatMap((g) => {
    if (!isJsonObject(g) || typeof g['name'] !== 'string') return [];
    const name = g['name'];
    const versions = Array.isArray(g['versions']) ? g['versions'] : [];
    return versions.flatMap((v) => (isJsonObject(v) && typeof v['version'] === 'string' ? [{ group: name, version: v['version'], path: `/apis/${name}/${v['version']}` }] : []));
  });
}
