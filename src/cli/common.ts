import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { formatLoadError, loadApplicationsFile, type LoadOptions } from '../app/load.ts';
import type { Project } from '../app/project.ts';
import type { Application, IgnoreDifference } from '../app/types.ts';
import { formatValidationError, parseIgnoreDifferences } from '../app/validate.ts';

/**
 * The app named `name` from an applications file, with the file's Projects, or an error
 * message listing what is there. Warnings (Argo CD fields left out) go to `warn`.
 */
export async function appFromFile(file: string, name: string, options: LoadOptions = {}, warn: (warning: string) => void = () => {}): Promise<{ app: Application; projects: Project[] } | string> {
  const loaded = await loadApplicationsFile(file, options);
  if (!loaded.ok) return loaded.errors.map(formatLoadError).join('\n');
  for (const warning of loaded.warnings) warn(`warning: ${warning}`);
  const app = loaded.apps.find((a) => a.name === name);
  if (app === undefined) return `${file}: no application named "${name}" (found: ${loaded.apps.map((a) => a.name).join(', ') || 'none'})`;
  return { app, projects: loaded.projects };
}

/** Global ignoreDifferences from a YAML file (a list of the entries an app's spec takes), or why not. */
export async function ignoreDifferencesFromFile(file: string | undefined): Promise<IgnoreDifference[] | string> {
  if (file === undefined) return [];
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    return `${file}: ${(e as Error).message.split('\n')[0]}`;
  }
  const parsed = parseIgnoreDifferences(doc, file);
  return parsed.ok ? parsed.rules : parsed.errors.map(formatValidationError).join('\n');
}

/** How long a server's graceful stop may take before the process exits regardless. */
const STOP_LIMIT_MS = 30_000;

/**
 * Serves until SIGINT or SIGTERM, then stops: gracefully, within STOP_LIMIT_MS. A client
 * still waiting for an answer that will not come (a Redis connection wedged while closing)
 * must not keep a stopped server alive, so past the limit, or with connections still open
 * once the stop is done, the process exits anyway. Returns the exit code.
 */
export async function serveUntilSignal(stop: () => Promise<void>, name: string): Promise<number> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_LIMIT_MS)));
  const inTime = await Promise.race([stop().then(() => true), limit]);
  clearTimeout(timer);
  if (!inTime) console.error(`sluice ${name}: stopping took over ${STOP_LIMIT_MS / 1000} s; exiting anyway`);
  // unref'd: it fires only if something left open keeps the process alive after main returns
  setTimeout(() => process.exit(), 2_000).unref();
  return inTime ? 0 : 1;
}
