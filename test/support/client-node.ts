import { ApiException, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition, type V1Deployment, Watch } from '@kubernetes/client-node';

/** A metav1.Status as the API server sends it in error bodies and watch ERROR events. */
export interface Status {
  readonly kind?: string;
  readonly status?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly message?: string;
  readonly details?: {
    readonly name?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly field?: string }[];
  };
}

/** The HTTP code and Status body of a request that must fail with an ApiException. */
export async function rejection(request: Promise<unknown>): Promise<{ code: number; status: Status }> {
  try {
    await request;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    // client-node hands the error body over as the raw response text
    const status = typeof e.body === 'string' && e.body ? (JSON.parse(e.body) as Status) : {};
    return { code: e.code, status };
  }
  throw new Error('expected the request to fail with an ApiException');
}

/** Wakes waiters whenever something they watch changes; `until` re-checks on every notify. */
export class Signal {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  async until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/** An object in a watch event: a resource, a BOOKMARK's stub, or an ERROR's Status. */
export type WatchedObject = KubernetesObject & Status & { readonly data?: Record<string, string> };

export interface WatchEvent {
  readonly type: string;
  readonly object: WatchedObject;
}

/** `TYPE name` of each event, the shape most watch assertions compare. */
export const summary = (events: readonly WatchEvent[]): string[] => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`.trim());

export const rvOf = (o: KubernetesObject): number => Number(o.metadata?.resourceVersion);

/** A client-node Watch whose events and end are recorded, with event-driven waits on both. */
export class WatchRecording {
  readonly events: WatchEvent[] = [];
  /** set when the stream has ended: null for a clean end, else the error */
  ended: { readonly error: unknown } | undefined;
  private readonly signal = new Signal();
  private controller: AbortController | undefined;

  private constructor() {}

  static async start(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<WatchRecording> {
    const recording = new WatchRecording();
    recording.controller = await new Watch(kc).watch(
      path,
      query,
      (type: string, object: WatchedObject) => {
        recording.events.push({ type, object });
        recording.signal.notify();
      },
      (error: unknown) => {
        recording.ended = { error };
        recording.signal.notify();
      },
    );
    return recording;
  }

  /** Waits until `count` events have arrived. */
  async received(count: number, timeoutMs?: number): Promise<WatchEvent[]> {
    await this.signal.until(() => this.events.length >= count, `${count} watch events (got ${summary(this.events).join(', ')})`, timeoutMs);
    return this.events;
  }

  /** Waits for the first event that satisfies `match`. */
  async first(match: (e: WatchEvent) => boolean, what: string, timeoutMs?: number): Promise<WatchEvent> {
    await this.signal.until(() => this.events.some(match), what, timeoutMs);
    return this.events.find(match)!;
  }

  async end(timeoutMs?: number): Promise<{ readonly error: unknown }> {
    await this.signal.until(() => this.ended !== undefined, 'the watch to end', timeoutMs);
    return this.ended!;
  }

  stop(): void {
    this.controller?.abort();
  }
}

export function namespace(name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export interface ConfigMapObject extends KubernetesObject {
  data?: Record<string, string>;
}

export function configMap(name: string, ns: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMapObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, data };
}

/** A Deployment or a partial one (a patch body). */
export interface DeploymentObject extends KubernetesObject {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name: string; image?: string }[] } };
  };
}

/** A Deployment `app=<name>` with containers given as `name=image`. */
export function deployment(name: string, ns: string, options: { replicas?: number; containers?: string[] } = {}): V1Deployment {
  const containers = (options.containers ?? [`${name}=nginx:1.27`]).map((c) => {
    const [container = '', image = ''] = c.split('=');
    return { name: container, image };
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
  };
}

/** Containers of a Deployment as `name=image`, in order. */
export const containersOf = (d: DeploymentObject): string[] => (d.spec?.template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image ?? ''}`);

/** A one-version CRD with a status subresource and a schema that keeps unknown fields. */
export function customResourceDefinition(options: { group: string; kind: string; plural: string; scope: 'Namespaced' | 'Cluster' }): V1CustomResourceDefinition {
  const open = { type: 'object', x_kubernetes_preserve_unknown_fields: true };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${options.plural}.${options.group}` },
    spec: {
      group: options.group,
      scope: options.scope,
      names: { kind: options.kind, listKind: `${options.kind}List`, plural: options.plural, singular: options.kind.toLowerCase() },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: open, status: open } } },
        },
      ],
    },
  };
}

export interface CustomObject extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}
