import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json.ts';
import { prepareDesired, type Rendered, type Scope } from '../../src/sync/prepare.ts';
import { keyOf, keyString } from '../../src/sync/resource-key.ts';
import { isTrackedBy } from '../../src/sync/tracking.ts';

const APP = { namespace: 'sluice-system', name: 'web' };

function obj(apiVersion: string, kind: string, name: string, namespace?: string): JsonObject {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
}

const rendered = (...objects: JsonObject[]): Rendered[] => objects.map((object) => ({ object }));
const at = (object: JsonObject, file: string, line: number): Rendered => ({ object, source: { file, line } });

const scopes: Record<string, Scope> = { 'v1/ConfigMap': 'Namespaced', 'v1/Namespace': 'Cluster', 'apps/v1/Deployment': 'Namespaced', 'rbac.authorization.k8s.io/v1/ClusterRole': 'Cluster' };
const lookup = (apiVersion: string, kind: string): Scope | undefined => scopes[`${apiVersion}/${kind}`];

describe('prepareDesired', () => {
  it('defaults namespaces, strips them from cluster-scoped objects, and tracks everything', () => {
    const { objects, problems } = prepareDesired(APP, 'prod', rendered(
      obj('v1', 'ConfigMap', 'cfg'),
      obj('apps/v1', 'Deployment', 'api', 'elsewhere'),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader', 'prod'),
    ), lookup);
    expect(problems).toEqual([]);
    expect(objects.map((o) => keyString(keyOf(o)))).toEqual(['ConfigMap/prod/cfg', 'apps/Deployment/elsewhere/api', 'rbac.authorization.k8s.io/ClusterRole/reader']);
    expect(objects.every((o) => isTrackedBy(o, APP))).toBe(true);
  });

  it('takes the scope of a kind from a CRD in the same render, and reports kinds nobody defines', () => {
    const crd: JsonObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { kind: 'Widget', plural: 'widgets' } },
    };
    const withCrd = (apiVersion: string, kind: string): Scope | undefined => (kind === 'CustomResourceDefinition' ? 'Cluster' : lookup(apiVersion, kind));
    const { objects, problems } = prepareDesired(APP, 'prod', rendered(crd, obj('example.com/v1', 'Widget', 'w'), obj('example.com/v1', 'Gadget', 'g')), withCrd);
    expect(objects.map((o) => keyString(keyOf(o)))).toEqual(['apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com', 'example.com/Widget/prod/w']);
    expect(problems).toEqual([{ key: keyOf(obj('example.com/v1', 'Gadget', 'g')), message: expect.stringMatching(/does not serve example\.com\/v1 Gadget, and no CustomResourceDefinition/) }]);
  });

  it.each([
    ['one copy without a namespace, one naming the destination', obj('v1', 'ConfigMap', 'cfg'), obj('v1', 'ConfigMap', 'cfg', 'prod'), 'ConfigMap/prod/cfg', 'no namespace', 'namespace prod'],
    ['the destination named first', obj('v1', 'ConfigMap', 'cfg', 'prod'), obj('v1', 'ConfigMap', 'cfg'), 'ConfigMap/prod/cfg', 'namespace prod', 'no namespace'],
    ['a cluster-scoped object under two stray namespaces', obj('v1', 'Namespace', 'team', 'a'), obj('v1', 'Namespace', 'team', 'b'), 'Namespace/team', 'namespace a', 'namespace b'],
  ])('finds duplicates after namespace defaulting: %s', (_name, one, two, id, firstNs, secondNs) => {
    const { objects, problems } = prepareDesired(APP, 'prod', [at(one, 'app/a.yaml', 3), at(obj('v1', 'ConfigMap', 'other'), 'app/b.yaml', 1), at(two, 'app/c.yaml', 12)], lookup);
    expect(problems.map((p) => p.message)).toEqual([`duplicate object ${id} once namespaces are defaulted: defined at app/a.yaml:3 (${firstNs}) and app/c.yaml:12 (${secondNs})`]);
    expect(problems.map((p) => keyString(p.key))).toEqual([id]);
    // the first copy stays, so the comparison still covers the object
    expect(objects.map((o) => keyString(keyOf(o)))).toEqual([id, 'ConfigMap/prod/other']);
  });

  it('keeps objects of one name in different namespaces apart', () => {
    const { problems } = prepareDesired(APP, 'prod', rendered(obj('v1', 'ConfigMap', 'cfg'), obj('v1', 'ConfigMap', 'cfg', 'staging')), lookup);
    expect(problems).toEqual([]);
  });
});
