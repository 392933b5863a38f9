/** Manifests (JSON text, for a test repository) of sync-hook tests: hook Jobs and ConfigMaps, and a Deployment to roll. */

/** A hook Job whose one pod runs for 1 s (or `runFor`) and exits 0, or (`fail`) exits 1 — backoffLimit 0, so one failure fails it. */
export function hookJob(name: string, annotations: Record<string, string>, opts: { fail?: boolean; generateName?: boolean; runFor?: string } = {}): string {
  const podAnnotations = { 'sim.sluice.dev/run-for': opts.runFor ?? '1s', ...(opts.fail ? { 'sim.sluice.dev/fault': 'fail' } : {}) };
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...(opts.generateName ? { generateName: `${name}-` } : { name }), annotations },
    spec: {
      backoffLimit: 0,
      template: { metadata: { annotations: podAnnotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'migrate:1' }] } },
    },
  });
}

export const hookConfigMap = (name: string, phase: string): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { 'sluice.dev/hook': phase } }, data: { ran: 'yes' } });

/** Deployment `web`, its pods Ready `readyAfter` after they start. */
export function webDeployment(opts: { image?: string; replicas?: number; readyAfter?: string } = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, annotations: { 'sim.sluice.dev/ready-after': opts.readyAfter ?? '0s' } },
        spec: { containers: [{ name: 'web', image: opts.image ?? 'web:1' }] },
      },
    },
  });
}
