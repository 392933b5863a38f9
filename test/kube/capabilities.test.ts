/**
 * The capabilities Helm charts see: read from the embedded cluster, checked against kubectl
 * (a real client) reading the same server — `kubectl version` for the version, `kubectl
 * api-versions` for the group/versions, `kubectl api-resources` for the kinds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapabilities } from '../../src/kube/capabilities.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { findKubectl, Kubectl } from '../support/kubectl.ts';

const kubectlPath = findKubectl();

describe.skipIf(kubectlPath === undefined)('readCapabilities', () => {
  let cluster: SimCluster;
  let kube: KubeClient;
  let kubectl: Kubectl;

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0 });
    kube = await kubeClientFor(cluster.url);
    kubectl = await Kubectl.create(kubectlPath!, cluster.kubeconfig);
  });
  afterAll(async () => {
    await kubectl?.dispose();
    await kube?.close();
    await cluster?.stop();
  });

  it('answers with the server version, every group/version and every group/version/Kind, as kubectl sees them', async () => {
    const capabilities = await readCapabilities(kube);
    const version = JSON.parse(await kubectl.ok(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    expect(capabilities.kubeVersion).toBe(version.serverVersion.gitVersion);

    const groupVersions = (await kubectl.ok(['api-versions'])).split('\n').filter((l) => l !== '');
    const withoutKind = capabilities.apiVersions.filter((v) => !/\/[A-Z][^/]*$/.test(v));
    expect(withoutKind.sort()).toEqual([...groupVersions].sort());

    const resources = (await kubectl.ok(['api-resources', '--no-headers', '-o', 'wide'])).split('\n').filter((l) => l !== '');
    for (const line of resources) {
      const columns = line.trim().split(/\s+/);
      // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS...: APIVERSION is the first column with a version shape
      const apiVersion = columns.find((c, i) => i > 0 && /^([a-z0-9.-]+\/)?v\d+[a-z0-9]*$/.test(c));
      const kind = columns[columns.indexOf(apiVersion!) + 2];
      expect(capabilities.apiVersions).toContain(`${apiVersion}/${kind}`);
    }
    expect(capabilities.apiVersions).toContain('apps/v1/Deployment');
  });
});
