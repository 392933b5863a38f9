/** Starts test/controller/controller-process.ts (or `script`) in a process of its own (see its header for the env). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./controller-process.ts', import.meta.url));

/**
 * Resolves once the controller prints `ready`; rejects if it exits first. `onLine` gets each line it prints after that;
 * `onSpawn` gets the process at once, for a test that may have to kill it before it is ready.
 */
export function startControllerProcess(
  env: Record<string, string>,
  options: { script?: string; onLine?: (line: string) => void; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.script ?? SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  options.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => reject(new Error(`controller process exited with ${code ?? signal} before it was ready`));
    child.once('exit', onExit);
    let ready = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (ready) return options.onLine?.(line);
      ready = true;
      child.off('exit', onExit);
      resolve(child);
    });
  });
}

/** The pid in an app lock's value (`<host>:<pid>:<id> <token>`, see src/queue/lease.ts). */
export function holderPid(lock: string | null): number | undefined {
  const pid = lock === null ? undefined : /:(\d+):\w+ /.exec(lock)?.[1];
  return pid === undefined ? undefined : Number(pid);
}
