/**
 * Part of `npm run bench -- render`: Helm charts per second. The chart is the values-precedence
 * test chart (test/fixtures/helm/precedence) with two value files, inline values and --set
 * parameters, rendered through renderSource (checkout, sandboxed `helm template`, parse) with
 * fixed capabilities; HELM_BENCH_RUNS (8) renders one at a time, then the same number two at a
 * time (this machine has 2 cores). The peer row is the bare `helm template` process on the
 * fixture directory: the difference is Sluice's own cost per chart.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Capabilities, HelmSettings } from '../src/render/helm.ts';
import { detectHelm } from '../src/render/helm-binary.ts';
import { renderSource } from '../src/render/index.ts';
import { FIXTURES, readTree } from '../test/support/helm.ts';
import { formatMs, percentile } from './lib/stats.ts';

const RUNS = Math.max(2, Number(process.env.HELM_BENCH_RUNS ?? 8));
const CAPABILITIES: Capabilities = { kubeVersion: 'v1.33.0', apiVersions: ['v1', 'apps/v1', 'apps/v1/Deployment'] };
const SETTINGS: HelmSettings = {
  releaseName: 'bench',
  namespace: 'bench',
  valueFiles: ['values-one.yaml', 'values-two.yaml'],
  ignoreMissingValueFiles: false,
  values: 'd: inline\n',
  parameters: [{ name: 'count', value: '3', forceString: false }],
  skipCrds: false,
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function reportHelmCharts(): Promise<void> {
  const helm = await detectHelm();
  if (helm === undefined) {
    console.log('\nSKIP  Helm charts per second: no working helm (SLUICE_HELM, PATH, or the bundled one)');
    return;
  }
  const files = readTree(join(FIXTURES, 'precedence'), 'charts/bench');
  const renderOnce = async (): Promise<void> => {
    const result = await renderSource(files, { path: 'charts/bench', helm: SETTINGS, capabilities: CAPABILITIES });
    if (!result.ok) throw new Error(`helm bench render failed: ${result.errors.map((e) => e.message).join('; ')}`);
  };
  await renderOnce(); // warm-up: page cache, binary
  const serial: number[] = [];
  for (let i = 0; i < RUNS; i++) serial.push(await timed(renderOnce));
  const pairsStart = performance.now();
  for (let i = 0; i < RUNS; i += 2) await Promise.all([renderOnce(), renderOnce()]);
  const pairedMs = performance.now() - pairsStart;
  const bare: number[] = [];
  const chart = join(FIXTURES, 'precedence');
  for (let i = 0; i < RUNS; i++) {
    bare.push(await timed(() => new Promise<void>((resolve, reject) => execFile(helm.path, ['template', 'bench', chart], { env: { HOME: '/nonexistent', PATH: '' } }, (e) => (e ? reject(e) : resolve())))));
  }
  const serialMedian = percentile(serial, 50);
  const pairedRuns = Math.ceil(RUNS / 2) * 2;
  console.log(`\n3. Helm charts (${helm.path.includes('lambda-layer-kubectl') ? 'bundled ' : ''}helm ${helm.version}): the precedence test chart, 2 value files + inline values + --set, ${RUNS} renders`);
  console.log(`   renderSource, one at a time:  median ${formatMs(serialMedian)} ms per chart → ${(1000 / serialMedian).toFixed(1)} Helm charts per second`);
  console.log(`   renderSource, two at a time:  ${pairedRuns} charts in ${formatMs(pairedMs)} ms → ${((pairedRuns * 1000) / pairedMs).toFixed(1)} Helm charts per second`);
  console.log(`   bare \`helm template\` process: median ${formatMs(percentile(bare, 50))} ms (Sluice's own cost per chart: ${formatMs(serialMedian - percentile(bare, 50))} ms)`);
}
