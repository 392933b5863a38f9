/**
 * `transformers:` entries that configure kustomize's builtin transformers (kind
 * LabelTransformer, AnnotationsTransformer, NamespaceTransformer, PrefixTransformer, SuffixTransformer,
 * ImageTagTransformer, ReplicaCountTransformer, PatchTransformer; apiVersion `builtin` or any
 * other, as kustomize finds builtins by kind). Each runs only at the fieldSpecs it lists, as
 * kustomize's plugins do. Any other kind is an exec or container plugin, which Sluice never
 * runs: UNSUPPORTED_KUSTOMIZE_FIELD.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { setImagesAt, setPairsAt, setReplicasAt, setScalarAt } from './kustomize-configured.ts';
import { FieldSpecError, parseFieldSpecs, selects, type GvkFieldSpec } from './kustomize-fieldspec.ts';
import { imageRule, replicaRule, stringMap } from './kustomize-input.ts';
import { applyPatch } from './kustomize-patches.ts';
import { metadataOf, nameOf, neverAffixed, setNamespace, type Tracked } from './kustomize-transforms.ts';

export const BUILTIN_TRANSFORMER_KINDS = [
  'LabelTransformer', 'AnnotationsTransformer', 'NamespaceTransformer', 'PrefixTransformer', 'SuffixTransformer', 'ImageTagTransformer',
  'ReplicaCountTransformer', 'PatchTransformer',
] as const;

export class PluginError extends Error {
  constructor(message: string, readonly unsupported = false) {
    super(message);
  }
}

export interface PluginContext {
  /** The transformer file (for error messages of the field readers). */
  readonly file: string;
  /** Reads a patch file named by a PatchTransformer's `path`, relative to the kustomization. */
  readonly readPatch: (ref: string) => string;
}

/** Runs one builtin transformer configuration over `items`. Mutates `items` and their objects. */
export function runBuiltinTransformer(items: Tracked[], config: JsonObject, ctx: PluginContext): void {
  const kind = config['kind'];
  const specs = (): GvkFieldSpec[] => {
    try {
      return parseFieldSpecs(config['fieldSpecs'], 'fieldSpecs');
    } catch (err) {
      if (err instanceof FieldSpecError) throw new PluginError(`${String(kind)}: ${err.message}`);
      throw err;
    }
  };
  switch (kind) {
    case 'LabelTransformer':
      setPairsAt(items, specs(), stringMap(config['labels'], ctx.file, 'labels') ?? {});
      return;
    case 'AnnotationsTransformer':
      setPairsAt(items, specs(), stringMap(config['annotations'], ctx.file, 'annotations') ?? {});
      return;
    case 'NamespaceTransformer':
      return namespaceTransformer(items, config, specs());
    case 'PrefixTransformer':
      return affix(items, { prefix: text(config, 'prefix'), suffix: '' }, specs());
    case 'SuffixTransformer':
      return affix(items, { prefix: '', suffix: text(config, 'suffix') }, specs());
    case 'ImageTagTransformer': {
      const tag = config['imageTag'];
      if (!isJsonObject(tag)) throw new PluginError('ImageTagTransformer needs imageTag');
      setImagesAt(items, specs(), [imageRule(tag, ctx.file, 0)]);
      return;
    }
    case 'ReplicaCountTransformer': {
      const replica = config['replica'];
      if (!isJsonObject(replica)) throw new PluginError('ReplicaCountTransformer needs replica');
      setReplicasAt(items, specs(), [replicaRule(replica, ctx.file, 0)]);
      return;
    }
    case 'PatchTransformer':
      return patchTransformer(items, config, ctx);
    default:
      throw new PluginError(`transformer kind ${JSON.stringify(kind)} is not a kustomize builtin; Sluice runs no exec or container plugins`, true);
  }
}

function text(config: JsonObject, key: string): string {
  const value = config[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new PluginError(`${String(config['kind'])}: ${key} must be a string`);
  return value;
}

const isPath = (spec: GvkFieldSpec, path: string) => spec.path.join('/') === path;

/** The namespace comes from the config's own metadata.namespace; metadata/namespace specs mean every namespaced object's. */
function namespaceTransformer(items: readonly Tracked[], config: JsonObject, specs: readonly GvkFieldSpec[]): void {
  const metadata = config['metadata'];
  const namespace = isJsonObject(metadata) && typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  if (config['unsetOnly'] === true || (config['setRoleBindingSubjects'] !== undefined && config['setRoleBindingSubjects'] !== 'defaultOnly')) {
    throw new PluginError('NamespaceTransformer: unsetOnly and setRoleBindingSubjects other than defaultOnly are not supported natively', true);
  }
  if (namespace === '') return;
  setNamespace(items, namespace);
  setScalarAt(items, specs.filter((s) => !isPath(s, 'metadata/namespace') && !(isPath(s, 'metadata/name') && s.kind === 'Namespace')), namespace);
}

/** Only the name itself (metadata/name) is supported, which is what the namePrefix/nameSuffix fields use. */
function affix(items: readonly Tracked[], { prefix, suffix }: { prefix: string; suffix: string }, specs: readonly GvkFieldSpec[]): void {
  for (const spec of specs) {
    if (!isPath(spec, 'metadata/name')) throw new PluginError(`a prefix or suffix at ${spec.path.join('/')} is not supported natively`, true);
  }
  for (const { object } of items) {
    if (neverAffixed(object) || !specs.some((s) => selects(s, object))) continue;
    metadataOf(object)['name'] = `${prefix}${nameOf(object)}${suffix}`;
  }
}

function patchTransformer(items: Tracked[], config: JsonObject, ctx: PluginContext): void {
  const inline = config['patch'];
  const ref = config['path'];
  let patchText: string;
  if (typeof inline === 'string' && inline.trim() !== '') patchText = inline;
  else if (typeof ref === 'string' && ref !== '') patchText = ctx.readPatch(ref);
  else throw new PluginError('PatchTransformer needs patch or path');
  const target: JsonValue | undefined = config['target'];
  if (target !== undefined && target !== null && !isJsonObject(target)) throw new PluginError('PatchTransformer: target must be a mapping');
  const problem = applyPatch(items, { text: patchText, ...(isJsonObject(target) ? { target } : {}) });
  if (problem !== undefined) throw new PluginError(`PatchTransformer: ${problem}`, problem.startsWith('unsupported'));
}
