/**
 * The kustomize-binary fallback's I/O: find `kustomize` or `kubectl` on PATH (once per
 * process) and run `kustomize build` / `kubectl kustomize` with no network reach by
 * construction. The caller first checks every reference (kustomize-refs.ts); then the binary
 * gets a fresh 0700 checkout holding exactly the files those references name (regular files
 * only — no symlinks, so nothing points out of it), `--load-restrictor LoadRestrictionsRootOnly`,
 * an environment with no credentials (HOME is the checkout, proxies point at a closed port,
 * git may use no protocol), and, where the kernel allows unprivileged user namespaces, a
 * network namespace of its own with no interfaces up. A timeout and an output cap kill its
 * process group; the checkout is always removed.
 */
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { FileContents } from './directory.ts';
import { KUSTOMIZATION_FILES } from './kustomize.ts';
import { kustomizeFailure, objectsFromKustomizeOutput } from './kustomize-output.ts';
import { checkRenderPath, checkRepoPath } from './paths.ts';
import { DEFAULT_RENDER_LIMITS, type RenderError, type RenderLimits, type RenderResult } from './types.ts';

export interface KustomizeBinary {
  readonly kind: 'kustomize' | 'kubectl';
  readonly path: string;
}

/** How the fallback finds its binary; tests inject one that finds nothing. */
export type KustomizeBinaryLookup = () => Promise<KustomizeBinary | undefined>;

export const DEFAULT_KUSTOMIZE_TIMEOUT_MS = 60_000;
/** Enough of kustomize's stderr for its message; the rest is dropped. */
const MAX_STDERR_BYTES = 64 * 1024;

export async function findExecutable(name: string, searchPath: string = process.env['PATH'] ?? ''): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

let detected: Promise<KustomizeBinary | undefined> | undefined;

/** A standalone `kustomize` wins over `kubectl kustomize`; the answer is cached for the process. */
export const detectKustomizeBinary: KustomizeBinaryLookup = () => {
  detected ??= (async () => {
    const kustomize = await findExecutable('kustomize');
    if (kustomize !== undefined) return { kind: 'kustomize', path: kustomize };
    const kubectl = await findExecutable('kubectl');
    return kubectl === undefined ? undefined : { kind: 'kubectl', path: kubectl };
  })();
  return detected;
};

export function kustomizeArgs(binary: KustomizeBinary, dir: string): string[] {
  const command = binary.kind === 'kustomize' ? ['build'] : ['kustomize'];
  return [...command, '--load-restrictor', 'LoadRestrictionsRootOnly', dir];
}

export interface KustomizeBinaryOptions {
  /** Repo-relative directory holding the kustomization. */
  readonly path: string;
  /** The files the checkout gets: `kustomizeInputs(files, path)`'s answer. */
  readonly inputs: readonly string[];
  readonly binary: KustomizeBinary;
  readonly timeoutMs?: number;
  /** Caps stdout (default: limits.maxTotalBytes) and the bytes written to the checkout (limits.maxTotalBytes). */
  readonly limits?: Partial<RenderLimits>;
  /** How the run gets a network namespace of its own (default: `unshare`, probed once); tests inject their own. */
  readonly findNetworkIsolation?: NetworkIsolationLookup;
}

/** The path of an `unshare` that works here, or undefined when the run must do without a network namespace. */
export type NetworkIsolationLookup = () => Promise<string | undefined>;

/** A new network namespace (only a loopback interface, down) inside a new user namespace, so no privilege is needed. */
export const UNSHARE_ARGS: readonly string[] = ['--net', '--map-root-user', '--'];

let isolation: Promise<string | undefined> | undefined;

/** `unshare` on PATH that can create the namespaces (containers often forbid it); probed once per process. */
export const detectNetworkIsolation: NetworkIsolationLookup = () => {
  isolation ??= (async () => {
    const unshare = await findExecutable('unshare');
    if (unshare === undefined) return undefined;
    const works = await new Promise<boolean>((resolve) => {
      execFile(unshare, [...UNSHARE_ARGS, 'true'], { timeout: 5_000, env: {} }, (error) => resolve(error === null));
    });
    return works ? unshare : undefined;
  })();
  return isolation;
};

export async function renderWithKustomizeBinary(files: ReadonlyMap<string, FileContents>, options: KustomizeBinaryOptions): Promise<RenderResult> {
  const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
  const root = checkRenderPath(options.path);
  if (!root.ok) return { ok: false, errors: [root.error] };
  const dir = root.path;
  const file = KUSTOMIZATION_FILES.map((name) => (dir === '' ? name : `${dir}/${name}`)).find((p) => files.has(p)) ?? (dir || '.');
  const checkout = await mkdtemp(join(tmpdir(), 'sluice-kustomize-'));
  try {
    const written = await writeCheckout(checkout, files, options.inputs, limits.maxTotalBytes);
    if (written !== undefined) return { ok: false, errors: [written] };
    // Checked here because under unshare a missing binary would read as unshare's own failure.
    const runnable = await access(options.binary.path, constants.X_OK).then(() => undefined, (err: Error) => err.message);
    if (runnable !== undefined) return failed(file, `${file}: could not run ${options.binary.path}: ${runnable}`);
    const isolation = await (options.findNetworkIsolation ?? detectNetworkIsolation)();
    const args = kustomizeArgs(options.binary, join(checkout, dir));
    const [command, commandArgs] = isolation === undefined ? [options.binary.path, args] : [isolation, [...UNSHARE_ARGS, options.binary.path, ...args]];
    const run = await runBounded(command, commandArgs, {
      cwd: checkout,
      timeoutMs: options.timeoutMs ?? DEFAULT_KUSTOMIZE_TIMEOUT_MS,
      maxOutputBytes: limits.maxTotalBytes,
    });
    if (run.outcome === 'timeout') return failed(file, `${file}: kustomize did not finish within ${options.timeoutMs ?? DEFAULT_KUSTOMIZE_TIMEOUT_MS} ms`);
    if (run.outcome === 'too-large') return failed(file, `${file}: kustomize output exceeded ${limits.maxTotalBytes} bytes`);
    if (run.outcome === 'not-started') return failed(file, `${file}: could not run ${options.binary.path}: ${run.reason}`);
    if (run.code !== 0) return { ok: false, errors: [kustomizeFailure(file, run.stderr, checkout)] };
    return objectsFromKustomizeOutput(file, run.stdout, limits.maxObjects);
  } finally {
    await rm(checkout, { recursive: true, force: true });
  }
}

function failed(file: string, message: string): RenderResult {
  return { ok: false, errors: [{ file, code: 'KUSTOMIZE_FAILED', message }] };
}

/** Writes each input as a new regular file (flag 'wx': never through an existing path); undefined when all were written. */
async function writeCheckout(checkout: string, files: ReadonlyMap<string, FileContents>, inputs: readonly string[], maxTotalBytes: number): Promise<RenderError | undefined> {
  let total = 0;
  for (const key of inputs) {
    const contents = files.get(key);
    if (contents === undefined) continue;
    const checked = checkRepoPath(key);
    if (!checked.ok) return checked.error;
    total += typeof contents === 'string' ? Buffer.byteLength(contents) : contents.length;
    if (total > maxTotalBytes) return { file: key, code: 'TOTAL_TOO_LARGE', message: `the files for kustomize exceed ${maxTotalBytes} bytes` };
    const target = join(checkout, key);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await writeFile(target, contents, { flag: 'wx', mode: 0o600 });
  }
  return undefined;
}

export type RunResult =
  | { outcome: 'exited'; code: number | null; stdout: string; stderr: string }
  | { outcome: 'timeout' }
  | { outcome: 'too-large' }
  | { outcome: 'not-started'; reason: string };

export interface RunOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** The child's whole environment (default: `sandboxEnvironment(cwd)`). */
  readonly env?: Record<string, string>;
}

/** A proxy nobody listens on: Go's HTTP client and git both send every non-loopback request there, and fail. */
const UNREACHABLE_PROXY = 'http://127.0.0.1:9';

/**
 * The binary's whole environment: nothing inherited but PATH, so no tokens, kubeconfig or git
 * credentials reach it; HOME is the checkout (no user plugins or config); every proxy variable
 * names a closed port, NO_PROXY is empty, and git may use no protocol at all.
 */
export function sandboxEnvironment(home: string, path: string = process.env['PATH'] ?? ''): Record<string, string> {
  const proxies = Object.fromEntries(['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'].map((name) => [name, UNREACHABLE_PROXY]));
  return {
    PATH: path,
    HOME: home,
    XDG_CONFIG_HOME: home,
    XDG_CACHE_HOME: home,
    ...proxies,
    NO_PROXY: '',
    no_proxy: '',
    GIT_ALLOW_PROTOCOL: 'none',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** Runs the binary in the sandbox environment, killing its process group on timeout or oversized output. */
export function runBounded(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const env = options.env ?? sandboxEnvironment(options.cwd);
    // Its own process group, so a kill also reaches anything it started (which would otherwise hold the pipes open).
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let stderrBytes = 0;
    let stopped: 'timeout' | 'too-large' | undefined;
    const stop = (why: 'timeout' | 'too-large'): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > options.maxOutputBytes) stop('too-large');
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrBytes += chunk.length;
      if (stderrBytes <= MAX_STDERR_BYTES) stderr.push(chunk);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ outcome: 'not-started', reason: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (stopped === 'timeout') resolve({ outcome: 'timeout' });
      else if (stopped === 'too-large') resolve({ outcome: 'too-large' });
      else resolve({ outcome: 'exited', code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}
