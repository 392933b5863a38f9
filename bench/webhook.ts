/**
 * `npm run bench -- webhook`: 100 pushes to a 20-object app (bench/lib/fleet-apps.ts's
 * manifests: 10 ConfigMaps, 4 Secrets, 3 Services, 2 ServiceAccounts, a Deployment), each
 * changing a ConfigMap and the Deployment's pod template, each followed by a signed
 * GitHub push webhook to the API server. One at a time: the next push waits for the app to
 * be Healthy at the previous one. Measured from sending the webhook to (a) the sync's end
 * (its history entry's finishedAt: applied) and (b) the app reported Healthy at that
 * revision (the stored state, polled every 10 ms). Everything in one process: the embedded
 * cluster at real-time speed, git http-backend, redis-server, the controller and the server.
 * Targets (issue 12): webhook → applied p50 ≤ 250 ms, p99 ≤ 1 s.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { isAppState } from '../src/controller/state.ts';
import { HistoryStore } from '../src/store/history.ts';
import { testApplication } from '../test/support/apps.ts';
import { startHarness } from '../test/api/harness.ts';
import { until } from '../test/support/wait.ts';
import { manifests } from './lib/fleet-apps.ts';
import { formatMs, percentile } from './lib/stats.ts';

const PUSHES = Number(process.env.WEBHOOK_BENCH_PUSHES ?? 100);
const SECRET = 'bench-webhook-secret';
const TARGET_P50_MS = 250;
const TARGET_P99_MS = 1_000;

/** The app's manifests at push i: a ConfigMap value and a pod-template annotation move. */
function files(i: number): Record<string, string> {
  const text = manifests('web')
    .replace('value 0', `value 0 push ${i}`)
    .replace('      labels: {app: web}\n    spec:', `      labels: {app: web}\n      annotations: {bench/push: "${i}"}\n    spec:`);
  return { 'web/objects.yaml': text };
}

export async function run(): Promise<number> {
  const h = await startHarness({ files: files(0), apps: (repoURL) => [testApplication({ name: 'web', repoURL, path: 'web', intervalMs: 3_600_000 })], webhooks: { secrets: { github: SECRET } } });
  const redis = new Redis(h.redis.url);
  const store = new HistoryStore(redis);
  const state = async () => {
    const s = await store.getState('web');
    return isAppState(s) ? s : undefined;
  };
  try {
    await until('first sync healthy', async () => (await state())?.health === 'Healthy' || undefined, 60_000, 20);
    const applied: number[] = [];
    const healthy: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const sha = await h.repo.commit(files(i), `push ${i}`);
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { clone_url: h.repo.url }, commits: [{ id: sha, added: [], removed: [], modified: ['web/objects.yaml'] }] });
      const sentAt = Date.now();
      const res = await fetch(`${h.url}/api/webhook/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
        body,
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      const entry = await until(`push ${i} applied`, async () => (await store.list('web', 1)).find((e) => e.revision === sha), 30_000, 5);
      if (entry.phase !== 'Succeeded') throw new Error(`push ${i}: sync ${entry.phase}: ${entry.message}`);
      applied.push(Date.parse(entry.finishedAt) - sentAt);
      await until(`push ${i} healthy`, async () => {
        const s = await state();
        return (s?.syncedRevision === sha && s.health === 'Healthy') || undefined;
      }, 60_000, 10);
      healthy.push(Date.now() - sentAt);
    }
    const p = (xs: number[], q: number) => percentile(xs, q);
    console.log(`webhook → applied  p50 ${formatMs(p(applied, 50))} ms  p99 ${formatMs(p(applied, 99))} ms  max ${formatMs(Math.max(...applied))} ms  (${PUSHES} pushes)`);
    console.log(`webhook → healthy  p50 ${formatMs(p(healthy, 50))} ms  p99 ${formatMs(p(healthy, 99))} ms  max ${formatMs(Math.max(...healthy))} ms`);
    const ok = p(applied, 50) <= TARGET_P50_MS && p(applied, 99) <= TARGET_P99_MS;
    console.log(`target: applied p50 ≤ ${TARGET_P50_MS} ms, p99 ≤ ${TARGET_P99_MS} ms: ${ok ? 'met' : 'NOT met'}`);
    return ok ? 0 : 1;
  } finally {
    redis.disconnect();
    await h.stop();
  }
}
