/** Manifests the rollout tests commit: a 4-replica Deployment rolled one pod at a time. */

/** `fault`: a `sim.sluice.dev/fault` for the new pods (crash-loop, never-ready …). */
export function smallDeployment(image: string, fault?: string): string {
  const annotations = { 'sim.sluice.dev/ready-after': '5s', ...(fault === undefined ? {} : { 'sim.sluice.dev/fault': fault }) };
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: ${JSON.stringify(annotations)}}
    spec:
      containers: [{name: web, image: "${image}"}]
`;
}
