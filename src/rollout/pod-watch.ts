/**
 * Watches the pods of the namespaces where this process drives a rollout. A pod that
 * restarts, crash-loops or turns Ready changes no status of the workloads the tracked-object
 * watch sees (a never-ready pod's Deployment keeps its counts), so without this a failing
 * step would wait for the next timed look. Each change asks for a look at the app: `urgent`
 * when the pod shows trouble the failure budget may count (a restart, a crash loop, a stuck
 * wait, an OOM kill), so the caller looks at once instead of debouncing. Informers are slim: only the
 * signal matters, the look reads what it needs.
 */
import type { KubeClient } from '../kube/client.ts';
import { Informer } from '../kube/watch.ts';
import type { JsonObject } from '../json.ts';
import { isStuckWaitingReason } from '../health/pod.ts';
import { podView } from './observe.ts';

/**
 * A pod whose state may break a failure budget (any revision: which one is the look's to say).
 * A restart counts: a crashed container is restarted at once the first time (no back-off yet,
 * so no waiting reason), and with `failure.restarts: 0` that restart alone fails the step.
 */
export function showsTrouble(pod: JsonObject): boolean {
  const view = podView(pod, true);
  return view.restarts > 0 || (view.waitingReason !== undefined && isStuckWaitingReason(view.waitingReason)) || view.lastTerminationReason === 'OOMKilled';
}

interface AppPodWatch {
  /** The app's cluster: its pods are there, not in the controller's own. */
  readonly kube: KubeClient;
  /** namespace → informer */
  readonly informers: Map<string, Informer>;
}

export class RolloutPodWatch {
  private readonly watches = new Map<string, AppPodWatch>();

  constructor(private readonly onChange: (app: string, urgent: boolean) => void) {}

  /**
   * Watches exactly these namespaces' pods for `app` in the cluster `kube` talks to (an empty
   * list stops its watches; another cluster than before replaces them all).
   */
  async watch(app: string, kube: KubeClient, namespaces: readonly string[]): Promise<void> {
    const previous = this.watches.get(app);
    const same = previous?.kube === kube;
    const current = same ? previous.informers : new Map<string, Informer>();
    for (const [namespace, informer] of previous?.informers ?? []) {
      if (same && namespaces.includes(namespace)) continue;
      current.delete(namespace);
      void informer.stop();
    }
    const started: Promise<void>[] = [];
    for (const namespace of namespaces) {
      if (current.has(namespace)) continue;
      const informer = new Informer(kube, { apiVersion: 'v1', kind: 'Pod', namespace, slim: true });
      let listed = false;
      // Trouble already there when the watch starts may have come after the look that started it
      // read the pods (that look runs in the job that changed the workload): one look more.
      let troubleListed = false;
      informer.onChange((pod) => {
        if (listed) this.onChange(app, showsTrouble(pod));
        else troubleListed ||= showsTrouble(pod);
      });
      current.set(namespace, informer);
      started.push(
        informer.start().then(() => {
          listed = true;
          if (troubleListed) this.onChange(app, true);
        }),
      );
    }
    if (current.size === 0) this.watches.delete(app);
    else this.watches.set(app, { kube, informers: current });
    await Promise.all(started);
  }

  /** Whether this process watches pods for `app`: it drives a rollout of it. */
  has(app: string): boolean {
    return this.watches.has(app);
  }

  stop(): void {
    for (const { informers } of this.watches.values()) for (const informer of informers.values()) void informer.stop();
    this.watches.clear();
  }
}
