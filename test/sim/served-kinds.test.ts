import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { SimApiServer } from '../../src/sim/apiserver.ts';
import { resourceList } from '../../src/sim/discovery.ts';
import { StatusError } from '../../src/sim/errors.ts';
import { typeOf } from '../support/sim.ts';

function entry(api: SimApiServer, group: string, version: string, name: string): JsonObject | undefined {
  const list = resourceList(api.registry, group, version);
  return (list?.resources as JsonObject[] | undefined)?.find((r) => r.name === name);
}

describe('the kinds install manifests use, as discovery lists them', () => {
  it.each([
    { group: 'admissionregistration.k8s.io', name: 'mutatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
    { group: 'admissionregistration.k8s.io', name: 'validatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
    { group: 'networking.k8s.io', name: 'ingressclasses', namespaced: false },
    { group: 'policy', name: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'] },
    { group: 'scheduling.k8s.io', name: 'priorityclasses', namespaced: false, shortNames: ['pc'] },
    { group: '', name: 'resourcequotas', namespaced: true, shortNames: ['quota'] },
    { group: '', name: 'limitranges', namespaced: true, shortNames: ['limits'] },
    { group: 'storage.k8s.io', name: 'storageclasses', namespaced: false, shortNames: ['sc'] },
    { group: 'storage.k8s.io', name: 'csidrivers', namespaced: false },
    { group: 'discovery.k8s.io', name: 'endpointslices', namespaced: true },
    { group: 'coordination.k8s.io', name: 'leases', namespaced: true },
    { group: 'apiregistration.k8s.io', name: 'apiservices', namespaced: false, categories: ['api-extensions'] },
    { group: 'certificates.k8s.io', name: 'certificatesigningrequests', namespaced: false, shortNames: ['csr'] },
  ])('$group $name', ({ group, name, namespaced, shortNames, categories }) => {
    const found = entry(new SimApiServer(), group, 'v1', name);
    expect(found).toMatchObject({ name, namespaced, verbs: expect.arrayContaining(['create', 'list', 'watch', 'patch']) });
    if (shortNames) expect(found?.shortNames).toEqual(shortNames);
    if (categories) expect(found?.categories).toEqual(categories);
  });

  it('lists reviews as create-only, and the eviction subresource of pods in policy/v1', () => {
    const api = new SimApiServer();
    expect(entry(api, 'authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')).toMatchObject({ namespaced: false, verbs: ['create'] });
    expect(entry(api, 'authentication.k8s.io', 'v1', 'tokenreviews')).toMatchObject({ namespaced: false, verbs: ['create'] });
    expect(entry(api, '', 'v1', 'pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  });
});

describe('validation of the policy kinds', () => {
  function causes(group: string, plural: string, obj: JsonObject): string[] {
    const api = new SimApiServer();
    const rt = typeOf(api, group, 'v1', plural);
    try {
      api.create(rt, rt.namespaced ? 'default' : '', obj);
      return [];
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
      return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
    }
  }

  it('refuses a PodDisruptionBudget with both minAvailable and maxUnavailable, or a percentage over 100', () => {
    expect(causes('policy', 'poddisruptionbudgets', { metadata: { name: 'b' }, spec: { minAvailable: 1, maxUnavailable: '120%' } })).toEqual([
      'spec: Invalid value: {"minAvailable":1,"maxUnavailable":"120%"}: minAvailable and maxUnavailable cannot be both set',
      'spec.maxUnavailable: Invalid value: "120%": must not be greater than 100%',
    ]);
  });

  it('refuses a webhook without sideEffects or admissionReviewVersions, or with a short name', () => {
    const webhooks = [{ name: 'short', clientConfig: { url: 'https://example.com' } }];
    expect(causes('admissionregistration.k8s.io', 'validatingwebhookconfigurations', { metadata: { name: 'v' }, webhooks })).toEqual([
      'webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
      'webhooks[0].sideEffects: Required value: must specify one of "None", "NoneOnDryRun"',
    ]);
  });

  it('reserves system- PriorityClass names and caps user priorities', () => {
    expect(causes('scheduling.k8s.io', 'priorityclasses', { metadata: { name: 'system-mine' }, value: 10 })).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved",
    ]);
    expect(causes('scheduling.k8s.io', 'priorityclasses', { metadata: { name: 'huge' }, value: 2_000_000_000 })).toEqual([
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
  });

  it('requires a StorageClass provisioner', () => {
    expect(causes('storage.k8s.io', 'storageclasses', { metadata: { name: 'sc' } })).toEqual(['provisioner: Required value']);
  });
});
