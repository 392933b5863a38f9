/**
 * `spec.source.helm`, read and checked with field paths: Argo CD's names and meanings
 * (releaseName, valueFiles, ignoreMissingValueFiles, values, valuesObject, parameters,
 * skipCrds, namespace). Inline values become YAML text; `valuesObject` wins over `values`,
 * as in Argo CD.
 */
import { stringify } from 'yaml';
import type { HelmParameter } from '../render/helm.ts';
import { child, dns1123LabelProblem, dns1123SubdomainProblem, Errors, isPlainObject, readArray, readBoolean, readObject, readString, readStrings, typeName } from './fields.ts';
import type { HelmSource } from './types.ts';

const HELM_FIELDS = ['releaseName', 'valueFiles', 'ignoreMissingValueFiles', 'values', 'valuesObject', 'parameters', 'skipCrds', 'namespace'] as const;
const PARAMETER_FIELDS = ['name', 'value', 'forceString'] as const;
/** Helm's own limit on release names. */
const MAX_RELEASE_NAME = 53;

export function readHelmSource(errors: Errors, value: unknown, path = 'spec.source.helm'): HelmSource | undefined {
  const helm = readObject(errors, value, path, HELM_FIELDS);
  if (helm === undefined) return undefined;
  const releaseName = readString(errors, helm.releaseName, child(path, 'releaseName'));
  if (releaseName !== undefined) {
    const problem = releaseName.length > MAX_RELEASE_NAME ? `"${releaseName}" is longer than Helm's ${MAX_RELEASE_NAME} characters` : dns1123SubdomainProblem(releaseName);
    if (problem) errors.add(child(path, 'releaseName'), problem);
  }
  const namespace = readString(errors, helm.namespace, child(path, 'namespace'));
  if (namespace !== undefined) {
    const problem = dns1123LabelProblem(namespace);
    if (problem) errors.add(child(path, 'namespace'), problem);
  }
  const values = readValues(errors, helm.valuesObject, child(path, 'valuesObject')) ?? readValues(errors, helm.values, child(path, 'values'));
  return {
    ...(releaseName !== undefined ? { releaseName } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    valueFiles: readStrings(errors, helm.valueFiles, child(path, 'valueFiles')),
    ignoreMissingValueFiles: readBoolean(errors, helm.ignoreMissingValueFiles, child(path, 'ignoreMissingValueFiles'), false),
    ...(values !== undefined ? { values } : {}),
    parameters: readParameters(errors, helm.parameters, child(path, 'parameters')),
    skipCrds: readBoolean(errors, helm.skipCrds, child(path, 'skipCrds'), false),
  };
}

/** YAML text, or an object written out as YAML. */
function readValues(errors: Errors, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isPlainObject(value)) return stringify(value);
  errors.add(path, `must be YAML text or an object, not ${typeName(value)}`);
  return undefined;
}

function readParameters(errors: Errors, value: unknown, path: string): HelmParameter[] {
  return readArray(errors, value, path).flatMap((item, i) => {
    const at = child(path, i);
    const p = readObject(errors, item, at, PARAMETER_FIELDS);
    if (p === undefined) {
      if (item === undefined || item === null) errors.add(at, 'must be an object with name and value');
      return [];
    }
    const name = readString(errors, p.name, child(at, 'name'));
    if (name === undefined || name === '') {
      if (name === '' || p.name === undefined || p.name === null) errors.add(child(at, 'name'), 'is required (the value path, e.g. image.tag)');
      return [];
    }
    const forceString = readBoolean(errors, p.forceString, child(at, 'forceString'), false);
    return [{ name, value: readString(errors, p.value, child(at, 'value')) ?? '', forceString }];
  });
}
