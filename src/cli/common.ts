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
