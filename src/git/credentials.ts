import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { GitError } from './errors.ts';
import { credentialKey } from './url.ts';

/** HTTPS basic credentials; a token is sent as the password. */
export interface GitCredentials {
  readonly username: string;
  readonly password: string;
}

/** Credentials for every repository whose URL is `urlPrefix` or below it. */
export interface CredentialRule {
  readonly urlPrefix: string;
  /** Absent only on a rule that just sets insecureOCIForceHttp. */
  readonly credentials?: GitCredentials;
  /** oci:// registries under urlPrefix speak plain HTTP (Argo CD's repository field of that name). */
  readonly insecureOCIForceHttp?: boolean;
}

/**
 * Finds the credentials for a repository: the rule with the longest matching URL prefix
 * wins, where a prefix matches whole path segments only (`…/acme` covers `…/acme/app`,
 * not `…/acme-evil/app`).
 */
export class CredentialStore {
  private readonly rules: readonly (CredentialRule & { key: string })[];

  constructor(rules: readonly CredentialRule[] = []) {
    this.rules = rules.map((r) => ({ ...r, key: credentialKey(r.urlPrefix) })).sort((a, b) => b.key.length - a.key.length);
  }

  private matching(repoKey: string): (CredentialRule & { key: string })[] {
    return this.rules.filter((r) => repoKey === r.key || repoKey.startsWith(`${r.key}/`));
  }

  lookup(repoKey: string): GitCredentials | undefined {
    return this.matching(repoKey).find((r) => r.credentials !== undefined)?.credentials;
  }

  /** Whether the oci:// registry with this key speaks plain HTTP: the longest rule that says either way. */
  plainHttp(repoKey: string): boolean {
    return this.matching(repoKey).find((r) => r.insecureOCIForceHttp !== undefined)?.insecureOCIForceHttp ?? false;
  }
}

/** Username GitHub, GitLab and Gitea all accept alongside a personal access token. */
const TOKEN_USERNAME = 'x-access-token';

/**
 * Reads credential rules from YAML or JSON: a list of
 * `{url, username?, password | passwordFile | passwordEnv | token, insecureOCIForceHttp?}`
 * (an oci:// rule may give insecureOCIForceHttp alone). `source` names the
 * origin in errors; secret values never appear in them.
 */
export function parseCredentialRules(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): CredentialRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new GitError('Unsupported', `${source}${line === undefined ? '' : `:${line}`}: credentials are not valid YAML`);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new GitError('Unsupported', `${source}: credentials must be a list of {url, ...} entries`);
  return doc.map((entry: unknown, i) => parseRule(entry, `${source}[${i}]`, env));
}

function parseRule(entry: unknown, where: string, env: NodeJS.ProcessEnv): CredentialRule {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new GitError('Unsupported', `${where}: expected a mapping with url and credentials`);
  }
  const e = entry as Record<string, unknown>;
  const field = (name: string): string | undefined => {
    const v = e[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new GitError('Unsupported', `${where}.${name}: must be a non-empty string`);
    return v;
  };
  const url = field('url');
  if (url === undefined) throw new GitError('Unsupported', `${where}: url is required`);
  const forceHttp = e['insecureOCIForceHttp'];
  if (forceHttp !== undefined && typeof forceHttp !== 'boolean') throw new GitError('Unsupported', `${where}.insecureOCIForceHttp: must be true or false`);
  if (forceHttp !== undefined && !/^oci:\/\//i.test(url)) throw new GitError('Unsupported', `${where}.insecureOCIForceHttp: only applies to an oci:// url`);
  const sources = ['password', 'passwordFile', 'passwordEnv', 'token'].filter((k) => e[k] !== undefined);
  // a rule may only say that a registry speaks plain HTTP
  if (sources.length === 0 && forceHttp !== undefined && e['username'] === undefined) return { urlPrefix: url, insecureOCIForceHttp: forceHttp };
  if (sources.length !== 1) {
    throw new GitError('Unsupported', `${where}: set exactly one of password, passwordFile, passwordEnv, token`);
  }
  const password = readSecret(sources[0]!, field(sources[0]!)!, where, env);
  const username = field('username') ?? (sources[0] === 'token' ? TOKEN_USERNAME : undefined);
  if (username === undefined) throw new GitError('Unsupported', `${where}: username is required with ${sources[0]}`);
  return { urlPrefix: url, credentials: { username, password }, ...(forceHttp === undefined ? {} : { insecureOCIForceHttp: forceHttp }) };
}

function readSecret(kind: string, value: string, where: string, env: NodeJS.ProcessEnv): string {
  if (kind === 'passwordFile') {
    try {
      return readFileSync(value, 'utf8').trim();
    } catch (e) {
      throw new GitError('Unsupported', `${where}.passwordFile: cannot read ${value} (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  if (kind === 'passwordEnv') {
    const secret = env[value];
    if (secret === undefined || secret === '') throw new GitError('Unsupported', `${where}.passwordEnv: ${value} is not set`);
    return secret;
  }
  return value;
}

/**
 * Rules from the environment: `SLUICE_GIT_CREDENTIALS_FILE` names a YAML file,
 * `SLUICE_GIT_CREDENTIALS` holds the same YAML inline. Both may be set.
 */
export function credentialRulesFromEnv(env: NodeJS.ProcessEnv = process.env): CredentialRule[] {
  const rules: CredentialRule[] = [];
  const file = env['SLUICE_GIT_CREDENTIALS_FILE'];
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new GitError('Unsupported', `SLUICE_GIT_CREDENTIALS_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code})`);
    }
    rules.push(...parseCredentialRules(text, file, env));
  }
  const inline = env['SLUICE_GIT_CREDENTIALS'];
  if (inline !== undefined && inline !== '') rules.push(...parseCredentialRules(inline, 'SLUICE_GIT_CREDENTIALS', env));
  return rules;
}
