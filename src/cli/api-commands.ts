/**
 * `sluice app list|get|history|diff|sync|rollback|pin|unpin|refresh` and `sluice rollout
 * status|promote|abort|pause|resume`: the API server's client (docs/api.md). Tables by
 * default, `-o json|yaml` for scripts; exit codes in api-client.ts's API_EXIT.
 */
import { parseArgs } from 'node:util';
import type { AppSummary } from '../api/summary.ts';
import { API_EXIT, ApiCallError, apiTarget, callApi, type ApiTarget } from './api-client.ts';
import { age, OUTPUT_FORMATS, short, structured, table, type OutputFormat } from './api-format.ts';
import type { Streams } from './app-commands.ts';
import { removeContext, writeContext } from './context-file.ts';
import { APP_API_USAGE, LOGIN_USAGE, ROLLOUT_API_USAGE } from './usage.ts';

const COMMON = `  common: --server URL (or SLUICE_SERVER)  --token T (or SLUICE_TOKEN)  -o table|json|yaml
          (neither given: the context \`sluice login\` saved)
  exit codes: 0 ok, 1 differs (diff) or failed (sync --dry-run), 2 usage, 3 unauthenticated/forbidden,
              4 not found, 5 conflict (e.g. no rollout runs), 6 server unreachable or failing
`;

const OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'table' },
  help: { type: 'boolean', short: 'h', default: false },
  sync: { type: 'string' },
  health: { type: 'string' },
  search: { type: 'string' },
  resource: { type: 'string', multiple: true },
  revision: { type: 'string' },
  to: { type: 'string' },
  'dry-run': { type: 'boolean' },
  prune: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Run {
  readonly target: ApiTarget;
  readonly values: Values;
  readonly name: string;
  readonly format: OutputFormat;
  readonly io: Streams;
}

const STDIO: Streams = { out: process.stdout, err: process.stderr };

const enc = encodeURIComponent;

function print(run: Run, value: unknown, asTable: () => string): void {
  run.io.out.write(run.format === 'table' ? asTable() : structured(value, run.format));
}

function accepted(run: Run, answer: { message: string; jobId?: string }): number {
  print(run, answer, () => `${answer.message}${answer.jobId === undefined ? '' : ` (job ${answer.jobId})`}\n`);
  return API_EXIT.ok;
}

function appRows(apps: readonly AppSummary[]): string {
  return table(
    ['NAME', 'SYNC', 'HEALTH', 'REVISION', 'LAST OPERATION', 'AGE', 'FLAGS'],
    apps.map((a) => [
      a.name,
      a.sync,
      a.health,
      short(a.revision),
      a.lastOperation === undefined ? '-' : `${a.lastOperation.trigger} ${a.lastOperation.phase}`,
      age(a.lastOperation?.finishedAt ?? a.comparedAt),
      [a.pinned ? `pinned@${short(a.pinned.revision)}` : '', a.rollout && ['Progressing', 'Paused', 'RollingBack'].includes(a.rollout.phase) ? `rollout ${a.rollout.phase}` : '', a.badRevisions.length > 0 ? `${a.badRevisions.length} bad` : ''].filter((f) => f !== '').join(',') || '-',
    ]),
  );
}

const APP_COMMANDS: Record<string, (run: Run) => Promise<number>> = {
  async list(run) {
    const q = new URLSearchParams({ limit: '5000' });
    for (const key of ['sync', 'health', 'search'] as const) if (run.values[key] !== undefined) q.set(key, run.values[key]!);
    const answer = await callApi<{ items: AppSummary[]; total: number }>(run.target, 'GET', `/api/v1/apps?${q.toString()}`);
    print(run, answer, () => appRows(answer.items));
    return API_EXIT.ok;
  },
  async get(run) {
    const app = await callApi<AppSummary>(run.target, 'GET', `/api/v1/apps/${enc(run.name)}`);
    print(run, app, () => {
      const lines = [
        `Name:        ${app.name} (${app.namespace})`,
        `Source:      ${app.source.repoURL} ${app.source.targetRevision} ${app.source.path}`,
        `Destination: ${app.destination.namespace}`,
        `Sync:        ${app.sync} at ${short(app.revision)}${app.commit ? ` "${app.commit.message.split('\n')[0]}" by ${app.commit.author}` : ''}`,
        `Health:      ${app.health}${app.healthMessage ? ` (${app.healthMessage})` : ''}`,
        `Auto-sync:   ${app.autoSync ? 'yes' : 'no'}${app.pinned ? `, pinned at ${short(app.pinned.revision)}` : ''}`,
        ...(app.lastOperation ? [`Last op:     ${app.lastOperation.trigger} ${app.lastOperation.phase}: ${app.lastOperation.message}`] : []),
        ...(app.rollout ? [`Rollout:     ${app.rollout.phase} step ${app.rollout.step}/${app.rollout.steps}: ${app.rollout.message}`] : []),
        ...app.conditions.map((c) => `Condition:   ${c.type}: ${c.message}`),
      ];
      return `${lines.join('\n')}\n`;
    });
    return API_EXIT.ok;
  },
  async history(run) {
    const answer = await callApi<{ items: { id: string; revision: string; finishedAt: string; trigger: string; phase: string; message: string }[] }>(run.target, 'GET', `/api/v1/apps/${enc(run.name)}/history`);
    print(run, answer, () => table(['ID', 'REVISION', 'FINISHED', 'TRIGGER', 'PHASE', 'MESSAGE'], answer.items.map((h) => [h.id, short(h.revision), h.finishedAt, h.trigger, h.phase, h.message])));
    return API_EXIT.ok;
  },
  async diff(run) {
    const resource = run.values.resource?.[0];
    const answer = await callApi<{ items: { key: string; status: string; diff: string }[] }>(run.target, 'GET', `/api/v1/apps/${enc(run.name)}/diff${resource === undefined ? '' : `?resource=${enc(resource)}`}`);
    print(run, answer, () => answer.items.map((i) => i.diff || `${i.key}: ${i.status}\n`).join(''));
    return answer.items.some((i) => i.status !== 'Synced') ? API_EXIT.differs : API_EXIT.ok;
  },
  async refresh(run) {
    return accepted(run, await callApi(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/refresh`));
  },
  async sync(run) {
    const v = run.values;
    const body = { ...(v.revision === undefined ? {} : { revision: v.revision }), ...(v['dry-run'] ? { dryRun: true } : {}), ...(v.prune === undefined ? {} : { prune: v.prune }), ...(v.resource === undefined ? {} : { resources: v.resource }) };
    if (!v['dry-run']) return accepted(run, await callApi(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/sync`, body));
    const plan = await callApi<{ phase: string; message: string; resources: { key: string; action: string; message?: string }[] }>(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/sync`, body);
    print(run, plan, () => table(['ACTION', 'RESOURCE', 'MESSAGE'], plan.resources.map((r) => [r.action, r.key, r.message ?? ''])) + `${plan.phase}: ${plan.message}\n`);
    return plan.phase === 'Succeeded' ? API_EXIT.ok : API_EXIT.differs;
  },
  async rollback(run) {
    if (run.values.to === undefined) throw new ApiCallError('rollback needs --to REVISION or a history id', API_EXIT.usage);
    return accepted(run, await callApi(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/rollback`, { to: run.values.to }));
  },
  async pin(run) {
    if (run.values.revision === undefined) throw new ApiCallError('pin needs --revision R', API_EXIT.usage);
    return accepted(run, await callApi(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/pin`, { revision: run.values.revision }));
  },
  async unpin(run) {
    return accepted(run, await callApi(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/unpin`));
  },
};

const ROLLOUT_COMMANDS: Record<string, (run: Run) => Promise<number>> = {
  async status(run) {
    const app = await callApi<AppSummary>(run.target, 'GET', `/api/v1/apps/${enc(run.name)}`);
    const rollout = app.rollout;
    print(run, rollout ?? null, () =>
      rollout === undefined
        ? `${app.name}: no rollout\n`
        : `${app.name}: ${rollout.phase} ${short(rollout.revision)} step ${rollout.step}/${rollout.steps}: ${rollout.message}\n` +
          table(['WORKLOAD', 'DESIRED', 'UPDATED', 'READY', 'AVAILABLE', 'STEP TARGET', 'MESSAGE'], rollout.workloads.map((w) => [`${w.kind}/${w.namespace}/${w.name}`, String(w.desired), String(w.updated), String(w.ready), String(w.available), String(w.stepTarget), w.message ?? ''])),
    );
    return API_EXIT.ok;
  },
  ...Object.fromEntries(['promote', 'abort', 'pause', 'resume'].map((action) => [action, async (run: Run) => accepted(run, await callApi(run.target, 'POST', `/api/v1/apps/${enc(run.name)}/rollout/${action}`))])),
};

async function dispatch(group: 'app' | 'rollout', args: string[], io: Streams): Promise<number> {
  const commands = group === 'app' ? APP_COMMANDS : ROLLOUT_COMMANDS;
  const usage = `usage:\n${group === 'app' ? APP_API_USAGE : ROLLOUT_API_USAGE}${COMMON}`;
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  } catch (e) {
    io.err.write(`sluice ${group}: ${(e as Error).message}\n${usage}`);
    return API_EXIT.usage;
  }
  const [sub, name, ...extra] = parsed.positionals;
  if (parsed.values.help || sub === undefined || sub === 'help') {
    io.out.write(usage);
    return parsed.values.help || sub === 'help' ? API_EXIT.ok : API_EXIT.usage;
  }
  const command = commands[sub];
  const format = parsed.values.output as OutputFormat;
  const problem =
    command === undefined ? `unknown command "${sub}"` : !(OUTPUT_FORMATS as readonly string[]).includes(format) ? `-o must be one of ${OUTPUT_FORMATS.join(', ')}` : sub !== 'list' && name === undefined ? `${sub} needs an application name` : extra.length > 0 ? `unexpected arguments: ${extra.join(' ')}` : undefined;
  if (problem !== undefined) {
    io.err.write(`sluice ${group}: ${problem}\n${usage}`);
    return API_EXIT.usage;
  }
  try {
    return await command!({ target: await apiTarget(parsed.values.server, parsed.values.token), values: parsed.values, name: name ?? '', format, io });
  } catch (e) {
    if (!(e instanceof ApiCallError)) throw e;
    io.err.write(`sluice ${group} ${sub}: ${e.message}\n`);
    return e.exitCode;
  }
}

export const appApiCommand = (args: string[], io: Streams = STDIO) => dispatch('app', args, io);
export const rolloutApiCommand = (args: string[], io: Streams = STDIO) => dispatch('rollout', args, io);

/** `sluice login`: the token must be accepted by the server before it is saved. */
export async function loginCommand(args: string[], io: Streams = STDIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { server: OPTIONS.server, token: OPTIONS.token, help: OPTIONS.help }, allowPositionals: false });
  } catch (e) {
    io.err.write(`sluice login: ${(e as Error).message}\n${LOGIN_USAGE}`);
    return API_EXIT.usage;
  }
  if (parsed.values.help) {
    io.out.write(LOGIN_USAGE);
    return API_EXIT.ok;
  }
  const server = parsed.values.server ?? env['SLUICE_SERVER'];
  const token = parsed.values.token ?? env['SLUICE_TOKEN'];
  if (server === undefined || server === '' || token === undefined || token === '') {
    io.err.write(`sluice login: needs --server URL and --token T\n${LOGIN_USAGE}`);
    return API_EXIT.usage;
  }
  try {
    const who = await callApi<{ name: string; role: string }>({ server: server.replace(/\/+$/, ''), token }, 'GET', '/api/v1/session');
    const file = await writeContext({ server, token }, env);
    io.out.write(`logged in to ${server} as ${who.name} (${who.role}); saved to ${file}\n`);
    return API_EXIT.ok;
  } catch (e) {
    if (!(e instanceof ApiCallError)) throw e;
    io.err.write(`sluice login: ${e.message}\n`);
    return e.exitCode;
  }
}

export async function logoutCommand(io: Streams = STDIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  io.out.write((await removeContext(env)) ? 'logged out: the saved server and token are gone\n' : 'not logged in\n');
  return API_EXIT.ok;
}
