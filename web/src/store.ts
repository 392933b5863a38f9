/**
 * The UI's state: every app by name (one list request, then kept current by the event
 * stream), the connection state, and subscriptions for the app page's resource trees.
 */
import type { AppSummary, LiveEventName, LiveEvents, ResourceNode } from './api-types.ts';
import type { ApiClient } from './client.ts';
import { LiveStream, type LiveState } from './live.ts';
import type { SseEvent } from './sse.ts';

type Listener = () => void;

export class AppStore {
  readonly apps = new Map<string, AppSummary>();
  /** names in display order (sorted), rebuilt only when an app appears or goes */
  names: string[] = [];
  loaded = false;
  loadError: string | undefined;
  live: LiveState = { kind: 'connecting' };
  /** moves on every change, so views can memoise on it */
  version = 0;
  private readonly listeners = new Set<Listener>();
  private readonly treeListeners = new Set<(app: string, items: ResourceNode[]) => void>();
  private readonly openListeners = new Set<Listener>();
  /** events that arrived while the list was loading, applied after it in order */
  private pending: SseEvent[] | undefined;
  private stream: LiveStream | undefined;

  constructor(private readonly client: ApiClient) {}

  /** Opens the event stream; each (re)open reloads the list, events buffered meanwhile. */
  start(onUnauthorized: () => void): void {
    this.stream = new LiveStream(this.client, {
      onOpen: () => {
        void this.reload();
        for (const listener of this.openListeners) listener();
      },
      onEvent: (event) => (this.pending ? this.pending.push(event) : this.apply(event)),
      onState: (state) => {
        this.live = state;
        if (state.kind === 'unauthorized') onUnauthorized();
        this.changed();
      },
    });
    this.stream.start();
  }

  stop(): void {
    this.stream?.stop();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onTree(listener: (app: string, items: ResourceNode[]) => void): () => void {
    this.treeListeners.add(listener);
    return () => this.treeListeners.delete(listener);
  }

  /** called whenever the stream (re)opens, after a gap events may not cover */
  onOpen(listener: Listener): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  private async reload(): Promise<void> {
    this.pending = [];
    try {
      const items = await this.client.apps();
      this.apps.clear();
      for (const app of items) this.apps.set(app.name, app);
      this.loaded = true;
      this.loadError = undefined;
    } catch (e) {
      this.loadError = e instanceof Error ? e.message : String(e);
    }
    const pending = this.pending;
    this.pending = undefined;
    for (const event of pending) this.apply(event);
    this.sortNames();
    this.changed();
  }

  private apply(event: SseEvent): void {
    if (!isLiveEventName(event.event)) return;
    const data: unknown = JSON.parse(event.data);
    switch (event.event) {
      case 'app': {
        const app = data as LiveEvents['app'];
        const known = this.apps.has(app.name);
        this.apps.set(app.name, app);
        if (!known) this.sortNames();
        break;
      }
      case 'app-deleted':
        if (this.apps.delete((data as LiveEvents['app-deleted']).name)) this.sortNames();
        break;
      case 'resources': {
        const tree = data as LiveEvents['resources'];
        for (const listener of this.treeListeners) listener(tree.app, tree.items);
        return;
      }
      case 'ping':
        return;
    }
    this.changed();
  }

  private sortNames(): void {
    this.names = [...this.apps.keys()].sort();
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}

const EVENT_NAMES: readonly string[] = ['app', 'app-deleted', 'resources', 'ping'] satisfies LiveEventName[];

function isLiveEventName(name: string): name is LiveEventName {
  return EVENT_NAMES.includes(name);
}
