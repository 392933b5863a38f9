/**
 * The builtin transformers of one kustomization level, each a function over the level's
 * objects (already deep-copied, so they mutate in place): namespace, name prefix/suffix,
 * labels, annotations, replicas, images, and the name references kustomize keeps in step
 * with renamed ConfigMaps, Secrets and ServiceAccounts.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import {
  ANNOTATION_SPECS, CLUSTER_SCOPED_KINDS, METADATA_LABELS, POD_SPEC_PATHS, REPLICA_KINDS,
  SELECTOR_LABEL_SPECS, TEMPLATE_LABEL_SPECS, getPath, reachMappings, type FieldSpec,
} from './kustomize-fields.ts';

/** An object of the level with the identity it had when the level began (for references). */
export interface Tracked {
  object: JsonObject;
  readonly originalName: string;
  readonly originalNamespace: string;
}

export function kindOf(object: JsonObject): string {
  return typeof object['kind'] === 'string' ? object['kind'] : '';
}

export function metadataOf(object: JsonObject): JsonObject {
  const existing = object['metadata'];
  if (isJsonObject(existing)) return existing;
  const created: JsonObject = {};
  object['metadata'] = created;
  return created;
}

export function nameOf(object: JsonObject): string {
  const name = metadataOf(object)['name'];
  return typeof name === 'string' ? name : '';
}

export function namespaceOf(object: JsonObject): string {
  const ns = metadataOf(object)['namespace'];
  return typeof ns === 'string' ? ns : '';
}

export function setNamespace(items: readonly Tracked[], namespace: string): void {
  for (const { object } of items) {
    const kind = kindOf(object);
    if (kind === 'Namespace') metadataOf(object)['name'] = namespace;
    else if (!CLUSTER_SCOPED_KINDS.has(kind)) metadataOf(object)['namespace'] = namespace;
    if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      for (const subject of subjectsOf(object)) {
        if (subject['name'] === 'default') subject['namespace'] = namespace;
      }
    }
  }
}

/** Whether kustomize's prefix and suffix transformers leave the object's name alone (their prefixFieldSpecsToSkip). */
export function neverAffixed(object: JsonObject): boolean {
  const kind = kindOf(object);
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  return kind === 'Namespace' || kind === 'CustomResourceDefinition' || (kind === 'APIService' && apiVersion.startsWith('apiregistration.k8s.io/'));
}

export function addNameAffixes(items: readonly Tracked[], prefix: string, suffix: string): void {
  for (const { object } of items) {
    if (!neverAffixed(object)) metadataOf(object)['name'] = `${prefix}${nameOf(object)}${suffix}`;
  }
}

export interface LabelOptions {
  readonly selectors: boolean;
  readonly templates: boolean;
}

export function addLabels(items: readonly Tracked[], labels: Readonly<Record<string, string>>, options: LabelOptions): void {
  const specs: FieldSpec[] = [METADATA_LABELS];
  if (options.selectors) specs.push(...SELECTOR_LABEL_SPECS);
  if (options.selectors || options.templates) specs.push(...TEMPLATE_LABEL_SPECS);
  setAll(items, specs, labels);
}

export function addAnnotations(items: readonly Tracked[], annotations: Readonly<Record<string, string>>): void {
  setAll(items, ANNOTATION_SPECS, annotations);
}

function setAll(items: readonly Tracked[], specs: readonly FieldSpec[], pairs: Readonly<Record<string, string>>): void {
  for (const { object } of items) {
    for (const spec of specs) {
      for (const mapping of reachMappings(object, spec)) Object.assign(mapping, pairs);
    }
  }
}

export interface ReplicaRule {
  readonly name: string;
  readonly count: number;
}

export function setReplicas(items: readonly Tracked[], rules: readonly ReplicaRule[]): void {
  for (const item of items) {
    if (!REPLICA_KINDS.has(kindOf(item.object))) continue;
    for (const rule of rules) {
      if (rule.name !== nameOf(item.object) && rule.name !== item.originalName) continue;
      const spec = item.object['spec'];
      if (isJsonObject(spec)) spec['replicas'] = rule.count;
      else item.object['spec'] = { replicas: rule.count };
    }
  }
}

export interface ImageRule {
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
  readonly tagSuffix?: string;
}

/** name[:tag][@digest], where a ':' after the last '/' starts the tag. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const name = tag === undefined ? rest : rest.slice(0, colon);
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function rewriteImage(image: string, rules: readonly ImageRule[]): string {
  const parts = splitImage(image);
  const rule = rules.find((r) => r.name === parts.name);
  if (rule === undefined) return image;
  // kustomize's imagetag updater: empty values count as unset; newTag and digest replace both parts, tagSuffix extends the tag
  const name = rule.newName || parts.name;
  let tag = parts.tag ?? '';
  let digest = parts.digest ?? '';
  if (rule.newTag) [tag, digest] = [rule.newTag, rule.digest ?? ''];
  else if (rule.digest) [tag, digest] = ['', rule.digest];
  else if (rule.tagSuffix) [tag, digest] = [tag + rule.tagSuffix, ''];
  return `${name}${tag !== '' ? `:${tag}` : ''}${digest !== '' ? `@${digest}` : ''}`;
}

/** kustomize's builtin images fieldSpecs (builtinpluginconsts/images.go), for any kind. */
const IMAGE_FIELD_SPEC_LISTS: ReadonlySet<string> = new Set(['spec/containers', 'spec/initContainers', 'spec/template/spec/containers', 'spec/template/spec/initContainers']);

/**
 * Every `containers` / `initContainers` list anywhere in the object, as kustomize's image
 * transformer finds them. kustomize then also runs its fieldSpecs over the same images, so a
 * list at one of those paths is rewritten twice: harmless for newName/newTag/digest, but a
 * `tagSuffix` lands twice there (`app:1-debug-debug`), as `kubectl kustomize` v5.5 prints.
 */
export function setImages(items: readonly Tracked[], rules: readonly ImageRule[]): void {
  const visit = (value: JsonValue, path: string): void => {
    if (Array.isArray(value)) value.forEach((v) => visit(v, path));
    if (!isJsonObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}/${key}`;
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(child)) {
        const passes = IMAGE_FIELD_SPEC_LISTS.has(childPath) ? 2 : 1;
        for (const container of child) {
          if (!isJsonObject(container)) continue;
          for (let pass = 0; pass < passes; pass++) {
            const image = container['image'];
            if (typeof image === 'string') container['image'] = rewriteImage(image, rules);
          }
        }
      }
      visit(child, childPath);
    }
  };
  for (const { object } of items) visit(object, '');
}

function subjectsOf(object: JsonObject): JsonObject[] {
  const subjects = object['subjects'];
  return Array.isArray(subjects) ? subjects.filter(isJsonObject) : [];
}

const idKey = (kind: string, name: string, namespace: string): string => `${kind}/${namespace}/${name}`;

interface Rename {
  readonly kind: string;
  readonly fromName: string;
  readonly fromNamespace: string;
  readonly toName: string;
  readonly toNamespace: string;
}

/**
 * After the level's transformers: references to ConfigMaps and Secrets in pod specs, and
 * RoleBinding subjects naming ServiceAccounts, follow the objects they name.
 */
export function fixNameReferences(items: readonly (Tracked & { readonly previousIds?: readonly { name: string; namespace: string }[] })[], options: { namespaceSet?: boolean } = {}): void {
  const renames: Rename[] = [];
  // Subjects follow renamed accounts, and after a namespace transformer every account in the
  // build, moved or not: kustomize then writes the account's namespace into its subjects.
  const accounts: Rename[] = [];
  const taken = new Set(items.flatMap((i) => [idKey(kindOf(i.object), i.originalName, i.originalNamespace), idKey(kindOf(i.object), nameOf(i.object), namespaceOf(i.object))]));
  const earlier: Rename[] = [];
  for (const item of items) {
    const kind = kindOf(item.object);
    if (!REFERENCED_KINDS.has(kind)) continue;
    const toName = nameOf(item.object);
    const toNamespace = namespaceOf(item.object);
    const rename = { kind, fromName: item.originalName, fromNamespace: item.originalNamespace, toName, toNamespace };
    const changed = toName !== item.originalName || toNamespace !== item.originalNamespace;
    if (kind === 'ServiceAccount' && (changed || options.namespaceSet === true)) accounts.push(rename);
    if (changed) renames.push(rename);
    // kustomize fixes references once, at the end, by any name the object has had, between
    // objects in the same namespace now: a reference an overlay adds (e.g. in a patch) may name it
    // as a base wrote it. Compared here in the namespace both had at this level's start; no
    // object may hold that name then or now.
    for (const id of item.previousIds ?? []) {
      if (!taken.has(idKey(kind, id.name, item.originalNamespace))) earlier.push({ kind, fromName: id.name, fromNamespace: item.originalNamespace, toName, toNamespace });
    }
  }
  renames.push(...earlier);
  if (renames.length === 0 && accounts.length === 0) return;
  for (const item of items) {
    const kind = kindOf(item.object);
    const podPath = POD_SPEC_PATHS[kind];
    if (podPath !== undefined) {
      const podSpec = getPath(item.object, podPath);
      if (podSpec !== undefined) fixPodSpec(podSpec, renames, item.originalNamespace);
    }
    if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
      fixSubjects(item.object, accounts, item.originalNamespace, namespaceOf(item.object));
      fixRoleRef(item.object, renames, item.originalNamespace, namespaceOf(item.object));
    }
  }
}

/** Kinds whose renames references follow here. */
const REFERENCED_KINDS: ReadonlySet<string> = new Set(['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'ClusterRole']);

/**
 * A binding's roleRef follows its ClusterRole, or its Role in the binding's namespace: the one
 * it was read with, or the one both have now (kustomize compares current namespaces, so a
 * binding written without one finds its Role once the namespace transformer moved both).
 */
function fixRoleRef(object: JsonObject, renames: readonly Rename[], bindingNamespace: string, bindingNamespaceNow: string): void {
  const roleRef = child(object, 'roleRef');
  const kind = roleRef?.['kind'];
  if (roleRef === undefined || (kind !== 'Role' && kind !== 'ClusterRole')) return;
  const role = (r: Rename) => r.kind === 'Role' && r.fromName === roleRef['name'];
  const hit = kind === 'Role'
    ? find(renames, 'Role', roleRef['name'], bindingNamespace) ?? renames.find((r) => role(r) && sameNamespace(r.toNamespace, bindingNamespaceNow))
    : renames.find((r) => r.kind === 'ClusterRole' && r.fromName === roleRef['name']);
  if (hit !== undefined) roleRef['name'] = hit.toName;
}

function find(renames: readonly Rename[], kind: string, name: JsonValue | undefined, namespace: string): Rename | undefined {
  return renames.find((r) => r.kind === kind && r.fromName === name && sameNamespace(r.fromNamespace, namespace));
}

function renameAt(holder: JsonObject | undefined, key: string, kind: string, renames: readonly Rename[], namespace: string): void {
  if (holder === undefined) return;
  const hit = find(renames, kind, holder[key], namespace);
  if (hit !== undefined) holder[key] = hit.toName;
}

function child(value: JsonObject, key: string): JsonObject | undefined {
  const found = value[key];
  return isJsonObject(found) ? found : undefined;
}

function objectsIn(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function fixPodSpec(podSpec: JsonObject, renames: readonly Rename[], ns: string): void {
  for (const volume of objectsIn(podSpec['volumes'])) {
    renameAt(child(volume, 'configMap'), 'name', 'ConfigMap', renames, ns);
    renameAt(child(volume, 'secret'), 'secretName', 'Secret', renames, ns);
    for (const source of objectsIn(child(volume, 'projected')?.['sources'])) {
      renameAt(child(source, 'configMap'), 'name', 'ConfigMap', renames, ns);
      renameAt(child(source, 'secret'), 'name', 'Secret', renames, ns);
    }
  }
  for (const pull of objectsIn(podSpec['imagePullSecrets'])) renameAt(pull, 'name', 'Secret', renames, ns);
  // kustomize's name references accept a ServiceAccount from any namespace (its nameref filter's sameCurrentNamespaceAsReferrer)
  for (const key of ['serviceAccountName', 'serviceAccount']) {
    const hit = renames.find((r) => r.kind === 'ServiceAccount' && r.fromName === podSpec[key]);
    if (hit !== undefined) podSpec[key] = hit.toName;
  }
  const containers = [...objectsIn(podSpec['containers']), ...objectsIn(podSpec['initContainers']), ...objectsIn(podSpec['ephemeralContainers'])];
  for (const container of containers) {
    for (const source of objectsIn(container['envFrom'])) {
      renameAt(child(source, 'configMapRef'), 'name', 'ConfigMap', renames, ns);
      renameAt(child(source, 'secretRef'), 'name', 'Secret', renames, ns);
    }
    for (const env of objectsIn(container['env'])) {
      const from = child(env, 'valueFrom');
      if (from === undefined) continue;
      renameAt(child(from, 'configMapKeyRef'), 'name', 'ConfigMap', renames, ns);
      renameAt(child(from, 'secretKeyRef'), 'name', 'Secret', renames, ns);
    }
  }
}

/**
 * A ServiceAccount subject takes its account's (new) name and namespace. Without a namespace
 * of its own it names an account in the binding's namespace, before or after this level's
 * namespace transformer (kustomize matches either, and then writes the namespace in).
 */
function fixSubjects(object: JsonObject, accounts: readonly Rename[], bindingNamespace: string, bindingNamespaceNow: string): void {
  for (const subject of subjectsOf(object)) {
    if (subject['kind'] !== 'ServiceAccount') continue;
    const written = typeof subject['namespace'] === 'string' ? subject['namespace'] : '';
    const ns = written === '' ? bindingNamespace : written;
    const named = (r: Rename) => r.kind === 'ServiceAccount' && r.fromName === subject['name'];
    // a ClusterRoleBinding has no namespace of its own: an unqualified subject matches the account in any (kustomize's nameref for cluster-scoped referrers)
    const clusterScoped = object['kind'] === 'ClusterRoleBinding' && written === '';
    const hit = accounts.find((r) => named(r) && sameNamespace(r.fromNamespace, ns))
      ?? (written === '' ? accounts.find((r) => named(r) && (clusterScoped || sameNamespace(r.toNamespace, bindingNamespaceNow))) : undefined);
    if (hit === undefined) continue;
    subject['name'] = hit.toName;
    if (hit.toNamespace !== '') subject['namespace'] = hit.toNamespace;
  }
}

/** '' (unset) and 'default' name the same namespace, as kustomize treats them for references. */
export function sameNamespace(a: string, b: string): boolean {
  const norm = (s: string): string => (s === '' ? 'default' : s);
  return norm(a) === norm(b);
}
