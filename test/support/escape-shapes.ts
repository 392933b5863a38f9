/**
 * Commits that try to make Sluice read outside the repository or fetch from the network:
 * the four remote-fetch shapes of issue 11 (each sent past the native renderer to the
 * kustomize fallback by `sortOptions`, a field it leaves to the binary), and path escapes (`..`, absolute paths,
 * symlinks out, a file outside its kustomization). Every one must be refused with a
 * PATH_ESCAPE or SYMLINK_ESCAPE error. Shared by test/render/remote-refs.test.ts and
 * `npm run bench -- faults`.
 */

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: local}\n';

export interface EscapeShape {
  readonly name: string;
  readonly files: Record<string, string>;
  /** link path → target */
  readonly symlinks?: Record<string, string>;
  /** the render path; 'app' unless given */
  readonly path?: string;
  /** where the refusal is reported */
  readonly want: { readonly file: string; readonly line?: number; readonly field?: string };
}

/** The remote-fetch shapes, each pointing at `url` (a local server that must see no request). */
export function remoteShapes(url: string): EscapeShape[] {
  return [
    { name: 'an http resource URL', files: { 'app/kustomization.yaml': `sortOptions: {order: legacy}\nresources:\n- cm.yaml\n- ${url}/x.yaml\n`, 'app/cm.yaml': CM },
      want: { file: 'app/kustomization.yaml', line: 4, field: 'resources[1]' } },
    { name: 'a remote base in a nested kustomization', files: {
      'app/kustomization.yaml': 'sortOptions: {order: legacy}\nresources: [../base]\n',
      'base/kustomization.yaml': `resources:\n  - ${url}/base/\n`,
    }, want: { file: 'base/kustomization.yaml', line: 2, field: 'resources[0]' } },
    { name: 'a configMapGenerator file URL', files: {
      'app/kustomization.yaml': `sortOptions: {order: legacy}\nconfigMapGenerator:\n- name: conf\n  files:\n  - data=${url}/data.txt\n`,
    }, want: { file: 'app/kustomization.yaml', line: 5, field: 'configMapGenerator[0].files[0]' } },
    { name: 'a repo.git//path resource', files: { 'app/kustomization.yaml': `sortOptions: {order: legacy}\nresources: [${url}/repo.git//app]\n` },
      want: { file: 'app/kustomization.yaml', line: 2, field: 'resources[0]' } },
  ];
}

/** Reads outside the repository root, or outside a kustomization's own directory. */
export const PATH_ESCAPE_SHAPES: readonly EscapeShape[] = [
  { name: 'a resource above the repository root', files: { 'app/kustomization.yaml': 'resources: [../../x.yaml]\n' }, want: { file: 'app/kustomization.yaml', line: 1 } },
  { name: 'a file outside its kustomization (root-only load restrictor)', files: { 'app/kustomization.yaml': 'resources: [../secret.yaml]\n', 'secret.yaml': CM }, want: { file: 'app/kustomization.yaml', line: 1 } },
  { name: 'an absolute resource path', files: { 'app/kustomization.yaml': 'resources: [/etc/passwd]\n' }, want: { file: 'app/kustomization.yaml', line: 1 } },
  { name: 'a generator reading a file above the root', files: { 'app/kustomization.yaml': 'configMapGenerator:\n- name: c\n  files: [../../../etc/passwd]\n' }, want: { file: 'app/kustomization.yaml', line: 3 } },
  { name: 'a symlink to an absolute path', files: { 'app/cm.yaml': CM }, symlinks: { 'app/passwd.yaml': '/etc/passwd' }, want: { file: 'app/passwd.yaml' } },
  { name: 'a symlink out of the repository', files: { 'app/cm.yaml': CM }, symlinks: { 'app/up.yaml': '../../outside.yaml' }, want: { file: 'app/up.yaml' } },
  { name: 'a render path that is a symlink out', files: { 'other/cm.yaml': CM }, symlinks: { app: '/etc' }, want: { file: 'app' } },
  { name: 'a render path above the root', files: { 'app/cm.yaml': CM }, path: '../app', want: { file: '../app' } },
];
