/**
 * Prometheus metrics (prom-client), one registry per server. Names:
 *
 *   sluice_app_sync_status{app,status}            1 for the app's current sync status
 *   sluice_app_health_status{app,status}          1 for the app's current health
 *   sluice_sync_operations_total{trigger,phase}   syncs this process ran
 *   sluice_sync_duration_seconds{trigger}         how long they took
 *   sluice_rollout_operations_total{phase}        rollouts finished (the rollout engine reports them)
 *   sluice_rollout_duration_seconds               their length
 *   sluice_git_fetch_duration_seconds{outcome}    Git resolves that fetched or cloned
 *   sluice_queue_jobs{state}                      waiting / active / delayed / failed jobs
 *   sluice_webhook_requests_total{forge,outcome}  deliveries and what became of them
 *   sluice_api_requests_total{method,route,status}
 *   sluice_commit_to_applied_seconds{trigger}     from the request (a webhook's receipt, a click) to the sync's end
 *   sluice_commit_to_healthy_seconds{trigger}     … to the app reported Healthy at that revision
 *
 * plus prom-client's default process and Node.js metrics. Per-app gauges are read from
 * the store at scrape time (one round trip), so every process reports the same fleet.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SyncRequest } from '../queue/types.ts';
import type { OperationResult } from '../sync/types.ts';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600];

export interface FleetReader {
  /** Each app's sync and health status. */
  appStatuses(): Promise<readonly { app: string; sync: string; health: string }[]>;
  queueCounts(): Promise<Record<string, number>>;
}

export class SluiceMetrics {
  readonly registry = new Registry();
  private readonly syncOps: Counter<'trigger' | 'phase'>;
  private readonly syncDuration: Histogram<'trigger'>;
  private readonly rolloutOps: Counter<'phase'>;
  private readonly rolloutDuration: Histogram;
  private readonly gitFetch: Histogram<'outcome'>;
  private readonly webhooks: Counter<'forge' | 'outcome'>;
  private readonly apiRequests: Counter<'method' | 'route' | 'status'>;
  private readonly toApplied: Histogram<'trigger'>;
  private readonly toHealthy: Histogram<'trigger'>;
  /** app → the revision a request applied, awaiting Healthy */
  private readonly awaitingHealthy = new Map<string, { revision: string; requestedAt: number; trigger: string }>();
  private fleet: FleetReader | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const self = this;
    new Gauge({
      name: 'sluice_app_sync_status',
      help: 'The sync status of each app (1 for the current one)',
      labelNames: ['app', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const s of (await self.fleet?.appStatuses()) ?? []) this.set({ app: s.app, status: s.sync }, 1);
      },
    });
    new Gauge({
      name: 'sluice_app_health_status',
      help: 'The health of each app (1 for the current one)',
      labelNames: ['app', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const s of (await self.fleet?.appStatuses()) ?? []) this.set({ app: s.app, status: s.health }, 1);
      },
    });
    new Gauge({
      name: 'sluice_queue_jobs',
      help: 'Jobs in the operation queue by state',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        for (const [state, n] of Object.entries((await self.fleet?.queueCounts()) ?? {})) this.set({ state }, n);
      },
    });
    this.syncOps = new Counter({ name: 'sluice_sync_operations_total', help: 'Sync operations run by this process', labelNames: ['trigger', 'phase'], registers });
    this.syncDuration = new Histogram({ name: 'sluice_sync_duration_seconds', help: 'Duration of sync operations', labelNames: ['trigger'], buckets: LATENCY_BUCKETS, registers });
    this.rolloutOps = new Counter({ name: 'sluice_rollout_operations_total', help: 'Rollouts finished, by outcome', labelNames: ['phase'], registers });
    this.rolloutDuration = new Histogram({ name: 'sluice_rollout_duration_seconds', help: 'Duration of rollouts', buckets: LATENCY_BUCKETS, registers });
    this.gitFetch = new Histogram({ name: 'sluice_git_fetch_duration_seconds', help: 'Git resolves that fetched or cloned', labelNames: ['outcome'], buckets: LATENCY_BUCKETS, registers });
    this.webhooks = new Counter({ name: 'sluice_webhook_requests_total', help: 'Webhook deliveries by forge and outcome', labelNames: ['forge', 'outcome'], registers });
    this.apiRequests = new Counter({ name: 'sluice_api_requests_total', help: 'API requests by route and status', labelNames: ['method', 'route', 'status'], registers });
    this.toApplied = new Histogram({ name: 'sluice_commit_to_applied_seconds', help: 'From a sync request (webhook receipt, manual request) to its sync finishing', labelNames: ['trigger'], buckets: LATENCY_BUCKETS, registers });
    this.toHealthy = new Histogram({ name: 'sluice_commit_to_healthy_seconds', help: 'From a sync request to the app Healthy at that revision', labelNames: ['trigger'], buckets: LATENCY_BUCKETS, registers });
  }

  /** Where the per-app gauges and queue depth are read at scrape time. */
  readFleetFrom(reader: FleetReader): void {
    this.fleet = reader;
  }

  /** The controller's onOperation hook. */
  syncFinished(result: OperationResult, request: SyncRequest): void {
    this.syncOps.inc({ trigger: result.trigger, phase: result.phase });
    const finished = Date.parse(result.finishedAt);
    this.syncDuration.observe({ trigger: result.trigger }, Math.max(0, finished - Date.parse(result.startedAt)) / 1000);
    if (result.dryRun || result.phase !== 'Succeeded' || result.revision === undefined) return;
    this.toApplied.observe({ trigger: request.trigger }, Math.max(0, finished - request.requestedAt) / 1000);
    this.awaitingHealthy.set(result.app, { revision: result.revision, requestedAt: request.requestedAt, trigger: request.trigger });
  }

  /** Every app state seen (the live event feed): closes the request → healthy interval. */
  appState(app: string, state: { health: string; syncedRevision?: string | undefined }, now = Date.now()): void {
    const waiting = this.awaitingHealthy.get(app);
    if (waiting === undefined || state.health !== 'Healthy' || state.syncedRevision !== waiting.revision) return;
    this.awaitingHealthy.delete(app);
    this.toHealthy.observe({ trigger: waiting.trigger }, Math.max(0, now - waiting.requestedAt) / 1000);
  }

  rolloutFinished(phase: string, seconds: number): void {
    this.rolloutOps.inc({ phase });
    this.rolloutDuration.observe(seconds);
  }

  gitFetched(outcome: string, seconds: number): void {
    this.gitFetch.observe({ outcome }, seconds);
  }

  webhook(forge: string, outcome: string): void {
    this.webhooks.inc({ forge, outcome });
  }

  apiRequest(method: string, route: string, status: number): void {
    this.apiRequests.inc({ method, route, status: String(status) });
  }
}
