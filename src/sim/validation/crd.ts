import type { JsonObject, JsonValue } from '../../json.ts';
import { isDNS1035Label, isDNS1123Subdomain } from './content.ts';
import { child, IMMUTABLE, index, invalid, notSupported, obj, objects, required, str, type FieldCause } from './field.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate, type NameFn } from './meta.ts';

/** apiextensions.k8s.io/v1 CustomResourceDefinition: names, scope, versions (schemas are not checked). */

const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

function validateNames(names: JsonObject, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const plural = str(names.plural);
  const kind = str(names.kind);
  const listKind = str(names.listKind);
  if (!plural) causes.push(required(child(path, 'plural')));
  if (!kind) causes.push(required(child(path, 'kind')));
  const label = (field: string, value: string, mixedCase: boolean): void => {
    const errs = isDNS1035Label(mixedCase ? value.toLowerCase() : value);
    if (value && errs.length > 0) causes.push(invalid(child(path, field), value, `${mixedCase ? 'may have mixed case, but should otherwise match: ' : ''}${errs.join(',')}`));
  };
  label('plural', plural, false);
  label('singular', str(names.singular), false);
  label('kind', kind, true);
  label('listKind', listKind, true);
  (Array.isArray(names.shortNames) ? names.shortNames.map(String) : []).forEach((s, i) => {
    const errs = isDNS1035Label(s);
    if (errs.length > 0) causes.push(invalid(index(child(path, 'shortNames'), i), s, errs.join(',')));
  });
  if (kind && kind === listKind) causes.push(invalid(child(path, 'listKind'), listKind, 'kind and listKind may not be the same'));
  return causes;
}

function validateSimpleJsonPath(path: string, field: string): FieldCause[] {
  if (path === '') return [invalid(field, path, 'must not be empty')];
  if (!path.startsWith('.')) return [invalid(field, path, 'must be a simple json path starting with .')];
  return [];
}

function validatePrinterColumns(version: JsonObject, path: string): FieldCause[] {
  return objects(version.additionalPrinterColumns).flatMap((col, i) => {
    const at = index(child(path, 'additionalPrinterColumns'), i);
    const causes: FieldCause[] = [];
    if (!str(col.name)) causes.push(required(child(at, 'name')));
    const type = str(col.type);
    if (!type) causes.push(required(child(at, 'type'), `must be one of ${COLUMN_TYPES.join(',')}`));
    else if (!COLUMN_TYPES.includes(type)) causes.push(invalid(child(at, 'type'), type, `must be one of ${COLUMN_TYPES.join(',')}`));
    const format = str(col.format);
    if (format && !COLUMN_FORMATS.includes(format)) causes.push(invalid(child(at, 'format'), format, `must be one of ${COLUMN_FORMATS.join(',')}`));
    const jsonPath = str(col.jsonPath);
    if (!jsonPath) causes.push(required(child(at, 'JSONPath')));
    else causes.push(...validateSimpleJsonPath(jsonPath, child(at, 'JSONPath')));
    return causes;
  });
}

function validateSpec(spec: JsonObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const group = str(spec.group);
  if (!group) causes.push(required('spec.group'));
  else {
    const errs = isDNS1123Subdomain(group);
    if (errs.length > 0) causes.push(invalid('spec.group', group, errs.join(',')));
    else if (group.split('.').length < 2) causes.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const scope = str(spec.scope);
  if (!scope) causes.push(required('spec.scope'));
  else if (!SCOPES.includes(scope)) causes.push(notSupported('spec.scope', scope, SCOPES));

  const versions = objects(spec.versions);
  const names = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const name = str(v.name);
    if (names.has(name)) unique = false;
    names.add(name);
    const errs = isDNS1035Label(name);
    if (errs.length > 0) causes.push(invalid(child(index('spec.versions', i), 'name'), name, errs.join(',')));
    causes.push(...validatePrinterColumns(v, index('spec.versions', i)));
  });
  if (!unique) causes.push(invalid('spec.versions', spec.versions, 'must contain unique version names'));
  if (versions.filter((v) => v.storage === true).length !== 1) {
    causes.push(invalid('spec.versions', spec.versions, 'must have exactly one version marked as storage version'));
  }
  return [...causes, ...validateNames(obj(spec.names), 'spec.names')];
}

function isEstablished(crd: JsonObject): boolean {
  return objects(obj(crd.status).conditions).some((c) => c.type === 'Established' && c.status === 'True');
}

export function validateCrd(crd: JsonObject, old: JsonObject | undefined): FieldCause[] {
  const spec = obj(crd.spec);
  // the name is how the apiserver finds the resource: it must be <plural>.<group>
  const nameFn: NameFn = (name, prefix) => {
    const msgs = nameIsDNSSubdomain(name, prefix);
    return name === `${str(obj(spec.names).plural)}.${str(spec.group)}` ? msgs : [...msgs, 'must be spec.names.plural+"."+spec.group'];
  };
  if (!old) return [...validateObjectMeta(crd, false, nameFn), ...validateSpec(spec)];
  const oldSpec = obj(old.spec);
  const causes = [...validateObjectMetaUpdate(crd, old), ...validateSpec(spec)];
  const immutable: [string, JsonValue | undefined, JsonValue | undefined][] = [
    ['spec.group', spec.group, oldSpec.group],
    ['spec.names.plural', obj(spec.names).plural, obj(oldSpec.names).plural],
  ];
  if (isEstablished(old)) {
    immutable.push(['spec.scope', spec.scope, oldSpec.scope], ['spec.names.kind', obj(spec.names).kind, obj(oldSpec.names).kind]);
  }
  for (const [field, now, before] of immutable) if (now !== before) causes.push(invalid(field, now, IMMUTABLE));
  return causes;
}
