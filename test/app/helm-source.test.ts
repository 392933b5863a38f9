import { describe, expect, it } from 'vitest';
import { parseApplication } from '../../src/app/validate.ts';

const withHelm = (helm: unknown): unknown => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'web' },
  spec: { source: { repoURL: 'https://git.example.com/org/deploy.git', path: 'charts/web', helm }, destination: { namespace: 'apps' } },
});

describe('spec.source.helm', () => {
  it('reads every field; valuesObject becomes YAML and wins over values', () => {
    const r = parseApplication(
      withHelm({
        releaseName: 'web-prod',
        namespace: 'web',
        valueFiles: ['values-prod.yaml', '/env/common.yaml'],
        ignoreMissingValueFiles: true,
        values: 'ignored: true\n',
        valuesObject: { replicas: 3, image: { tag: '1.2' } },
        parameters: [{ name: 'image.tag', value: '1.3' }, { name: 'build', value: '0042', forceString: true }],
        skipCrds: true,
      }),
      'test',
    );
    expect(r.ok && r.app.spec.source.helm).toEqual({
      releaseName: 'web-prod',
      namespace: 'web',
      valueFiles: ['values-prod.yaml', '/env/common.yaml'],
      ignoreMissingValueFiles: true,
      values: 'replicas: 3\nimage:\n  tag: "1.2"\n',
      parameters: [{ name: 'image.tag', value: '1.3', forceString: false }, { name: 'build', value: '0042', forceString: true }],
      skipCrds: true,
    });
  });

  it('is absent when not given, and defaults when empty', () => {
    const none = parseApplication(withHelm(undefined), 'test');
    expect(none.ok && none.app.spec.source.helm).toBeUndefined();
    const empty = parseApplication(withHelm({}), 'test');
    expect(empty.ok && empty.app.spec.source.helm).toEqual({ valueFiles: [], ignoreMissingValueFiles: false, parameters: [], skipCrds: false });
  });

  it.each([
    ['an unknown field', { valueFile: ['x'] }, 'spec.source.helm.valueFile', /unknown field "valueFile" \(did you mean "valueFiles"\?\)/],
    ['a release name Helm refuses', { releaseName: 'Web_App' }, 'spec.source.helm.releaseName', /lowercase RFC 1123 subdomain/],
    ['a release name too long', { releaseName: 'a'.repeat(54) }, 'spec.source.helm.releaseName', /53 characters/],
    ['values neither text nor object', { values: 3 }, 'spec.source.helm.values', /YAML text or an object, not number/],
    ['a parameter without a name', { parameters: [{ value: 'x' }] }, 'spec.source.helm.parameters[0].name', /is required/],
    ['a parameter value that is not a string', { parameters: [{ name: 'a', value: 3 }] }, 'spec.source.helm.parameters[0].value', /must be a string, not number/],
    ['skipCrds as a string', { skipCrds: 'true' }, 'spec.source.helm.skipCrds', /must be true or false/],
    ['a bad namespace', { namespace: 'Apps' }, 'spec.source.helm.namespace', /lowercase RFC 1123 label/],
  ])('%s is an error at its field path', (_name, helm, path, message) => {
    const r = parseApplication(withHelm(helm), 'test');
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.map((e) => e.path)).toEqual([path]);
    expect(errors[0]!.message).toMatch(message);
  });
});
