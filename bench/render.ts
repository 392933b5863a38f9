/**
 * `npm run bench -- render`: render throughput in objects/s, native against `kubectl kustomize`.
 *
 * 1. A plain directory of RENDER_BENCH_OBJECTS (5,000) Deployments, Services and ConfigMaps in
 *    nested directories and multi-document files, rendered by renderDirectory. A plain directory
 *    has no exact kubectl peer, so the peer row is `kubectl kustomize` on a kustomization.yaml
 *    that lists the same files as resources (also rendered natively by renderKustomization, so
 *    like is compared with like). Reported, not gated.
 * 2. A 3-level overlay: a base of RENDER_BENCH_BASE_APPS × 3 (1,200) objects; a middle overlay
 *    with namePrefix, commonLabels, a configMapGenerator, a strategic-merge and a JSON 6902 patch
 *    and images; a top overlay with namespace, replicas, labels and another patch. Gated: the
 *    native output must equal kubectl's (parsed, sorted) and native must be ≥ 10x faster.
 *
 * Native: in-process from the in-memory file map the git layer hands over (no disk, no process
 * start), RENDER_BENCH_WARMUP (3) warm-up runs then the median of RENDER_BENCH_REPEATS (9).
 * kubectl: the process wall clock (start, read from a page-cached temp dir, build, print), one
 * warm-up then the median of RENDER_BENCH_KUBECTL_RUNS (3; fewer is raised to 3).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import type { JsonObject, JsonValue } from '../src/json.ts';
import { canonicalJson } from '../src/render/canonical.ts';
import { renderDirectory } from '../src/render/directory.ts';
import { renderKustomization } from '../src/render/kustomize.ts';
import type { RenderResult } from '../src/render/types.ts';
import { findKubectl } from './lib/kubectl-peer.ts';
import { reportHelmCharts } from './render-helm.ts';
import { formatCount, formatMs, percentile, rate, renderTable } from './lib/stats.ts';

const OBJECTS = Number(process.env.RENDER_BENCH_OBJECTS ?? 5_000);
const BASE_APPS = Number(process.env.RENDER_BENCH_BASE_APPS ?? 400);
const WARMUP = Number(process.env.RENDER_BENCH_WARMUP ?? 3);
const REPEATS = Number(process.env.RENDER_BENCH_REPEATS ?? 9);
const KUBECTL_RUNS = Math.max(3, Number(process.env.RENDER_BENCH_KUBECTL_RUNS ?? 3));
const OVERLAY_PATH = 'overlays/prod';
/** Issue 14: the native kustomize at least this many times faster than `kubectl kustomize` on the same directory. */
const KUSTOMIZE_SPEEDUP_TARGET = 10;

type Tree = Map<string, Buffer>;

interface Timing {
  readonly label: string;
  readonly objects: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
}

// ---------------------------------------------------------------- workloads

const pad = (i: number) => String(i).padStart(4, '0');

function deploymentYaml(name: string, namespace: string | undefined): string {
  const ns = namespace === undefined ? '' : `\n  namespace: ${namespace}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}${ns}
  labels: {app: ${name}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.0
        ports: [{containerPort: 8080}]
        envFrom: [{configMapRef: {name: settings}}]
        env: [{name: APP_NAME, value: ${name}}]
      - name: proxy
        image: envoyproxy/envoy:v1.30
      volumes:
      - name: config
        configMap: {name: ${name}-config}
`;
}

function serviceYaml(name: string, namespace: string | undefined): string {
  const ns = namespace === undefined ? '' : `\n  namespace: ${namespace}`;
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}${ns}
spec:
  selector: {app: ${name}}
  ports:
  - {name: http, port: 80, targetPort: 8080}
`;
}

function configMapYaml(name: string, namespace: string | undefined): string {
  const ns = namespace === undefined ? '' : `\n  namespace: ${namespace}`;
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config${ns}
data:
  app.yaml: |
    name: ${name}
    port: 8080
  LOG_FORMAT: json
`;
}

const MAKERS = [deploymentYaml, serviceYaml, configMapYaml] as const;

/**
 * `objects` objects, three per app, under apps/group-G/team-T/: most apps as one three-document
 * file, every fourth as a directory of one file per object.
 */
function directoryTree(objects: number): Tree {
  const tree: Tree = new Map();
  for (let app = 0; app * 3 < objects; app++) {
    const name = `app-${pad(app)}`;
    const team = `team-${app % 25}`;
    const dir = `apps/group-${app % 5}/${team}`;
    const docs = MAKERS.slice(0, Math.min(3, objects - app * 3)).map((make) => make(name, team));
    if (app % 4 === 0) docs.forEach((doc, k) => tree.set(`${dir}/${name}/${['deployment', 'service', 'configmap'][k]}.yaml`, Buffer.from(doc)));
    else tree.set(`${dir}/${name}.yaml`, Buffer.from(docs.join('---\n')));
  }
  return tree;
}

/** The same files plus a root kustomization.yaml listing each as a resource: the directory's kubectl peer. */
function listingKustomization(tree: Tree): Tree {
  const resources = [...tree.keys()].sort().map((p) => `- ${p}`).join('\n');
  return new Map([...tree, ['kustomization.yaml', Buffer.from(`resources:\n${resources}\n`)]]);
}

/** base (apps × 3 objects in 40 files over two directories) ← overlays/common ← overlays/prod. */
function overlayTree(apps: number): Tree {
  const tree: Tree = new Map();
  const baseFiles: string[] = [];
  for (let file = 0; file * 10 < apps; file++) {
    const path = `${file % 2 === 0 ? 'web' : 'workers'}/apps-${pad(file)}.yaml`;
    const docs: string[] = [];
    for (let app = file * 10; app < Math.min(apps, file * 10 + 10); app++) docs.push(...MAKERS.map((make) => make(`app-${pad(app)}`, undefined)));
    tree.set(`base/${path}`, Buffer.from(docs.join('---\n')));
    baseFiles.push(path);
  }
  tree.set('base/kustomization.yaml', Buffer.from(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
${baseFiles.map((p) => `- ${p}`).join('\n')}
`));
  tree.set('overlays/common/kustomization.yaml', Buffer.from(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../base]
namePrefix: acme-
commonLabels: {org: acme, tier: backend}
configMapGenerator:
- name: settings
  literals: [LOG_LEVEL=info, FEATURE_X=on]
  files: [app.properties]
patches:
- path: deployment-defaults.yaml
  target: {kind: Deployment}
- target: {kind: Service}
  patch: |-
    - op: add
      path: /spec/ports/-
      value: {name: metrics, port: 9090, targetPort: 9090}
    - op: add
      path: /spec/type
      value: ClusterIP
images:
- {name: registry.example.com/app, newTag: "2.1"}
- {name: envoyproxy/envoy, newName: mirror.example.com/envoy, newTag: v1.31.2}
`));
  tree.set('overlays/common/app.properties', Buffer.from('timeout=30s\nretries=3\n'));
  tree.set('overlays/common/deployment-defaults.yaml', Buffer.from(`apiVersion: apps/v1
kind: Deployment
metadata: {name: any}
spec:
  template:
    spec:
      containers:
      - name: app
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
`));
  tree.set('overlays/prod/kustomization.yaml', Buffer.from(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../common]
namespace: prod
replicas:
- {name: acme-app-0000, count: 5}
- {name: acme-app-0001, count: 4}
labels:
- pairs: {env: prod}
  includeTemplates: true
patches:
- target: {kind: Deployment, name: "acme-app-00[0-4]."}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
      annotations: {sluice.dev/tier: critical}
    spec:
      template:
        spec:
          priorityClassName: high
`));
  return tree;
}

// ---------------------------------------------------------------- measurement

function objectsOf(result: RenderResult, what: string): JsonObject[] {
  if (!result.ok) {
    const first = result.errors.slice(0, 3).map((e) => `${e.file}: ${e.message}`).join('; ');
    throw new Error(`${what} failed with ${result.errors.length} error(s): ${first}`);
  }
  return result.objects.map((o) => o.object);
}

function timeNative(label: string, render: () => RenderResult): { timing: Timing; objects: JsonObject[] } {
  let objects = objectsOf(render(), label);
  for (let i = 1; i < WARMUP; i++) render();
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const result = render();
    samples.push(performance.now() - t0);
    objects = objectsOf(result, label);
  }
  return { timing: { label, objects: objects.length, medianMs: percentile(samples, 50), minMs: Math.min(...samples), runs: REPEATS }, objects };
}

function runKubectl(kubectl: string, args: readonly string[]): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(kubectl, args, { timeout: 120_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve({ ms: performance.now() - t0, stdout });
    });
  });
}

async function timeKubectl(label: string, kubectl: string, dir: string): Promise<{ timing: Timing; objects: JsonObject[] }> {
  const args = ['kustomize', dir];
  const first = await runKubectl(kubectl, args); // warm-up: page cache, binary
  const samples: number[] = [];
  for (let i = 0; i < KUBECTL_RUNS; i++) samples.push((await runKubectl(kubectl, args)).ms);
  const objects = parseStream(first.stdout);
  return { timing: { label, objects: objects.length, medianMs: percentile(samples, 50), minMs: Math.min(...samples), runs: KUBECTL_RUNS }, objects };
}

function parseStream(text: string): JsonObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as JsonValue).filter((d): d is JsonObject => d !== null && typeof d === 'object' && !Array.isArray(d));
}

async function writeTree(root: string, tree: Tree): Promise<void> {
  const dirs = new Set([...tree.keys()].map((p) => dirname(join(root, p))));
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  await Promise.all([...tree].map(([p, bytes]) => writeFile(join(root, p), bytes)));
}

/** Compares two renders as sets of objects: undefined when equal, else a description of the first difference. */
function compareObjects(native: readonly JsonObject[], peer: readonly JsonObject[]): string | undefined {
  if (native.length !== peer.length) return `object counts differ: native ${native.length}, kubectl ${peer.length}`;
  const a = native.map((o) => canonicalJson(o)).sort();
  const b = peer.map((o) => canonicalJson(o)).sort();
  const i = a.findIndex((s, k) => s !== b[k]);
  if (i < 0) return undefined;
  const differing = a.filter((s, k) => s !== b[k]).length;
  return `${differing} of ${a.length} objects differ (after sorting), e.g.\n    native:  ${a[i]!.slice(0, 400)}\n    kubectl: ${b[i]!.slice(0, 400)}`;
}

// ---------------------------------------------------------------- report

function table(rows: readonly Timing[]): string {
  return renderTable<Timing>([
    { header: 'renderer', align: 'left', cell: (r) => r.label },
    { header: 'objects', align: 'right', cell: (r) => formatCount(r.objects) },
    { header: 'runs', align: 'right', cell: (r) => String(r.runs) },
    { header: 'median ms', align: 'right', cell: (r) => formatMs(r.medianMs) },
    { header: 'min ms', align: 'right', cell: (r) => formatMs(r.minMs) },
    { header: 'obj/s (median)', align: 'right', cell: (r) => formatCount(rate(r.objects, r.medianMs)) },
  ], rows);
}

function versus(native: Timing, peer: Timing): string {
  const n = rate(native.objects, native.medianMs);
  const p = rate(peer.objects, peer.medianMs);
  const ratio = n / p;
  const how = ratio >= 1 ? `${ratio.toFixed(1)}x faster` : `${(1 / ratio).toFixed(1)}x slower`;
  return `native ${formatCount(n)} obj/s vs kubectl kustomize ${formatCount(p)} obj/s: ${how}`;
}

export async function run(): Promise<number> {
  const kubectl = findKubectl();
  const dirTree = directoryTree(OBJECTS);
  const listed = listingKustomization(dirTree);
  const overlay = overlayTree(BASE_APPS);
  console.log(`render: native in-process from an in-memory file map (${WARMUP} warm-up, median of ${REPEATS}); kubectl kustomize as a process, wall clock (1 warm-up, median of ${KUBECTL_RUNS})`);

  const dirNative = timeNative('renderDirectory (plain dir)', () => renderDirectory(dirTree, { path: '.' }));
  const listNative = timeNative('renderKustomization (file list)', () => renderKustomization(listed, { path: '.' }));
  const overlayNative = timeNative(`renderKustomization (${OVERLAY_PATH})`, () => renderKustomization(overlay, { path: OVERLAY_PATH }));
  await reportHelmCharts();

  if (kubectl === undefined) {
    console.log(`\n${table([dirNative.timing, listNative.timing, overlayNative.timing])}`);
    console.log('\nSKIP  kubectl not found on PATH: the peer comparison and the "native faster than kubectl kustomize" target were NOT checked');
    return 0;
  }

  const root = await mkdtemp(join(tmpdir(), 'sluice-bench-render-'));
  try {
    await writeTree(join(root, 'dir'), listed);
    await writeTree(join(root, 'overlay'), overlay);
    const listPeer = await timeKubectl('kubectl kustomize (file list)', kubectl, join(root, 'dir'));
    const overlayPeer = await timeKubectl(`kubectl kustomize (${OVERLAY_PATH})`, kubectl, join(root, 'overlay', OVERLAY_PATH));
    const fixed = await timeKubectl('kubectl kustomize (1 object)', kubectl, await oneObjectDir(root));

    console.log(`\n1. plain directory: ${formatCount(dirTree.size)} files, ${formatCount(dirNative.timing.objects)} objects (Deployments, Services, ConfigMaps; nested dirs, multi-doc files)`);
    console.log('   peer: `kubectl kustomize` on a kustomization.yaml listing the same files as resources; no plain-directory peer is exact\n');
    console.log(table([dirNative.timing, listNative.timing, listPeer.timing]));
    console.log(`\n   renderDirectory      ${versus(dirNative.timing, listPeer.timing)}`);
    console.log(`   renderKustomization  ${versus(listNative.timing, listPeer.timing)}`);
    const listDiff = compareObjects(listNative.objects, listPeer.objects);
    const dirDiff = compareObjects(dirNative.objects, listPeer.objects);
    console.log(`   output: renderKustomization ${listDiff === undefined ? 'equals kubectl' : `DIFFERS from kubectl: ${listDiff}`}; renderDirectory ${dirDiff === undefined ? 'equals kubectl' : `DIFFERS from kubectl: ${dirDiff}`}`);

    console.log(`\n2. 3-level overlay ${OVERLAY_PATH}: base ${formatCount(BASE_APPS * 3)} objects in ${overlay.size - 5} files ← overlays/common (namePrefix, commonLabels, configMapGenerator, strategic-merge + JSON 6902 patches, images) ← overlays/prod (namespace, replicas, labels, patch)\n`);
    console.log(table([overlayNative.timing, overlayPeer.timing]));
    console.log(`\n   kubectl's fixed cost (process start, 1-object kustomization): median ${formatMs(fixed.timing.medianMs)} ms`);
    const overlayDiff = compareObjects(overlayNative.objects, overlayPeer.objects);
    const faster = rate(overlayNative.timing.objects, overlayNative.timing.medianMs) >= KUSTOMIZE_SPEEDUP_TARGET * rate(overlayPeer.timing.objects, overlayPeer.timing.medianMs);
    console.log(`\n${overlayDiff === undefined ? 'PASS' : 'FAIL'}  overlay output: ${overlayDiff === undefined ? `native equals kubectl kustomize (${formatCount(overlayNative.timing.objects)} objects, parsed and sorted)` : overlayDiff}`);
    console.log(`${faster ? 'PASS' : 'FAIL'}  overlay throughput: ${versus(overlayNative.timing, overlayPeer.timing)} (target: native ≥ ${KUSTOMIZE_SPEEDUP_TARGET}x kubectl kustomize)`);
    return overlayDiff === undefined && faster ? 0 : 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function oneObjectDir(root: string): Promise<string> {
  const dir = join(root, 'one');
  await writeTree(dir, new Map([
    ['kustomization.yaml', Buffer.from('resources: [cm.yaml]\n')],
    ['cm.yaml', Buffer.from(configMapYaml('one', undefined))],
  ]));
  return dir;
}
