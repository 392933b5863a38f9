import type { HelmParameter } from '../render/helm.ts';

/**
 * The Application resource (group sluice.dev, version v1alpha1), as Sluice uses it after
 * validation and defaulting. Field names follow Argo CD's where the meaning is the same,
 * so its users read these without a manual.
 */

export const APPLICATION_GROUP = 'sluice.dev';
export const APPLICATION_VERSION = 'v1alpha1';
export const APPLICATION_API_VERSION = `${APPLICATION_GROUP}/${APPLICATION_VERSION}`;
export const APPLICATION_KIND = 'Application';

export interface Application {
  readonly name: string;
  /** Namespace the Application object lives in (not where its resources go). */
  readonly namespace: string;
  readonly spec: ApplicationSpec;
  /**
   * Read from an Argo CD Application (argoproj.io/v1alpha1, `--accept-argocd`): its status
   * is Argo CD's, so Sluice writes no status there (its own state is in the API and UI).
   */
  readonly argocd?: true;
  /**
   * Annotation `sluice.dev/watch-paths` (`;`- or `,`-separated): the directories whose
   * changes concern the app, relative to spec.source.path, or to the repository root with
   * a leading `/`. A webhook push touching none of them does not sync the app. Absent:
   * the source path alone.
   */
  readonly watchPaths?: readonly string[];
}

export const WATCH_PATHS_ANNOTATION = 'sluice.dev/watch-paths';

export interface ApplicationSpec {
  /**
   * The project the app belongs to (Argo CD's spec.project; 'default' when absent), whose
   * rules every sync is checked against (src/project).
   */
  readonly project?: string;
  readonly source: ApplicationSource;
  readonly destination: ApplicationDestination;
  readonly syncPolicy: SyncPolicy;
  readonly ignoreDifferences: readonly IgnoreDifference[];
  /** spec.rollout, defaulted (src/rollout/policy.ts DEFAULT_ROLLOUT when the Application sets none). */
  readonly rollout: RolloutPolicy;
}

/** How the app's Deployments, StatefulSets and DaemonSets move to a new revision (see src/rollout). */
export interface RolloutPolicy {
  /** Share of a workload's pods on the new revision at each step, in percent, rising, the last 100. */
  readonly steps: readonly number[];
  /** How long a step's new pods must stay Ready before the next step. */
  readonly stepHoldMs: number;
  /** Rolling-update bounds for workloads whose manifest sets no strategy of its own: a count or "25%". */
  readonly maxSurge?: number | string;
  readonly maxUnavailable?: number | string;
  /** A step that has not passed this long after it started fails. */
  readonly progressDeadlineMs: number;
  /** Pod-level budget: a new pod restarted more often, or not Ready for longer, fails the step before the deadline. */
  readonly failure: { readonly restarts: number; readonly notReadyForMs: number };
  readonly autoRollback: boolean;
}

export interface ApplicationSource {
  readonly repoURL: string;
  /** Branch, tag or commit SHA; default 'HEAD' (the remote's default branch). */
  readonly targetRevision: string;
  /** Directory inside the repository; '.' for the root. */
  readonly path: string;
  /** Plain directories: descend into subdirectories (default true). */
  readonly recurse: boolean;
  /**
   * A chart in a Helm chart repository: repoURL is then the repository (its index.yaml),
   * targetRevision a chart version or Helm version range ('HEAD': the newest release), and
   * the picked version is the app's revision. Absent: repoURL is a Git repository.
   */
  readonly chart?: string;
  /** For a chart (a path holding Chart.yaml, or `chart`): how `helm template` runs (src/app/helm-source.ts). */
  readonly helm?: HelmSource;
}

/** `spec.source.helm`, Argo CD's fields. */
export interface HelmSource {
  /** Default: the Application's name. */
  readonly releaseName?: string;
  /** Relative to the chart directory, or to the repository root with a leading `/`; applied in order. */
  readonly valueFiles: readonly string[];
  readonly ignoreMissingValueFiles: boolean;
  /** Inline values as YAML text (from `values` or `valuesObject`), applied after the value files. */
  readonly values?: string;
  /** `--set` / `--set-string`, applied last. */
  readonly parameters: readonly HelmParameter[];
  readonly skipCrds: boolean;
  /** `.Release.Namespace`; default: the destination namespace. */
  readonly namespace?: string;
}

export interface ApplicationDestination {
  /** Namespace for namespaced objects that do not set one; required. */
  readonly namespace: string;
  /** The registered cluster to deploy to, by server URL (src/kube/clusters.ts); neither: the controller's own. */
  readonly server?: string;
  /** The registered cluster to deploy to, by name (a kubeconfig context, a cluster Secret's name, or in-cluster). */
  readonly name?: string;
}

export interface SyncPolicy {
  /** Absent: sync only when asked (manual). */
  readonly automated?: { readonly prune: boolean; readonly selfHeal: boolean };
  readonly syncOptions: SyncOptions;
  /** Poll interval in milliseconds (default 3 minutes). */
  readonly intervalMs: number;
}

/** `syncOptions: [CreateNamespace=true, PruneLast=true, ServerSideApply=true]`, parsed. */
export interface SyncOptions {
  readonly createNamespace: boolean;
  readonly pruneLast: boolean;
  readonly serverSideApply: boolean;
}

/**
 * Differences to ignore for matching resources (group '' is the core group; an omitted
 * name or namespace matches all). Pointers are RFC 6901; jsonPaths take the simple
 * `.spec.template.spec.containers[*].image` / `[?(@.name=="x")]` forms; managers drop
 * fields owned (in managedFields) by the named field managers.
 */
export interface IgnoreDifference {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly jsonPointers: readonly string[];
  readonly jsonPaths: readonly string[];
  readonly managedFieldsManagers: readonly string[];
}
