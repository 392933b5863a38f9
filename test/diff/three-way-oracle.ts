/**
 * Runs the three-way cases through the real `kubectl apply` against the embedded cluster,
 * and reads the goldens that records. Shared by gen-three-way-goldens.ts and the tests.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject, JsonValue } from '../../src/json.ts';
import { lastAppliedAnnotation, LAST_APPLIED_ANNOTATION } from '../../src/diff/three-way.ts';
import { startSimCluster } from '../../src/sim/index.ts';
import { findKubectl, Kubectl } from '../support/kubectl.ts';
import { newCrd } from '../support/sim.ts';
import { CR_GROUP, NAMESPACE, type SpuriousCase, type ThreeWayCase } from './three-way-cases.ts';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/three-way/', import.meta.url));

export interface ThreeWayGolden {
  readonly name: string;
  readonly original?: JsonObject;
  readonly modified: JsonObject;
  /** the live object as kubectl read it before the apply */
  readonly live: JsonObject;
  /** the live object after `kubectl apply -f modified` */
  readonly result: JsonObject;
}

export interface SpuriousGolden {
  readonly name: string;
  readonly manifest: JsonObject;
  /** the live object after `kubectl apply -f manifest` created it */
  readonly live: JsonObject;
}

export const hasKubectl = (): boolean => findKubectl() !== undefined;

function groupOf(apiVersion: string): [string, string] {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

function withAnnotation(obj: JsonObject, original: JsonObject): JsonObject {
  const copy = structuredClone(obj);
  const meta = (copy.metadata ??= {}) as JsonObject;
  const annotations = (meta.annotations ??= {}) as JsonObject;
  annotations[LAST_APPLIED_ANNOTATION] = lastAppliedAnnotation(original);
  return copy;
}

/** Starts a cluster (API only) with the Widget CRD, runs `fn`, stops it. */
async function withCluster<T>(fn: (kubectl: Kubectl, create: (obj: JsonObject) => void) => Promise<T>): Promise<T> {
  const binary = findKubectl();
  if (binary === undefined) throw new Error('kubectl is not on PATH');
  const cluster = await startSimCluster({ port: 0, controllers: false });
  const kubectl = await Kubectl.create(binary, cluster.kubeconfig);
  try {
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(newCrd({ plural: 'widgets', kind: 'Widget', group: CR_GROUP })));
    const create = (obj: JsonObject): void => {
      const [group, version] = groupOf(String(obj.apiVersion));
      const rt = cluster.api.registry.byKind(group, String(obj.kind), version);
      if (rt === undefined) throw new Error(`no resource for ${String(obj.apiVersion)} ${String(obj.kind)}`);
      cluster.api.create(rt, NAMESPACE, obj as JsonValue);
    };
    return await fn(kubectl, create);
  } finally {
    await kubectl.dispose();
    await cluster.stop();
  }
}

/** The live objects named by `objects`, in their order: one `kubectl get -f` for all of them. */
async function getAll(kubectl: Kubectl, objects: readonly JsonObject[]): Promise<JsonObject[]> {
  const out = JSON.parse(await kubectl.ok(['get', '-f', '-', '-o', 'json'], asList(objects))) as JsonObject;
  const items = out.kind === 'List' ? (out.items as JsonObject[]) : [out];
  if (items.length !== objects.length) throw new Error(`kubectl get returned ${items.length} objects for ${objects.length}`);
  return items;
}

const asList = (objects: readonly JsonObject[]): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });

/**
 * Every case's `current` created through the Node API (annotated with `original`), then one
 * `kubectl apply -f` of every `modified`: each case names its own object, so applying them
 * together is the same patch per object as applying them one by one, in three kubectl runs
 * instead of three per case.
 */
export function runThreeWayCases(cases: readonly ThreeWayCase[]): Promise<ThreeWayGolden[]> {
  return withCluster(async (kubectl, create) => {
    for (const c of cases) {
      const base = c.current ?? c.original;
      if (base === undefined) throw new Error(`${c.name}: neither current nor original`);
      create(c.original === undefined ? base : withAnnotation(base, c.original));
    }
    const modified = cases.map((c) => c.modified);
    const live = await getAll(kubectl, modified);
    await kubectl.ok(['apply', '-f', '-'], asList(modified));
    const results = await getAll(kubectl, modified);
    return cases.map((c, i) => ({
      name: c.name,
      ...(c.original === undefined ? {} : { original: c.original }),
      modified: c.modified,
      live: live[i]!,
      result: results[i]!,
    }));
  });
}

/** One `kubectl apply -f` of every manifest on an empty cluster, then the live objects read back. */
export function runSpuriousCases(cases: readonly SpuriousCase[]): Promise<SpuriousGolden[]> {
  return withCluster(async (kubectl) => {
    const manifests = cases.map((c) => c.manifest);
    await kubectl.ok(['apply', '-f', '-'], asList(manifests));
    const live = await getAll(kubectl, manifests);
    return cases.map((c, i) => ({ name: c.name, manifest: c.manifest, live: live[i]! }));
  });
}

const threeWayFile = (name: string): string => join(GOLDEN_DIR, `${name}.json`);
const spuriousFile = (name: string): string => join(GOLDEN_DIR, `spurious-${name}.json`);

export function writeGoldens(threeWay: readonly ThreeWayGolden[], spurious: readonly SpuriousGolden[]): void {
  mkdirSync(GOLDEN_DIR, { recursive: true });
  // goldens of cases that no longer exist go
  const keep = new Set([...threeWay.map((g) => `${g.name}.json`), ...spurious.map((g) => `spurious-${g.name}.json`)]);
  for (const file of readdirSync(GOLDEN_DIR)) if (file.endsWith('.json') && !keep.has(file)) rmSync(join(GOLDEN_DIR, file));
  for (const g of threeWay) writeFileSync(threeWayFile(g.name), `${JSON.stringify(g, null, 2)}\n`);
  for (const g of spurious) writeFileSync(spuriousFile(g.name), `${JSON.stringify(g, null, 2)}\n`);
}

export function loadThreeWayGoldens(cases: readonly ThreeWayCase[]): ThreeWayGolden[] {
  return cases.map((c) => JSON.parse(readFileSync(threeWayFile(c.name), 'utf8')) as ThreeWayGolden);
}

export function loadSpuriousGoldens(cases: readonly SpuriousCase[]): SpuriousGolden[] {
  return cases.map((c) => JSON.parse(readFileSync(spuriousFile(c.name), 'utf8')) as SpuriousGolden);
}
