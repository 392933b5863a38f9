/**
 * Regenerates src/sim/openapi-data/types.json, the field types of every built-in kind the
 * embedded API server type-checks request bodies against (src/sim/decode-types.ts).
 *
 * Input: the OpenAPI v2 document the Kubernetes project publishes with each release,
 * kubernetes/kubernetes `api/openapi-spec/swagger.json` on the release branch (the one used
 * for 1.33 is release-1.33's, as kubernetes-client/python v33.1.0 vendors it unmodified in
 * `kubernetes/swagger.json.unprocessed`).
 *
 *   npx tsx scripts/openapi-types.ts path/to/swagger.json
 *
 * Only types are kept: no descriptions, required lists or validation keywords. A type is a
 * scalar code, `["[]", T]` (a list; `["[]", T, keys]` for x-kubernetes-list-type map, `["[]",
 * T, "set"]` for a set), `["map", T]` (an object with additionalProperties) or the key of a
 * struct in `types` ("apps.v1.DeploymentSpec"; Go names it v1.DeploymentSpec).
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Schema {
  readonly type?: string;
  readonly format?: string;
  readonly $ref?: string;
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly properties?: Record<string, Schema>;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-group-version-kind'?: readonly { group: string; version: string; kind: string }[];
}
type TypeRef = string | readonly [string, TypeRef] | readonly [string, TypeRef, readonly string[] | 'set'];

const OUTPUT = new URL('../src/sim/openapi-data/types.json', import.meta.url);
/** definitions with their own JSON decoding (UnmarshalJSON) or none at all */
const SPECIAL: Readonly<Record<string, string>> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'intstr',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'time',
};

const NOT_STORED = new Set(['DeleteOptions', 'WatchEvent', 'Status', 'APIGroup', 'APIVersions']);

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx scripts/openapi-types.ts swagger.json');
  const definitions = (JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, Schema> }).definitions;
  const types: Record<string, Record<string, TypeRef>> = {};
  const kinds: Record<string, string> = {};
  const keys = new Map<string, string>();

  const structKey = (name: string): string => {
    const parts = name.replace(/^io\.k8s\./, '').split('.');
    const key = parts.slice(-3).join('.');
    const owner = keys.get(key);
    if (owner !== undefined && owner !== name) throw new Error(`${name} and ${owner} both shorten to ${key}`);
    keys.set(key, name);
    return key;
  };

  const refOf = (schema: Schema): TypeRef => {
    if (schema.$ref) return definitionRef(schema.$ref.replace('#/definitions/', ''));
    switch (schema.type) {
      case 'string':
        return schema.format === 'byte' ? 'bytes' : schema.format === 'date-time' ? 'time' : schema.format === 'int-or-string' ? 'intstr' : 'string';
      case 'boolean':
        return 'bool';
      case 'integer':
        return schema.format === 'int32' ? 'int32' : 'int64';
      case 'number':
        return 'float64';
      case 'array': {
        // server-side apply names an item by its keys (map), its value (set) or its index (atomic)
        const item = schema.items ? refOf(schema.items) : 'any';
        const keys = schema['x-kubernetes-list-type'] === 'map' ? schema['x-kubernetes-list-map-keys'] : schema['x-kubernetes-list-type'] === 'set' ? 'set' : undefined;
        return keys ? ['[]', item, keys] : ['[]', item];
      }
      case 'object':
        return typeof schema.additionalProperties === 'object' ? ['map', refOf(schema.additionalProperties)] : 'any';
      default:
        return 'any';
    }
  };

  function definitionRef(name: string): TypeRef {
    const special = SPECIAL[name];
    if (special) return special;
    const def = definitions[name];
    if (!def) throw new Error(`missing definition ${name}`);
    if (!def.properties) return refOf({ ...def, $ref: undefined });
    const key = structKey(name);
    if (!types[key]) {
      types[key] = {};
      for (const [field, schema] of Object.entries(def.properties)) types[key][field] = refOf(schema);
    }
    return key;
  }

  for (const [name, def] of Object.entries(definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      // lists and request options are never stored objects
      if (gvk.kind.endsWith('List') || NOT_STORED.has(gvk.kind)) continue;
      const ref = definitionRef(name);
      if (typeof ref !== 'string' || !types[ref]) continue;
      kinds[`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`] = ref;
    }
  }
  const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  const out = {
    source: 'kubernetes/kubernetes release-1.33 api/openapi-spec/swagger.json, regenerated by scripts/openapi-types.ts',
    kinds: sorted(kinds),
    types: sorted(types),
  };
  writeFileSync(OUTPUT, `${JSON.stringify(out)}\n`);
  console.log(`${Object.keys(kinds).length} kinds, ${Object.keys(types).length} types -> ${OUTPUT.pathname}`);
}

main();
