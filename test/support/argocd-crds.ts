/**
 * Argo CD's Application and AppProject kinds as a cluster with Argo CD installed serves them
 * (group argoproj.io, version v1alpha1, namespaced), for the embedded cluster. Only the
 * names matter here: the schema keeps every field, as Sluice reads and validates them itself.
 */
import type { JsonObject } from '../../src/json.ts';

export function argoCrd(kind: 'Application' | 'AppProject'): JsonObject {
  const singular = kind.toLowerCase();
  const plural = `${singular}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.argoproj.io` },
    spec: {
      group: 'argoproj.io',
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular, shortNames: kind === 'Application' ? ['app', 'apps'] : ['appproj', 'appprojs'] },
      versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}
