/**
 * The builtin transformers at the fieldSpecs a transformer configuration adds (or a
 * `transformers:` file names): the same values the transforms in kustomize-transforms.ts
 * write at kustomize's builtin fields, written at these too.
 */
import { isJsonObject, type JsonValue } from '../json.ts';
import { visitFieldSpec, type GvkFieldSpec } from './kustomize-fieldspec.ts';
import { nameOf, rewriteImage, type ImageRule, type ReplicaRule, type Tracked } from './kustomize-transforms.ts';

/** Labels or annotations: merged into the mapping at each spec (created when the spec says so). */
export function setPairsAt(items: readonly Tracked[], specs: readonly GvkFieldSpec[], pairs: Readonly<Record<string, string>>): void {
  for (const { object } of items) {
    for (const spec of specs) {
      visitFieldSpec(object, spec, (holder, key) => {
        const mapping = holder[key];
        if (isJsonObject(mapping)) Object.assign(mapping, pairs);
      }, () => ({}));
    }
  }
}

/** A scalar written at each spec: the namespace transformer's extra fields. */
export function setScalarAt(items: readonly Tracked[], specs: readonly GvkFieldSpec[], value: string): void {
  for (const { object } of items) {
    for (const spec of specs) visitFieldSpec(object, spec, (holder, key) => { holder[key] = value; }, () => value);
  }
}

/** Image strings at each spec (a single image field, or a list of them). */
export function setImagesAt(items: readonly Tracked[], specs: readonly GvkFieldSpec[], rules: readonly ImageRule[]): void {
  const rewrite = (v: JsonValue): JsonValue => (typeof v === 'string' ? rewriteImage(v, rules) : v);
  for (const { object } of items) {
    for (const spec of specs) {
      visitFieldSpec(object, spec, (holder, key) => {
        const value = holder[key];
        holder[key] = Array.isArray(value) ? value.map(rewrite) : rewrite(value ?? null);
      });
    }
  }
}

/** A replica count at each spec of the objects a rule names (by current or level-start name). */
export function setReplicasAt(items: readonly Tracked[], specs: readonly GvkFieldSpec[], rules: readonly ReplicaRule[]): void {
  for (const item of items) {
    for (const rule of rules) {
      if (rule.name !== nameOf(item.object) && rule.name !== item.originalName) continue;
      for (const spec of specs) visitFieldSpec(item.object, spec, (holder, key) => { holder[key] = rule.count; }, () => rule.count);
    }
  }
}
