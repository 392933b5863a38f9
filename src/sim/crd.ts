import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import type { PrinterColumn, ResourceType } from './resources.ts';

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function obj(v: JsonValue | undefined): JsonObject {
  return isJsonObject(v) ? v : {};
}

function printerColumns(v: JsonValue | undefined): PrinterColumn[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isJsonObject).map((c) => ({
    name: str(c.name) ?? '',
    type: str(c.type) ?? 'string',
    jsonPath: str(c.jsonPath) ?? '',
    ...(str(c.description) ? { description: str(c.description) } : {}),
    ...(typeof c.priority === 'number' ? { priority: c.priority } : {}),
    ...(str(c.format) ? { format: str(c.format) } : {}),
  }));
}

/** The resource types a (validated) CustomResourceDefinition serves: one per served version. */
export function resourceTypesOfCrd(crd: JsonObject): ResourceType[] {
  const spec = obj(crd.spec);
  const names = obj(spec.names);
  const group = str(spec.group) ?? '';
  const kind = str(names.kind) ?? '';
  const plural = str(names.plural) ?? '';
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  return versions
    .filter((v) => v.served !== false)
    .map((v) => {
      const sub = obj(v.subresources);
      const scale = isJsonObject(sub.scale) ? sub.scale : undefined;
      return {
        group,
        version: str(v.name) ?? '',
        kind,
        listKind: str(names.listKind) ?? `${kind}List`,
        plural,
        singular: str(names.singular) ?? kind.toLowerCase(),
        namespaced: spec.scope !== 'Cluster',
        shortNames: strings(names.shortNames),
        categories: strings(names.categories),
        subresources: {
          status: isJsonObject(sub.status),
          ...(scale
            ? {
                scale: {
                  specReplicasPath: str(scale.specReplicasPath) ?? '.spec.replicas',
                  statusReplicasPath: str(scale.statusReplicasPath) ?? '.status.replicas',
                  ...(str(scale.labelSelectorPath) ? { labelSelectorPath: str(scale.labelSelectorPath) } : {}),
                },
              }
            : {}),
        },
        hasGeneration: true,
        custom: true,
        printerColumns: printerColumns(v.additionalPrinterColumns),
      };
    });
}
