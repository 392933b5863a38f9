import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { GitSource } from '../../src/git/index.ts';
import { isJsonObject, type JsonObject } from '../../src/json.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { ScaledClock } from '../../src/sim/clock.ts';
import { ANNOTATION_RUN_FOR } from '../../src/sim/controllers/faults.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { splitApiVersion } from '../../src/sim/resources.ts';
import { compareApp, isRenderFailure } from '../../src/sync/compare.ts';
import { syncApp, type SyncContext } from '../../src/sync/operation.ts';
import { isHookObject } from '../../src/sync/hooks.ts';
import { keyString } from '../../src/sync/resource-key.ts';
import { testApplication } from '../support/apps.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';
import { Kubectl, kubectlBinaries } from '../support/kubectl.ts';

/**
 * Real install manifests (test/fixtures/install: eleven public projects, 535 objects) synced
 * by Sluice into one embedded cluster and applied by the real kubectl into a twin, over two
 * revisions. Every sync succeeds, the diff is clean right after, both clusters hold the same
 * objects (server-owned fields aside), and a second sync writes nothing.
 */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'install');

/** Each project's own namespace: where its manifests put (or expect) their namespaced objects. */
const DESTINATIONS: Readonly<Record<string, string>> = {
  'argo-cd': 'argocd',
  'cert-manager': 'cert-manager',
  gatekeeper: 'gatekeeper-system',
  'ingress-nginx': 'ingress-nginx',
  istio: 'istio-system',
  'kube-prometheus': 'monitoring',
  'local-path-provisioner': 'local-path-storage',
  longhorn: 'longhorn-system',
  rook: 'rook-ceph',
  'tekton-pipelines': 'tekton-pipelines',
  'tigera-operator': 'tigera-operator',
};

/**
 * Projects whose manifests only apply server-side: Argo CD's ApplicationSet CRD is larger than
 * the 256 KiB the API server allows for annotations, so `kubectl apply` cannot store its
 * last-applied configuration (Argo CD's docs say `kubectl apply --server-side`).
 */
const SERVER_SIDE = new Set(['argo-cd']);

interface Project {
  readonly name: string;
  readonly namespace: string;
  readonly objects: readonly JsonObject[];
  readonly serverSide: boolean;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const REVISION_LABEL = 'example.com/revision';

/**
 * Revision 2 of a project: every object gains a label (CRDs and webhooks included), every
 * workload's first container an environment variable (a rollout), and the last ConfigMap,
 * or else the last ServiceAccount, is dropped (a prune).
 */
function secondRevision(objects: readonly JsonObject[]): { objects: JsonObject[]; dropped: JsonObject } {
  const next = structuredClone(objects) as JsonObject[];
  // (never a hook: hooks are not pruned)
  const kinds = next.map((o) => (isHookObject(o) ? '' : o.kind));
  const droppedIndex = Math.max(kinds.lastIndexOf('ConfigMap'), kinds.lastIndexOf('ServiceAccount'));
  const [dropped] = next.splice(droppedIndex, 1);
  for (const o of next) {
    const meta = o.metadata as JsonObject;
    meta.labels = { ...(isJsonObject(meta.labels) ? meta.labels : {}), [REVISION_LABEL]: '2' };
    if (!WORKLOADS.has(String(o.kind))) continue;
    const container = (((o.spec as JsonObject).template as JsonObject).spec as JsonObject).containers as JsonObject[];
    const first = container[0]!;
    first.env = [...(Array.isArray(first.env) ? first.env : []), { name: 'SLUICE_ACCEPTANCE_REVISION', value: '2' }];
  }
  return { objects: next, dropped: dropped! };
}

// YAML 1.1 quoting, so kubectl (YAML 1.1) reads "no" and "on" as the strings Sluice (YAML 1.2) reads
const yamlOf = (objects: readonly JsonObject[]): string => objects.map((o) => stringify(o, { version: '1.1' })).join('---\n');

/** What both clusters must agree on: the object without what the server or the applier's bookkeeping adds. */
function comparable(obj: JsonObject): JsonObject {
  // the object's own uid shows up in server-set fields (a Job's controller-uid selector)
  const uid = String((obj.metadata as JsonObject).uid);
  const copy = JSON.parse(JSON.stringify(obj).replaceAll(uid, '<uid>')) as JsonObject;
  delete copy.status;
  const meta = copy.metadata as JsonObject;
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields']) delete meta[f];
  for (const field of ['labels', 'annotations'] as const) {
    const map = isJsonObject(meta[field]) ? meta[field] : {};
    for (const k of Object.keys(map)) if (k.startsWith('sluice.dev/') || k === 'kubectl.kubernetes.io/last-applied-configuration') delete map[k];
    if (Object.keys(map).length === 0) delete meta[field];
  }
  if (copy.kind === 'Service' && isJsonObject(copy.spec)) {
    // allocated by each cluster on its own
    for (const f of ['clusterIP', 'clusterIPs', 'healthCheckNodePort']) delete copy.spec[f];
    for (const p of Array.isArray(copy.spec.ports) ? copy.spec.ports : []) if (isJsonObject(p)) delete p.nodePort;
  }
  return copy;
}

/**
 * Helm hooks (cert-manager's startupapicheck) run as sync hooks in Sluice, as in Argo CD, and
 * are no part of what kubectl apply is compared with. The embedded kubelet runs a container
 * until told otherwise, so a hook Job's pods are told to finish (exit 0) after a second, as the
 * real check does once cert-manager answers.
 */
function finishingHookJob(object: JsonObject): JsonObject {
  if (!isHookObject(object) || object.kind !== 'Job') return object;
  const copy = structuredClone(object);
  const template = ((copy.spec as JsonObject).template ?? {}) as JsonObject;
  const metadata = (template.metadata ?? {}) as JsonObject;
  metadata.annotations = { ...((metadata.annotations ?? {}) as JsonObject), [ANNOTATION_RUN_FOR]: '1s' };
  template.metadata = metadata;
  (copy.spec as JsonObject).template = template;
  return copy;
}

describe.skipIf(!gitAvailable() || kubectlBinaries().length === 0)('real install manifests: Sluice and kubectl into twin clusters', () => {
  const projects: Project[] = [];
  let sluiceCluster: SimCluster;
  let kubectlCluster: SimCluster;
  let server: GitServer;
  let kube: KubeClient;
  let kubectlPath: string;
  const kubectls: Kubectl[] = [];
  let ctx: SyncContext;

  beforeAll(async () => {
    for (const name of (await readdir(FIXTURES, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      const text = await readFile(path.join(FIXTURES, name, 'manifests.yaml'), 'utf8');
      const objects = parseAllDocuments(text).map((d) => d.toJS() as JsonObject).filter(isJsonObject).map(finishingHookJob);
      const namespace = DESTINATIONS[name];
      if (!namespace) throw new Error(`no destination namespace for ${name}`);
      projects.push({ name, namespace, objects, serverSide: SERVER_SIDE.has(name) });
    }
    // real time sped up: rollouts take a fraction of a second, as the kubelet's delays scale down
    sluiceCluster = await startSimCluster({ port: 0, clock: new ScaledClock({ speed: 50 }) });
    kubectlCluster = await startSimCluster({ port: 0, clock: new ScaledClock({ speed: 50 }) });
    server = await startGitServer();
    kube = await kubeClientFor(sluiceCluster.url);
    const binaries = kubectlBinaries();
    kubectlPath = binaries[binaries.length - 1]!.path;
    ctx = { git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-acceptance-git-')) }), kube, pollIntervalMs: 50, waveTimeoutMs: 60_000 };
  });
  afterAll(async () => {
    for (const k of kubectls) await k.dispose();
    await kube?.close();
    await server?.stop();
    await sluiceCluster?.stop();
    await kubectlCluster?.stop();
  });

  function stored(cluster: SimCluster, o: JsonObject, namespace: string): JsonObject | undefined {
    const { group, version } = splitApiVersion(String(o.apiVersion));
    const rt = cluster.api.registry.byKind(group, String(o.kind), version);
    if (!rt) return undefined;
    const meta = o.metadata as JsonObject;
    const ns = rt.namespaced ? (typeof meta.namespace === 'string' ? meta.namespace : namespace) : '';
    try {
      return cluster.api.get(rt, ns, String(meta.name));
    } catch {
      return undefined;
    }
  }

  /** A kubectl whose context namespace is the project's, as `kubectl apply` without -n expects. */
  async function kubectlFor(project: Project): Promise<Kubectl> {
    const kubectl = await Kubectl.create(kubectlPath, kubectlCluster.kubeconfig);
    kubectls.push(kubectl);
    await kubectl.ok(['config', 'set-context', '--current', `--namespace=${project.namespace}`]);
    return kubectl;
  }

  async function kubectlApply(kubectl: Kubectl, project: Project, objects: readonly JsonObject[]): Promise<void> {
    const exists = await kubectl.run(['get', 'namespace', project.namespace]);
    if (exists.code !== 0) await kubectl.ok(['create', 'namespace', project.namespace]);
    const serverSide = project.serverSide ? ['--server-side', '--force-conflicts'] : [];
    // CRDs first, then everything, as the projects' own instructions say (kubectl maps kinds once, up front)
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    if (crds.length > 0) await kubectl.ok(['apply', ...serverSide, '-f', await kubectl.file(`${project.name}-crds.yaml`, yamlOf(crds))]);
    await kubectl.ok(['apply', ...serverSide, '-f', await kubectl.file(`${project.name}.yaml`, yamlOf(objects))]);
  }

  it('the fixtures hold at least eight projects and 500 objects', () => {
    expect(projects.length).toBeGreaterThanOrEqual(8);
    expect(projects.reduce((n, p) => n + p.objects.length, 0)).toBeGreaterThanOrEqual(500);
  });

  /** Both revisions of one project, checked after each. */
  async function install(project: Project): Promise<void> {
    const kubectl = await kubectlFor(project);
    const repo = await server.createRepo(project.name);
    const app = testApplication({ name: project.name, repoURL: repo.url, namespace: project.namespace, syncOptions: { serverSideApply: project.serverSide } });
    const revisions = [{ objects: project.objects, dropped: undefined as JsonObject | undefined }, secondRevision(project.objects)];
    for (const [i, revision] of revisions.entries()) {
      const label = `${project.name} revision ${i + 1}`;
      await repo.commit({ 'app/manifests.yaml': yamlOf(revision.objects) }, label);
      const result = await syncApp(ctx, app, { trigger: 'manual' });
      const failed = result.resources.filter((r) => r.action === 'failed').map((r) => `${keyString(r.key)}: ${r.message ?? ''}`);
      expect({ label, phase: result.phase, message: result.message, failed }).toEqual({ label, phase: 'Succeeded', message: result.message, failed: [] });

      const applied = revision.objects.filter((o) => !isHookObject(o));
      const hookKeys = new Set(revision.objects.filter(isHookObject).map((o) => `${String(o.kind)}/${String((o.metadata as JsonObject).name)}`));
      await kubectlApply(kubectl, project, applied);
      if (revision.dropped) {
        const dropped = revision.dropped.metadata as JsonObject;
        await kubectl.ok(['delete', String(revision.dropped.kind).toLowerCase(), String(dropped.name), '-n', String(dropped.namespace ?? project.namespace)]);
        expect(stored(sluiceCluster, revision.dropped, project.namespace), `${label}: pruned`).toBeUndefined();
      }

      const compared = await compareApp(ctx, app);
      if (isRenderFailure(compared)) throw new Error(`${label}: render failed`);
      const drifted = compared.resources.filter((r) => r.diff.status !== 'Synced').map((r) => `${keyString(r.key)} ${r.diff.status} ${JSON.stringify(r.diff.jsonPatch)}`);
      expect({ label, drifted }).toEqual({ label, drifted: [] });

      for (const o of applied) {
        const ours = stored(sluiceCluster, o, project.namespace);
        const theirs = stored(kubectlCluster, o, project.namespace);
        const name = `${label}: ${String(o.kind)} ${String((o.metadata as JsonObject).name)}`;
        expect(ours, name).toBeDefined();
        expect(theirs, name).toBeDefined();
        expect(comparable(ours!), name).toEqual(comparable(theirs!));
      }

      const before = applied.map((o) => stored(sluiceCluster, o, project.namespace)).map((o) => o && comparable(o));
      const again = await syncApp(ctx, app, { trigger: 'manual' });
      // (hooks run again on every sync, as in Argo CD)
      const written = again.resources.filter((r) => r.action !== 'unchanged' && !hookKeys.has(`${r.key.kind}/${r.key.name}`)).map((r) => `${keyString(r.key)} ${r.action}`);
      expect({ label, phase: again.phase, written }).toEqual({ label, phase: 'Succeeded', written: [] });
      const after = applied.map((o) => stored(sluiceCluster, o, project.namespace)).map((o) => o && comparable(o));
      expect(after).toEqual(before);
    }
  }

  it('syncs every project over two revisions like kubectl apply, clean diff after, no writes on a second sync', async () => {
    // three projects at a time install side by side, as on a shared cluster (more only
    // crowds a loaded two-core machine, where kubectl's own 20 s limit then trips)
    const queue = [...projects];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) await install(next);
    };
    await Promise.all([worker(), worker(), worker()]);
  }, 600_000);
});
