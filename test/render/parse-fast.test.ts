/**
 * parse-fast.ts against the exact yaml path: on a corpus of ordinary manifests the fast path
 * must be taken and give the very same RenderResult; whatever it is unsure of it declines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { renderDirectory as renderFast } from '../../src/render/directory.ts';
import { parseFast } from '../../src/render/parse-fast.ts';
import { parseManifestFile } from '../../src/render/parse.ts';
import type { RenderDirectoryOptions, RenderResult } from '../../src/render/types.ts';

type FileMap = Map<string, string | Buffer>;

/** renderDirectory with parse-fast.ts declining everything: the exact path alone. */
async function exactRenderer(): Promise<(files: FileMap, options: RenderDirectoryOptions) => RenderResult> {
  vi.resetModules();
  vi.doMock('../../src/render/parse-fast.ts', () => ({ parseFast: () => null }));
  try {
    const module = await import('../../src/render/directory.ts');
    return module.renderDirectory;
  } finally {
    vi.doUnmock('../../src/render/parse-fast.ts');
    vi.resetModules();
  }
}

const FIXTURES = join(import.meta.dirname, '../fixtures');

function fixtureFiles(): FileMap {
  const files: FileMap = new Map();
  for (const entry of readdirSync(FIXTURES, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ya?ml|json)$/.test(entry.name)) continue;
    const full = join(entry.parentPath, entry.name);
    const path = relative(FIXTURES, full).split('\\').join('/');
    // the acceptance test's install manifests (2.7 MB) would make this test five times slower
    if (path.startsWith('install/')) continue;
    // Helm chart templates are Go templates, YAML only once Helm has rendered them
    if (path.startsWith('helm/') && path.includes('/templates/')) continue;
    files.set(path, readFileSync(full));
  }
  return files;
}

// ------------------------------------------------------------ generated corpus

const SCALARS = `    octal: "0755"
    version: "1.10"
    quotedYes: "yes"
    quotedOn: 'on'
    quotedNull: "null"
    plainYes: yes
    plainOn: on
    plainOctal: 0755
    plainVersion: 1.10
    oct: 0o14
    hex: 0x1F
    exp: 1e3
    neg: -12
    plus: +7
    dot: .5
    tilde: ~
    nul: null
    empty:
    truth: True
    date: 2021-01-01
    time: 2001-12-14t21:59:43.10-05:00
    colon: a:b
    url: http://example.com:8080/path?x=1#frag
    hash: a#b
    escaped: "tab\\there \\u00e9 \\"quoted\\""
    single: 'it''s'
    unicode: héllo wörld
`;

function configMap(name: string, i: number): string {
  return `# leading comment for ${name}
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: team-${i % 3}
  labels: {app: ${name}, tier: "backend", version: "${i}.0"}
  annotations:
    note: >-
      folded text
      over lines

      with a paragraph
data:
  script.sh: |
    #!/bin/sh
    set -eu
    if [ ! -f /tmp/x ]; then echo "hi!" & fi
    cron="*/5 * * * *"  # not a comment
  keep.txt: |+
    kept trailing newlines

  strip.txt: |-
    stripped
  folded.txt: >
    a
    b

    c
  multi: this plain scalar
    continues here
  settings.yaml: |
${SCALARS}`;
}

function deployment(name: string, i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}   # trailing comment
spec:
  replicas: ${i % 4}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: {checksum/config: "${'ab'.repeat(16)}"}
    spec:
      containers:
        - name: app
          image: "registry.example.com/app:1.${i}"
          args: ["--port", "8080", --verbose, "--level=2"]
          command:
          - /bin/sh
          - -c
          - |
            exec app --name=${name}
          ports:
          - {containerPort: 8080, protocol: TCP}
          resources:
            limits: {cpu: 500m, memory: 256Mi}
            requests:
              cpu: 0.25
              memory: 1e2Mi
          env:
          - name: LEVEL
            value: "3"
          - name: EMPTY
            value: ""
      nodeSelector:
        kubernetes.io/os: linux
`;
}

function others(name: string, i: number): string[] {
  return [
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  type: ClusterIP\n  selector: {app: ${name}}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n`,
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}-creds\ntype: Opaque\nstringData:\n  password: "p@ss:word #1"\ndata:\n  tls.crt: ${Buffer.from('x'.repeat(1500 + i)).toString('base64')}\n`,
    `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ${name}-cron\nspec:\n  schedule: "*/${(i % 5) + 1} * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers: [{name: job, image: "busybox:1.36", args: ["date"]}]\n`,
    `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${name}\n  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /$2\nspec:\n  rules:\n  - host: ${name}.example.com\n    http:\n      paths:\n      - path: /api(/|$)(.*)\n        pathType: ImplementationSpecific\n        backend: {service: {name: ${name}, port: {number: 80}}}\n`,
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ${name}, namespace: team-${i % 3}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects:\n- kind: ServiceAccount\n  name: ${name}\n  namespace: "team-${i % 3}"\n`,
    `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: ${name}-sa}\n-\n  apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: ${name}-sa2}\n`,
  ];
}

/** Generated files: every transform (CRLF, BOM, markers, empty documents, `...`) on some of them. */
function generatedFiles(count: number): Map<string, string> {
  const files = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const name = `app-${i}`;
    const docs = [configMap(name, i), deployment(name, i), ...others(name, i).filter((_, k) => (k === 5 ? i % 5 === 4 : (i + k) % 3 !== 0))];
    const sep = i % 4 === 0 ? '---\n# between documents\n\n' : i % 4 === 1 ? '...\n---\n' : i % 4 === 2 ? '---\n---\n' : '--- # marker comment\n';
    let text = (i % 2 === 0 ? '---\n' : '') + docs.join(sep) + (i % 5 === 0 ? '...\n' : i % 5 === 1 ? '---\n~\n' : '');
    if (i % 3 === 1) text = text.replace(/\n/g, '\r\n');
    files.set(`gen/${name}.yaml`, i % 7 === 3 ? `\uFEFF${text}` : text);
  }
  return files;
}

// ------------------------------------------------------------ tests

describe('parse-fast.ts against the exact path', () => {
  it('gives the same RenderResult on a generated corpus of ordinary manifests, and is taken for it', async () => {
    const files = generatedFiles(60);
    const renderExact = await exactRenderer();
    const fast = renderFast(files, { path: 'gen' });
    expect(fast.ok).toBe(true);
    expect(fast).toEqual(renderExact(files, { path: 'gen' }));
    const declined = [...files].filter(([, text]) => parseFast(text) === null).map(([path]) => path);
    // Only the files holding a List fall back (each item needs its own line).
    const withList = [...files].filter(([, text]) => text.includes('kind: List')).map(([path]) => path);
    expect(declined).toEqual(withList);
    expect(declined.length).toBeLessThan(files.size / 2);
  });

  it('gives the same RenderResult for every fixture file, alone and all together', async () => {
    const files = fixtureFiles();
    const renderExact = await exactRenderer();
    expect(files.size).toBeGreaterThan(50);
    expect(renderFast(files, { path: '' })).toEqual(renderExact(files, { path: '' }));
    for (const [path, bytes] of files) {
      const one: FileMap = new Map([[path, bytes]]);
      expect(renderFast(one, { path: '' }), path).toEqual(renderExact(one, { path: '' }));
      const text = bytes.toString();
      expect(parseManifestFile(path, text), path).toEqual(parseManifestFile(path, text, { fast: false }));
    }
  });

  const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';
  it.each([
    ['an anchor and alias', `${head}data: &d {a: b}\nx: *d\n`],
    ['a tag', `${head}data: !!map {a: b}\n`],
    ['a non-specific tag', `${head}data:\n  a: ! 12\n`],
    ['a directive', `%YAML 1.1\n---\n${head}data: {a: yes}\n`],
    ['a merge key', `${head}data:\n  <<: {a: b}\n`],
    ['an explicit key', `${head}data:\n  ? a\n  : b\n`],
    ['a collection as key', `${head}data:\n  [a, b]: c\n`],
    ['a null key (yaml: "", js-yaml: "null")', `${head}data:\n  ~: c\n`],
    ['a key over 1000 characters', `${head}data:\n  ${'k'.repeat(1100)}: v\n`],
    ['a flow sequence over lines', `${head}data: {a: [1,\n  2]}\n`],
    ['a quoted scalar over lines', `${head}data:\n  a: "one\n    two"\n`],
    ['a block scalar with an indentation indicator', `${head}data:\n  a: |2\n     x\n`],
    ['a block scalar line indented less than its first', `${head}data:\n  a: |\n      x\n     y\n`],
    ['a tab in indentation', `${head}data:\n\ta: b\n`],
    ['a lone CR', `${head}data:\r  a: b\n`],
    ['content on a --- line', `--- ${head}`],
    ['a bare document after ...', `${head}...\n${head}`],
    ['duplicate keys', `${head}data: {a: b}\ndata: {c: d}\n`],
    ['a syntax error', `${head}data: [a\n`],
    ['a List', `apiVersion: v1\nkind: List\nitems: []\n`],
    ['a document that is not a mapping', `- a\n- b\n`],
    ['.inf (not JSON)', `${head}data: {a: .inf}\n`],
  ])('declines %s, and the result is the exact path\'s', (_name, text) => {
    expect(parseFast(text)).toBeNull();
    expect(parseManifestFile('m/a.yaml', text)).toEqual(parseManifestFile('m/a.yaml', text, { fast: false }));
  });

  it.each([
    ['documents after leading comments and empty documents', `# c\n---\n---\n${head}---\n\n# c\n${head.replace('name: a', 'name: b')}...\n`],
    ['CRLF and a BOM', `\uFEFF${head}data:\r\n  a: |\r\n    x\r\n`.replace(/(?<!\r)\n/g, '\r\n')],
    ['core-schema scalars', `${head}data:\n${SCALARS}`],
  ])('takes %s and matches the exact path', (_name, text) => {
    expect(parseFast(text)).not.toBeNull();
    expect(parseManifestFile('m/a.yaml', text)).toEqual(parseManifestFile('m/a.yaml', text, { fast: false }));
  });
});
