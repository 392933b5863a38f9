/**
 * What a kustomization level hands up besides its objects, as kustomize's ResAccumulator
 * does: the transformer configuration (builtin specs, its bases' `configurations`, its own)
 * and the vars declared so far. The steps here read a level's `configurations`, `vars` and
 * `transformers` fields and run them at kustomize's points in the build; errors are thrown as
 * the KustomizeError of the level's file.
 */
import { parseAllDocuments } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { ConfigError, DEFAULT_CONFIG, mergeConfigs, parseTransformerConfig, type TransformerConfig } from './kustomize-config.ts';
import { setImagesAt, setPairsAt, setReplicasAt, setScalarAt } from './kustomize-configured.ts';
import { fail, stringList } from './kustomize-input.ts';
import type { Item } from './kustomize-merge.ts';
import { NameReferenceError, fixConfiguredReferences } from './kustomize-nameref.ts';
import { PluginError, runBuiltinTransformer } from './kustomize-plugins.ts';
import type { ImageRule, ReplicaRule } from './kustomize-transforms.ts';
import { VarError, bindVars, parseVars, resolveVars, type VarDecl } from './kustomize-vars.ts';
import { MAX_ALIAS_COUNT } from './types.ts';

export interface Extras {
  config: TransformerConfig;
  vars: VarDecl[];
}

export function newExtras(): Extras {
  return { config: DEFAULT_CONFIG, vars: [] };
}

/** A base's extras joining its parent's (kustomize's MergeAccumulator); a var declared twice is an error. */
export function absorbExtras(into: Extras, from: Extras, file: string): void {
  into.config = mergeConfigs(into.config, from.config);
  for (const v of from.vars) {
    if (into.vars.some((known) => known.name === v.name)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: var '${v.name}' already encountered`, 'vars');
    into.vars.push(v);
  }
}

/** Reads a file a kustomization names, relative to its directory, under the same load restrictions as resources. */
export type ReadRef = (ref: string, what: string) => string;

/** The level's `configurations` files merged into its extras (after its resources, before its generators). */
export function addConfigurations(extras: Extras, k: JsonObject, file: string, read: ReadRef): void {
  for (const [i, ref] of stringList(k, 'configurations', file).entries()) {
    const at = `configurations[${i}]`;
    for (const doc of yamlDocs(read(ref, 'configuration file'), file, at)) {
      try {
        extras.config = mergeConfigs(extras.config, parseTransformerConfig(doc, `${ref}`));
      } catch (err) {
        if (err instanceof ConfigError) fail(file, err.unsupported ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'INVALID_KUSTOMIZATION', `${file}: ${at}: ${err.message}`, at);
        throw err;
      }
    }
  }
}

function yamlDocs(text: string, file: string, at: string): JsonValue[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const bad = docs.find((d) => d.errors.length > 0);
  if (bad !== undefined) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${at}: not valid YAML: ${bad.errors[0]?.message ?? ''}`, at);
  return docs.map((d) => d.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as JsonValue).filter((d) => d !== null);
}

/** The configured extra fields of the level's builtin transformers, each after its builtin one. */
export const configured = {
  namespace: (items: readonly Item[], config: TransformerConfig, namespace: string) => setScalarAt(items, config.namespace, namespace),
  commonLabels: (items: readonly Item[], config: TransformerConfig, pairs: Readonly<Record<string, string>>) => setPairsAt(items, config.commonLabels, pairs),
  templateLabels: (items: readonly Item[], config: TransformerConfig, pairs: Readonly<Record<string, string>>) => setPairsAt(items, config.templateLabels, pairs),
  commonAnnotations: (items: readonly Item[], config: TransformerConfig, pairs: Readonly<Record<string, string>>) => setPairsAt(items, config.commonAnnotations, pairs),
  replicas: (items: readonly Item[], config: TransformerConfig, rules: readonly ReplicaRule[]) => setReplicasAt(items, config.replicas, rules),
  images: (items: readonly Item[], config: TransformerConfig, rules: readonly ImageRule[]) => setImagesAt(items, config.images, rules),
};

/**
 * The level's `transformers` entries, after its builtin transformers: each an inline YAML
 * configuration or a file of them (kustomize first tries the entry itself as YAML objects).
 */
export function runTransformers(items: Item[], k: JsonObject, file: string, read: ReadRef): void {
  for (const [i, entry] of stringList(k, 'transformers', file).entries()) {
    const at = `transformers[${i}]`;
    const inline = parseAllDocuments(entry);
    const isInline = inline.length > 0 && inline.every((d) => d.errors.length === 0 && isJsonObject(d.toJS()));
    const docs = isInline ? yamlDocs(entry, file, at) : yamlDocs(read(entry, 'transformer file'), file, at);
    for (const doc of docs) {
      if (!isJsonObject(doc)) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${at}: a transformer configuration must be a mapping`, at);
      try {
        runBuiltinTransformer(items, doc, { file, readPatch: (ref) => read(ref, 'patch file') });
      } catch (err) {
        if (err instanceof PluginError) fail(file, err.unsupported ? 'UNSUPPORTED_KUSTOMIZE_FIELD' : 'INVALID_KUSTOMIZATION', `${file}: ${at}: ${err.message}`, at);
        throw err;
      }
    }
  }
}

/** The level's `vars`, bound to its objects after its transformers (kustomize's MergeVars). */
export function declareVars(items: Item[], extras: Extras, k: JsonObject, file: string): void {
  try {
    const vars = parseVars(k['vars']);
    if (vars.length === 0) return;
    items.splice(0, items.length, ...bindVars(items, vars, new Set(extras.vars.map((v) => v.name))));
    extras.vars.push(...vars);
  } catch (err) {
    if (err instanceof VarError) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${err.message}`, 'vars');
    throw err;
  }
}

/** The last steps of a build, after hash suffixes: configured name references, then vars. */
export function finishBuild(items: readonly Item[], extras: Extras, file: string): void {
  try {
    fixConfiguredReferences(items, extras.config.nameReference);
    resolveVars(items, extras.vars, extras.config.varReference);
  } catch (err) {
    if (err instanceof VarError || err instanceof NameReferenceError) fail(file, 'INVALID_KUSTOMIZATION', `${file}: ${err.message}`);
    throw err;
  }
}
