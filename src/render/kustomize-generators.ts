/**
 * configMapGenerator / secretGenerator with generatorOptions (a generator's own options
 * OR-ed with the kustomization's for disableNameSuffixHash and immutable, as kustomize's
 * MergeGlobalOptionsIntoLocal does), behavior create/merge/replace, and the
 * content-hash name suffix. The hash is kustomize v5's (api/hasher): sha256 of Go's
 * json.Marshal of {kind, name, data[, binaryData | stringData][, type]} (immutable is not hashed); kustomize looks the
 * name up with the single key "metadata/name", which never exists, so name is always "".
 * The first 10 hex digits are kept with 0,1,3,a,e mapped to g,h,k,m,t.
 */
import { createHash } from 'node:crypto';
import { goJson } from '../diff/go-json.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.ts';

/** What a generator needs from the kustomization's directory. */
export interface GeneratorContext {
  readonly file: string;
  /** Reads a kustomization-relative file as bytes; throws (via the caller's fail) when missing or escaping. */
  readonly read: (ref: string) => Buffer;
  readonly fail: (message: string, unsupported?: boolean) => never;
}

export interface GeneratorOptions {
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly disableNameSuffixHash?: boolean;
  readonly immutable?: boolean;
}

/** What a generated object does to an existing object of the same id (kustomize's appendReplaceOrMerge). */
export type GeneratorBehavior = 'create' | 'merge' | 'replace';
const isBehavior = (value: JsonValue): value is GeneratorBehavior => value === 'create' || value === 'merge' || value === 'replace';

const GENERATOR_KEYS = new Set(['name', 'namespace', 'behavior', 'literals', 'files', 'envs', 'env', 'options', 'type']);
const OPTION_KEYS = new Set(['labels', 'annotations', 'disableNameSuffixHash', 'immutable']);
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface Generated {
  readonly object: JsonObject;
  readonly hash: boolean;
  readonly behavior: GeneratorBehavior;
}

export function parseGeneratorOptions(value: JsonValue | undefined, at: string, ctx: GeneratorContext): GeneratorOptions {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) return ctx.fail(`${at} must be a mapping`);
  for (const key of Object.keys(value)) if (!OPTION_KEYS.has(key)) ctx.fail(`kustomization field "${at}.${key}" is not supported`, true);
  const out: { -readonly [K in keyof GeneratorOptions]: GeneratorOptions[K] } = {};
  for (const key of ['labels', 'annotations'] as const) {
    const map = value[key];
    if (map === undefined || map === null) continue;
    if (!isJsonObject(map)) ctx.fail(`${at}.${key} must be a mapping`);
    out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)]));
  }
  for (const key of ['disableNameSuffixHash', 'immutable'] as const) {
    const flag = value[key];
    if (flag === undefined || flag === null) continue;
    if (typeof flag !== 'boolean') ctx.fail(`${at}.${key} must be true or false`);
    out[key] = flag;
  }
  return out;
}

export function generate(kind: 'ConfigMap' | 'Secret', entry: JsonObject, at: string, global: GeneratorOptions, ctx: GeneratorContext): Generated {
  for (const key of Object.keys(entry)) {
    if (!GENERATOR_KEYS.has(key) || (key === 'type' && kind === 'ConfigMap')) ctx.fail(`kustomization field "${at}.${key}" is not supported`, true);
  }
  // kustomize's NewGenerationBehavior: any other string (e.g. "add") is unspecified, which acts as create.
  const written = entry['behavior'] ?? 'create';
  if (typeof written !== 'string') return ctx.fail(`${at}.behavior must be a string (create, merge or replace)`);
  const behavior: GeneratorBehavior = isBehavior(written) ? written : 'create';
  const name = entry['name'];
  if (typeof name !== 'string' || name === '') return ctx.fail(`${at} needs a name`);
  const own = parseGeneratorOptions(entry['options'], `${at}.options`, ctx);
  // Secret data is base64: literal and env values are encoded here, file bytes below.
  const encode = ([key, value]: [string, string]): Pair => [key, kind === 'Secret' ? base64Lines(Buffer.from(value, 'utf8')) : value, 'data'];
  const pairs: Pair[] = [];
  // the deprecated singular `env` is appended to `envs`, as kustomize's FixKustomization does
  const env = entry['env'];
  if (env !== undefined && typeof env !== 'string') return ctx.fail(`${at}.env must be a string`);
  const envs = [...strings(entry['envs'], `${at}.envs`, ctx), ...(env === undefined ? [] : [env])];
  for (const ref of envs) pairs.push(...envPairs(text(ctx.read(ref), ref, ctx), ref, ctx).map(encode));
  for (const literal of strings(entry['literals'], `${at}.literals`, ctx)) pairs.push(encode(literalPair(literal, at, ctx)));
  for (const ref of strings(entry['files'], `${at}.files`, ctx)) {
    const eq = ref.indexOf('=');
    const key = eq >= 0 ? ref.slice(0, eq) : (ref.split('/').pop() ?? ref);
    const path = eq >= 0 ? ref.slice(eq + 1) : ref;
    const bytes = ctx.read(path);
    if (kind === 'Secret') pairs.push([key, base64Lines(bytes), 'data']);
    else pairs.push(isUtf8(bytes) ? [key, bytes.toString('utf8'), 'data'] : [key, base64Lines(bytes), 'binaryData']);
  }
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [key, value, field] of pairs) {
    if (Object.hasOwn(data, key) || Object.hasOwn(binaryData, key)) ctx.fail(`${at}: key ${JSON.stringify(key)} is defined more than once`);
    (field === 'data' ? data : binaryData)[key] = value;
  }
  const metadata: JsonObject = { name };
  if (typeof entry['namespace'] === 'string') metadata['namespace'] = entry['namespace'];
  const labels = { ...global.labels, ...own.labels };
  const annotations = { ...global.annotations, ...own.annotations };
  if (Object.keys(labels).length > 0) metadata['labels'] = labels;
  if (Object.keys(annotations).length > 0) metadata['annotations'] = annotations;
  const object: JsonObject = { apiVersion: 'v1', kind, metadata };
  // kustomize writes a Secret's data map even when empty; an empty ConfigMap has none.
  if (Object.keys(data).length > 0 || kind === 'Secret') object['data'] = data;
  if (Object.keys(binaryData).length > 0) object['binaryData'] = binaryData;
  if (kind === 'Secret') object['type'] = typeof entry['type'] === 'string' ? entry['type'] : 'Opaque';
  if (own.immutable === true || global.immutable === true) object['immutable'] = true;
  const disabled = own.disableNameSuffixHash === true || global.disableNameSuffixHash === true;
  return { object, hash: !disabled, behavior };
}

function strings(value: JsonValue | undefined, at: string, ctx: GeneratorContext): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) return ctx.fail(`${at} must be a list of strings`);
  return value;
}

/** A generated value and the field it goes in (a ConfigMap file that is not UTF-8 goes in binaryData, as in kustomize). */
type Pair = [key: string, value: string, field: 'data' | 'binaryData'];

function isUtf8(bytes: Buffer): boolean {
  try {
    UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function text(bytes: Buffer, ref: string, ctx: GeneratorContext): string {
  if (!isUtf8(bytes)) return ctx.fail(`${ref}: an env file that is not UTF-8 is not supported`, true);
  return bytes.toString('utf8');
}

/**
 * kyaml's encodeBase64: base64 cut into lines of 70 characters, each ended by a line break,
 * once the encoding reaches 70 characters (the text kustomize hashes and prints).
 */
export function base64Lines(bytes: Buffer): string {
  const encoded = bytes.toString('base64');
  if (encoded.length < 70) return encoded;
  let out = '';
  for (let i = 0; i < encoded.length; i += 70) out += `${encoded.slice(i, i + 70)}\n`;
  return out;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) return value.slice(1, -1);
  return value;
}

function literalPair(literal: string, at: string, ctx: GeneratorContext): [string, string] {
  const eq = literal.indexOf('=');
  if (eq <= 0) ctx.fail(`${at}: literal ${JSON.stringify(literal)} is not key=value`);
  return [literal.slice(0, eq), unquote(literal.slice(eq + 1))];
}

function envPairs(content: string, ref: string, ctx: GeneratorContext): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of content.split('\n')) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) ctx.fail(`${ref}: line ${JSON.stringify(line)} is not KEY=VALUE (values from the environment are not supported)`, true);
    out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

export function nameHash(object: JsonObject): string {
  const data = isJsonObject(object['data']) ? object['data'] : '';
  const encoded: JsonObject = object['kind'] === 'Secret'
    ? { kind: 'Secret', type: typeof object['type'] === 'string' ? object['type'] : '', name: '', data }
    : { kind: 'ConfigMap', name: '', data };
  const extra = object['kind'] === 'Secret' ? 'stringData' : 'binaryData';
  if (isJsonObject(object[extra])) encoded[extra] = object[extra];
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex');
  return hex.slice(0, 10).replace(/[013ae]/g, (c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c] ?? c);
}
