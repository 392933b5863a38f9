/** The fleet of `npm run bench -- controller`: apps and their manifests, shared by the bench and its controller process. */
import type { Application } from '../../src/app/types.ts';
import { testApplication } from '../../test/support/apps.ts';

export const appName = (i: number) => `app-${String(i).padStart(4, '0')}`;

/** 20 objects: 10 ConfigMaps, 4 Secrets, 3 Services, 2 ServiceAccounts, 1 Deployment. */
export function manifests(app: string): string {
  const docs: string[] = [];
  for (let i = 0; i < 10; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-cfg-${i}\ndata:\n  key: "value ${i}"\n  mode: "0644"\n`);
  for (let i = 0; i < 4; i++) docs.push(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${app}-secret-${i}\ntype: Opaque\nstringData:\n  token: t-${i}\n`);
  for (let i = 0; i < 3; i++) docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}-svc-${i}\nspec:\n  selector: {app: ${app}}\n  ports:\n    - port: ${8080 + i}\n      targetPort: 8080\n`);
  for (let i = 0; i < 2; i++) docs.push(`apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${app}-sa-${i}\n`);
  docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ${app}}\n  template:\n    metadata:\n      labels: {app: ${app}}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.25\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n`);
  return docs.join('---\n');
}

export function application(i: number, repoURL: string): Application {
  const name = appName(i);
  return testApplication({ name, repoURL, path: name, namespace: `ns-${String(i % 50).padStart(2, '0')}`, intervalMs: 3_600_000 });
}

