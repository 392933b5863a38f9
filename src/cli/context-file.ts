/**
 * The CLI's context file: where `sluice login --server URL --token T` keeps the server and
 * token for later `sluice app …` / `sluice rollout …` commands. YAML `{server, token}` at
 * $XDG_CONFIG_HOME/sluice/config (default ~/.config/sluice/config), written mode 0600 in a
 * 0700 directory, as kubectl keeps ~/.kube/config: it holds a bearer token.
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';

export interface CliContext {
  readonly server: string;
  readonly token: string;
}

export function contextFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : path.join(env['HOME'] ?? homedir(), '.config');
  return path.join(base, 'sluice', 'config');
}

/** Pure: the file's text as a context; a problem names the file and the field. */
export function parseContext(text: string, file: string): CliContext {
  let value: unknown;
  try {
    value = parse(text);
  } catch (e) {
    throw new Error(`${file}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: must be a mapping with server and token`);
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (key !== 'server' && key !== 'token') throw new Error(`${file}: ${key}: unknown field (server and token are known)`);
  for (const key of ['server', 'token'] as const) {
    if (typeof fields[key] !== 'string' || fields[key] === '') throw new Error(`${file}: ${key}: must be a non-empty string`);
  }
  return { server: normalizeServer(fields['server'] as string), token: fields['token'] as string };
}

export function normalizeServer(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The saved context, or undefined when there is no file. */
export async function readContext(env: NodeJS.ProcessEnv = process.env): Promise<CliContext | undefined> {
  const file = contextFilePath(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseContext(text, file);
}

/** Writes the context (mode 0600, also when the file existed with another mode); returns the path. */
export async function writeContext(context: CliContext, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = contextFilePath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, stringify({ server: normalizeServer(context.server), token: context.token }), { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** Removes the saved context; false when there was none. */
export async function removeContext(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = contextFilePath(env);
  try {
    await rm(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
