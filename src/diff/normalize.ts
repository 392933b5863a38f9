/**
 * What is compared when Sluice asks "is the live object what Git says": the object without
 * the fields the API server owns, with quantities and Secret `stringData` in the one form
 * the server stores them in. Pure; the result shares unchanged subtrees with the input, so
 * treat both as read-only.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';
import { canonicalQuantity } from './quantity.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** A copy of `obj` with `key` set to `value`, or `obj` itself when nothing changes. */
function withField(obj: JsonObject, key: string, value: JsonValue | undefined): JsonObject {
  if (obj[key] === value) return obj;
  const out: JsonObject = { ...obj };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

function normalizeMetadata(meta: JsonObject): JsonObject | undefined {
  let out: JsonObject | undefined;
  for (const key of SERVER_METADATA) {
    if (Object.hasOwn(meta, key)) {
      out ??= { ...meta };
      delete out[key];
    }
  }
  let result = out ?? meta;
  const annotations = result.annotations;
  if (isJsonObject(annotations) && Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) {
    const { [LAST_APPLIED_ANNOTATION]: _, ...rest } = annotations;
    result = withField(result, 'annotations', rest);
  }
  for (const key of ['annotations', 'labels']) {
    const map = result[key];
    if (map === null || (isJsonObject(map) && Object.keys(map).length === 0)) result = withField(result, key, undefined);
  }
  return Object.keys(result).length === 0 ? undefined : result;
}

/** Every value of a map of quantities (requests, limits, hard, capacity) canonical. */
function quantityMap(value: JsonValue | undefined): JsonValue | undefined {
  if (!isJsonObject(value)) return value;
  let out: JsonObject | undefined;
  for (const [k, v] of Object.entries(value)) {
    const text = typeof v === 'number' ? String(v) : v;
    if (typeof text !== 'string') continue;
    const canon = canonicalQuantity(text);
    if (canon !== v) {
      out ??= { ...value };
      out[k] = canon;
    }
  }
  return out ?? value;
}

/** `fields` of `obj` (each a map of quantities) canonical. */
function quantityFields(obj: JsonValue | undefined, fields: readonly string[]): JsonValue | undefined {
  if (!isJsonObject(obj)) return obj;
  let out = obj;
  for (const f of fields) if (Object.hasOwn(out, f)) out = withField(out, f, quantityMap(out[f]));
  return out;
}

function mapList(list: JsonValue | undefined, fn: (item: JsonObject) => JsonObject): JsonValue | undefined {
  if (!Array.isArray(list)) return list;
  let changed = false;
  const out = list.map((item) => {
    if (!isJsonObject(item)) return item;
    const next = fn(item);
    if (next !== item) changed = true;
    return next;
  });
  return changed ? out : list;
}

const RESOURCE_FIELDS = ['requests', 'limits'] as const;
const containerResources = (c: JsonObject): JsonObject =>
  withField(c, 'resources', quantityFields(c.resources, RESOURCE_FIELDS));

function normalizePodSpec(spec: JsonValue | undefined): JsonValue | undefined {
  if (!isJsonObject(spec)) return spec;
  let out = spec;
  for (const f of ['containers', 'initContainers', 'ephemeralContainers']) {
    if (Object.hasOwn(out, f)) out = withField(out, f, mapList(out[f], containerResources));
  }
  if (Object.hasOwn(out, 'overhead')) out = withField(out, 'overhead', quantityMap(out.overhead));
  if (Object.hasOwn(out, 'resources')) out = withField(out, 'resources', quantityFields(out.resources, RESOURCE_FIELDS));
  if (Object.hasOwn(out, 'volumes')) {
    out = withField(
      out,
      'volumes',
      mapList(out.volumes, (v) =>
        isJsonObject(v.emptyDir) && typeof v.emptyDir.sizeLimit === 'string'
          ? withField(v, 'emptyDir', withField(v.emptyDir, 'sizeLimit', canonicalQuantity(v.emptyDir.sizeLimit)))
          : v,
      ),
    );
  }
  return out;
}

function normalizeTemplate(template: JsonValue | undefined): JsonValue | undefined {
  return isJsonObject(template) ? withField(template, 'spec', normalizePodSpec(template.spec)) : template;
}

const pvcSpec = (spec: JsonValue | undefined): JsonValue | undefined =>
  isJsonObject(spec) ? withField(spec, 'resources', quantityFields(spec.resources, RESOURCE_FIELDS)) : spec;

/** Per kind: where quantities live under `spec`. */
function normalizeSpec(kind: string, spec: JsonObject): JsonObject {
  switch (kind) {
    case 'Pod':
      return normalizePodSpec(spec) as JsonObject;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'Job':
    case 'ReplicationController':
    case 'PodTemplate':
      return withField(spec, 'template', normalizeTemplate(spec.template));
    case 'StatefulSet': {
      const out = withField(spec, 'template', normalizeTemplate(spec.template));
      return withField(
        out,
        'volumeClaimTemplates',
        mapList(out.volumeClaimTemplates, (t) => withField(t, 'spec', pvcSpec(t.spec))),
      );
    }
    case 'CronJob': {
      const jobTemplate = spec.jobTemplate;
      if (!isJsonObject(jobTemplate) || !isJsonObject(jobTemplate.spec)) return spec;
      const jobSpec = withField(jobTemplate.spec, 'template', normalizeTemplate(jobTemplate.spec.template));
      return withField(spec, 'jobTemplate', withField(jobTemplate, 'spec', jobSpec));
    }
    case 'PersistentVolumeClaim':
      return pvcSpec(spec) as JsonObject;
    case 'PersistentVolume':
      return withField(spec, 'capacity', quantityMap(spec.capacity));
    case 'ResourceQuota':
      return withField(spec, 'hard', quantityMap(spec.hard));
    case 'LimitRange':
      return withField(
        spec,
        'limits',
        mapList(spec.limits, (l) => quantityFields(l, ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) as JsonObject),
      );
    default:
      return spec;
  }
}

const BASE64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The server folds `stringData` into `data` (stringData wins) and never stores stringData. */
function foldStringData(secret: JsonObject): JsonObject {
  const stringData = secret.stringData;
  if (stringData === undefined) return secret;
  const out: JsonObject = { ...secret };
  delete out.stringData;
  if (!isJsonObject(stringData)) return out;
  const data: JsonObject = isJsonObject(secret.data) ? { ...secret.data } : {};
  for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = BASE64(v);
  if (Object.keys(data).length > 0) out.data = data;
  return out;
}

/**
 * The object as compared: no status, no server-owned metadata, no last-applied
 * annotation (and no annotations/labels map left empty by that), quantities canonical,
 * Secret stringData folded into data. Never mutates `obj`.
 */
export function normalizeObject(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const core = typeof obj.apiVersion === 'string' && !obj.apiVersion.includes('/');
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'status') continue;
    if (key === 'metadata' && isJsonObject(value)) {
      const meta = normalizeMetadata(value);
      if (meta !== undefined) out.metadata = meta;
    } else if (key === 'spec' && isJsonObject(value)) {
      out.spec = normalizeSpec(kind, value);
    } else {
      out[key] = value;
    }
  }
  return core && kind === 'Secret' ? foldStringData(out) : out;
}
