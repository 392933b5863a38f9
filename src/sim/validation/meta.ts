import { jsonEqual, type JsonObject, type JsonValue } from '../../json.ts';
import { labelSelectorFromJson, SelectorError, type LabelRequirement } from '../selectors.ts';
import { byteLength, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isLabelValue, isPathSegmentName, isQualifiedName } from './content.ts';
import { child, forbidden, IMMUTABLE, index, invalid, nonNegative, obj, objects, required, str, tooLong, type FieldCause } from './field.ts';

/** ObjectMeta and label-selector validation shared by every kind (apimachinery/pkg/api/validation). */

/** A ValidateNameFunc: messages for a bad name; `prefix` when it is a generateName that gets a suffix. */
export type NameFn = (name: string, prefix: boolean) => string[];

/** generateName "web-" must pass as a prefix; apimachinery swaps its last two characters for "a". */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameFn = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameFn = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameFn = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const nameIsPathSegment: NameFn = (name, prefix) =>
  prefix ? isPathSegmentName(name).filter((m) => m.startsWith('may not contain')) : isPathSegmentName(name);

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: JsonValue | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(obj(labels))) {
    for (const msg of isQualifiedName(k)) causes.push(invalid(path, k, msg));
    const value = typeof v === 'string' ? v : String(v);
    for (const msg of isLabelValue(value)) causes.push(invalid(path, value, msg));
  }
  return causes;
}

export function validateAnnotations(annotations: JsonValue | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(obj(annotations))) {
    // keys are qualified names, except that case does not matter
    for (const msg of isQualifiedName(k.toLowerCase())) causes.push(invalid(path, k, msg));
    total += byteLength(k) + byteLength(typeof v === 'string' ? v : JSON.stringify(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

function validateFinalizers(finalizers: JsonValue | undefined, path: string): FieldCause[] {
  const names = Array.isArray(finalizers) ? finalizers.map(String) : [];
  const causes = names.flatMap((f) => isQualifiedName(f).map((msg) => invalid(path, f, msg)));
  if (names.includes('orphan') && names.includes('foregroundDeletion')) {
    causes.push(invalid(path, names, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return causes;
}

function validateOwnerReferences(refs: JsonValue | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  let controller = '';
  for (const ref of objects(refs)) {
    const apiVersion = str(ref.apiVersion);
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) causes.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!str(ref.kind)) causes.push(invalid(child(path, 'kind'), str(ref.kind), 'must not be empty'));
    if (!str(ref.name)) causes.push(invalid(child(path, 'name'), str(ref.name), 'must not be empty'));
    if (!str(ref.uid)) causes.push(invalid(child(path, 'uid'), str(ref.uid), 'must not be empty'));
    if (ref.controller === true) {
      const current = `${str(ref.kind)}/${str(ref.name)}`;
      if (controller) {
        causes.push(invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${current}`));
      } else {
        controller = current;
      }
    }
  }
  return causes;
}

function validateMetaCommon(meta: JsonObject, namespaced: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const namespace = str(meta.namespace);
  if (namespaced) {
    if (!namespace) causes.push(required('metadata.namespace'));
    else causes.push(...nameIsDNSLabel(namespace, false).map((msg) => invalid('metadata.namespace', namespace, msg)));
  } else if (namespace) {
    causes.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  causes.push(...nonNegative('metadata.generation', meta.generation));
  causes.push(...validateLabels(meta.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  causes.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  causes.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return causes;
}

/** ValidateObjectMeta on create. The server generates a name from generateName before validating; a bare generateName is checked as a prefix. */
export function validateObjectMeta(o: JsonObject, namespaced: boolean, nameFn: NameFn): FieldCause[] {
  const meta = obj(o.metadata);
  const name = str(meta.name);
  const generateName = str(meta.generateName);
  const causes: FieldCause[] = [];
  if (generateName) causes.push(...nameFn(generateName, true).map((msg) => invalid('metadata.generateName', generateName, msg)));
  if (name) causes.push(...nameFn(name, false).map((msg) => invalid('metadata.name', name, msg)));
  else if (!generateName) causes.push(required('metadata.name', 'name or generateName is required'));
  return [...causes, ...validateMetaCommon(meta, namespaced)];
}

/** ValidateObjectMetaUpdate: identity fields stay, generation never goes back, labels/annotations stay valid. */
export function validateObjectMetaUpdate(o: JsonObject, old: JsonObject): FieldCause[] {
  const meta = obj(o.metadata);
  const oldMeta = obj(old.metadata);
  const causes: FieldCause[] = [];
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp'] as const) {
    if (oldMeta[f] !== undefined && !jsonEqual(meta[f], oldMeta[f])) causes.push(invalid(`metadata.${f}`, meta[f], IMMUTABLE));
  }
  const [gen, oldGen] = [meta.generation, oldMeta.generation];
  if (typeof gen === 'number' && typeof oldGen === 'number' && gen < oldGen) causes.push(invalid('metadata.generation', gen, 'must not be decremented'));
  causes.push(...validateLabels(meta.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  causes.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  causes.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  return causes;
}

/** metav1 ValidateLabelSelector (strict: values of In/NotIn must be valid label values). */
export function validateLabelSelector(selector: JsonValue | undefined, path: string): FieldCause[] {
  if (selector === undefined || selector === null) return [];
  const sel = obj(selector);
  const causes = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  objects(sel.matchExpressions).forEach((expr, i) => {
    const at = index(child(path, 'matchExpressions'), i);
    const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
    const operator = str(expr.operator);
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) causes.push(required(child(at, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) causes.push(forbidden(child(at, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      causes.push(invalid(child(at, 'operator'), operator, 'not a valid selector operator'));
    }
    values.forEach((v, j) => causes.push(...isLabelValue(v).map((msg) => invalid(index(child(at, 'values'), j), v, msg))));
    causes.push(...isQualifiedName(str(expr.key)).map((msg) => invalid(child(at, 'key'), str(expr.key), msg)));
  });
  return causes;
}

/** LabelSelectorAsSelector: undefined when absent (matches nothing) or unparseable. */
export function selectorRequirements(selector: JsonValue | undefined): LabelRequirement[] | undefined {
  if (selector === undefined || selector === null) return undefined;
  try {
    return labelSelectorFromJson(selector);
  } catch (e) {
    if (e instanceof SelectorError) return undefined;
    throw e;
  }
}

export function isEmptySelector(selector: JsonValue | undefined): boolean {
  const sel = obj(selector);
  return Object.keys(obj(sel.matchLabels)).length + objects(sel.matchExpressions).length === 0;
}
