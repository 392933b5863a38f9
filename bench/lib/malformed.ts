/**
 * Malformed revisions of one small app (a ConfigMap, a Service and a Deployment), for
 * `npm run bench -- faults`: each is the good app with every object marked with the bad
 * revision (so a partial apply shows on the live objects) plus one defect that the renderer
 * or the API server must refuse. `render` says whether the refusal must name a file:line.
 */
export interface Defect {
  readonly name: string;
  /** refused by the renderer (the log line and condition carry file:line), else by the API server */
  readonly render: boolean;
  /** files added or replaced (null deletes) for revision i */
  readonly files: (i: number) => Record<string, string | null>;
}

export const MARK = 'bench.sluice.dev/revision';

const meta = (name: string, mark: string, extra = '') => `metadata:\n  name: ${name}\n  annotations: {${MARK}: "${mark}"}\n${extra}`;
const config = (mark: string) => `apiVersion: v1\nkind: ConfigMap\n${meta('settings', mark)}data:\n  color: blue\n`;
const service = (mark: string) => `apiVersion: v1\nkind: Service\n${meta('web', mark)}spec:\n  selector: {app: web}\n  ports:\n    - port: 80\n`;
const deployment = (mark: string, opts: { templateLabel?: string; replicas?: string; port?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
${meta('web', mark)}spec:
  replicas: ${opts.replicas ?? '1'}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: ${opts.templateLabel ?? 'web'}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          ports: [{containerPort: ${opts.port ?? '80'}}]
`;

/** The good app, every object marked `mark`. */
export function goodApp(mark: string): Record<string, string | null> {
  return { 'app/config.yaml': config(mark), 'app/service.yaml': service(mark), 'app/deploy.yaml': deployment(mark), 'app/defect.yaml': null, 'app/kustomization.yaml': null };
}

const extraConfigMap = (name: string, body: string) => ({ 'app/defect.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${body}` });

export const DEFECTS: readonly Defect[] = [
  { name: 'bad YAML', render: true, files: (i) => ({ 'app/defect.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken-${i}\n` }) },
  { name: 'invalid name', render: true, files: (i) => extraConfigMap(`Bad_Name_${i}`, '') },
  { name: 'name of 100,000 characters', render: true, files: (i) => extraConfigMap(`n${i}${'a'.repeat(100_000)}`, '') },
  { name: 'invalid label value', render: true, files: (i) => extraConfigMap(`l${i}`, '  labels: {app: "-bad value-"}\n') },
  { name: 'labels as a list', render: true, files: (i) => extraConfigMap(`l${i}`, '  labels: [a, b]\n') },
  { name: 'unknown kustomization field', render: true, files: () => ({ 'app/kustomization.yaml': 'resourcez: [config.yaml]\n' }) },
  { name: 'kustomization path escape', render: true, files: () => ({ 'app/kustomization.yaml': 'resources: [config.yaml, service.yaml, deploy.yaml, ../../../etc/passwd]\n' }) },
  { name: 'duplicate object (one copy names the namespace)', render: true, files: () => ({ 'app/defect.yaml': config('dup').replace('metadata:\n', 'metadata:\n  namespace: malformed\n') }) },
  { name: 'selector does not match template (422)', render: false, files: (i) => ({ 'app/deploy.yaml': deployment(`bad-${i}`, { templateLabel: 'other' }) }) },
  { name: 'object too large (413)', render: false, files: (i) => extraConfigMap(`big-${i}`, `data:\n  blob: ${'x'.repeat(2 * 1024 * 1024)}\n`) },
  { name: 'namespace that does not exist (404)', render: false, files: (i) => ({ 'app/defect.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere-${i}\n  namespace: nowhere-${i}\n` }) },
  { name: 'replicas as a string (type error)', render: false, files: (i) => ({ 'app/deploy.yaml': deployment(`bad-${i}`, { replicas: '"three"' }) }) },
  { name: 'replicas out of the int32 range', render: false, files: (i) => ({ 'app/deploy.yaml': deployment(`bad-${i}`, { replicas: '99999999999999999999' }) }) },
  { name: 'containerPort as a string (type error)', render: false, files: (i) => ({ 'app/deploy.yaml': deployment(`bad-${i}`, { port: '"80"' }) }) },
  { name: 'ConfigMap data not a string', render: false, files: (i) => extraConfigMap(`typed-${i}`, `data:\n  k: ${i}\n`) },
];

/** Revision i of the malformed run: the good app marked `bad-i`, with defect i mod the table. */
export function malformedRevision(i: number): { defect: Defect; files: Record<string, string | null> } {
  const defect = DEFECTS[i % DEFECTS.length]!;
  const mark = `bad-${i}`;
  return { defect, files: { ...goodApp(mark), ...defect.files(i) } };
}
