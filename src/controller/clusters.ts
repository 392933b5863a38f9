/**
 * One connection per destination cluster, made the first time an app needs it: a kube
 * client (its own connection pool and discovery cache) and a watch cache of the objects
 * Sluice tracks there. Which cluster an app means is the pure resolveDestination over the
 * registry as it is at that moment (kubeconfig contexts and cluster Secrets change).
 *
 * Every cluster other than the controller's own is probed on its own timer with a short
 * timeout. One that does not answer is marked down with the reason: its apps are told at
 * once (they go Unknown, naming it) and until it answers again, lookups for it fail
 * without a request, so its apps never hold a worker for a request timeout and the other
 * clusters' syncs go on at their pace. The controller's own cluster is not probed here: its
 * reachability is /readyz's (src/controller/run.ts), and its apps fail as they always did.
 */
import type { Application } from '../app/types.ts';
import { KubeClient, type KubeClientOptions } from '../kube/client.ts';
import { connectionKey, HOME_CLUSTER, resolveDestination, type ClusterEntry } from '../kube/clusters.ts';
import { TrackedObjects, type TrackedChange } from './tracked-objects.ts';

export interface ClusterConnection {
  readonly key: string;
  readonly entry: ClusterEntry;
  readonly kube: KubeClient;
  readonly tracked: TrackedObjects;
  /** Fires when the cluster is found unreachable: operations on it stop instead of waiting out their timeouts. */
  readonly signal: AbortSignal;
}

export type ClusterLookup = { readonly ok: true; readonly connection: ClusterConnection } | { readonly ok: false; readonly message: string };

/** The app's cluster is unknown or unreachable now (the API answers 503 with the message). */
export class ClusterUnavailableError extends Error {
  override readonly name = 'ClusterUnavailableError';
}

export interface ClusterPoolOptions {
  readonly home: KubeClient;
  /** The registry as it is now (default: the controller's own cluster only). */
  readonly registry?: () => readonly ClusterEntry[];
  readonly onChange: TrackedChange;
  /** Told when a cluster goes down or answers again (by connection key). */
  readonly onReachability?: (key: string) => void;
  /** Client options for the other clusters (request timeout, retries). Default: 10 s, 2 attempts. */
  readonly client?: KubeClientOptions;
  /** How often an answering cluster is probed (default 10 s); a down one is probed sooner, backing off to this. */
  readonly probeIntervalMs?: number;
  /** How long a probe waits for an answer (default 3 s). */
  readonly probeTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

interface Remote extends ClusterConnection {
  readonly probe: KubeClient;
  /** Aborted when the cluster goes down; a new one when it answers again. */
  signal: AbortSignal;
  cut: AbortController;
  down?: string;
  failures: number;
  timer?: NodeJS.Timeout;
}

export class ClusterPool {
  private readonly home: ClusterConnection;
  private readonly remotes = new Map<string, Remote>();
  private stopped = false;

  constructor(private readonly opts: ClusterPoolOptions) {
    this.home = { key: 'home', entry: HOME_CLUSTER, kube: opts.home, tracked: new TrackedObjects(opts.home, opts.onChange), signal: new AbortController().signal };
  }

  /** The controller's own cluster (where Application resources, Secrets and Events live). */
  get own(): ClusterConnection {
    return this.home;
  }

  /** The app's cluster, connected, or why it cannot be used now (unknown cluster, unreachable). */
  lookup(app: Application): ClusterLookup {
    const resolved = resolveDestination(this.opts.registry?.() ?? [HOME_CLUSTER], app.spec.destination);
    if (!resolved.ok) return resolved;
    const connection = this.connect(resolved.cluster);
    const down = 'probe' in connection ? connection.down : undefined;
    if (down !== undefined) return { ok: false, message: `cluster ${resolved.cluster.name} (${connection.kube.server}) is unreachable: ${down}` };
    return { ok: true, connection };
  }

  /** The registered cluster an app's destination resolves to now (undefined when it resolves to none). */
  entryOf(app: Application): ClusterEntry | undefined {
    const resolved = resolveDestination(this.opts.registry?.() ?? [HOME_CLUSTER], app.spec.destination);
    return resolved.ok ? resolved.cluster : undefined;
  }

  /** The connection key an app's destination resolves to now (undefined when it resolves to none). */
  keyOf(app: Application): string | undefined {
    const entry = this.entryOf(app);
    return entry === undefined ? undefined : this.keyFor(entry);
  }

  stop(): void {
    this.stopped = true;
    this.home.tracked.stop();
    for (const remote of this.remotes.values()) {
      clearTimeout(remote.timer);
      remote.tracked.stop();
      void remote.kube.close();
      void remote.probe.close();
    }
    this.remotes.clear();
  }

  /** A context naming the controller's own API server is the controller's own cluster: one watch cache, not two. */
  private keyFor(entry: ClusterEntry): string {
    if (entry.settings === undefined || sameServer(entry.settings.server, this.opts.home.server)) return this.home.key;
    return connectionKey(entry);
  }

  private connect(entry: ClusterEntry): ClusterConnection | Remote {
    const key = this.keyFor(entry);
    if (key === this.home.key || entry.settings === undefined) return this.home;
    const existing = this.remotes.get(key);
    if (existing !== undefined) return existing;
    const options: KubeClientOptions = { timeoutMs: 10_000, retry: { attempts: 2 }, ...this.opts.client };
    const kube = KubeClient.fromSettings(entry.settings, options);
    const probe = KubeClient.fromSettings(entry.settings, { timeoutMs: this.opts.probeTimeoutMs ?? 3_000, retry: { attempts: 1 } });
    const cut = new AbortController();
    const remote: Remote = { key, entry, kube, probe, tracked: new TrackedObjects(kube, this.opts.onChange), failures: 0, cut, signal: cut.signal };
    this.remotes.set(key, remote);
    void this.probe(remote);
    return remote;
  }

  private schedule(remote: Remote): void {
    if (this.stopped) return;
    const interval = this.opts.probeIntervalMs ?? 10_000;
    const delay = remote.down === undefined ? interval : Math.min(interval, 250 * 2 ** remote.failures);
    remote.timer = setTimeout(() => void this.probe(remote), delay).unref();
  }

  private async probe(remote: Remote): Promise<void> {
    let problem: string | undefined;
    try {
      await remote.probe.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' });
    } catch (e) {
      problem = (e as Error).message.split('\n')[0] ?? String(e);
    }
    if (this.stopped) return;
    const was = remote.down;
    remote.down = problem;
    remote.failures = problem === undefined ? 0 : remote.failures + 1;
    if ((was === undefined) !== (problem === undefined)) {
      if (problem !== undefined) remote.cut.abort();
      else {
        remote.cut = new AbortController();
        remote.signal = remote.cut.signal;
      }
      this.opts.log?.(problem === undefined ? `cluster ${remote.entry.name} (${remote.kube.server}) answers again` : `cluster ${remote.entry.name} (${remote.kube.server}) is unreachable: ${problem}`);
      this.opts.onReachability?.(remote.key);
    }
    this.schedule(remote);
  }
}

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
