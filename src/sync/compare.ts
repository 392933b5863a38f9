/**
 * Comparing an app with Git (a "refresh"): resolve the revision, render it, prepare the
 * objects, read what runs, diff each object three ways, assess health. The I/O is the
 * git source and the kube client; everything between is the pure cores.
 *
 * Live objects are read with one labelled list per kind (the app's tracked objects, which
 * also finds what Git no longer has), plus a GET for each desired object the lists did not
 * return (not yet tracked: missing, or created by someone else and about to be adopted).
 */
import type { Application, IgnoreDifference } from '../app/types.ts';
import { diffResource } from '../diff/resource-diff.ts';
import type { JsonObject } from '../json.ts';
import type { GitSource } from '../git/index.ts';
import { redactUrl } from '../git/url.ts';
import { permitsChartDownload, projectOf } from '../project/check.ts';
import { aggregateHealth, assessHealth } from '../health/index.ts';
import { UnservedKindError } from '../kube/errors.ts';
import { refOf, type KubeClient } from '../kube/client.ts';
import { readCapabilities } from '../kube/capabilities.ts';
import { canonicalJson } from '../render/canonical.ts';
import { isHelmChart, type Capabilities, type HelmSettings } from '../render/helm.ts';
import type { ChartFetcher } from '../render/helm-repo.ts';
import { renderSource } from '../render/index.ts';
import { checkRenderPath } from '../render/paths.ts';
import type { RenderResult } from '../render/types.ts';
import { withRolloutStrategy } from '../rollout/policy.ts';
import { isHookObject, splitHooks, withPlaceholderName } from './hooks.ts';
import { prepareDesired, type Scope } from './prepare.ts';
import { groupOf, keyOf, keyString } from './resource-key.ts';
import { APP_LABEL, appLabelValue, isTrackedBy, type AppRef } from './tracking.ts';
import type { ProjectContext } from './project-gate.ts';
import type { Comparison, RenderFailure, ResourceComparison } from './types.ts';

/**
 * Kinds always searched for the app's tracked objects, besides those it renders now: an
 * app whose Git drops the last object of a kind still gets that object pruned. Kinds the
 * cluster does not serve are skipped.
 */
export const COMMON_KINDS: readonly string[] = [
  'v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/ServiceAccount', 'v1/PersistentVolumeClaim',
  'apps/v1/Deployment', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet', 'batch/v1/Job', 'batch/v1/CronJob',
  'networking.k8s.io/v1/Ingress', 'networking.k8s.io/v1/NetworkPolicy', 'autoscaling/v2/HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget', 'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
];

/** More untracked objects of one kind in one namespace than this are found with a list. */
const LIST_THRESHOLD = 4;

/** Tracked objects from a watch cache, so a controller's compare costs no list calls. */
export interface LiveSource {
  /** The objects of `kindId` (`apiVersion/kind`) labelled for the app, or undefined when that kind is not watched. */
  tracked(kindId: string, appLabel: string): readonly JsonObject[] | undefined;
}

/** Render results by repository, commit, path and recursion: a commit's manifests never change. */
export interface RenderCache {
  get(key: string): RenderResult | undefined;
  set(key: string, value: RenderResult): void;
}

export interface CompareContext extends ProjectContext {
  readonly git: GitSource;
  readonly kube: KubeClient;
  readonly liveSource?: LiveSource;
  readonly renderCache?: RenderCache;
  /** ignoreDifferences for every app, before each app's own. */
  readonly ignoreDifferences?: readonly IgnoreDifference[];
  /** Kinds (`apiVersion/kind`) the app managed before, so objects of a kind Git dropped entirely are still found. */
  readonly previousKinds?: readonly string[];
  /** Parallel GETs while reading live objects. */
  readonly concurrency?: number;
  /** The destination's capabilities for Helm charts (default: read from the cluster at each chart render). */
  readonly capabilities?: () => Promise<Capabilities>;
  /**
   * Fetches the charts a commit names (Chart.yaml dependencies, kustomize helmCharts `repo:`),
   * for repositories the app's project permits (chartsFor); default: the git source's chart
   * repositories, with its credentials.
   */
  readonly charts?: ChartFetcher;
}

export function appRef(app: Application): AppRef {
  return { namespace: app.namespace, name: app.name };
}

export async function compareApp(ctx: CompareContext, app: Application, revision?: string): Promise<Comparison | RenderFailure> {
  // What does not depend on the commit (the common kinds' discovery and tracked objects)
  // is read while Git and the renderer work.
  const common = [...(ctx.previousKinds ?? []), ...COMMON_KINDS];
  const early = readCommonKinds(ctx, app, common);
  early.catch(() => undefined); // awaited below, unless rendering fails first
  const repo = ctx.git.forSource(app.spec.source);
  const resolved = await repo.resolve(revision ?? app.spec.source.targetRevision);
  const { path, recurse } = app.spec.source;
  const charts = chartsFor(ctx.charts ?? ctx.git.charts, ctx.projects, app);
  // what the project lets a commit download is part of what a render may produce
  const cacheKey = `${repo.url}@${resolved.sha}:${path}:${recurse}:${charts.permitted.join(',')}`;
  let rendered = ctx.renderCache?.get(cacheKey);
  if (rendered === undefined) {
    const snapshot = await repo.readFiles(resolved.sha);
    const dir = checkRenderPath(path);
    if (dir.ok && isHelmChart(snapshot.files, dir.path)) {
      // A chart's output depends on its settings and the cluster's capabilities too: both are in its cache key.
      const helm = helmSettings(app);
      const capabilities = await (ctx.capabilities ?? (() => readCapabilities(ctx.kube)))();
      const chartKey = `${cacheKey}:helm:${canonicalJson({ helm, capabilities } as unknown as JsonObject)}`;
      rendered = ctx.renderCache?.get(chartKey);
      if (rendered === undefined) {
        rendered = await renderSource(snapshot.files, { path, symlinks: snapshot.symlinks, helm, capabilities, charts: charts.fetcher });
        ctx.renderCache?.set(chartKey, rendered);
      }
    } else {
      rendered = await renderSource(snapshot.files, { path, symlinks: snapshot.symlinks, recurse, charts: charts.fetcher });
      ctx.renderCache?.set(cacheKey, rendered);
    }
  }
  if (!rendered.ok) return { revision: resolved.sha, commit: resolved.commit, errors: rendered.errors };

  // the app's rollout bounds go on workloads that set no strategy of their own; a hook named by generateName is keyed by it until it runs
  const objects = rendered.objects.map((r) => ({ ...r, object: withRolloutStrategy(withPlaceholderName(r.object), app.spec.rollout) }));
  const rendersKinds = objects.map((r) => kindId(r.object));
  const searched = [...rendersKinds, ...common];
  const { scopes: commonScopes, lists } = await early;
  const scopes = new Map([...commonScopes, ...(await resolveScopes(ctx.kube, rendersKinds.filter((id) => !commonScopes.has(id))))]);
  const prepared = prepareDesired(appRef(app), app.spec.destination.namespace, objects, (apiVersion, kind) => scopes.get(`${apiVersion}/${kind}`));
  // hooks run at their phase of a sync: they are not diffed, counted in the status, or pruned
  const { resources, hooks, problems: hookProblems } = splitHooks(prepared.objects);
  const problems = [...prepared.problems, ...hookProblems];
  const kinds = servedKinds(searched, scopes);
  const live = await readLive(ctx, app, resources, kinds, scopes, lists);

  return {
    revision: resolved.sha,
    commit: resolved.commit,
    warnings: resolved.warnings,
    ...assess(ctx, app, resources, live, problems),
    problems,
    hooks,
    kinds,
  };
}

/** The app's spec.source.helm with Argo CD's defaults: the release is named after the app, in the destination namespace. */
export function helmSettings(app: Application): HelmSettings {
  const helm = app.spec.source.helm;
  return {
    releaseName: helm?.releaseName ?? app.name,
    namespace: helm?.namespace ?? app.spec.destination.namespace,
    valueFiles: helm?.valueFiles ?? [],
    ignoreMissingValueFiles: helm?.ignoreMissingValueFiles ?? false,
    ...(helm?.values !== undefined ? { values: helm.values } : {}),
    parameters: helm?.parameters ?? [],
    skipCrds: helm?.skipCrds ?? false,
  };
}

/**
 * The chart fetcher a render of `app` gets: it downloads only from repositories the app's
 * project names explicitly (permitsChartDownload), so a commit cannot point Sluice at any URL.
 */
export function chartsFor(fetcher: ChartFetcher, projects: ProjectContext['projects'], app: Application): { fetcher: ChartFetcher; permitted: readonly string[] } {
  const project = projectOf(projects ?? [], app.namespace, app.spec.project);
  const refuse = (repoURL: string): string =>
    `chart repository ${redactUrl(repoURL)} is not named in project ${project?.name ?? app.spec.project ?? ''}'s sourceRepos: a commit makes Sluice download charts only from repositories its project lists (a bare "*" does not count)`;
  return {
    fetcher: { pull: (ref) => (project !== undefined && permitsChartDownload(project, ref.repoURL) ? fetcher.pull(ref) : Promise.resolve({ ok: false, message: refuse(ref.repoURL) })) },
    permitted: project?.spec.sourceRepos ?? [],
  };
}

/**
 * A comparison made from a watch cache can be a moment behind the cluster (another process
 * may just have synced or pruned the app): the objects a sync would write are read again and
 * compared anew, so a stale cache costs a GET rather than a no-op patch or a delete of nothing.
 */
export async function confirmLive(ctx: CompareContext, app: Application, comparison: Comparison): Promise<Comparison> {
  if (ctx.liveSource === undefined) return comparison;
  const doubtful = comparison.resources.filter((r) => r.live !== undefined && (r.diff.status === 'OutOfSync' || r.diff.status === 'Extraneous'));
  if (doubtful.length === 0) return comparison;
  const live = new Map(comparison.live);
  await forEachLimited(doubtful, ctx.concurrency ?? 16, async (r) => {
    const fresh = await ctx.kube.get(refOf(r.live!));
    if (fresh === undefined) live.delete(keyString(r.key));
    else live.set(keyString(r.key), fresh);
  });
  const previous = new Map(comparison.resources.map((r) => [keyString(r.key), r]));
  return { ...comparison, ...assess(ctx, app, comparison.desired, live, comparison.problems, previous) };
}

/**
 * Each desired and live object compared, and the app's sync status and health. `previous`:
 * comparisons to keep where the live object is the same one they were made with.
 */
function assess(
  ctx: CompareContext,
  app: Application,
  desired: readonly JsonObject[],
  live: ReadonlyMap<string, JsonObject>,
  problems: readonly unknown[],
  previous?: ReadonlyMap<string, ResourceComparison>,
): Pick<Comparison, 'desired' | 'live' | 'resources' | 'status' | 'health'> {
  const ignore = ignoreRules(ctx, app);
  const compare = (id: string, want: JsonObject | undefined, have: JsonObject | undefined): ResourceComparison => {
    const kept = previous?.get(id);
    return kept !== undefined && kept.live === have ? kept : compareOne(ignore, want, have);
  };
  const resources: ResourceComparison[] = [];
  const desiredKeys = new Set<string>();
  for (const object of desired) {
    const id = keyString(keyOf(object));
    desiredKeys.add(id);
    resources.push(compare(id, object, live.get(id)));
  }
  for (const [id, object] of live) if (!desiredKeys.has(id)) resources.push(compare(id, undefined, object));

  // Extraneous objects the app tracks need pruning, so they count; ones merely labelled do not.
  const ref = appRef(app);
  const outOfSync =
    problems.length > 0 ||
    resources.some((r) => r.diff.status !== 'Synced' && (r.desired !== undefined || (r.live !== undefined && isTrackedBy(r.live, ref))));
  return {
    desired,
    live,
    resources,
    status: outOfSync ? 'OutOfSync' : 'Synced',
    health: aggregateHealth(resources.filter((r) => r.desired !== undefined).map((r) => r.health.status)),
  };
}

/** The app's tracked objects of one kind (`apiVersion/kind`), all namespaces. */
async function listTracked(kube: KubeClient, app: Application, kindIdOf: string): Promise<JsonObject[]> {
  const [apiVersion, kind] = splitKindId(kindIdOf);
  return (await kube.list(apiVersion, kind, { labelSelector: `${APP_LABEL}=${appLabelValue(appRef(app))}` })).items;
}

/**
 * Scopes of the kinds searched whatever Git renders, and (without a watch cache) the app's
 * tracked objects of each: one labelled list per served kind.
 */
async function readCommonKinds(
  ctx: CompareContext,
  app: Application,
  common: readonly string[],
): Promise<{ scopes: Map<string, Scope>; lists: Map<string, readonly JsonObject[]> }> {
  const scopes = await resolveScopes(ctx.kube, common);
  const lists = new Map<string, readonly JsonObject[]>();
  if (ctx.liveSource !== undefined) return { scopes, lists };
  await Promise.all(servedKinds(common, scopes).map(async (id) => lists.set(id, await listTracked(ctx.kube, app, id))));
  return { scopes, lists };
}

/** One kind id per served group/kind: a resource is one object whatever version lists it. */
function servedKinds(searched: readonly string[], scopes: ReadonlyMap<string, Scope>): string[] {
  const byGroupKind = new Map<string, string>();
  for (const id of searched) {
    if (!scopes.has(id)) continue;
    const [apiVersion, kind] = splitKindId(id);
    const gk = `${groupOf(apiVersion)}/${kind}`;
    if (!byGroupKind.has(gk)) byGroupKind.set(gk, id);
  }
  return [...byGroupKind.values()];
}

export function isRenderFailure(result: Comparison | RenderFailure): result is RenderFailure {
  return 'errors' in result;
}

/** The global ignoreDifferences, then the app's own. */
export function ignoreRules(ctx: Pick<CompareContext, 'ignoreDifferences'>, app: Application): readonly IgnoreDifference[] {
  return ctx.ignoreDifferences === undefined ? app.spec.ignoreDifferences : [...ctx.ignoreDifferences, ...app.spec.ignoreDifferences];
}

function compareOne(ignore: readonly IgnoreDifference[], desired: JsonObject | undefined, live: JsonObject | undefined): ResourceComparison {
  const subject = (desired ?? live)!;
  return {
    key: keyOf(subject),
    apiVersion: String(subject['apiVersion']),
    ...(desired === undefined ? {} : { desired }),
    ...(live === undefined ? {} : { live }),
    diff: diffResource({ ...(desired === undefined ? {} : { desired }), ...(live === undefined ? {} : { live }), ignore }),
    health: assessHealth(live),
  };
}

function kindId(object: JsonObject): string {
  return `${String(object['apiVersion'])}/${String(object['kind'])}`;
}

function splitKindId(id: string): [apiVersion: string, kind: string] {
  const slash = id.lastIndexOf('/');
  return [id.slice(0, slash), id.slice(slash + 1)];
}

/** Scope of each kind the cluster serves; kinds it does not are left out (a CRD in the render may define them). */
async function resolveScopes(kube: KubeClient, kindIds: readonly string[]): Promise<Map<string, Scope>> {
  const scopes = new Map<string, Scope>();
  await Promise.all(
    [...new Set(kindIds)].map(async (id) => {
      const [apiVersion, kind] = splitKindId(id);
      try {
        const info = await kube.discovery.resolve(apiVersion, kind);
        scopes.set(id, info.namespaced ? 'Namespaced' : 'Cluster');
      } catch (e) {
        if (!(e instanceof UnservedKindError)) throw e;
      }
    }),
  );
  return scopes;
}

async function readLive(
  ctx: CompareContext,
  app: Application,
  desired: readonly JsonObject[],
  kinds: readonly string[],
  scopes: ReadonlyMap<string, Scope>,
  listed: ReadonlyMap<string, readonly JsonObject[]>,
): Promise<Map<string, JsonObject>> {
  const live = new Map<string, JsonObject>();
  const label = appLabelValue(appRef(app));
  await Promise.all(
    kinds.map(async (id) => {
      const items = listed.get(id) ?? ctx.liveSource?.tracked(id, label) ?? (await listTracked(ctx.kube, app, id));
      for (const item of items) if (!isHookObject(item)) live.set(keyString(keyOf(item)), item);
    }),
  );
  const untracked = desired.filter((d) => scopes.has(kindId(d)) && !live.has(keyString(keyOf(d))));
  // Few untracked objects of a kind in a namespace: a GET each. Many (a new app, an
  // adoption): one list of that namespace finds them all, instead of hundreds of 404s.
  const groups = new Map<string, JsonObject[]>();
  for (const d of untracked) {
    const id = `${kindId(d)}|${String((d['metadata'] as JsonObject)['namespace'] ?? '')}`;
    groups.set(id, [...(groups.get(id) ?? []), d]);
  }
  await forEachLimited([...groups.values()], ctx.concurrency ?? 16, async (group) => {
    const first = group[0]!;
    const namespace = (first['metadata'] as JsonObject)['namespace'];
    if (group.length > LIST_THRESHOLD) {
      const wanted = new Set(group.map((d) => keyString(keyOf(d))));
      const { items } = await ctx.kube.list(String(first['apiVersion']), String(first['kind']), typeof namespace === 'string' ? { namespace } : {});
      for (const item of items) {
        const id = keyString(keyOf(item));
        if (wanted.has(id)) live.set(id, item);
      }
      return;
    }
    for (const d of group) {
      const found = await ctx.kube.get(refOf(d));
      if (found !== undefined) live.set(keyString(keyOf(found)), found);
    }
  });
  return live;
}

export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
