/**
 * Hardening (issue 11's rule for charts): the chart fetcher a render gets downloads only from
 * repositories the app's project names explicitly; the built-in default project (`*`) lets a
 * commit download nothing. A recording fetcher stands behind the gate: the test checks which
 * pulls get through it, not the pull itself (test/render/chart-repo.test.ts does that).
 */
import { describe, expect, it } from 'vitest';
import { parseProject, type Project } from '../../src/app/project.ts';
import type { ChartFetcher, ChartRef } from '../../src/render/helm-repo.ts';
import { chartsFor } from '../../src/sync/compare.ts';
import { testApplication } from '../support/apps.ts';

function project(name: string, sourceRepos: string[]): Project {
  const parsed = parseProject({ apiVersion: 'sluice.dev/v1alpha1', kind: 'Project', metadata: { name, namespace: 'sluice-system' }, spec: { sourceRepos, destinations: [{ server: '*', namespace: '*' }] } }, 'test');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.project;
}

function recording(): ChartFetcher & { pulled: ChartRef[] } {
  const pulled: ChartRef[] = [];
  return { pulled, pull: async (ref) => (pulled.push(ref), { ok: true, archive: '/dev/null' }) };
}

const ref = (repoURL: string): ChartRef => ({ repoURL, chart: 'redis', version: '^1.0.0' });

describe('chart downloads a commit may cause', () => {
  it('refuses every repository under the built-in default project, naming why', async () => {
    const inner = recording();
    const app = testApplication({ name: 'web', repoURL: 'https://git.example.com/deploy.git' });
    const { fetcher } = chartsFor(inner, [], app);
    const result = await fetcher.pull(ref('https://user:pw@charts.example.com/stable'));
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/^chart repository https:\/\/charts.example.com\/stable is not named in project default's sourceRepos/) });
    expect(inner.pulled).toEqual([]);
  });

  it('lets through the repositories the app\'s project names, and only those', async () => {
    const inner = recording();
    const base = testApplication({ name: 'web', repoURL: 'https://git.example.com/deploy.git' });
    const app = { ...base, spec: { ...base.spec, project: 'team' } };
    const projects = [project('team', ['https://git.example.com/*', 'https://charts.example.com/*'])];
    const { fetcher, permitted } = chartsFor(inner, projects, app);
    expect((await fetcher.pull(ref('https://charts.example.com/stable/'))).ok).toBe(true);
    expect((await fetcher.pull(ref('https://evil.example.net/charts'))).ok).toBe(false);
    expect(inner.pulled.map((r) => r.repoURL)).toEqual(['https://charts.example.com/stable/']);
    expect(permitted).toEqual(['https://git.example.com/*', 'https://charts.example.com/*']);
  });
});
