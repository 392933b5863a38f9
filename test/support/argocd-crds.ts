/**
 * Argo CD's own Application and AppProject CustomResourceDefinitions, from its published
 * install manifests (test/fixtures/install/argo-cd, with its licence), for the embedded
 * cluster: what a cluster with Argo CD installed serves.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import type { JsonObject } from '../../src/json.ts';

const INSTALL = new URL('../fixtures/install/argo-cd/manifests.yaml', import.meta.url);

export async function argoCrd(kind: 'Application' | 'AppProject'): Promise<JsonObject> {
  const name = `${kind.toLowerCase()}s.argoproj.io`;
  const objects = parseAllDocuments(await readFile(INSTALL, 'utf8')).map((d) => d.toJS() as JsonObject);
  const crd = objects.find((o) => o['kind'] === 'CustomResourceDefinition' && (o['metadata'] as JsonObject)['name'] === name);
  if (crd === undefined) throw new Error(`${name} is not in ${INSTALL.pathname}`);
  return crd;
}
