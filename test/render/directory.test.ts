import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../src/render/canonical.ts';
import { renderDirectory } from '../../src/render/directory.ts';
import type { RenderDirectoryOptions, RenderError, RenderErrorCode, RenderResult } from '../../src/render/types.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/render');

/** Fixture tree → the repo-relative file map the git layer would hand over (as Buffers). */
function loadFixtures(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(FIXTURES, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(FIXTURES, full).split('\\').join('/'), readFileSync(full));
  }
  return files;
}

function files(entries: Record<string, string | Buffer>): Map<string, string | Buffer> {
  return new Map(Object.entries(entries));
}

function cm(name: string, extra = ''): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;
}

function summary(result: RenderResult): string[] {
  if (!result.ok) throw new Error(`render failed: ${JSON.stringify(result.errors)}`);
  return result.objects.map((o) => {
    const meta = o.object['metadata'] as { name: string };
    return `${String(o.object['kind'])}/${meta.name} @${o.source.file}:${o.source.line}#${o.source.documentIndex}`;
  });
}

function errorsOf(result: RenderResult): RenderError[] {
  if (result.ok) throw new Error(`render succeeded with ${result.objects.length} objects`);
  return result.errors;
}

describe('renderDirectory: fixture tree', () => {
  it('renders every manifest under app/ in path then document order, ignoring other files', () => {
    const result = renderDirectory(loadFixtures(), { path: 'app' });
    expect(summary(result)).toEqual([
      'Deployment/web @app/deployment.yaml:2#0',
      'Service/web @app/deployment.yaml:10#1',
      'ConfigMap/one @app/nested/configmaps-list.yaml:4#0',
      'ConfigMap/two @app/nested/configmaps-list.yaml:7#0',
      'Secret/creds @app/nested/secret.json:1#0',
    ]);
  });

  it('recurse: false stays in the directory itself', () => {
    expect(summary(renderDirectory(loadFixtures(), { path: 'app/', recurse: false }))).toEqual([
      'Deployment/web @app/deployment.yaml:2#0',
      'Service/web @app/deployment.yaml:10#1',
    ]);
  });

  it('the whole fixture root fails with every error: the alias bomb and the malformed file', () => {
    const errors = errorsOf(renderDirectory(loadFixtures(), { path: '.' }));
    expect(errors.map((e) => [e.code, e.file, e.line])).toEqual([
      ['ALIAS_LIMIT', 'billion-laughs.yaml', 1],
      ['YAML_SYNTAX', 'malformed.yaml', 7],
    ]);
    expect(errors[0]?.message).toMatch(/more than 100 aliases/);
  });

  it('is deterministic: shuffled map order gives identical output', () => {
    const base = loadFixtures();
    const want = renderDirectory(base, { path: 'app' });
    const entries = [...base.entries()];
    for (let seed = 1; seed <= 5; seed++) {
      const shuffled = [...entries].sort((a, b) => hash(`${seed}${a[0]}`) - hash(`${seed}${b[0]}`));
      expect(renderDirectory(new Map(shuffled), { path: 'app' })).toEqual(want);
    }
    const reversed = renderDirectory(new Map([...entries].reverse()), { path: 'app' });
    expect(reversed).toEqual(want);
  });
});

function hash(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 1_000_003;
  return h;
}

describe('renderDirectory: accepted inputs', () => {
  it.each<{ name: string; files: Record<string, string | Buffer>; options?: Partial<RenderDirectoryOptions>; want: string[] }>([
    {
      name: 'empty and comment-only documents are skipped but keep their index',
      files: { 'm/a.yaml': `---\n# just a comment\n---\n\n---\n${cm('x')}---\n~\n` },
      want: ['ConfigMap/x @m/a.yaml:6#2'],
    },
    {
      name: 'an empty file yields nothing',
      files: { 'm/a.yaml': '', 'm/b.yml': cm('b') },
      want: ['ConfigMap/b @m/b.yml:1#0'],
    },
    {
      name: '*List kinds with items are flattened, recursively, with each item\'s line',
      files: {
        'm/list.yaml': 'apiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - ' + 'apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: inner}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: outer}\n',
      },
      want: ['ConfigMap/inner @m/list.yaml:7#0', 'ConfigMap/outer @m/list.yaml:10#0'],
    },
    {
      name: 'an empty List yields nothing; a CRD kind ending in "List" without items is an object',
      files: { 'm/a.yaml': 'apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: acl.example.com/v1\nkind: AllowList\nmetadata: {name: allow}\n' },
      want: ['AllowList/allow @m/a.yaml:5#1'],
    },
    {
      name: 'JSON files are one document, parsed with lines (tab indentation allowed)',
      files: { 'j/a.json': '{\n\t"apiVersion": "v1", "kind": "List", "items": [\n\t\t{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}\n\t]\n}' },
      options: { path: 'j' },
      want: ['ConfigMap/j @j/a.json:3#0'],
    },
    {
      name: 'the repo root is rendered with path ""; other extensions are ignored',
      files: { 'a.yaml': cm('root'), 'notes.txt': 'apiVersion: nope', 'b.YAML': 'not: matched' },
      options: { path: '' },
      want: ['ConfigMap/root @a.yaml:1#0'],
    },
    {
      name: 'the same name in different namespaces, kinds or groups is not a duplicate',
      files: {
        'm/a.yaml': `${cm('x', '  namespace: a\n')}---\n${cm('x', '  namespace: b\n')}---\n${cm('x')}---\napiVersion: v1\nkind: Secret\nmetadata: {name: x}\n---\napiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: x}\n`,
      },
      want: ['ConfigMap/x @m/a.yaml:1#0', 'ConfigMap/x @m/a.yaml:7#1', 'ConfigMap/x @m/a.yaml:13#2', 'Secret/x @m/a.yaml:18#3', 'ConfigMap/x @m/a.yaml:22#4'],
    },
    {
      name: 'merge keys and a few aliases are fine',
      files: { 'm/a.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: merged\n  labels: &l {app: x}\n  annotations: *l\ndata:\n  <<: {a: "1"}\n  b: "2"\n` },
      want: ['ConfigMap/merged @m/a.yaml:1#0'],
    },
    {
      name: 'symlinks whose target stays inside the repository are allowed',
      files: { 'm/a.yaml': cm('a'), 'shared/b.yaml': cm('b') },
      options: { symlinks: new Map([['m/b.yaml', '../shared/b.yaml'], ['m/dir', '../shared'], ['m/abs-ok', './a.yaml']]) },
      want: ['ConfigMap/a @m/a.yaml:1#0'],
    },
    {
      name: 'a UTF-8 BOM is stripped',
      files: { 'm/a.yaml': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(cm('bom'))]) },
      want: ['ConfigMap/bom @m/a.yaml:1#0'],
    },
  ])('$name', ({ files: entries, options, want }) => {
    expect(summary(renderDirectory(files(entries), { path: 'm', ...options }))).toEqual(want);
  });

  it('parses values as YAML 1.2 JSON values, numbers as go-yaml reads them (010 is octal 8, as for kubectl)', () => {
    const result = renderDirectory(files({ 'm/a.yaml': cm('v', 'data:\n  on: yes\n  n: 010\n  f: 1.5\n  z: null\n') }), { path: 'm' });
    expect(result.ok && result.objects[0]?.object).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'v' },
      data: { on: 'yes', n: 8, f: 1.5, z: null },
    });
  });
});

describe('renderDirectory: content hash', () => {
  it('is sha256 of canonical JSON: key order does not matter, values do', () => {
    const a = renderDirectory(files({ 'm/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h, labels: {b: "1", a: "2"}}\n' }), { path: 'm' });
    const b = renderDirectory(files({ 'm/b.json': '{"metadata": {"labels": {"a": "2", "b": "1"}, "name": "h"}, "kind": "ConfigMap", "apiVersion": "v1"}' }), { path: 'm' });
    const c = renderDirectory(files({ 'm/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h, labels: {b: "1", a: "3"}}\n' }), { path: 'm' });
    if (!a.ok || !b.ok || !c.ok) throw new Error('render failed');
    expect(a.objects[0]?.contentHash).toBe(b.objects[0]?.contentHash);
    expect(a.objects[0]?.contentHash).not.toBe(c.objects[0]?.contentHash);
    expect(a.objects[0]?.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    { value: { b: [2, { d: 1, c: null }], a: 'x' }, want: '{"a":"x","b":[2,{"c":null,"d":1}]}' },
    { value: [true, -0, 'é'], want: '[true,0,"é"]' },
  ])('canonicalJson($value)', ({ value, want }) => {
    expect(canonicalJson(value)).toBe(want);
    expect(contentHash(value)).toHaveLength(64);
  });
});

interface ErrorCase {
  name: string;
  files: Record<string, string | Buffer>;
  options?: Partial<RenderDirectoryOptions>;
  want: { code: RenderErrorCode; file: string; line?: number; message: RegExp }[];
}

describe('renderDirectory: errors (all collected, no objects)', () => {
  const bigList = `apiVersion: v1\nkind: List\nitems:\n${[1, 2, 3].map((i) => `- {apiVersion: v1, kind: ConfigMap, metadata: {name: c${i}}}\n`).join('')}`;
  it.each<ErrorCase>([
    {
      name: 'render path with ..',
      files: { 'm/a.yaml': cm('a') },
      options: { path: 'm/../..' },
      want: [{ code: 'PATH_ESCAPE', file: 'm/../..', message: /'\.\.' segment/ }],
    },
    {
      name: 'absolute render path',
      files: { 'm/a.yaml': cm('a') },
      options: { path: '/etc' },
      want: [{ code: 'PATH_ESCAPE', file: '/etc', message: /absolute/ }],
    },
    {
      name: 'file keys escaping the root, or not canonical',
      files: { 'm/../../etc/passwd.yaml': cm('a'), '/m/abs.yaml': cm('b'), 'm//x.yaml': cm('c'), 'm/ok.yaml': cm('ok') },
      want: [
        { code: 'PATH_ESCAPE', file: '/m/abs.yaml', message: /absolute/ },
        { code: 'PATH_ESCAPE', file: 'm/../../etc/passwd.yaml', message: /'\.\.' segment/ },
        { code: 'INVALID_PATH', file: 'm//x.yaml', message: /not canonical/ },
      ],
    },
    {
      name: 'symlinks out of the repository: relative, absolute, via another link, and a loop',
      files: { 'm/a.yaml': cm('a') },
      options: {
        symlinks: new Map([
          ['m/up.yaml', '../../secret.yaml'],
          ['m/abs.yaml', '/etc/passwd'],
          ['m/hop', 'inner'],
          ['m/inner', '../shared/../..'],
          ['m/loop1', 'loop2'],
          ['m/loop2', 'loop1'],
          ['other/out', '../../x'],
        ]),
      },
      want: [
        { code: 'SYMLINK_ESCAPE', file: 'm/abs.yaml', message: /absolute path "\/etc\/passwd"/ },
        { code: 'SYMLINK_ESCAPE', file: 'm/hop', message: /outside the repository root/ },
        { code: 'SYMLINK_ESCAPE', file: 'm/inner', message: /outside the repository root/ },
        { code: 'SYMLINK_LOOP', file: 'm/loop1', message: /loop/ },
        { code: 'SYMLINK_LOOP', file: 'm/loop2', message: /loop/ },
        { code: 'SYMLINK_ESCAPE', file: 'm/up.yaml', message: /"\.\.\/\.\.\/secret\.yaml" resolves outside/ },
      ],
    },
    {
      name: 'a symlinked ancestor of the render path that escapes',
      files: { 'apps/m/a.yaml': cm('a') },
      options: { path: 'apps/m', symlinks: new Map([['apps', '../outside']]) },
      want: [{ code: 'SYMLINK_ESCAPE', file: 'apps', message: /outside the repository root/ }],
    },
    {
      name: 'a path that does not exist',
      files: { 'm/a.yaml': cm('a') },
      options: { path: 'nope' },
      want: [{ code: 'PATH_NOT_FOUND', file: 'nope', message: /does not exist/ }],
    },
    {
      name: 'a path that is a file',
      files: { 'm/a.yaml': cm('a') },
      options: { path: 'm/a.yaml' },
      want: [{ code: 'INVALID_OPTIONS', file: 'm/a.yaml', message: /is a file/ }, { code: 'PATH_NOT_FOUND', file: 'm/a.yaml', message: /does not exist/ }],
    },
    {
      name: 'too many files stops before parsing',
      files: { 'm/a.yaml': cm('a'), 'm/b.yaml': ': broken', 'm/c.yaml': cm('c') },
      options: { limits: { maxFiles: 2 } },
      want: [{ code: 'TOO_MANY_FILES', file: 'm/c.yaml', message: /3 manifest files, more than the limit of 2/ }],
    },
    {
      name: 'a file over the size limit (others still parsed and checked)',
      files: { 'm/big.yaml': cm('big', `data: {x: "${'x'.repeat(100)}"}\n`), 'm/bad.yaml': '- a list' },
      options: { limits: { maxFileBytes: 100 } },
      want: [
        { code: 'FILE_TOO_LARGE', file: 'm/big.yaml', line: 5, message: /is 167 bytes, more than the limit of 100 \(reached at line 5\)/ },
        { code: 'NOT_A_MAPPING', file: 'm/bad.yaml', line: 1, message: /is a sequence, not a mapping/ },
      ],
    },
    {
      name: 'total bytes over the limit (multi-byte characters counted as bytes)',
      files: { 'm/a.yaml': cm('a', 'data: {k: "ééé"}\n'), 'm/b.yaml': cm('b') },
      options: { limits: { maxTotalBytes: 100 } },
      want: [{ code: 'TOTAL_TOO_LARGE', file: 'm/b.yaml', line: 2, message: /total 122 bytes, more than the limit of 100 \(reached in this file at line 2\)/ }],
    },
    {
      name: 'too many objects, counted after List flattening, named at the first one past the limit',
      files: { 'm/list.yaml': bigList },
      options: { limits: { maxObjects: 2 } },
      want: [{ code: 'TOO_MANY_OBJECTS', file: 'm/list.yaml', line: 6, message: /yields 3 objects, more than the limit of 2/ }],
    },
    {
      name: 'invalid limits',
      files: { 'm/a.yaml': cm('a') },
      options: { limits: { maxFiles: -1, maxObjects: 1.5 } },
      want: [
        { code: 'INVALID_OPTIONS', file: 'm', message: /limits\.maxFiles must be a non-negative integer, got -1/ },
        { code: 'INVALID_OPTIONS', file: 'm', message: /limits\.maxObjects .* got 1\.5/ },
      ],
    },
    {
      name: 'malformed YAML reports the parser\'s line and column, in every file',
      files: { 'm/a.yaml': `${cm('a')}---\napiVersion: v1\nkind: [unclosed\n`, 'm/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\n', 'm/c.json': '{"apiVersion": "v1",,}' },
      want: [
        { code: 'YAML_SYNTAX', file: 'm/a.yaml', line: 8, message: /must be sufficiently indented and end with a \] at line 8, column 1/ },
        { code: 'YAML_SYNTAX', file: 'm/b.yaml', line: 3, message: /Map keys must be unique at line 3, column 1/ },
        { code: 'YAML_SYNTAX', file: 'm/c.json', line: 1, message: /line 1, column/ },
      ],
    },
    {
      name: 'an alias bomb in a later document names that document\'s line',
      files: { 'm/a.yaml': `${cm('ok')}---\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n` },
      want: [{ code: 'ALIAS_LIMIT', file: 'm/a.yaml', line: 6, message: /document 1 expands more than 100 aliases/ },],
    },
    {
      name: 'documents that are not mappings, and values JSON cannot hold',
      files: { 'm/a.yaml': `just a string\n---\n- 1\n---\n42\n---\n${cm('inf', 'data: {x: .inf}\n')}---\napiVersion: v1\nkind: List\nitems: {}\n---\napiVersion: v1\nkind: List\nitems: [oops]\n` },
      want: [
        { code: 'NOT_A_MAPPING', file: 'm/a.yaml', line: 1, message: /document 0 is a string, not a mapping/ },
        { code: 'NOT_A_MAPPING', file: 'm/a.yaml', line: 3, message: /document 1 is a sequence/ },
        { code: 'NOT_A_MAPPING', file: 'm/a.yaml', line: 5, message: /document 2 is a number/ },
        { code: 'NOT_JSON', file: 'm/a.yaml', line: 7, message: /document 3: data\.x is Infinity/ },
        { code: 'INVALID_LIST', file: 'm/a.yaml', line: 13, message: /items is not a sequence/ },
        { code: 'NOT_A_MAPPING', file: 'm/a.yaml', line: 19, message: /document 5 is a string/ },
      ],
    },
    {
      name: 'missing apiVersion, kind, metadata.name; generateName is rejected',
      files: {
        'm/a.yaml': `kind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n---\napiVersion: v1\nkind: Job\nmetadata: {generateName: run-}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: 5, namespace: [x]}\n---\n{}\n`,
      },
      want: [
        { code: 'MISSING_FIELD', file: 'm/a.yaml', line: 1, message: /^ConfigMap "a" is missing apiVersion$/ },
        { code: 'MISSING_FIELD', file: 'm/a.yaml', line: 4, message: /^object "b" is missing kind$/ },
        { code: 'MISSING_FIELD', file: 'm/a.yaml', line: 7, message: /^Job is missing metadata\.name \(metadata\.generateName is supported on sync hooks only/ },
        { code: 'MISSING_FIELD', file: 'm/a.yaml', line: 11, message: /invalid metadata\.name \(not a string\), metadata\.namespace \(not a string\)/ },
        { code: 'MISSING_FIELD', file: 'm/a.yaml', line: 15, message: /^object is missing apiVersion, kind, metadata\.name$/ },
      ],
    },
    {
      name: 'duplicates across files name both places (group from apiVersion, namespace as written)',
      files: {
        'm/a.yaml': `${cm('x')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\n`,
        'm/sub/b.yaml': `apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d, namespace: n}\n---\n${cm('x')}---\n${cm('x', '  namespace: default\n')}`,
        'm/sub/c.json': '{"apiVersion": "v1", "kind": "List", "items": [\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}]}',
      },
      want: [
        { code: 'DUPLICATE_OBJECT', file: 'm/sub/b.yaml', line: 1, message: /^duplicate object Deployment\.apps n\/d: defined at m\/a\.yaml:6 and m\/sub\/b\.yaml:1$/ },
        { code: 'DUPLICATE_OBJECT', file: 'm/sub/b.yaml', line: 5, message: /^duplicate object ConfigMap x: defined at m\/a\.yaml:1 and m\/sub\/b\.yaml:5$/ },
        { code: 'DUPLICATE_OBJECT', file: 'm/sub/c.json', line: 2, message: /defined at m\/a\.yaml:1 and m\/sub\/c\.json:2$/ },
      ],
    },
    {
      name: 'invalid UTF-8, at the line of the first bad byte',
      files: { 'm/a.yaml': Buffer.concat([Buffer.from('a: é\nb: ok\nc: '), Buffer.from([0xff, 0xfe]), Buffer.from('\n\xff')]) },
      want: [{ code: 'INVALID_ENCODING', file: 'm/a.yaml', line: 3, message: /not valid UTF-8 \(byte 15\)/ }],
    },
  ])('$name', ({ files: entries, options, want }) => {
    const errors = errorsOf(renderDirectory(files(entries), { path: 'm', ...options }));
    expect(errors).toEqual(want.map((w) => ({ code: w.code, file: w.file, ...(w.line === undefined ? {} : { line: w.line }), message: expect.stringMatching(w.message) })));
  });
});
