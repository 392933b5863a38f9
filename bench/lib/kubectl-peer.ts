import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { kubeconfigFor } from '../../src/sim/index.ts';
import { runPool, type KubeHttp } from './http-client.ts';
import { configMap, configMapManifest } from './sim-workload.ts';

export interface PeerResult {
  readonly objects: number;
  /** `kubectl get namespaces` with a warm discovery cache: process start, config, one request */
  readonly kubectlFixedMs: number;
  readonly kubectlCreateMs: number;
  readonly kubectlApplyMs: number;
  /** the same creates as raw HTTP requests, one in flight, as kubectl sends them */
  readonly rawSerialMs: number;
}

export function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  }
  return undefined;
}

/**
 * The peer on the same work: kubectl creating n ConfigMaps from one multi-document file, next
 * to the same n creates sent raw over HTTP one at a time. Both hit the same server, so the
 * ratio is kubectl's client overhead, not a comparison between API servers.
 */
export async function runKubectlPeer(options: {
  readonly kubectl: string;
  readonly url: string;
  readonly http: KubeHttp;
  readonly objects: number;
  readonly namespace: (suffix: string) => Promise<string>;
}): Promise<PeerResult> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-kubectl-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    const manifest = join(dir, 'configmaps.yaml');
    await writeFile(kubeconfig, kubeconfigFor(options.url), { mode: 0o600 });
    await writeFile(manifest, configMapManifest(options.objects));
    const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig, KUBECTL_COMMAND_HEADERS: 'false' };
    const kubectl = (args: string[]) => timedRun(options.kubectl, [`--cache-dir=${join(dir, 'cache')}`, ...args], env);

    await kubectl(['get', 'namespaces', '-o', 'name']); // fills the discovery cache
    const kubectlFixedMs = await kubectl(['get', 'namespaces', '-o', 'name']);
    const kubectlCreateMs = await kubectl(['create', '-n', await options.namespace('kubectl-create'), '-f', manifest, '-o', 'name']);
    const kubectlApplyMs = await kubectl(['apply', '-n', await options.namespace('kubectl-apply'), '-f', manifest, '-o', 'name']);

    const rawNs = await options.namespace('raw-serial');
    const raw = await runPool(options.objects, 1, async (i) => {
      await options.http.json('POST', `/api/v1/namespaces/${rawNs}/configmaps`, { body: JSON.stringify(configMap(i)) });
    });
    return { objects: options.objects, kubectlFixedMs, kubectlCreateMs, kubectlApplyMs, rawSerialMs: raw.elapsedMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function timedRun(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(performance.now() - t0);
    });
  });
}
