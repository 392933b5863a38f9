import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffCommand, syncCommand } from '../../src/cli/app-commands.ts';
import { kubeClientFor } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { gitAvailable, startGitServer, type GitServer } from '../support/git-server.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(command: typeof diffCommand, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await command(args, { out, err });
  return { code, out: out.text, err: err.text };
}

describe.skipIf(!gitAvailable())('sluice diff and sluice sync', () => {
  let cluster: SimCluster;
  let server: GitServer;
  let appsFile: string;
  let common: string[];

  beforeAll(async () => {
    cluster = await startSimCluster({ port: 0 });
    server = await startGitServer();
    const repo = await server.createRepo('cli-apps');
    await repo.commit(
      {
        'web/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {greeting: hello}\n',
        'web/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: web}\nstringData: {password: hunter2}\n',
      },
      'web app',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-cli-apps-'));
    appsFile = path.join(dir, 'apps.yaml');
    await writeFile(
      appsFile,
      `apiVersion: sluice.dev/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec:\n  source: {repoURL: '${repo.url}', targetRevision: main, path: web}\n  destination: {namespace: web}\n  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n`,
    );
    common = ['--apps', appsFile, '--app', 'web', '--server', cluster.url, '--cache-dir', path.join(dir, 'cache')];
  });
  afterAll(async () => {
    await server?.stop();
    await cluster?.stop();
  });

  it('diffs (exit 1, secrets masked), syncs (exit 0), then diffs clean (exit 0)', async () => {
    const before = await run(diffCommand, common);
    expect(before.code).toBe(1);
    expect(before.out).toContain('+  greeting: hello');
    expect(before.out).not.toContain('hunter2');
    expect(before.out).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(before.err).toMatch(/^web: OutOfSync at [0-9a-f]{7} \(2 of 2 objects differ\)/m);

    const dry = await run(syncCommand, [...common, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toBe('created    ConfigMap/web/web: dry run\ncreated    Secret/web/web: dry run\n');

    const synced = await run(syncCommand, common);
    expect(synced.code).toBe(0);
    expect(synced.out).toBe('created    ConfigMap/web/web\ncreated    Secret/web/web\n');
    expect(synced.err).toMatch(/web: Succeeded: synced [0-9a-f]{7}: 2 created/);

    const after = await run(diffCommand, common);
    expect(after).toMatchObject({ code: 0, out: '' });
  });

  it('honours global ignoreDifferences and syncs only the named resources', async () => {
    const kube = await kubeClientFor(cluster.url);
    try {
      await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'web' }, { data: { greeting: 'changed by hand' } }, { type: 'merge' });
      expect((await run(diffCommand, common)).code).toBe(1);
      const ignore = path.join(path.dirname(appsFile), 'ignore.yaml');
      await writeFile(ignore, '- group: ""\n  kind: ConfigMap\n  jsonPointers: [/data/greeting]\n');
      expect((await run(diffCommand, [...common, '--ignore-differences', ignore])).code).toBe(0);
      await writeFile(ignore, '- kind: ConfigMap\n  jsonPointers: [data/greeting]\n');
      expect(await run(diffCommand, [...common, '--ignore-differences', ignore])).toMatchObject({ code: 2, err: expect.stringMatching(/\[0\]\.group: is required[\s\S]*\[0\]\.jsonPointers\[0\]/) });

      const only = await run(syncCommand, [...common, '--resource', 'Secret/web/web']);
      expect(only.out).toBe('unchanged  Secret/web/web\n');
      expect((await run(diffCommand, common)).code).toBe(1);
      expect((await run(syncCommand, [...common, '--resource', 'ConfigMap/web/web'])).out).toBe('configured ConfigMap/web/web\n');
      expect((await run(diffCommand, common)).code).toBe(0);
    } finally {
      await kube.close();
    }
  });

  it('syncs a real Argo CD Application (converted with --accept-argocd), its plain directory not recursed as in Argo CD', async () => {
    const repo = await server.createRepo('argo-guestbook');
    await repo.commit(
      {
        'guestbook/ui.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook-ui}\ndata: {color: blue}\n',
        'guestbook/nested/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nested}\ndata: {}\n',
      },
      'guestbook',
    );
    const fixture = await readFile(path.join(import.meta.dirname, '../fixtures/argocd/declarative-setup-guestbook.yaml'), 'utf8');
    const argoFile = path.join(path.dirname(appsFile), 'argo.yaml');
    await writeFile(argoFile, fixture.replace('https://github.com/argoproj/argocd-example-apps.git', repo.url));
    const kube = await kubeClientFor(cluster.url);
    try {
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'guestbook' } });
      const args = ['--apps', argoFile, '--app', 'guestbook', '--server', cluster.url, '--cache-dir', path.join(path.dirname(appsFile), 'cache')];
      expect(await run(syncCommand, args)).toMatchObject({ code: 2, err: expect.stringContaining('apiVersion: is argoproj.io/v1alpha1, an Argo CD Application: pass --accept-argocd') });
      const synced = await run(syncCommand, [...args, '--accept-argocd']);
      expect(synced.err, synced.err).toMatch(/guestbook: Succeeded: synced [0-9a-f]{7}: 1 created/);
      expect(synced).toMatchObject({ code: 0, out: 'created    ConfigMap/guestbook/guestbook-ui\n' });
      expect(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'guestbook', name: 'guestbook-ui' })).toMatchObject({ data: { color: 'blue' } });
      expect(await run(diffCommand, [...args, '--accept-argocd'])).toMatchObject({ code: 0, out: '' });
    } finally {
      await kube.close();
    }
  });

  it("enforces the app's project: diff exits 2 naming the refused object, sync writes nothing", async () => {
    const repoURL = (await readFile(appsFile, 'utf8')).match(/repoURL: '([^']+)'/)![1]!;
    // Argo CD's AppProject, read with --accept-argocd: no Secrets in this project
    const project = `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: locked}
spec:
  sourceRepos: ['*']
  destinations: [{server: https://kubernetes.default.svc, namespace: 'web-*'}]
  clusterResourceWhitelist: [{group: '', kind: Namespace}]
  namespaceResourceBlacklist: [{group: '', kind: Secret}]
`;
    const app = (name: string, projectName: string) =>
      `apiVersion: sluice.dev/v1alpha1\nkind: Application\nmetadata: {name: ${name}}\nspec:\n  project: ${projectName}\n  source: {repoURL: '${repoURL}', targetRevision: main, path: web}\n  destination: {namespace: ${name}}\n  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n`;
    const file = path.join(path.dirname(appsFile), 'locked.yaml');
    await writeFile(file, [project, app('web-locked', 'locked'), app('web-orphan', 'missing')].join('---\n'));
    const args = (name: string) => ['--apps', file, '--app', name, '--server', cluster.url, '--cache-dir', path.join(path.dirname(appsFile), 'cache'), '--accept-argocd'];

    const diff = await run(diffCommand, args('web-locked'));
    expect(diff.code).toBe(2);
    expect(diff.err).toContain('sluice diff: web-locked: the project does not permit this: project locked: Secret/web-locked/web: namespaced kind Secret is denied by spec.namespaceResourceBlacklist[0] (group: "", kind: "Secret")');
    const sync = await run(syncCommand, args('web-locked'));
    expect(sync.code).toBe(1);
    expect(sync.out).toContain('failed     Secret/web-locked/web: project locked: ');
    expect(sync.err).toMatch(/web-locked: Failed: the project does not permit this: .*; nothing was applied/);
    const kube = await kubeClientFor(cluster.url);
    try {
      expect(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'web-locked' })).toBeUndefined();
    } finally {
      await kube.close();
    }
    expect(await run(diffCommand, args('web-orphan'))).toMatchObject({ code: 2, err: 'sluice diff: web-orphan: Application referencing project missing which does not exist\n' });
  });

  it('exits 2 naming the problem for a missing app, a missing flag, a bad revision', async () => {
    expect(await run(syncCommand, ['--apps', appsFile, '--app', 'nope'])).toMatchObject({ code: 2, err: expect.stringContaining('no application named "nope" (found: web)') });
    expect(await run(diffCommand, ['--app', 'web'])).toMatchObject({ code: 2, err: expect.stringContaining('--apps FILE and --app NAME are required') });
    const bad = await run(syncCommand, [...common, '--revision', 'no-such-branch']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/web: Error: .*no branch, tag or commit named "no-such-branch"/);
  });
});
