/**
 * Where the sync engine asks an app's project (src/project/check.ts, pure) for its word:
 * first about the app itself (before anything is fetched), then about what it would write
 * (after rendering, before the first request that writes — the server-side dry run
 * included). `sluice sync`, `sluice diff` and the controller all come through here.
 */
import type { Project } from '../app/project.ts';
import type { Application } from '../app/types.ts';
import type { JsonObject } from '../json.ts';
import type { KubeClient } from '../kube/client.ts';
import type { ResourceKey } from './resource-key.ts';
import { checkApplication, checkObjects, IN_CLUSTER, kindRefusal, missingProjectMessage, projectOf, type ClusterRef, type ProjectViolation } from '../project/check.ts';

export interface ProjectContext {
  /** The Project resources loaded; none: only the built-in `default` project exists. */
  readonly projects?: readonly Project[];
  /** The cluster the app deploys to, as projects name it (default: the one Sluice runs in). */
  readonly cluster?: ClusterRef;
}

/** The app's project, or why the app may not sync at all (its project is missing, or refuses its repository or destination). */
export function admitApplication(ctx: ProjectContext, app: Application): { project: Project } | { refusal: string } {
  const project = projectOf(ctx.projects ?? [], app.namespace, app.spec.project);
  if (project === undefined) return { refusal: missingProjectMessage(app.spec.project ?? '') };
  const refused = checkApplication({ project, repoURL: app.spec.source.repoURL, destination: { ...(ctx.cluster ?? IN_CLUSTER), namespace: app.spec.destination.namespace } });
  return refused.length > 0 ? { refusal: describeViolations(refused) } : { project };
}

/**
 * What the project refuses of the objects the app would write, of the namespace
 * CreateNamespace=true would create, and of the live objects it would prune (as Argo CD's
 * sync checks every task's object, a prune's being the live one). Whether that namespace exists is asked only when the
 * project could refuse it (Argo CD creates, and so checks, only a missing namespace that
 * the app does not render itself).
 */
export async function objectViolations(
  ctx: ProjectContext & { readonly kube: KubeClient },
  app: Application,
  project: Project,
  desired: readonly JsonObject[],
  prunes: readonly ResourceKey[] = [],
): Promise<ProjectViolation[]> {
  const namespace = app.spec.destination.namespace;
  let createNamespace: string | undefined;
  if (
    app.spec.syncPolicy.syncOptions.createNamespace &&
    kindRefusal(project, { group: '', kind: 'Namespace', namespace: '', name: namespace }) !== undefined &&
    !rendersNamespace(desired, namespace) &&
    (await ctx.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace })) === undefined
  ) {
    createNamespace = namespace;
  }
  return checkObjects({ project, cluster: ctx.cluster ?? IN_CLUSTER, objects: desired, prunes, ...(createNamespace === undefined ? {} : { createNamespace }) });
}

export function describeViolations(violations: readonly ProjectViolation[]): string {
  return `the project does not permit ${violations.length === 1 ? 'this' : `these ${violations.length}`}: ${violations.map((v) => v.message).join('; ')}`;
}

export function rendersNamespace(desired: readonly JsonObject[], namespace: string): boolean {
  return desired.some((d) => d['kind'] === 'Namespace' && (d['metadata'] as JsonObject)['name'] === namespace);
}
